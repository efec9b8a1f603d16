//! Session contents and the middleware that turns a session cookie into a `RequestCtx`.
use super::{AuthMethod, Role, SessionUser};
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

/// The session's row in `user_session` (see [`super::repo::insert_session`]).
pub const SID_KEY: &str = "sid";

/// Between a correct password and the second factor: who, since when (ms since the epoch),
/// where to go afterwards and how many wrong codes so far. Nobody is signed in while these are set.
pub const PENDING_USER_KEY: &str = "pending_user_id";
pub const PENDING_AT_KEY: &str = "pending_at";
pub const PENDING_NEXT_KEY: &str = "pending_next";
pub const PENDING_TRIES_KEY: &str = "pending_tries";
/// A secret being set up on "Mein Profil", until its first code is confirmed.
pub const SETUP_SECRET_KEY: &str = "totp_setup_secret";

/// The password was right and the account has a second factor: remember who is half-way
/// through (under a new session id) until the code arrives. Whoever was signed in in this
/// browser before is signed out.
pub async fn await_second_factor(
    session: &Session,
    user: UserId,
    next: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), crate::error::AppError> {
    session.cycle_id().await?;
    for key in [
        USER_ID_KEY,
        AUTH_AT_KEY,
        AUTH_AT_MS_KEY,
        AUTH_METHOD_KEY,
        SID_KEY,
        SETUP_SECRET_KEY,
        PENDING_TRIES_KEY,
    ] {
        session.remove_value(key).await?;
    }
    session.insert(PENDING_USER_KEY, user.0).await?;
    session
        .insert(PENDING_AT_KEY, now.timestamp_millis())
        .await?;
    match next {
        Some(n) => session.insert(PENDING_NEXT_KEY, n).await?,
        None => {
            session.remove_value(PENDING_NEXT_KEY).await?;
        }
    }
    Ok(())
}

/// Someone half-way through signing in.
pub struct Pending {
    pub user: UserId,
    /// When the password was accepted (ms since the epoch).
    pub since_ms: i64,
    pub next: Option<String>,
}

/// The person half-way through signing in, if the password step is less than
/// [`super::second_factor::PENDING_SECONDS`] old.
pub async fn pending_second_factor(session: &Session, now: DateTime<Utc>) -> Option<Pending> {
    let user: i64 = session.get(PENDING_USER_KEY).await.ok().flatten()?;
    let since_ms: i64 = session.get(PENDING_AT_KEY).await.ok().flatten()?;
    if now.timestamp_millis() - since_ms > super::second_factor::PENDING_SECONDS * 1000 {
        clear_pending(session).await;
        return None;
    }
    let next = session.get::<String>(PENDING_NEXT_KEY).await.ok().flatten();
    Some(Pending {
        user: UserId(user),
        since_ms,
        next,
    })
}

/// Counts a wrong code of the pending sign-in; returns the count so far.
pub async fn pending_failed(session: &Session) -> i64 {
    let tries = session
        .get::<i64>(PENDING_TRIES_KEY)
        .await
        .ok()
        .flatten()
        .unwrap_or(0)
        + 1;
    let _ = session.insert(PENDING_TRIES_KEY, tries).await;
    tries
}

pub async fn clear_pending(session: &Session) {
    for key in [
        PENDING_USER_KEY,
        PENDING_AT_KEY,
        PENDING_NEXT_KEY,
        PENDING_TRIES_KEY,
    ] {
        let _ = session.remove_value(key).await;
    }
}

/// The method the session was signed in with (sessions from before methods were typed
/// count as password-only).
pub async fn auth_method(session: &Session) -> AuthMethod {
    session
        .get::<String>(AUTH_METHOD_KEY)
        .await
        .ok()
        .flatten()
        .and_then(|m| AuthMethod::parse(&m))
        .unwrap_or(AuthMethod::Password)
}

/// In a server function: the request's session (for the enrolment's pending secret).
pub async fn current() -> Result<Session, crate::error::AppError> {
    this_session().await
}

/// In a server function: the caller proved a second factor in this session (by confirming
/// a new one), so it counts as signed in with it from now on.
pub async fn upgrade_to_second_factor(session: &Session) -> Result<(), crate::error::AppError> {
    session
        .insert(AUTH_METHOD_KEY, AuthMethod::PasswordTotp.as_str())
        .await?;
    Ok(())
}

/// Binds the session to `user` after a successful sign-in. The id is cycled first so that a
/// session id planted before sign-in (session fixation) is worthless afterwards.
pub async fn start(
    session: &Session,
    db: &crate::db::Db,
    user: UserId,
    method: AuthMethod,
    user_agent: &str,
    now: DateTime<Utc>,
) -> Result<(), crate::error::AppError> {
    session.cycle_id().await?;
    clear_pending(session).await;
    // Nothing of whoever was signed in in this browser before carries over.
    session.remove_value(SETUP_SECRET_KEY).await?;
    session.insert(USER_ID_KEY, user.0).await?;
    session.insert(AUTH_AT_KEY, now.timestamp()).await?;
    session.insert(AUTH_METHOD_KEY, method.as_str()).await?;
    record(session, db, user, user_agent, now).await
}

