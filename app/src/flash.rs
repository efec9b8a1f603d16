//! The outcome of a form posted without the help of JavaScript, carried over the redirect
//! to the page that shows it.
//!
//! Pages are rendered on the server only (islands mode: just the live preview, the print
//! button and the page marker run in the browser), so every form is a plain HTML form that
//! posts to its server function. Leptos answers such a post with a redirect back to the
//! form; a failure travels in the URL (`__path`/`__err`, read by `ServerAction::new`), but
//! the result of a success (the new token's secret, an import report, "saved") would be
//! lost. [`capture`] keeps it, and on a failure the submitted fields, as a one-time flash in
//! the server-side session; the next page takes it (see `auth::session::load_request_ctx`)
//! and [`server_action`] / [`submitted`] give it back to the components, so the page reads
//! as it did when the browser called the function itself.
use serde::{Deserialize, Serialize};

/// What the last form post of this session left for the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Flash {
    /// The function at `path` succeeded and returned `output` (its JSON encoding).
    Done { path: String, output: String },
    /// The function at `path` failed; `fields` are the submitted form fields (passwords
    /// left out) so that the person does not type everything again.
    Failed {
        path: String,
        fields: Vec<(String, String)>,
    },
}

/// The session key of the flash.
#[cfg(feature = "ssr")]
pub const FLASH_KEY: &str = "flash";

/// The flash of this page request (server only; the browser never needs it, the page
/// already shows it).
pub fn current() -> Option<Flash> {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Flash>().cloned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The result the server function at `path` returned to the form post before this page.
pub fn output<T: serde::de::DeserializeOwned>(path: &str) -> Option<T> {
    match current()? {
        Flash::Done { path: p, output } if p == path => serde_json::from_str(&output).ok(),
        _ => None,
    }
}

/// The value submitted in field `name` by a form post that failed just before this page.
pub fn submitted(name: &str) -> Option<String> {
    match current()? {
        Flash::Failed { fields, .. } => fields.into_iter().find(|(k, _)| k == name).map(|(_, v)| v),
        Flash::Done { .. } => None,
    }
}

/// Every value submitted in field `name` (multiple selects) by a failed post, or `None` if
/// no failed post precedes this page.
pub fn submitted_all(name: &str) -> Option<Vec<String>> {
    match current()? {
        Flash::Failed { fields, .. } => Some(
            fields
                .into_iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v)
                .collect(),
        ),
        Flash::Done { .. } => None,
    }
}

/// The option of `all` chosen in the select `name` by a failed post just before this page,
/// else `stored`.
pub fn chosen<T: Copy>(
    name: &str,
    all: &[T],
    code: fn(T) -> &'static str,
    stored: Option<T>,
) -> Option<T> {
    submitted(name)
        .and_then(|c| all.iter().copied().find(|v| code(*v) == c))
        .or(stored)
}

/// The id chosen in the select `name` by a failed post just before this page, else `stored`.
pub fn chosen_id(name: &str, stored: Option<i64>) -> Option<i64> {
    submitted(name).and_then(|s| s.parse().ok()).or(stored)
}

/// Fields whose values are never kept: secrets and one-time codes are typed again.
pub fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("password") || name.contains("secret") || name == "code"
}

/// A server action whose value is what the form post just before this page returned or
/// failed with, as if the browser had called the function itself.
pub fn server_action<S>() -> leptos::prelude::ServerAction<S>
where
    S: leptos::server_fn::ServerFn<Error = crate::error::AppError> + Send + Sync + Clone + 'static,
    S::Output: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    use leptos::prelude::*;
    let action = ServerAction::<S>::new();
    if let Some(out) = output::<S::Output>(S::PATH) {
        action.value().set(Some(Ok(out)));
    }
    action
}

