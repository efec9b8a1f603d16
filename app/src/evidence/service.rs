//! What the evidence server functions do apart from the request: an auditor's view of one
//! version's evidence, which is itself put on record.
use super::{EvidenceRow, VersionRef};
use crate::circulars::VersionId;
use crate::db::{begin_write, Db};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::org::UserId;
use chrono::{DateTime, Utc};

/// The acknowledgments of one version with their devices, for an auditor; the viewing is
/// audited (who looked at whose evidence is itself evidence).
pub async fn version_evidence(
    db: &Db,
    auditor: UserId,
    id: VersionId,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<(VersionRef, Vec<EvidenceRow>), AppError> {
    let v = crate::circulars::repo::load_view(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = super::repo::evidence_rows(db, id.0, locale).await?;
    let mut tx = begin_write(db).await?;
    crate::org::repo::audit(
        &mut tx,
        Some(auditor),
        "evidence.view",
        &format!("version:{}", id.0),
        serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    let version = VersionRef {
        id: id.0,
        number: v.number,
        version_no: v.version_no,
        title: v.title,
        status: v.status.as_str().into(),
    };
    Ok((version, rows))
}
