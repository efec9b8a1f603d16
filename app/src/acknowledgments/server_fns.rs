//! Server functions of acknowledgments: inbox, reading, acknowledging, receipts.
use super::{AckForm, AckId, Inbox, ReadView, Receipt};
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "ack/inbox")]
pub async fn my_inbox() -> Result<Inbox, AppError> {
    use super::{repo, InboxItem};
    use crate::circulars::rules::personal_deadline;
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let state = crate::state::app_state();
        let today = crate::time::today_berlin(chrono::Utc::now());
        let mut due: Vec<InboxItem> = repo::due_for(&state.db, user.id)
            .await?
            .into_iter()
            .map(|r| {
                let deadline = personal_deadline(
                    r.ack_deadline,
                    r.published_at.date_naive(),
                    r.unit_since.date_naive(),
                    state.settings.late_joiner_days,
                );
                InboxItem {
                    version_id: crate::circulars::VersionId(r.version_id),
                    number: r.number,
                    title: r.title,
                    summary: r.summary,
                    deadline: deadline.to_string(),
                    overdue: deadline < today,
                }
            })
            .collect();
        // Overdue first, then by deadline.
        due.sort_by(|a, b| {
            (!a.overdue, &a.deadline, &a.number).cmp(&(!b.overdue, &b.deadline, &b.number))
        });
        let history = repo::history(&state.db, user.id).await?;
        Ok(Inbox { due, history })
    })
    .await
}

/// A published circular for someone in its audience, with their devices.
#[server(prefix = "/fn", endpoint = "ack/read")]
pub async fn read_circular(id: i64) -> Result<ReadView, AppError> {
    use crate::circulars::rules::personal_deadline;
    use crate::circulars::VersionId;
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let state = crate::state::app_state();
        let mut tx = crate::db::begin_read(&state.db).await?;
        let row = super::repo::addressed(&mut tx, user.id, VersionId(id))
            .await?
            .ok_or(AppError::NotFound)?;
        let acknowledged = super::repo::valid_ack(&mut tx, user.id, VersionId(id)).await?;
        tx.commit().await?;
        let version = crate::circulars::repo::load_view(&state.db, VersionId(id))
            .await?
            .ok_or(AppError::NotFound)?;
        let devices = crate::devices::repo::active_for_owner(&state.db, user.id).await?;
        let deadline = personal_deadline(
            row.ack_deadline,
            row.published_at.date_naive(),
            row.unit_since.date_naive(),
            state.settings.late_joiner_days,
        );
        Ok(ReadView {
            version,
            devices,
            deadline: deadline.to_string(),
            acknowledged,
        })
    })
    .await
}

/// Records the acknowledgment and sends the browser to the receipt. Idempotent: a retry, a
/// double click or a second tab gets the acknowledgment that already exists.
#[server(prefix = "/fn", endpoint = "ack/acknowledge")]
pub async fn acknowledge(form: AckForm) -> Result<AckId, AppError> {
    use super::rules::{parse_ack, AckProblem};
    use crate::i18n::Problem;
    use crate::org::rules::into_error;
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let ctx = crate::auth::guard::ctx();
        let locale = ctx.locale;
        let state = crate::state::app_state();
        let session: tower_sessions::Session = leptos_axum::extract()
            .await
            .map_err(|_| AppError::Unauthorized)?;
        let auth_method = crate::auth::session::auth_method(&session).await;
        let version_id = crate::circulars::VersionId(
            form.version_id
                .trim()
                .parse()
                .map_err(|_| AppError::NotFound)?,
        );
        let now = chrono::Utc::now();
        let mut tx = crate::db::begin_write(&state.db).await?;
        if super::repo::addressed(&mut tx, user.id, version_id)
            .await?
            .is_none()
        {
            return Err(AppError::Forbidden);
        }
        if let Some(existing) = super::repo::valid_ack(&mut tx, user.id, version_id).await? {
            tx.rollback().await?;
            leptos_axum::redirect(&format!("/receipts/{}", existing.0));
            return Ok(existing);
        }
        let own = super::repo::active_device_ids(&mut tx, user.id).await?;
        let ack = match parse_ack(&form, &own) {
            Ok(a) => a,
            Err(AckProblem::Foreign) => return Err(AppError::Forbidden),
            Err(AckProblem::Input(p)) => return Err(into_error(p, locale)),
        };
        if super::repo::version_hash(&mut tx, version_id)
            .await?
            .as_deref()
            != Some(ack.content_sha256.as_str())
        {
            return Err(into_error(
                vec![("content_sha256", Problem::ContentChanged)],
                locale,
            ));
        }
        let id = super::repo::insert(
            &mut tx,
            &super::repo::NewAcknowledgment {
                user: user.id,
                version: version_id,
                content_sha256: &ack.content_sha256,
                locale,
                auth_method,
                on_behalf: None,
                devices: &ack.devices,
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(ack_id = id.0, version_id = version_id.0, "acknowledged");
        leptos_axum::redirect(&format!("/receipts/{}", id.0));
        Ok(id)
    })
    .await
}

/// A receipt for its owner, or for auditors and admins.
#[server(prefix = "/fn", endpoint = "ack/receipt")]
pub async fn get_receipt(id: i64) -> Result<Receipt, AppError> {
    use crate::auth::Role;
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let locale = crate::auth::guard::ctx().locale;
        let (owner, receipt) =
            super::repo::receipt(&crate::state::app_state().db, AckId(id), locale)
                .await?
                .ok_or(AppError::NotFound)?;
        if owner != user.id && !user.has_role(Role::Auditor) && !user.is_admin() {
            // Not found rather than forbidden: do not confirm that the receipt exists.
            return Err(AppError::NotFound);
        }
        Ok(receipt)
    })
    .await
}
