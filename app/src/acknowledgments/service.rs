//! Operations on acknowledgments: the inbox, the reading view, recording an acknowledgment
//! (one `BEGIN IMMEDIATE` transaction, idempotent) and receipts. Callers pass the signed-in
//! person and the clock, so the same code serves server functions and tests.
use super::rules::{parse_ack, AckProblem};
use super::{repo, AckForm, AckId, Inbox, InboxItem, ReadView, Receipt};
use crate::auth::{AuthMethod, Role, SessionUser};
use crate::circulars::VersionId;
use crate::db::{begin_read, begin_write, Db};
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
            let deadline = r.deadline(late_joiner_days);
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
    let deadline = row.deadline(late_joiner_days);
    Ok(ReadView {
        version: view,
        devices,
        deadline: deadline.to_string(),
        acknowledged,
    })
}

/// Records the person's acknowledgment of `version` from the form, in the page's language
/// and with how they signed in. Idempotent: if an acknowledgment already counts for the
/// version, that one is returned and nothing is written. Refused for people outside the
/// audience and for devices that are not theirs.
pub async fn acknowledge(
    db: &Db,
    user: UserId,
    version: VersionId,
    form: &AckForm,
    locale: Locale,
    auth_method: AuthMethod,
    now: DateTime<Utc>,
) -> Result<AckId, AppError> {
    // Every check reads one snapshot on the read side, so the writer is held only for the
    // insert: the audience, an acknowledgment that already counts, the person's devices and
    // the text they read.
    let mut snapshot = begin_read(db).await?;
    if repo::addressed(&mut snapshot, user, version)
        .await?
        .is_none()
    {
        return Err(AppError::Forbidden);
    }
    if let Some(existing) = repo::valid_ack(&mut snapshot, user, version).await? {
        return Ok(existing);
    }
    let own = repo::active_device_ids(&mut snapshot, user).await?;
    let ack = match parse_ack(form, &own) {
        Ok(a) => a,
        Err(AckProblem::Foreign) => return Err(AppError::Forbidden),
        Err(AckProblem::Input(p)) => return Err(AppError::fields(p)),
    };
    let hash = repo::version_hash(&mut snapshot, version).await?;
    if hash.as_deref() != Some(ack.content_sha256.as_str()) {
        return Err(AppError::fields(vec![(
            "content_sha256",
            Problem::ContentChanged,
        )]));
    }
    snapshot.rollback().await?;
    let mut tx = begin_write(db).await?;
    // A second tab or a double click may have written one since the snapshot: one index
    // lookup under the write lock keeps the acknowledgment single.
    if let Some(existing) = repo::valid_ack(&mut tx, user, version).await? {
        tx.rollback().await?;
        return Ok(existing);
    }
    let id = repo::insert(
        &mut tx,
        &repo::NewAcknowledgment {
            user,
            version,
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
