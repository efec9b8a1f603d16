//! What the evidence server functions do apart from the request: an auditor's view of one
//! version's evidence, which is itself put on record.
use super::{EvidencePage, EvidenceQuery, VersionRef};
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
    query: &EvidenceQuery,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<(VersionRef, EvidencePage), AppError> {
    let v = crate::circulars::repo::load_view(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if query.q.chars().count() > 100 {
        return Err(AppError::field("q", crate::i18n::Problem::TooLong(100)));
    }
    let query = EvidenceQuery {
        q: query.q.clone(),
        after: query.after.max(0),
    };
    let page = super::repo::evidence_page(db, id.0, &query, locale).await?;
    // That the auditor searched is recorded, not for whom: the audit log is sealed into the
    // evidence chain for good, and a name there would outlive the pseudonymisation of the
    // person's acknowledgments.
    let details = match query.q.trim() {
        "" => serde_json::json!({}),
        _ => serde_json::json!({ "search": true, "found": page.total }),
    };
    let mut tx = begin_write(db).await?;
    crate::org::repo::audit(
        &mut tx,
        Some(auditor),
        "evidence.view",
        &format!("version:{}", id.0),
        details,
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
    Ok((version, page))
}
