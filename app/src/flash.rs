//! The outcome of a form posted without the help of JavaScript, carried over the redirect
//! to the page that shows it.
//!
//! Pages are rendered on the server only (islands mode: just the live preview, the print
//! button and the page marker run in the browser), so every form is a plain HTML form that
//! posts to its server function. Leptos answers such a post with a redirect back to the
//! form; a failure travels in the URL (`__path`/`__err`, read by `ServerAction::new`), but
//! the result of a success (the new token's secret, an import report, "saved") would be
//! lost. [`capture`] keeps it, and on a failure the submitted fields, as a one-time flash in
//! this node's memory ([`FlashStore`]) under the signed-in session's id; the next page takes
//! it (see `auth::session::load_request_ctx`) and [`server_action`] / [`submitted`] give it
//! back to the components, so the page reads as it did when the browser called the function
//! itself.
//!
//! Why memory and not the session record: a flash can hold a secret shown once (a new API
//! token, recovery codes), which must not be written to disk in the clear, and saving the
//! session record on every form post could write an older copy over a newer one (another
//! tab's password change). The cost: behind a load balancer the redirected page must reach
//! the node that took the post (sticky sessions); a page served by another node shows no
//! result (nothing else breaks).
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
    /// The function at `path` succeeded, but its result was too large to keep for the page.
    TooLarge { path: String },
}

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
pub fn output<T: serde::de::DeserializeOwned>(
    path: &str,
) -> Option<Result<T, crate::error::AppError>> {
    match current()? {
        Flash::Done { path: p, output } if p == path => serde_json::from_str(&output).ok().map(Ok),
        Flash::TooLarge { path: p } if p == path => Some(Err(crate::error::AppError::field(
            "result",
            crate::i18n::Problem::ResultTooLarge,
        ))),
        _ => None,
    }
}