/// The outcome of the form post to the (multipart) server function at `path` just before
/// this page: its result or its error.
pub fn outcome<T: serde::de::DeserializeOwned>(
    path: &str,
) -> Option<Result<T, crate::error::AppError>> {
    use leptos::prelude::*;
    use leptos::server_fn::error::ServerFnUrlError;
    if let Some(err) = use_context::<leptos::server::ServerActionError>() {
        if err.path() == path {
            return Some(Err(ServerFnUrlError::<crate::error::AppError>::decode_err(
                err.err(),
            )));
        }
    }
    output(path).map(Ok)
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::{is_secret_field, Flash, FLASH_KEY};
    use axum::body::Body;
    use axum::extract::Request;
    use axum::middleware::Next;
    use axum::response::{IntoResponse, Response};
    use http::{header, Method, StatusCode};
    use tower_sessions::Session;

    /// The most a form body or a function's result may take in the session. Larger results
    /// are not kept (the page then shows no result; nothing breaks).
    const MAX_KEPT: usize = 256 * 1024;
    /// Form bodies are limited before this (see the server's security layer); this is the
    /// bound for reading one into memory here.
    const MAX_FORM: usize = 4 * 1024 * 1024;

    fn accepts_html(headers: &http::HeaderMap) -> bool {
        headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    }

    /// Middleware around the server functions: keeps the outcome of a browser's plain form
    /// post (it accepts HTML and is answered with a redirect) for the next page of a
    /// signed-in session.
    pub async fn capture(session: Session, req: Request, next: Next) -> Response {
        let path = req.uri().path().to_owned();
        if req.method() != Method::POST || !path.starts_with("/fn/") || !accepts_html(req.headers())
        {
            return next.run(req).await;
        }
        let url_encoded = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let (req, fields) = if url_encoded {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
                return StatusCode::PAYLOAD_TOO_LARGE.into_response();
            };
            let fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|(k, v): &(String, String)| !is_secret_field(k) && v.len() <= MAX_KEPT)
                    .collect();
            (Request::from_parts(parts, Body::from(bytes)), fields)
        } else {
            (req, Vec::new())
        };
        let res = next.run(req).await;
        if !res.status().is_redirection() || !signed_in(&session).await {
            return res;
        }
        let failed = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.contains("__err="));
        let (flash, res) = if failed {
            (Flash::Failed { path, fields }, res)
        } else {
            let (parts, body) = res.into_parts();
            let bytes = axum::body::to_bytes(body, MAX_KEPT)
                .await
                .unwrap_or_default();
            let output = String::from_utf8_lossy(&bytes).into_owned();
            (
                Flash::Done { path, output },
                Response::from_parts(parts, Body::from(bytes)),
            )
        };
        if let Err(err) = session.insert(FLASH_KEY, flash).await {
            tracing::error!(error = %err, "keeping a form's outcome failed");
        }
        res
    }

    async fn signed_in(session: &Session) -> bool {
        matches!(
            session.get::<i64>(crate::auth::session::USER_ID_KEY).await,
            Ok(Some(_))
        )
    }

    /// Whether `req` is a page request (a navigation: `GET` accepting HTML), which takes the
    /// flash; other requests (the favicon, a download) leave it for the page.
    pub fn is_navigation(req: &Request) -> bool {
        req.method() == Method::GET
            && accepts_html(req.headers())
            && !req.uri().path().starts_with("/fn/")
    }

    /// Takes the flash out of the session (written only when there was one).
    pub async fn take(session: &Session) -> Option<Flash> {
        let flash: Option<Flash> = session.get(FLASH_KEY).await.ok().flatten();
        if flash.is_some() {
            let _ = session.remove_value(FLASH_KEY).await;
        }
        flash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_never_kept() {
        assert!(is_secret_field("password"));
        assert!(is_secret_field("form[new_password]"));
        assert!(is_secret_field("client_secret"));
        assert!(!is_secret_field("form[email]"));
        assert!(is_secret_field("code"));
        assert!(!is_secret_field("form[code]"));
    }
}
