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
