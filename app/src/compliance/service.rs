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

/// Longest list of findings on one page.
const OVERVIEW_LIMIT: i64 = 500;

/// The signed-in person's own devices that are not compliant.
pub async fn own_findings(db: &Db, user: &SessionUser) -> Result<Vec<Finding>, AppError> {
    let filter = FindingFilter {
        scopes: None,
        states: &[],
        circular: None,
        owner: Some(user.id),
        limit: 100,
    };
    Ok(repo::findings(db, &filter).await?)
}

/// The overview for an admin (the whole city, any state) or a head (their subtrees, only
/// the states heads act on); anyone else is refused.
pub async fn overview(
    db: &Db,
    user: &SessionUser,
    state: Option<ComplianceState>,
    circular: Option<CircularId>,
    now: DateTime<Utc>,
) -> Result<Overview, AppError> {
    let is_admin = user.is_admin();
    let scopes = crate::tracking::rules::head_scopes(user);
    if !is_admin && scopes.is_empty() {
        return Err(AppError::Forbidden);
    }
    let scope = (!is_admin).then_some(scopes.as_slice());
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
    // A head filtering for a state they do not see gets an empty list, not those devices.
    let visible = is_admin || states.iter().all(|s| heads_see.contains(s));
    let filter = FindingFilter {
        scopes: scope,
        states: &states,
        circular,
        owner: None,
        limit: OVERVIEW_LIMIT,
    };
    Ok(Overview {
        is_admin,
        units: repo::unit_counts(db, scope).await?,
        findings: if visible {
            repo::findings(db, &filter).await?
        } else {
            vec![]
        },
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
