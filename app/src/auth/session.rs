//! Session contents and the middleware that turns a session cookie into a `RequestCtx`.
use super::SessionUser;
use crate::context::RequestCtx;
use crate::i18n::Locale;
use crate::org::{repo, UserId};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use tower_sessions::Session;

pub const USER_ID_KEY: &str = "user_id";
pub const AUTH_AT_KEY: &str = "auth_at";
pub const AUTH_METHOD_KEY: &str = "auth_method";
/// Sign-in time in milliseconds, compared with `users.sessions_valid_from`.
pub const AUTH_AT_MS_KEY: &str = "auth_at_ms";
pub const LANG_COOKIE: &str = "lang";

/// Binds the session to `user` after a successful sign-in. The id is cycled first so that a
/// session id planted before sign-in (session fixation) is worthless afterwards.
pub async fn start(
    session: &Session,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(USER_ID_KEY, user.0).await?;
    session.insert(AUTH_AT_KEY, now.timestamp()).await?;
    session
        .insert(AUTH_AT_MS_KEY, now.timestamp_millis())
        .await?;
    session.insert(AUTH_METHOD_KEY, "password").await?;
    Ok(())
}

/// Keeps the current session after a password change that voided all sessions of the
/// account: a new id, and a sign-in time after the change. The absolute lifetime still
/// counts from the original sign-in.
pub async fn renew_after_password_change(
    session: &Session,
    now: DateTime<Utc>,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session
        .insert(AUTH_AT_MS_KEY, now.timestamp_millis())
        .await?;
    Ok(())
}

/// Reads the signed-in user's id if the session is within its absolute lifetime; ends the
/// session otherwise. (The idle timeout is the store's expiry, renewed on every request.)
async fn session_user_id(
    session: &Session,
    state: &AppState,
    now: DateTime<Utc>,
) -> Option<(UserId, i64)> {
    let user_id: i64 = session.get(USER_ID_KEY).await.ok().flatten()?;
    let auth_at: i64 = session.get(AUTH_AT_KEY).await.ok().flatten()?;
    let started = DateTime::from_timestamp(auth_at, 0)?;
    if now - started > state.settings.session_absolute {
        let _ = session.flush().await;
        return None;
    }
    let signed_in_ms: i64 = session
        .get(AUTH_AT_MS_KEY)
        .await
        .ok()
        .flatten()
        .unwrap_or(auth_at * 1000);
    Some((UserId(user_id), signed_in_ms))
}

fn cookie_value<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Language of this request: the switch's cookie, else the user's saved preference, else
/// the browser's Accept-Language, else German.
fn pick_locale(req: &Request, user_locale: Option<Locale>) -> Locale {
    cookie_value(req, LANG_COOKIE)
        .and_then(Locale::parse)
        .or(user_locale)
        .or_else(|| {
            req.headers()
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default()
}

/// Middleware: loads the signed-in user (one query) and the language, and stores them as a
/// `RequestCtx` request extension for pages and server functions.
pub async fn load_request_ctx(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    // Static assets and the machine APIs need neither user nor language.
    if path.starts_with("/pkg/")
        || path.starts_with("/api/v1")
        || path == "/healthz"
        || path == "/readyz"
    {
        return next.run(req).await;
    }
    let now = Utc::now();
    let mut user: Option<SessionUser> = None;
    let mut user_locale = None;
    if let Some((id, signed_in_ms)) = session_user_id(&session, &state, now).await {
        match repo::load_session_user(&state.db, id, signed_in_ms).await {
            Ok(Some((u, locale))) => {
                user = Some(u);
                user_locale = Some(locale);
            }
            // Deactivated or deleted since sign-in, or all sessions ended by a password
            // change or an admin: the session ends now.
            Ok(None) => {
                let _ = session.flush().await;
            }
            Err(err) => tracing::error!(error = %err, "loading session user failed"),
        }
    }
    let locale = pick_locale(&req, user_locale);
    req.extensions_mut().insert(RequestCtx { locale, user });
    next.run(req).await
}
