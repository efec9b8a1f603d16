//! Server functions of the auth domain: guard, parse, call the service. `ThrottledCheck`
//! puts password and code checks of signed-in people on the sign-in throttle.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A password or second-factor check by a signed-in person (current password on the
/// profile, code to turn the second factor off). It is throttled like the sign-in, on the
/// same counters, so a taken-over session cannot guess at leisure.
#[cfg(feature = "ssr")]
struct ThrottledCheck {
    throttle: crate::auth::repo::Throttle,
    user: crate::org::UserId,
    ip: crate::auth::client_ip::ClientIp,
    field: &'static str,
    now_ms: i64,
}

#[cfg(feature = "ssr")]
impl ThrottledCheck {
    async fn start(user: &crate::auth::SessionUser, field: &'static str) -> Result<Self, AppError> {
        use crate::auth::client_ip::ClientIp;
        let ip = use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<ClientIp>().copied())
            .unwrap_or(ClientIp(std::net::IpAddr::from([0, 0, 0, 0])));
        let check = ThrottledCheck {
            throttle: crate::auth::repo::Throttle::for_attempt(&user.email, &ip),
            user: user.id,
            ip,
            field,
            now_ms: chrono::Utc::now().timestamp_millis(),
        };
        // Counted before the check, so parallel guesses cannot all slip under the lock.
        let db = crate::state::app_state().db;
        use crate::auth::repo::Attempt;
        if let Attempt::Locked(ms) = check.throttle.attempt(&db, check.now_ms).await? {
            tracing::warn!(user_id = user.id.0, client_ip = %ip, field, "check throttled");
            let seconds = crate::auth::throttle::retry_seconds(ms);
            return Err(AppError::field(
                field,
                crate::i18n::Problem::Throttled(seconds),
            ));
        }
        Ok(check)
    }

    /// The check passed: the account's counter is cleared, the client's attempt forgiven.
    async fn succeeded(&self) -> Result<(), AppError> {
        let db = crate::state::app_state().db;
        Ok(self.throttle.attempt_succeeded(&db).await?)
    }

    /// Too many password checks at once (bounded argon2 work): the attempt did not happen.
    async fn busy(&self) -> AppError {
        let db = crate::state::app_state().db;
        if let Err(err) = self.throttle.forgive_attempt(&db).await {
            tracing::warn!(error = %err, "forgiving a refused attempt failed");
        }
        let seconds = crate::auth::throttle::retry_seconds(1000);
        AppError::field(self.field, crate::i18n::Problem::Busy(seconds))
    }

    /// The check failed (it was counted when it started).
    fn failed(&self, what: &str) {
        tracing::warn!(user_id = self.user.0, client_ip = %self.ip, "{what}");
    }
}

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
    use crate::auth::guard::require_user;
    use crate::i18n::Problem;
    use crate::org::{repo, service};
    crate::error::respond(async move {
        let user = require_user()?;
        let state = crate::state::app_state();
        // The current-password check is a password check like the sign-in: same throttle,
        // same bounded argon2 work, so a taken-over session cannot guess at leisure.
        let throttle = ThrottledCheck::start(&user, "current_password").await?;
        let hash = repo::password_hash(&state.db, user.id).await?;
        let Ok(ok) = state
            .passwords
            .try_verify(&form.current_password, hash.as_deref())
            .await
        else {
            return Err(throttle.busy().await);
        };
        if !ok {
            throttle.failed("wrong current password");
            return Err(AppError::field("current_password", Problem::WrongPassword));
        }
        throttle.succeeded().await?;
        if form.new_password != form.confirm_password {
            return Err(AppError::field(
                "confirm_password",
                Problem::PasswordMismatch,
            ));
        }
        service::set_password(
            &state.db,
            &state.passwords,
            Some(user.id),
            user.id,
            &form.new_password,
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

/// The caller's second factor: set up since when, recovery codes left, required or not.
#[server(prefix = "/fn", endpoint = "auth/second_factor")]
pub async fn second_factor_status() -> Result<crate::auth::SecondFactorStatus, AppError> {
    use crate::auth::guard::require_user;
    crate::error::respond(async move {
        let user = require_user()?;
        let session = crate::auth::session::current().await?;
        crate::auth::service::status(&crate::state::app_state().db, &session, &user).await
    })
    .await
}

/// Starts setting up a second factor: the secret and its QR code for the app.
#[server(prefix = "/fn", endpoint = "auth/second_factor_begin")]
pub async fn begin_second_factor() -> Result<crate::auth::SecondFactorSetup, AppError> {
    use crate::auth::guard::require_user;
    crate::error::respond(async move {
        let user = require_user()?;
        let session = crate::auth::session::current().await?;
        crate::auth::service::begin_setup(&crate::state::app_state().db, &session, &user).await
    })
    .await
}

/// Confirms the second factor being set up with a first code; returns the recovery codes.
#[server(prefix = "/fn", endpoint = "auth/second_factor_confirm")]
pub async fn confirm_second_factor(code: String) -> Result<Vec<String>, AppError> {
    use crate::auth::guard::require_user;
    crate::error::respond(async move {
        let user = require_user()?;
        let session = crate::auth::session::current().await?;
        let codes = crate::auth::service::confirm_setup(
            &crate::state::app_state().db,
            &session,
            &user,
            &code,
            chrono::Utc::now(),
        )
        .await?;
        // Every other session of the account ended; this one continues under a new id.
        crate::auth::session::keep_current_session(user.id).await?;
        tracing::info!(
            user_id = user.id.0,
            "second factor set up; other sessions ended"
        );
        Ok(codes)
    })
    .await
}

/// Turns the caller's second factor off (not for admins); a current code is required.
#[server(prefix = "/fn", endpoint = "auth/second_factor_disable")]
pub async fn disable_second_factor(code: String) -> Result<(), AppError> {
    use crate::auth::guard::require_user;
    crate::error::respond(async move {
        let user = require_user()?;
        let throttle = ThrottledCheck::start(&user, "disable_code").await?;
        let res = crate::auth::service::disable(
            &crate::state::app_state().db,
            &user,
            &code,
            chrono::Utc::now(),
        )
        .await;
        match &res {
            Err(AppError::Validation(_)) => throttle.failed("second factor not turned off"),
            Ok(()) => throttle.succeeded().await?,
            Err(_) => {}
        }
        res?;
        tracing::info!(user_id = user.id.0, "second factor turned off");
        Ok(())
    })
    .await
}
