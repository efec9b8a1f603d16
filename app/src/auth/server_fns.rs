//! Server functions of the auth domain (thin: guard, parse, call the service).
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub confirm_password: String,
}

/// The signed-in user changes their own password; the current one must be given.
#[server(prefix = "/fn", endpoint = "auth/change_password")]
pub async fn change_password(form: PasswordForm) -> Result<(), AppError> {
    use crate::auth::guard::{ctx, require_user};
    use crate::i18n::Problem;
    use crate::org::{repo, service};
    crate::error::respond(async move {
        let user = require_user()?;
        let locale = ctx().locale;
        let state = crate::state::app_state();
        let hash = repo::password_hash(&state.db, user.id).await?;
        if !state
            .passwords
            .verify(&form.current_password, hash.as_deref())
            .await
        {
            return Err(AppError::field(
                "current_password",
                Problem::WrongPassword.message(locale),
            ));
        }
        if form.new_password != form.confirm_password {
            return Err(AppError::field(
                "confirm_password",
                Problem::PasswordMismatch.message(locale),
            ));
        }
        service::set_password(
            &state.db,
            &state.passwords,
            Some(user.id),
            user.id,
            &form.new_password,
            locale,
        )
        .await?;
        // Every other session of the account has ended; this one continues under a new id.
        let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|err| {
            tracing::error!(error = %err, "no session in a signed-in request");
            AppError::Internal
        })?;
        crate::auth::session::renew_after_password_change(&session, chrono::Utc::now()).await?;
        tracing::info!(
            user_id = user.id.0,
            "password changed; other sessions ended"
        );
        Ok(())
    })
    .await
}
