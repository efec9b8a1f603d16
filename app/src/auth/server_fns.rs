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
    use crate::auth::client_ip::ClientIp;
    use crate::auth::guard::{ctx, require_user};
    use crate::auth::repo::Throttle;
    use crate::auth::throttle::retry_seconds;
    use crate::i18n::Problem;
    use crate::org::{repo, service};
    crate::error::respond(async move {
        let user = require_user()?;
        let locale = ctx().locale;
        let state = crate::state::app_state();
        // The current-password check is a password check like the sign-in: same throttle,
        // same bounded argon2 work, so a taken-over session cannot guess at leisure.
        let ip = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<ClientIp>().copied())
            .unwrap_or(ClientIp(std::net::IpAddr::from([0, 0, 0, 0])));
        let throttle = Throttle::for_attempt(&user.email, &ip);
        let now_ms = chrono::Utc::now().timestamp_millis();
        let wait = |ms: i64, text: &str| {
            AppError::field(
                "current_password",
                text.replace("{s}", &retry_seconds(ms).to_string()),
            )
        };
        if let Some(ms) = throttle.locked_for(&state.db, now_ms).await? {
            tracing::warn!(user_id = user.id.0, client_ip = %ip, "password change throttled");
            return Err(wait(ms, locale.texts().login_throttled));
        }
        let hash = repo::password_hash(&state.db, user.id).await?;
        let ok = state
            .passwords
            .try_verify(&form.current_password, hash.as_deref())
            .await
            .map_err(|_| wait(1000, locale.texts().login_busy))?;
        if !ok {
            let (failures, _) = throttle.failed(&state.db, now_ms).await?;
            tracing::warn!(user_id = user.id.0, client_ip = %ip, failures, "wrong current password");
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
        crate::auth::session::keep_current_session(user.id).await?;
        tracing::info!(
            user_id = user.id.0,
            "password changed; other sessions ended"
        );
        Ok(())
    })
    .await
}

/// The caller's signed-in sessions, the current one marked.
#[server(prefix = "/fn", endpoint = "auth/sessions")]
pub async fn my_sessions() -> Result<Vec<crate::auth::SessionInfo>, AppError> {
    use crate::auth::guard::require_user;
    crate::error::respond(async move {
        let user = require_user()?;
        let state = crate::state::app_state();
        let current = crate::auth::session::current_sid().await?;
        let now = chrono::Utc::now();
        let rows = crate::auth::repo::list_sessions(
            &state.db,
            user.id,
            now - state.settings.session_idle,
            now - state.settings.session_absolute,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let (browser, system) = crate::auth::rules::describe_user_agent(&r.user_agent);
                crate::auth::SessionInfo {
                    current: current.as_deref() == Some(r.sid.as_str()),
                    id: r.sid,
                    browser: browser.map(Into::into),
                    system: system.map(Into::into),
                    signed_in_at: crate::time::format_berlin(r.signed_in_at),
                    last_seen_at: crate::time::format_berlin(r.last_seen_at),
                }
            })
            .collect())
    })
    .await
}

/// Ends one of the caller's other sessions (the current one ends with "Abmelden").
#[server(prefix = "/fn", endpoint = "auth/end_session")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    use crate::auth::guard::require_user;
    crate::error::respond(async move {
        let user = require_user()?;
        let state = crate::state::app_state();
        if crate::auth::session::current_sid().await?.as_deref() == Some(id.as_str()) {
            return Err(AppError::NotFound);
        }
        if !crate::auth::repo::end_session(&state.db, user.id, &id).await? {
            return Err(AppError::NotFound);
        }
        tracing::info!(user_id = user.id.0, "session ended from the profile");
        Ok(())
    })
    .await
}

/// Ends all the caller's sessions except the current one; returns how many ended.
#[server(prefix = "/fn", endpoint = "auth/end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::auth::guard::require_user;
    crate::error::respond(async move {
        let user = require_user()?;
        let state = crate::state::app_state();
        let current = crate::auth::session::current_sid()
            .await?
            .unwrap_or_default();
        let n = crate::auth::repo::end_other_sessions(&state.db, user.id, &current).await?;
        tracing::info!(
            user_id = user.id.0,
            ended = n,
            "other sessions ended from the profile"
        );
        Ok(n)
    })
    .await
}
