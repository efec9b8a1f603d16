//! What the compliance server functions do, apart from the request: a person's own findings,
//! the scoped overview, granting and revoking exemptions. Each write owns its transaction;
//! the server functions only check who is asking and parse the request (the dry run calls
//! `engine::dry_run` directly).
use super::engine::{self, Links};
use super::repo::{self, FindingFilter};
use super::{rules, CircularId, ComplianceSettings, ComplianceState, ExemptionId};
use super::{ExemptionForm, Finding, Overview};
use crate::auth::SessionUser;
use crate::db::{begin_write, Db};
use crate::error::AppError;
use crate::i18n::Problem;
use chrono::{DateTime, NaiveDate, Utc};

/// Findings on one page of the overview.
pub const FINDINGS_PAGE: i64 = 50;

/// Units on one page of the overview's unit table.
pub const UNITS_PAGE: i64 = 50;

/// Which page of the overview: the findings after a key, the units from a page number.
#[derive(Debug, Clone, Default)]
pub struct OverviewPage {
    pub after: Option<rules::FindingCursor>,
    pub units_page: i64,
}

/// The signed-in person's own devices that are not compliant.
pub async fn own_findings(db: &Db, user: &SessionUser) -> Result<Vec<Finding>, AppError> {
    let filter = FindingFilter {
        scopes: None,
        states: &[],
        circular: None,
        owner: Some(user.id),
        limit: 100,
        after: None,
    };
    Ok(repo::findings(db, &filter).await?)
}

/// Which findings someone may see: admins the whole city in any state, heads their
/// subtrees in the states heads act on; anyone else is refused. The overview and the CSV
/// export both read through this.
pub struct FindingScope {
    pub is_admin: bool,
    scopes: Vec<crate::org::UnitPath>,
    states: Vec<ComplianceState>,
    /// False when a head filters for a state they do not see: an empty list, not those
    /// devices.
    pub visible: bool,
}

impl FindingScope {
    pub fn of(user: &SessionUser, state: Option<ComplianceState>) -> Result<Self, AppError> {
        let is_admin = user.is_admin();
        let scopes = crate::tracking::rules::head_scopes(user);
        if !is_admin && scopes.is_empty() {
            return Err(AppError::Forbidden);
        }
        let heads_see: Vec<ComplianceState> = ComplianceState::ALL
            .iter()
            .copied()
            .filter(|s| rules::shown_to_heads(*s))
            .collect();
        let states: Vec<ComplianceState> = match state {
            Some(s) => vec![s],
            None if is_admin => vec![],
            None => heads_see.clone(),
        };
        let visible = is_admin || states.iter().all(|s| heads_see.contains(s));
        Ok(FindingScope {
            is_admin,
            scopes,
            states,
            visible,
        })
    }

    /// The unit subtrees to keep to; `None` for the whole city.
    pub fn scope(&self) -> Option<&[crate::org::UnitPath]> {
        (!self.is_admin).then_some(self.scopes.as_slice())
    }

    /// The filter of the first page of findings (of one circular's rules, if given).
    pub fn filter(&self, circular: Option<CircularId>) -> FindingFilter<'_> {
        FindingFilter {
            scopes: self.scope(),
            states: &self.states,
            circular,
            owner: None,
            limit: FINDINGS_PAGE,
            after: None,
        }
    }
}

/// The overview for an admin (the whole city, any state) or a head (their subtrees, only
/// the states heads act on); anyone else is refused.
pub async fn overview(
    db: &Db,
    user: &SessionUser,
    state: Option<ComplianceState>,
    circular: Option<CircularId>,
    page: &OverviewPage,
    now: DateTime<Utc>,
) -> Result<Overview, AppError> {
    let seen = FindingScope::of(user, state)?;
    let is_admin = seen.is_admin;
    let scope = seen.scope();
    let filter = FindingFilter {
        limit: FINDINGS_PAGE + 1,
        after: page.after.as_ref(),
        ..seen.filter(circular)
    };
    // One row more than a page says whether there is a next one.
    let mut findings = if seen.visible {
        repo::findings_with_keys(db, &filter).await?
    } else {
        vec![]
    };
    let next_after = (findings.len() as i64 > FINDINGS_PAGE).then(|| {
        findings.truncate(FINDINGS_PAGE as usize);
        findings.last().map(|(_, key)| key.encode())
    });
    let units_page = page.units_page.clamp(0, 100_000);
    let mut units = repo::unit_counts(db, scope, UNITS_PAGE + 1, units_page * UNITS_PAGE).await?;
    let more_units = units.len() as i64 > UNITS_PAGE;
    units.truncate(UNITS_PAGE as usize);
    Ok(Overview {
        is_admin,
        units,
        more_units,
        findings: findings.into_iter().map(|(f, _)| f).collect(),
        next_after: next_after.flatten(),
        exemptions: if is_admin {
            repo::exemptions(db, crate::time::today_berlin(now)).await?
        } else {
            vec![]
        },
        circulars: repo::in_force(db)
            .await?
            .into_iter()
            .map(|c| (c.circular_id, format!("{} – {}", c.number, c.title)))
            .collect(),
    })
}

