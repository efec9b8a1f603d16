//! Server functions for auditors.
use super::VerifyReport;
use crate::error::AppError;
use leptos::prelude::*;

/// Recomputes the evidence chain (read-only).
#[server(prefix = "/fn", endpoint = "evidence/verify")]
pub async fn verify_evidence() -> Result<VerifyReport, AppError> {
    crate::error::respond(async move {
        crate::auth::guard::require_role(crate::auth::Role::Auditor)?;
        Ok(super::repo::verify(&crate::state::app_state().db).await?)
    })
    .await
}

/// The audit log, filtered, newest first (500 at most).
#[server(prefix = "/fn", endpoint = "evidence/audit")]
pub async fn audit_log(
    #[server(default)] filter: super::AuditFilter,
) -> Result<Vec<super::AuditEntry>, AppError> {
    crate::error::respond(async move {
        crate::auth::guard::require_role(crate::auth::Role::Auditor)?;
        Ok(super::repo::audit_entries(&crate::state::app_state().db, &filter, 500).await?)
    })
    .await
}

/// Published (and earlier published) versions, for the auditor's evidence views.
#[server(prefix = "/fn", endpoint = "evidence/versions")]
pub async fn evidence_versions() -> Result<Vec<super::VersionRef>, AppError> {
    crate::error::respond(async move {
        crate::auth::guard::require_role(crate::auth::Role::Auditor)?;
        Ok(super::repo::published_versions(&crate::state::app_state().db).await?)
    })
    .await
}

/// One page of a version's acknowledgments with their seals (searchable), for the
/// printable evidence view.
#[server(prefix = "/fn", endpoint = "evidence/version")]
pub async fn version_evidence(
    id: crate::circulars::VersionId,
    #[server(default)] query: super::EvidenceQuery,
) -> Result<(super::VersionRef, super::EvidencePage), AppError> {
    crate::error::respond(async move {
        let auditor = crate::auth::guard::require_role(crate::auth::Role::Auditor)?;
        let state = crate::state::app_state();
        let locale = crate::auth::guard::ctx().locale;
        let now = chrono::Utc::now();
        super::service::version_evidence(&state.db, auditor.id, id, &query, locale, now).await
    })
    .await
}
