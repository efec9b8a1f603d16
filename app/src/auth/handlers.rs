//! Plain HTTP form handlers for sign-in, sign-out and the language switch. They answer with
//! full-page redirects (303), so the page reloads with the new session or language and the
//! same forms work with and without JavaScript.
use super::client_ip::ClientIp;
use super::rules::safe_next;
use super::session::{self, LANG_COOKIE};
use super::AuthMethod;
use crate::context::RequestCtx;
use crate::i18n::Locale;
use crate::org::repo;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    pub next: Option<String>,
}

/// Back to the sign-in page with an error code. The email address is never put into the
/// URL (it would end up in browser history, proxy logs and Referer headers).
fn back_to_login(error: &str, next: Option<&str>) -> Response {
    let mut query = vec![("error", error)];
    if let Some(n) = next {
        query.push(("next", n));
    }
    let qs = serde_urlencoded::to_string(query).unwrap_or_default();
    Redirect::to(&format!("/login?{qs}")).into_response()
}

/// A refusal that the sign-in form cannot show by redirecting: 429 (throttled) or 503
/// (too many sign-ins at once), as a small page in the user's language with `Retry-After`.
fn refusal_page(status: StatusCode, locale: Locale, retry_after: i64) -> Response {
    let t = locale.texts();
    let message = if status == StatusCode::TOO_MANY_REQUESTS {
        t.login_throttled
    } else {
        t.login_busy
    };
    let message = message.replace("{s}", &retry_after.to_string());
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/{css}.css\"></head><body><main id=\"main\" class=\"card narrow\">\
         <h1>{title}</h1><p class=\"alert alert-error\" role=\"alert\">{message}</p><p><a href=\"/login\">{back}</a></p></main></body></html>",
        lang = locale.code(),
        title = t.login_title,
        css = crate::shell::OUTPUT_NAME,
        back = t.back_to_login,
    );
    let mut res = (status, Html(html)).into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Response {
    use super::throttle::retry_seconds;
    let email = form.email.trim().to_lowercase();
    let next = form.next.as_deref().filter(|n| !n.is_empty());
    if email.is_empty() || form.password.is_empty() {
        return back_to_login("missing", next);
    }
    // No account has a longer address; refusing it here keeps junk out of the throttle table
    // and the logs.
    if email.chars().count() > crate::org::rules::EMAIL_MAX || form.password.len() > 1024 {
        return back_to_login("invalid", next);
    }
    // Throttled keys are refused before any password work, whatever the password.
    let throttle = super::repo::Throttle::for_attempt(&email, &ip);
    let throttled = |ms: i64| {
        tracing::warn!(email = ?email, client_ip = %ip, retry_after_s = retry_seconds(ms), "sign-in throttled");
        refusal_page(StatusCode::TOO_MANY_REQUESTS, ctx.locale, retry_seconds(ms))
    };
    match throttle
        .locked_for(&state.db, chrono::Utc::now().timestamp_millis())
        .await
    {
        Ok(Some(ms)) => return throttled(ms),
        Ok(None) => {}
        Err(err) => {
            tracing::error!(error = %err, "reading sign-in throttle failed");
            return back_to_login("internal", next);
        }
    }
    let account = match repo::find_login(&state.db, &email).await {
        Ok(account) => account,
        Err(err) => {
            tracing::error!(error = %err, "login lookup failed");
            return back_to_login("internal", next);
        }
    };
    // Always verify (against a dummy hash for unknown or password-less accounts) so the
    // answer takes the same time whether or not the email exists.
    let hash = account.as_ref().and_then(|a| a.password_hash.as_deref());
    let Ok(password_ok) = state.passwords.try_verify(&form.password, hash).await else {
        tracing::warn!(email = ?email, client_ip = %ip, "sign-in refused: password checks saturated");
        return refusal_page(StatusCode::SERVICE_UNAVAILABLE, ctx.locale, 1);
    };
    // Attempts that waited for a permit while others locked the key learn nothing: the
    // lock is read again after the check, and a locked key answers 429 whatever the result.
    let now_ms = chrono::Utc::now().timestamp_millis();
    match throttle.locked_for(&state.db, now_ms).await {
        Ok(Some(ms)) => return throttled(ms),
        Ok(None) => {}
        Err(err) => {
            tracing::error!(error = %err, "reading sign-in throttle failed");
            return back_to_login("internal", next);
        }
    }
    match account {
        Some(a) if password_ok && a.active => {
            let now = chrono::Utc::now();
            match super::repo::second_factor(&state.db, a.id).await {
                Ok(None) => {
                    if let Err(err) = throttle.succeeded(&state.db).await {
                        tracing::warn!(error = %err, "clearing sign-in throttle failed");
                    }
                }
                // The account's failure counter is cleared only after the second factor,
                // so that knowing the password does not reset the guessing of codes.
                Ok(Some(_)) => {
                    // Nobody is signed in until the code arrives.
                    if let Err(err) = session::await_second_factor(&session, a.id, next, now).await
                    {
                        tracing::error!(error = ?err, "storing the pending sign-in failed");
                        return back_to_login("internal", next);
                    }
                    tracing::info!(user_id = a.id.0, client_ip = %ip, "password accepted; second factor awaited");
                    return Redirect::to(SECOND_STEP_PATH).into_response();
                }
                Err(err) => {
                    tracing::error!(error = %err, "reading the second factor failed");
                    return back_to_login("internal", next);
                }
            }
            finish_sign_in(
                &state,
                &session,
                &headers,
                a.id,
                AuthMethod::Password,
                next,
                &ip,
            )
            .await
        }
        _ => {
            match throttle.failed(&state.db, now_ms).await {
                Ok((account_failures, client_failures)) => tracing::warn!(
                    email = ?email,
                    client_ip = %ip,
                    account_failures,
                    client_failures,
                    "sign-in failed"
                ),
                Err(err) => tracing::error!(error = %err, "recording a failed sign-in failed"),
            }
            back_to_login("invalid", next)
        }
    }
}