/// What granting or revoking an exemption needs besides its input.
pub struct Exempting {
    pub db: Db,
    pub settings: ComplianceSettings,
    pub links: Links,
    pub admin: crate::org::UserId,
    pub now: DateTime<Utc>,
}

impl Exempting {
    /// An admin acting now, with the node's settings.
    pub fn by(state: &crate::state::AppState, admin: crate::org::UserId) -> Exempting {
        Exempting {
            db: state.db.clone(),
            settings: state.settings.compliance.clone(),
            links: state.links(),
            admin,
            now: Utc::now(),
        }
    }
}

/// Grants a time-limited exemption from a circular in force to an active device, audited,
/// and re-evaluates the device in the same transaction.
pub async fn grant_exemption(
    ctx: &Exempting,
    form: &ExemptionForm,
) -> Result<ExemptionId, AppError> {
    let mut problems = vec![];
    let reason = form.reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.chars().count() < 5 {
        problems.push(("reason", Problem::TooShort(5)));
    } else if reason.chars().count() > 500 {
        problems.push(("reason", Problem::TooLong(500)));
    }
    let until = NaiveDate::parse_from_str(form.valid_until.trim(), "%Y-%m-%d");
    match until {
        Err(_) => problems.push(("valid_until", Problem::InvalidDate)),
        Ok(d) if d < crate::time::today_berlin(ctx.now) => {
            problems.push(("valid_until", Problem::DateInPast));
        }
        Ok(_) => {}
    }
    let in_force = repo::in_force(&ctx.db).await?;
    let circular = form
        .circular
        .trim()
        .parse()
        .ok()
        .map(CircularId)
        .filter(|c| in_force.iter().any(|f| f.circular_id == *c));
    if circular.is_none() {
        problems.push(("circular", Problem::Required));
    }
    let mut tx = begin_write(&ctx.db).await?;
    let device = repo::device_by_mdm(&mut tx, form.mdm_id.trim()).await?;
    if device.as_ref().is_none_or(|d| d.retired_at.is_some()) {
        problems.push(("mdm_id", Problem::UnknownDevice));
    }
    let (Some(device), Some(circular), Ok(until), true) =
        (device, circular, until, problems.is_empty())
    else {
        return Err(AppError::fields(problems));
    };
    let id = repo::insert_exemption(
        &mut tx, device.id, circular, &reason, until, ctx.admin, ctx.now,
    )
    .await?;
    crate::org::repo::audit(
        &mut tx,
        Some(ctx.admin),
        "exemption.grant",
        &format!("device:{}", device.id.0),
        serde_json::json!({ "exemption": id.0, "circular": circular.0, "valid_until": until, "reason": reason }),
        ctx.now,
    )
    .await?;
    let cause = super::Cause::Exemption;
    engine::reevaluate(
        &mut tx,
        device.id,
        &ctx.settings,
        &ctx.links,
        ctx.now,
        cause,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Ends an active exemption early, audited; the device is re-evaluated at once.
pub async fn revoke_exemption(ctx: &Exempting, id: ExemptionId) -> Result<(), AppError> {
    let mut tx = begin_write(&ctx.db).await?;
    let device = repo::revoke_exemption(&mut tx, id, ctx.now)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::org::repo::audit(
        &mut tx,
        Some(ctx.admin),
        "exemption.revoke",
        &format!("device:{}", device.0),
        serde_json::json!({ "exemption": id.0 }),
        ctx.now,
    )
    .await?;
    let cause = super::Cause::Exemption;
    engine::reevaluate(&mut tx, device, &ctx.settings, &ctx.links, ctx.now, cause).await?;
    tx.commit().await?;
    Ok(())
}
