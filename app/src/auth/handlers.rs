//! Plain HTTP form handlers for sign-in, sign-out and the language switch. They answer with
//! full-page redirects (303), so the page reloads with the new session or language and the
//! same forms work with and without JavaScript.
use super::rules::safe_next;
use super::session::{self, LANG_COOKIE};
use crate::context::RequestCtx;
use crate::i18n::Locale;
use crate::org::repo;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
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

fn back_to_login(error: &str, email: &str, next: Option<&str>) -> Response {
    let mut query = vec![("error", error), ("email", email)];
    if let Some(n) = next {
        query.push(("next", n));
    }
    let qs = serde_urlencoded::to_string(query).unwrap_or_default();
    Redirect::to(&format!("/login?{qs}")).into_response()
}

#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Response {
    let email = form.email.trim().to_lowercase();
    let next = form.next.as_deref().filter(|n| !n.is_empty());
    if email.is_empty() || form.password.is_empty() {
        return back_to_login("missing", &email, next);
    }
    let account = match repo::find_login(&state.db, &email).await {
        Ok(account) => account,
        Err(err) => {
            tracing::error!(error = %err, "login lookup failed");
            return back_to_login("internal", &email, next);
        }
    };
    // Always verify (against a dummy hash for unknown or password-less accounts) so the
    // answer takes the same time whether or not the email exists.
    let hash = account.as_ref().and_then(|a| a.password_hash.as_deref());
    let password_ok = state.passwords.verify(&form.password, hash).await;
    match account {
        Some(a) if password_ok && a.active => {
            let now = chrono::Utc::now();
            if let Err(err) = session::start(&session, a.id, now).await {
                tracing::error!(error = %err, "session start failed");
                return back_to_login("internal", &email, next);
            }
            if let Err(err) = repo::touch_last_login(&state.db, a.id, now).await {
                tracing::warn!(error = %err, "recording last login failed");
            }
            tracing::info!(user_id = a.id.0, "signed in");
            Redirect::to(safe_next(next)).into_response()
        }
        _ => {
            tracing::info!("sign-in refused");
            back_to_login("invalid", &email, next)
        }
    }
}

pub async fn logout(session: Session) -> Response {
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