/// Wrong codes allowed per password step (the account's throttle counts them as well).
const MAX_CODE_TRIES: i64 = 5;

/// The page that asks for the second factor after a correct password.
pub const SECOND_STEP_PATH: &str = "/login/zweiter-faktor";

/// Starts the signed-in session and sends the person where they wanted to go.
async fn finish_sign_in(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    user: crate::org::UserId,
    method: AuthMethod,
    next: Option<&str>,
    ip: &ClientIp,
) -> Response {
    let now = chrono::Utc::now();
    if let Err(err) = session::start(
        session,
        &state.db,
        user,
        method,
        session::user_agent(headers),
        now,
    )
    .await
    {
        tracing::error!(error = ?err, "session start failed");
        return back_to_login("internal", next);
    }
    if let Err(err) = repo::touch_last_login(&state.db, user, now).await {
        tracing::warn!(error = %err, "recording last login failed");
    }
    tracing::info!(user_id = user.0, client_ip = %ip, method = method.as_str(), "signed in");
    Redirect::to(safe_next(next)).into_response()
}

#[derive(Deserialize)]
pub struct SecondFactorForm {
    #[serde(default)]
    pub code: String,
}

/// The second step of a sign-in: a code from the person's app or a recovery code. Wrong
/// codes count on the same throttle as wrong passwords (per account and per client), so the
/// million possible codes cannot be tried.
#[tracing::instrument(skip_all)]
pub async fn second_factor(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    session: Session,
    Form(form): Form<SecondFactorForm>,
) -> Response {
    use super::throttle::retry_seconds;
    let now = chrono::Utc::now();
    let Some(pending) = session::pending_second_factor(&session, now).await else {
        return Redirect::to("/login?error=expired").into_response();
    };
    let (user, next) = (pending.user, pending.next.as_deref());
    let email = match super::repo::pending_account(&state.db, user).await {
        // A password change, reset or "end all sessions" after the password step voids it.
        Ok(Some((email, valid_from))) if valid_from <= pending.since_ms => email,
        Ok(_) => {
            session::clear_pending(&session).await;
            return Redirect::to("/login?error=expired").into_response();
        }
        Err(err) => {
            tracing::error!(error = %err, "reading the pending account failed");
            return back_to_login("internal", next);
        }
    };
    // Counted before the check, in one transaction with the lock test, so that parallel
    // guesses cannot all pass a lock none of them has written yet.
    let throttle = super::repo::Throttle::for_attempt(&email, &ip);
    match throttle.attempt(&state.db, now.timestamp_millis()).await {
        Ok(super::repo::Attempt::Counted(_)) => {}
        Ok(super::repo::Attempt::Locked(ms)) => {
            tracing::warn!(user_id = user.0, client_ip = %ip, retry_after_s = retry_seconds(ms), "second factor throttled");
            return refusal_page(StatusCode::TOO_MANY_REQUESTS, ctx.locale, retry_seconds(ms));
        }
        Err(err) => {
            tracing::error!(error = %err, "counting a second-factor attempt failed");
            return back_to_login("internal", next);
        }
    }
    let code: String = form.code.chars().take(64).collect();
    match super::service::verify(&state.db, user, &code, now).await {
        Ok(Some(method)) => {
            if let Err(err) = throttle.attempt_succeeded(&state.db).await {
                tracing::warn!(error = %err, "clearing sign-in throttle failed");
            }
            finish_sign_in(&state, &session, &headers, user, method, next, &ip).await
        }
        Ok(None) => {
            let tries = session::pending_failed(&session).await;
            tracing::warn!(user_id = user.0, client_ip = %ip, tries, "second factor failed");
            // A few tries per password step; then the password is needed again.
            if tries >= MAX_CODE_TRIES {
                session::clear_pending(&session).await;
                return Redirect::to("/login?error=expired").into_response();
            }
            Redirect::to(&format!("{SECOND_STEP_PATH}?error=invalid")).into_response()
        }
        Err(err) => {
            tracing::error!(error = ?err, "checking the second factor failed");
            Redirect::to(&format!("{SECOND_STEP_PATH}?error=internal")).into_response()
        }
    }
}

pub async fn logout(State(state): State<AppState>, session: Session) -> Response {
    // The session leaves the person's list of sessions too.
    if let Ok(Some(sid)) = session.get::<String>(session::SID_KEY).await {
        if let Err(err) = super::repo::forget_session(&state.db, &sid).await {
            tracing::warn!(error = %err, "removing the session row failed");
        }
    }
    if let Err(err) = session.flush().await {
        tracing::error!(error = %err, "session flush failed");
    }
    Redirect::to("/login?notice=signed_out").into_response()
}

#[derive(Deserialize)]
pub struct LangForm {
    pub lang: String,
}

/// Sets the language for this browser (cookie) and, when signed in, for the account, so that
/// mails reach the user in the same language.
pub async fn set_language(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    Form(form): Form<LangForm>,
) -> Response {
    let locale = Locale::parse(&form.lang).unwrap_or_default();
    if let Some(user) = &ctx.user {
        if let Err(err) = repo::set_user_locale(&state.db, user.id, locale).await {
            tracing::error!(error = %err, "saving locale failed");
        }
    }
    // Go back to the page the switch was on (path only, never another host).
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("/");
    let mut res = Redirect::to(safe_next(Some(back))).into_response();
    let secure = if state.settings.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}",
        locale.code()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
