//! Admins look at the outbox: what is pending, what failed and why.
use super::OutboxRow;
use crate::error::AppError;
use leptos::prelude::*;

/// The newest 200 mails that are pending or failed (`all`: also the sent ones).
#[server(prefix = "/fn", endpoint = "mail/outbox")]
pub async fn outbox(#[server(default)] all: bool) -> Result<Vec<OutboxRow>, AppError> {
    crate::error::respond(async move {
        crate::auth::guard::require_role(crate::auth::Role::Admin)?;
        Ok(super::repo::outbox(&crate::state::app_state().db, all).await?)
    })
    .await
}
