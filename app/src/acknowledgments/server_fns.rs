//! Server functions of acknowledgments: inbox, reading, acknowledging, receipts. Each checks
//! the signed-in person and calls the service.
use super::{AckForm, AckId, Inbox, ReadView, Receipt};
use crate::circulars::VersionId;
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "ack/inbox")]
pub async fn my_inbox() -> Result<Inbox, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let state = crate::state::app_state();
        super::service::inbox(
            &state.db,
            user.id,
            state.settings.late_joiner_days,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

/// A published circular for someone in its audience, with their devices.
#[server(prefix = "/fn", endpoint = "ack/read")]
pub async fn read_circular(id: VersionId) -> Result<ReadView, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let state = crate::state::app_state();
        super::service::read_view(&state.db, user.id, id, state.settings.late_joiner_days).await
    })
    .await
}

/// Records the acknowledgment and sends the browser to the receipt. Idempotent: a retry, a
/// double click or a second tab gets the acknowledgment that already exists.
#[server(prefix = "/fn", endpoint = "ack/acknowledge")]
pub async fn acknowledge(form: AckForm) -> Result<AckId, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let locale = crate::auth::guard::ctx().locale;
        let state = crate::state::app_state();
        let session: tower_sessions::Session = leptos_axum::extract()
            .await
            .map_err(|_| AppError::Unauthorized)?;
        let auth_method = crate::auth::session::auth_method(&session).await;
        let id = super::service::acknowledge(
            &state.db,
            &state.acks,
            user.id,
            &form,
            locale,
            auth_method,
            chrono::Utc::now(),
        )
        .await?;
        leptos_axum::redirect(&format!("/receipts/{}", id.0));
        Ok(id)
    })
    .await
}

/// A receipt for its owner, or for auditors and admins.
#[server(prefix = "/fn", endpoint = "ack/receipt")]
pub async fn get_receipt(id: AckId) -> Result<Receipt, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let locale = crate::auth::guard::ctx().locale;
        super::service::receipt(&crate::state::app_state().db, &user, id, locale).await
    })
    .await
}
