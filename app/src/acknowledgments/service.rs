//! Operations on acknowledgments: the inbox, the reading view, recording an acknowledgment
//! (checked on the read side, written by the group-commit queue, idempotent) and receipts. Callers pass the signed-in
//! person and the clock, so the same code serves server functions and tests.
use super::queue::{AckQueue, PendingAck};
use super::rules::{parse_ack, AckProblem};
use super::{repo, AckForm, AckId, Inbox, InboxItem, ReadView, Receipt};
use crate::auth::{AuthMethod, Role, SessionUser};
use crate::circulars::VersionId;
use crate::db::{begin_read, Db};
use crate::error::AppError;
use crate::i18n::{Locale, Problem};
use crate::org::UserId;
use chrono::{DateTime, Utc};

/// What the person still has to acknowledge (overdue first, then by deadline) and what they
/// acknowledged before.
pub async fn inbox(
    db: &Db,
    user: UserId,
    late_joiner_days: i64,
    now: DateTime<Utc>,
) -> Result<Inbox, AppError> {
    let today = crate::time::today_berlin(now);
    let mut due: Vec<InboxItem> = repo::due_for(db, user)
        .await?
        .into_iter()
        .map(|r| {
            let deadline = r.basis.deadline(late_joiner_days);
            InboxItem {
                version_id: VersionId(r.version_id),
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
    let history = repo::history(db, user).await?;
    Ok(Inbox { due, history })
}

/// A published circular for someone in its audience, with their devices; not found for
/// anyone else.
pub async fn read_view(
    db: &Db,
    user: UserId,
    version: VersionId,
    late_joiner_days: i64,
) -> Result<ReadView, AppError> {
    let mut tx = begin_read(db).await?;
    let row = repo::addressed(&mut tx, user, version)
        .await?
        .ok_or(AppError::NotFound)?;
    let acknowledged = repo::valid_ack(&mut tx, user, version).await?;
    tx.commit().await?;
    let view = crate::circulars::repo::load_view(db, version)
        .await?
        .ok_or(AppError::NotFound)?;
    let devices = crate::devices::repo::active_for_owner(db, user).await?;
    let deadline = row.basis.deadline(late_joiner_days);
    Ok(ReadView {
        version: view,
        devices,
        deadline: deadline.to_string(),
        acknowledged,
    })
}

/// Records the person's acknowledgment of the version the form names, in the page's
/// language and with how they signed in. Idempotent: if an acknowledgment already counts for the
/// version, that one is returned and nothing is written. Refused for people outside the
/// audience and for devices that are not theirs.
pub async fn acknowledge(
    db: &Db,
    queue: &AckQueue,
    user: UserId,
    form: &AckForm,
    locale: Locale,
    auth_method: AuthMethod,
    now: DateTime<Utc>,
) -> Result<AckId, AppError> {
    // A version that does not parse does not exist.
    let version = VersionId(
        form.version_id
            .trim()
            .parse()
            .map_err(|_| AppError::NotFound)?,
    );
    // Every check is one statement on the read side, so the writer is held only for the
    // insert: the audience, an acknowledgment that already counts, the text they read and
    // the person's devices.
    let check = repo::ack_check(db, user, version)
        .await?
        .ok_or(AppError::Forbidden)?;
    if let Some(existing) = check.existing {
        return Ok(existing);
    }
    let ack = match parse_ack(form, &check.devices) {
        Ok(a) => a,
        Err(AckProblem::Foreign) => return Err(AppError::Forbidden),
        Err(AckProblem::Input(p)) => return Err(AppError::fields(p)),
    };
    if check.content_sha256.as_deref() != Some(ack.content_sha256.as_str()) {
        return Err(AppError::fields(vec![(
            "content_sha256",
            Problem::ContentChanged,
        )]));
    }
    let id = queue
        .record(PendingAck {
            user,
            version,
            content_sha256: ack.content_sha256,
            locale,
            auth_method,
            devices: ack.devices,
            at: now,
        })
        .await?;
    tracing::info!(ack_id = id.0, version_id = version.0, "acknowledged");
    Ok(id)
}

/// A receipt for its owner, or for auditors and admins.
pub async fn receipt(
    db: &Db,
    viewer: &SessionUser,
    id: AckId,
    locale: Locale,
) -> Result<Receipt, AppError> {
    let (owner, receipt) = repo::receipt(db, id, locale)
        .await?
        .ok_or(AppError::NotFound)?;
    if owner != viewer.id && !viewer.has_role(Role::Auditor) && !viewer.is_admin() {
        // Not found rather than forbidden: do not confirm that the receipt exists.
        return Err(AppError::NotFound);
    }
    Ok(receipt)
}
