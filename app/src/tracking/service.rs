//! Operations of tracking: the heads' dashboard (shared by the page and the exports), paper
//! acknowledgments on behalf of staff, and reminding a unit. Each checks the viewer's scope
//! against the stored tree; callers pass the viewer, the settings and the clock.
use super::rules::{head_scopes, name_visible, tracking_scopes};
use super::{CircularChoice, Dashboard, OpenPerson, RollupRow};
use crate::acknowledgments::{repo as acks, AckId};
use crate::auth::{AuthMethod, SessionUser};
use crate::circulars::VersionId;
use crate::db::{begin_write, Db};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::org::{repo as org_repo, OrgUnitId, UserId};
use crate::state::Settings;
use chrono::{DateTime, Utc};
use serde_json::json;

/// The dashboard of `user` for a version (default: the newest published one) and a unit
/// (default: the top of the viewer's first scope). Outside the viewer's scope it is
/// forbidden; unknown units and versions are not found. Showing names is audited.
pub async fn dashboard(
    db: &Db,
    settings: &Settings,
    user: &SessionUser,
    version: Option<VersionId>,
    unit: Option<OrgUnitId>,
    now: DateTime<Utc>,
) -> Result<Dashboard, AppError> {
    let root = org_repo::root_path(db).await?.ok_or(AppError::NotFound)?;
    let scopes = tracking_scopes(user, &root);
    let first_scope = scopes.first().ok_or(AppError::Forbidden)?;
    let unit_id = match unit {
        Some(u) => u,
        None => *first_scope.ids().last().ok_or(AppError::NotFound)?,
    };
    let unit = org_repo::get_unit(db, unit_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !unit.path.within(&scopes) {
        return Err(AppError::Forbidden);
    }
    let circulars: Vec<CircularChoice> = super::repo::published(db)
        .await?
        .into_iter()
        .map(|(id, number, title)| CircularChoice {
            version_id: id,
            label: format!("{number}: {title}"),
        })
        .collect();
    let version_id = match version {
        Some(v) if circulars.iter().any(|c| c.version_id == v.0) => Some(v.0),
        Some(_) => return Err(AppError::NotFound),
        None => circulars.first().map(|c| c.version_id),
    };
    // Breadcrumbs: the ancestors of the unit that lie inside the viewer's scope.
    let mut breadcrumbs = vec![];
    for id in unit.path.ids() {
        if let Some(u) = org_repo::get_unit(db, id).await? {
            if u.path.within(&scopes) {
                breadcrumbs.push((u.id, u.name));
            }
        }
    }
    let today = crate::time::today_berlin(now);
    let late = settings.late_joiner_days;
    let (rows, open_people) = match version_id {
        None => (vec![], vec![]),
        Some(v) => {
            let rows = super::counts::rollup(db, v, unit.id, today, late).await?;
            let leaf = rows.iter().all(|r| r.unit_id.is_none());
            let mut open = vec![];
            if leaf {
                let (lo, hi) = unit.path.bounds();
                let mut named = 0;
                for r in super::repo::open_people(db, v, &lo, &hi).await? {
                    let deadline = r.basis.deadline(late);
                    let days_overdue = (today - deadline).num_days().max(0);
                    let show = name_visible(settings.head_names, days_overdue > 0);
                    named += usize::from(show);
                    open.push(OpenPerson {
                        user_id: show.then_some(UserId(r.id)),
                        name: show.then_some(r.display_name),
                        unit_name: r.unit_name,
                        deadline: deadline.to_string(),
                        days_overdue,
                        reminders_sent: r.reminders_sent,
                    });
                }
                if named > 0 {
                    let mut tx = begin_write(db).await?;
                    org_repo::audit(
                        &mut tx,
                        Some(user.id),
                        "tracking.view_names",
                        &format!("unit:{}", unit.id.0),
                        json!({"version_id": v, "names": named}),
                        now,
                    )
                    .await?;
                    tx.commit().await?;
                }
            }
            (rows, open)
        }
    };
    let total = rows.iter().fold(
        RollupRow {
            unit_name: unit.name.clone(),
            ..Default::default()
        },
        |mut t, r| {
            t.audience += r.audience;
            t.acknowledged += r.acknowledged;
            t.overdue += r.overdue;
            t.devices_unclean += r.devices_unclean;
            t
        },
    );
    Ok(Dashboard {
        circulars,
        version_id,
        unit_id: unit.id,
        unit_name: unit.name,
        unit_kind: unit.kind,
        breadcrumbs,
        rows,
        total,
        open_people,
    })
}

/// A paper acknowledgment a head records for a person.
pub struct PaperAck<'a> {
    pub version: VersionId,
    pub person: UserId,
    /// Mandatory (see `rules::parse_remark`); stored with the record.
    pub remark: &'a str,
}

