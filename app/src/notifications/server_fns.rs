//! Admins look at the outbox: what is pending, what failed and why.
use super::OutboxRow;
use crate::error::AppError;
use leptos::prelude::*;

/// The newest 200 mails that are pending or failed (`all`: also the sent ones).
#[server(prefix = "/fn", endpoint = "mail/outbox")]
pub async fn outbox(#[server(default)] all: bool) -> Result<Vec<OutboxRow>, AppError> {
    crate::error::respond(async move {
        crate::auth::guard::require_role(crate::auth::Role::Admin)?;
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            to_addr: String,
            subject: String,
            created_at: chrono::DateTime<chrono::Utc>,
            attempts: i64,
            sent: bool,
            failed: bool,
            last_error: Option<String>,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, to_addr, subject, created_at, attempts, sent_at IS NOT NULL AS sent, failed_at IS NOT NULL AS failed, last_error
               FROM mail_outbox WHERE $1 OR sent_at IS NULL ORDER BY id DESC LIMIT 200",
        )
        .bind(all)
        .fetch_all(&crate::state::app_state().db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxRow {
                id: r.id,
                to_addr: r.to_addr,
                subject: r.subject,
                created_at: crate::time::format_berlin(r.created_at),
                attempts: r.attempts,
                state: if r.sent {
                    super::OutboxState::Sent
                } else if r.failed {
                    super::OutboxState::Failed
                } else {
                    super::OutboxState::Pending
                },
                last_error: r.last_error,
            })
            .collect())
    })
    .await
}
