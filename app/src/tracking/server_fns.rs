//! Server functions of tracking; every one checks the viewer's scope on the server.
use super::Dashboard;
use crate::error::AppError;
use leptos::prelude::*;

/// Builds the dashboard for `user` (shared by the page and the CSV export).
#[cfg(feature = "ssr")]
pub async fn build(
    state: &crate::state::AppState,
    user: &crate::auth::SessionUser,
    version: Option<i64>,
    unit: Option<i64>,
) -> Result<Dashboard, AppError> {
    use super::rules::{in_scope, name_visible, tracking_scopes};
    use super::{CircularChoice, OpenPerson, RollupRow};
    use crate::org::{rules::subtree_bounds, OrgUnitId};
    let db = &state.db;
    let root: String =
        sqlx::query_scalar("SELECT path FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1")
            .fetch_optional(db)
            .await?
            .unwrap_or_default();
    let scopes = tracking_scopes(user, &root);
    let first_scope = scopes.first().ok_or(AppError::Forbidden)?;
    let unit_id = match unit {
        Some(u) => OrgUnitId(u),
        None => OrgUnitId(
            first_scope
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or(AppError::NotFound)?,
        ),
    };
    let unit = crate::org::repo::get_unit(db, unit_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !in_scope(&unit.path, &scopes) {
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
        Some(v) if circulars.iter().any(|c| c.version_id == v) => Some(v),
        Some(_) => return Err(AppError::NotFound),
        None => circulars.first().map(|c| c.version_id),
    };
    // Breadcrumbs: the ancestors of the unit that lie inside the viewer's scope.
    let mut breadcrumbs = vec![];
    for id in unit
        .path
        .trim_matches('/')
        .split('/')
        .filter_map(|s| s.parse::<i64>().ok())
    {
        if let Some(u) = crate::org::repo::get_unit(db, OrgUnitId(id)).await? {
            if in_scope(&u.path, &scopes) {
                breadcrumbs.push((u.id, u.name));
            }
        }
    }
    let today = crate::time::today_berlin(chrono::Utc::now());
    let late = state.settings.late_joiner_days;
    let (rows, open_people) = match version_id {
        None => (vec![], vec![]),
        Some(v) => {
            let rows = super::repo::rollup(db, v, unit.id, today, late).await?;
            let leaf = rows.iter().all(|r| r.unit_id.is_none());
            let mut open = vec![];
            if leaf {
                let (lo, hi) = subtree_bounds(&unit.path);
                let mut named = 0;
                for r in super::repo::open_people(db, v, &lo, &hi).await? {
                    let deadline = r.deadline(late);
                    let days_overdue = (today - deadline).num_days().max(0);
                    let show = name_visible(state.settings.head_names, days_overdue > 0);
                    named += usize::from(show);
                    open.push(OpenPerson {
                        user_id: show.then_some(crate::org::UserId(r.id)),
                        name: show.then_some(r.display_name),
                        unit_name: r.unit_name,
                        deadline: deadline.to_string(),
                        days_overdue,
                        reminders_sent: r.reminders_sent,
                    });
                }
                if named > 0 {
                    let mut tx = crate::db::begin_write(db).await?;
                    crate::org::repo::audit(
                        &mut tx,
                        Some(user.id),
                        "tracking.view_names",
                        &format!("unit:{}", unit.id.0),
                        serde_json::json!({"version_id": v, "names": named}),
                        chrono::Utc::now(),
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

#[server(prefix = "/fn", endpoint = "tracking/dashboard")]
pub async fn load_dashboard(
    #[server(default)] version: Option<i64>,
    #[server(default)] unit: Option<i64>,
) -> Result<Dashboard, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        build(&crate::state::app_state(), &user, version, unit).await
    })
    .await
}

/// A head records a paper acknowledgment for a person in their scope; the remark is
/// mandatory and the record names the head.
#[server(prefix = "/fn", endpoint = "tracking/on_behalf")]
pub async fn acknowledge_on_behalf(
    version_id: i64,
    user_id: i64,
    remark: String,
) -> Result<i64, AppError> {
    use super::rules::{head_scopes, in_scope};
    use crate::i18n::Problem;
    crate::error::respond(async move {
        let head = crate::auth::guard::require_user()?;
        let locale = crate::auth::guard::ctx().locale;
        let remark = remark.trim().to_owned();
        if remark.is_empty() {
            return Err(AppError::field("remark", Problem::Required.message(locale)));
        }
        if remark.chars().count() > 500 {
            return Err(AppError::field(
                "remark",
                Problem::TooLong(500).message(locale),
            ));
        }
        let state = crate::state::app_state();
        let now = chrono::Utc::now();
        let mut tx = crate::db::begin_write(&state.db).await?;
        let person_path: Option<String> = sqlx::query_scalar(
            "SELECT o.path FROM users u JOIN org_unit o ON o.id = u.org_unit_id WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let person_path = person_path.ok_or(AppError::NotFound)?;
        // Heads only for people in the subtrees they head (not the whole-city roles).
        let scopes = head_scopes(&head);
        if !in_scope(&person_path, &scopes) {
            return Err(AppError::Forbidden);
        }
        let person = crate::org::UserId(user_id);
        let version = crate::circulars::VersionId(version_id);
        let Some(due) = crate::acknowledgments::repo::addressed(&mut tx, person, version).await?
        else {
            return Err(AppError::NotFound);
        };
        // Heads act only for people whose name the names policy shows them; anyone else
        // is not found (acting for them, or the answer, would reveal who has acknowledged).
        let deadline = crate::circulars::rules::personal_deadline(
            due.ack_deadline,
            due.published_at.date_naive(),
            due.unit_since.date_naive(),
            state.settings.late_joiner_days,
        );
        let overdue = crate::time::today_berlin(now) > deadline;
        if !super::rules::name_visible(state.settings.head_names, overdue) {
            return Err(AppError::NotFound);
        }
        if let Some(existing) =
            crate::acknowledgments::repo::valid_ack(&mut tx, person, version).await?
        {
            tx.rollback().await?;
            return Ok(existing.0);
        }
        let sha = crate::acknowledgments::repo::version_hash(&mut tx, version)
            .await?
            .ok_or(AppError::NotFound)?;
        let id = crate::acknowledgments::repo::insert(
            &mut tx,
            &crate::acknowledgments::repo::NewAcknowledgment {
                user: person,
                version,
                content_sha256: &sha,
                locale,
                auth_method: crate::auth::AuthMethod::Paper,
                on_behalf: Some((head.id, &remark)),
                devices: &[],
                at: now,
            },
        )
        .await?;
        crate::org::repo::audit(
            &mut tx,
            Some(head.id),
            "ack.on_behalf",
            &format!("user:{user_id}"),
            serde_json::json!({"version_id": version_id, "ack_id": id.0}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id.0)
    })
    .await
}

/// A head (or publisher/admin) reminds everybody open in a unit's subtree by mail; a second
/// click the same day sends nothing new. Returns the number of mails enqueued.
#[server(prefix = "/fn", endpoint = "tracking/remind")]
pub async fn remind_unit(version_id: i64, unit_id: i64) -> Result<usize, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let state = crate::state::app_state();
        // Reuses the dashboard's scope checks (403/404 outside the viewer's scope).
        let d = build(&state, &user, Some(version_id), Some(unit_id)).await?;
        let unit = crate::org::repo::get_unit(&state.db, d.unit_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let n = crate::notifications::reminders::remind_subtree(
            &state.db,
            &state.settings.reminders(&state.base_url()),
            version_id,
            &unit.path,
            chrono::Utc::now(),
        )
        .await?;
        let mut tx = crate::db::begin_write(&state.db).await?;
        crate::org::repo::audit(
            &mut tx,
            Some(user.id),
            "tracking.remind",
            &format!("unit:{unit_id}"),
            serde_json::json!({"version_id": version_id, "mails": n}),
            chrono::Utc::now(),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    })
    .await
}