/// A head records a paper acknowledgment for a person in a subtree they head; the record
/// names the head and carries the head's language. Idempotent like the person's own: an
/// acknowledgment that already counts is returned.
pub async fn acknowledge_on_behalf(
    db: &Db,
    settings: &Settings,
    head: &SessionUser,
    paper: &PaperAck<'_>,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<AckId, AppError> {
    let PaperAck {
        version,
        person,
        remark,
    } = *paper;
    let mut tx = begin_write(db).await?;
    let person_path = org_repo::user_unit_path(&mut tx, person)
        .await?
        .ok_or(AppError::NotFound)?;
    // Heads only for people in the subtrees they head (not the whole-city roles).
    let scopes = head_scopes(head);
    if !person_path.within(&scopes) {
        return Err(AppError::Forbidden);
    }
    let Some(due) = acks::addressed(&mut tx, person, version).await? else {
        return Err(AppError::NotFound);
    };
    // Heads act only for people whose name the names policy shows them; anyone else
    // is not found (acting for them, or the answer, would reveal who has acknowledged).
    let deadline = due.basis.deadline(settings.late_joiner_days);
    let overdue = crate::time::today_berlin(now) > deadline;
    if !name_visible(settings.head_names, overdue) {
        return Err(AppError::NotFound);
    }
    if let Some(existing) = acks::valid_ack(&mut tx, person, version).await? {
        tx.rollback().await?;
        return Ok(existing);
    }
    let sha = acks::version_hash(&mut tx, version)
        .await?
        .ok_or(AppError::NotFound)?;
    let id = acks::insert(
        &mut tx,
        &acks::NewAcknowledgment {
            user: person,
            version,
            content_sha256: &sha,
            locale,
            auth_method: AuthMethod::Paper,
            on_behalf: Some((head.id, remark)),
            devices: &[],
            at: now,
        },
    )
    .await?;
    org_repo::audit(
        &mut tx,
        Some(head.id),
        "ack.on_behalf",
        &format!("user:{}", person.0),
        json!({"version_id": version.0, "ack_id": id.0}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Reminds everybody open in a unit's subtree by mail (links point to `base_url`); a
/// second call the same day sends nothing new. Uses the dashboard's scope checks (403/404
/// outside the viewer's scope). Returns the number of mails enqueued.
pub async fn remind_unit(
    db: &Db,
    settings: &Settings,
    base_url: &str,
    user: &SessionUser,
    version: VersionId,
    unit: OrgUnitId,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let d = dashboard(db, settings, user, Some(version), Some(unit), now).await?;
    let unit_path = org_repo::get_unit(db, d.unit_id)
        .await?
        .ok_or(AppError::NotFound)?
        .path;
    let n = crate::notifications::reminders::remind_subtree(
        db,
        &settings.reminders(base_url),
        version.0,
        &unit_path,
        now,
    )
    .await?;
    let mut tx = begin_write(db).await?;
    org_repo::audit(
        &mut tx,
        Some(user.id),
        "tracking.remind",
        &format!("unit:{}", unit.0),
        json!({"version_id": version.0, "mails": n}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}
