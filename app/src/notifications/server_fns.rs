//! Admins look at the outbox: what is pending, what failed and why.
use super::OutboxRow;
use crate::error::AppError;
use leptos::prelude::*;

/// The newest 200 mails that are pending or failed (`all`: also the sent ones).
#[server(prefix = "/fn", endpoint = "mail/outbox")]
pub async fn outbox(#[server(default)] all: bool) -> Result<Vec<OutboxRow>, AppError> {
    crate::error::respond(async move {
        crate::auth::guard::require_role(crate::auth::Role::Admin)?;
        let rows: Vec<(i64, String, String, chrono::DateTime<chrono::Utc>, i64, Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT id, to_addr, subject, created_at, attempts, sent_at, failed_at, last_error FROM mail_outbox
              WHERE $1 OR sent_at IS NULL ORDER BY id DESC LIMIT 200",
        )
        .bind(all)
        .fetch_all(&crate::state::app_state().db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, to_addr, subject, created, attempts, sent, failed, last_error)| OutboxRow {
                id,
                to_addr,
                subject,
                created_at: crate::time::format_berlin(created),
                attempts,
                state: if sent.is_some() { "sent" } else if failed.is_some() { "failed" } else { "pending" }.into(),
                last_error,
            })
            .collect())
    })
    .await
}