/// Keeps the current session after a password change that ended all sessions of the
/// account: a new id, a new row, and a sign-in time after the change. The absolute lifetime
/// still counts from the original sign-in.
pub async fn renew_after_password_change(
    session: &Session,
    db: &crate::db::Db,
    user: UserId,
    user_agent: &str,
    now: DateTime<Utc>,
) -> Result<(), crate::error::AppError> {
    session.cycle_id().await?;
    record(session, db, user, user_agent, now).await
}

/// In a server function: keeps the caller's own session after their password changed
/// (which ended all sessions of the account).
pub async fn keep_current_session(user: UserId) -> Result<(), crate::error::AppError> {
    let session = this_session().await?;
    let headers = leptos::prelude::use_context::<http::request::Parts>()
        .map(|p| p.headers)
        .unwrap_or_default();
    let db = crate::state::app_state().db;
    renew_after_password_change(&session, &db, user, user_agent(&headers), Utc::now()).await
}

/// In a server function: the `sid` of the caller's session.
pub async fn current_sid() -> Result<Option<String>, crate::error::AppError> {
    Ok(this_session().await?.get::<String>(SID_KEY).await?)
}

/// In a server function: the request's session.
async fn this_session() -> Result<Session, crate::error::AppError> {
    leptos_axum::extract().await.map_err(|err| {
        tracing::error!(error = %err, "no session in a signed-in request");
        crate::error::AppError::Internal
    })
}

async fn record(
    session: &Session,
    db: &crate::db::Db,
    user: UserId,
    user_agent: &str,
    now: DateTime<Utc>,
) -> Result<(), crate::error::AppError> {
    let sid = format!("{:032x}", rand::random::<u128>());
    super::repo::insert_session(db, &sid, user, user_agent, now).await?;
    session.insert(SID_KEY, &sid).await?;
    session
        .insert(AUTH_AT_MS_KEY, now.timestamp_millis())
        .await?;
    Ok(())
}

/// The `User-Agent` of a request, for naming the session's browser.
pub fn user_agent(headers: &http::HeaderMap) -> &str {
    headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// How often an active session's row is renewed ("last seen" written): once a minute, or a
/// quarter of the idle timeout if that is shorter. A request in between costs no write, and
/// the session itself is never saved for it (a save could overwrite what a concurrent
/// request changed, such as a new session id).
fn renew_every(idle: chrono::Duration) -> chrono::Duration {
    (idle / 4).min(chrono::Duration::seconds(60))
}

/// The idle timeout: a session whose row was last seen longer ago than `idle` has ended.
/// Its row is renewed at most every [`renew_every`], so an active person is never signed
/// out, and an idle one after at most `idle` (at least three quarters of it).
fn idle_out(last_seen: DateTime<Utc>, idle: chrono::Duration, now: DateTime<Utc>) -> bool {
    now - last_seen > idle
}

/// Renews the session's row if it is due (see [`renew_every`]).
async fn renew_if_due(
    state: &AppState,
    sid: &str,
    last_seen: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if now - last_seen >= renew_every(state.settings.session_idle) {
        super::repo::touch_session(&state.db, sid, now).await?;
    }
    Ok(())
}

/// Reads the signed-in user's id if the session is within its absolute lifetime; ends the
/// session otherwise. (The idle timeout is checked against the session row, see [`idle_out`].)
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
    let mut flash_key = None;
    if let Some((id, signed_in_ms)) = session_user_id(&session, &state, now).await {
        let sid = session.get::<String>(SID_KEY).await.ok().flatten();
        flash_key = sid.clone().map(|sid| (sid, id));
        let mut loaded = repo::load_session_user(&state.db, id, signed_in_ms, sid.as_deref()).await;
        if let (Ok(Some((_, _, Some(last_seen)))), Some(sid)) = (&loaded, &sid) {
            if idle_out(*last_seen, state.settings.session_idle, now) {
                loaded = Ok(None);
            } else if let Err(err) = renew_if_due(&state, sid, *last_seen, now).await {
                tracing::error!(error = %err, "renewing the session failed");
            }
        }
        match loaded {
            Ok(Some((mut u, locale, _))) => {
                // Admin rights need a session signed in with a second factor: one check
                // here instead of one in every admin function.
                if u.has_role(Role::Admin) && !auth_method(&session).await.second_factor() {
                    u.roles.retain(|g| g.role != Role::Admin);
                    u.admin_awaits_second_factor = true;
                }
                user = Some(u);
                user_locale = Some(locale);
            }
            // Deactivated or deleted since sign-in, the session ended (from the profile, by
            // an admin, by a password change) or idle for too long: it ends now.
            Ok(None) => {
                let _ = session.flush().await;
            }
            Err(err) => tracing::error!(error = %err, "loading session user failed"),
        }
    }
    let locale = pick_locale(&req, user_locale);
    if let (Some(_), Some((sid, id))) = (&user, flash_key) {
        if crate::flash::is_navigation(&req) {
            if let Some(flash) = state.flashes.take(&sid, id) {
                req.extensions_mut().insert(flash);
            }
        }
    }
    req.extensions_mut().insert(RequestCtx { locale, user });
    next.run(req).await
}