/// The value submitted in field `name` by a form post that failed just before this page.
pub fn submitted(name: &str) -> Option<String> {
    match current()? {
        Flash::Failed { fields, .. } => fields.into_iter().find(|(k, _)| k == name).map(|(_, v)| v),
        Flash::Done { .. } | Flash::TooLarge { .. } => None,
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
        Flash::Done { .. } | Flash::TooLarge { .. } => None,
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
        action.value().set(Some(out));
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
    output(path)
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::{is_secret_field, Flash};
    use crate::org::UserId;
    use crate::state::AppState;
    use axum::body::Body;
    use axum::extract::{Request, State};
    use axum::middleware::Next;
    use axum::response::{IntoResponse, Response};
    use http::{header, Method, StatusCode};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    use tower_sessions::Session;

    /// The most one result may take; a larger one is noted as too large (the page says so).
    const MAX_KEPT: usize = 4 * 1024 * 1024;
    /// The most all kept outcomes of this node may take together.
    const BUDGET: usize = 64 * 1024 * 1024;
    /// A flash not taken within this time (the redirect was not followed) is dropped.
    const TTL: Duration = Duration::from_secs(120);
    /// Form bodies are limited before this (see the server's security layer); this is the
    /// bound for reading one into memory here.
    const MAX_FORM: usize = 4 * 1024 * 1024;

    struct Kept {
        user: UserId,
        at: Instant,
        bytes: usize,
        flash: Flash,
    }

    /// This node's flashes, one per signed-in session (by its `sid`), bounded in time and
    /// memory.
    #[derive(Clone, Default)]
    pub struct FlashStore {
        inner: Arc<Mutex<Store>>,
    }

    #[derive(Default)]
    struct Store {
        by_sid: HashMap<String, Kept>,
        bytes: usize,
    }

    impl FlashStore {
        fn keep(&self, sid: String, user: UserId, flash: Flash) {
            let bytes = size_of(&flash);
            let mut store = self.inner.lock().expect("flash store lock");
            let now = Instant::now();
            let mut freed = 0;
            store.by_sid.retain(|_, k| {
                let keep = now.duration_since(k.at) < TTL;
                if !keep {
                    freed += k.bytes;
                }
                keep
            });
            store.bytes -= freed;
            if let Some(old) = store.by_sid.remove(&sid) {
                store.bytes -= old.bytes;
            }
            if store.bytes + bytes > BUDGET {
                tracing::warn!("too many form results waiting for their pages; one not kept");
                return;
            }
            store.bytes += bytes;
            store.by_sid.insert(
                sid,
                Kept {
                    user,
                    at: now,
                    bytes,
                    flash,
                },
            );
        }

        /// Takes the flash of session `sid`, if it belongs to `user` and is recent.
        pub fn take(&self, sid: &str, user: UserId) -> Option<Flash> {
            let mut store = self.inner.lock().expect("flash store lock");
            let kept = store.by_sid.remove(sid)?;
            store.bytes -= kept.bytes;
            (kept.user == user && kept.at.elapsed() < TTL).then_some(kept.flash)
        }
    }

    fn size_of(flash: &Flash) -> usize {
        match flash {
            Flash::Done { path, output } => path.len() + output.len(),
            Flash::Failed { path, fields } => {
                path.len() + fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
            }
            Flash::TooLarge { path } => path.len(),
        }
    }

    /// Whether a request comes from a browser's page rather than a script: it accepts HTML,
    /// as a navigation or a plain form post does (Leptos decides the same way whether to
    /// answer a server function with a redirect).
    pub fn accepts_html(headers: &http::HeaderMap) -> bool {
        headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    }

    /// The path of a URL or of an absolute path (`http://host/a/b?c` and `/a/b?c`: `/a/b`).
    fn path_of(url: &str) -> &str {
        let rest = url
            .split_once("://")
            .map_or(url, |(_, r)| r.find('/').map_or("/", |i| &r[i..]));
        rest.split(['?', '#']).next().unwrap_or(rest)
    }

    /// Middleware around the server functions: keeps the outcome of a browser's plain form
    /// post (it accepts HTML and is answered with a redirect) for the next page of a
    /// signed-in session. A success is kept only when the post returns to its form (a
    /// function that sends the person elsewhere, such as an acknowledgment to its receipt,
    /// has nothing more to show); a failure always.
    pub async fn capture(
        State(state): State<AppState>,
        session: Session,
        req: Request,
        next: Next,
    ) -> Response {
        let path = req.uri().path().to_owned();
        if req.method() != Method::POST || !path.starts_with("/fn/") || !accepts_html(req.headers())
        {
            return next.run(req).await;
        }
        let referer = req
            .headers()
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(|r| path_of(r).to_owned());
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
                    .filter(|(k, _)| !is_secret_field(k))
                    .collect();
            (Request::from_parts(parts, Body::from(bytes)), fields)
        } else {
            (req, Vec::new())
        };
        let res = next.run(req).await;
        if !res.status().is_redirection() {
            return res;
        }
        // Read after the function ran: it may have renewed the session (a password change).
        let (Some(user), Some(sid)) = (
            session
                .get::<i64>(crate::auth::session::USER_ID_KEY)
                .await
                .ok()
                .flatten(),
            session
                .get::<String>(crate::auth::session::SID_KEY)
                .await
                .ok()
                .flatten(),
        ) else {
            return res;
        };
        let location = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let (flash, res) = if location.contains("__err=") {
            (Some(Flash::Failed { path, fields }), res)
        } else if referer.as_deref() == Some(path_of(location)) {
            let (parts, body) = res.into_parts();
            let (flash, bytes) = match axum::body::to_bytes(body, MAX_KEPT).await {
                Ok(bytes) => {
                    let output = String::from_utf8_lossy(&bytes).into_owned();
                    (Flash::Done { path, output }, bytes)
                }
                Err(_) => (Flash::TooLarge { path }, Default::default()),
            };
            (Some(flash), Response::from_parts(parts, Body::from(bytes)))
        } else {
            (None, res)
        };
        if let Some(flash) = flash {
            state.flashes.keep(sid, UserId(user), flash);
        }
        res
    }

    /// Whether `req` is a page request (a navigation: `GET` accepting HTML), which takes the
    /// flash; other requests (the favicon, a download) leave it for the page.
    pub fn is_navigation(req: &Request) -> bool {
        req.method() == Method::GET
            && accepts_html(req.headers())
            && !req.uri().path().starts_with("/fn/")
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_path_of_a_referer_or_location() {
            assert_eq!(
                path_of("http://127.0.0.1:3000/admin/tokens?"),
                "/admin/tokens"
            );
            assert_eq!(
                path_of("https://portal.example/read/4?__path=x&__err=y"),
                "/read/4"
            );
            assert_eq!(path_of("/receipts/7"), "/receipts/7");
            assert_eq!(path_of("http://host"), "/");
        }

        #[test]
        fn a_flash_is_taken_once_and_only_by_its_person() {
            let store = FlashStore::default();
            let flash = || Flash::Done {
                path: "/fn/x".into(),
                output: "1".into(),
            };
            store.keep("s1".into(), UserId(1), flash());
            assert_eq!(store.take("s1", UserId(2)), None, "another person");
            assert_eq!(store.take("s1", UserId(1)), None, "gone after one take");
            store.keep("s1".into(), UserId(1), flash());
            assert_eq!(store.take("s1", UserId(1)), Some(flash()));
            assert_eq!(store.inner.lock().unwrap().bytes, 0);
        }
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
