//! Browser-facing defences applied to every response, and the per-request facts the rest of
//! the portal relies on: the client address (see `app::auth::client_ip`) and the body limit
//! of each endpoint.
//!
//! Headers: `nosniff`, `Referrer-Policy: same-origin` and framing protection everywhere; HSTS
//! when the portal is served over https; `Cache-Control: no-store` on everything but the
//! static assets (pages and answers are personal). HTML pages rendered by Leptos carry a
//! Content-Security-Policy with the per-response nonce of their hydration scripts (set in
//! `app::shell`); any other HTML gets a policy without scripts.
use app::auth::client_ip::client_ip;
use app::i18n::Problem;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

#[derive(Clone)]
pub struct SecurityPolicy {
    pub settings: Arc<app::state::Settings>,
    pub trusted_proxies: Arc<[IpAddr]>,
}

/// The policy for HTML that is not a Leptos page (e.g. the sign-in refusal page): no
/// scripts at all.
pub const STATIC_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'";

fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/favicon.ico"
}

/// Middleware: records the client address, enforces the endpoint's body limit with a clear
/// message, and sets the security headers on the response.
pub async fn guard(State(policy): State<SecurityPolicy>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let ip = client_ip(peer, &forwarded, &policy.trusted_proxies);
    req.extensions_mut().insert(ip);

    let path = req.uri().path().to_owned();
    // The REST API sets its own limits per route (and checks the token before reading).
    if !path.starts_with("/api/v1/") {
        let (limit, mb) = app::upload::body_limit(&path, &policy.settings);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            tracing::warn!(path = %path, client_ip = %ip, bytes = declared, "request body too large");
            return secure(too_large(mb, &path, req.headers()), &path, &policy);
        }
        // Bodies without a length (chunked) are cut off at the same limit.
        req = req.map(|b| Body::new(http_body_util::Limited::new(b, limit)));
    }
    let res = next.run(req).await;
    secure(res, &path, &policy)
}

/// 413 in the server functions' error format, so that the upload form shows it at the field.
/// A browser's plain form post to a server function (it accepts HTML) is sent back to its
/// form with the error in the URL instead, as Leptos does with every other error; the
/// person would otherwise see the raw JSON.
fn too_large(mb: usize, path: &str, headers: &http::HeaderMap) -> Response {
    let err = app::error::AppError::field("file", Problem::FileTooLarge(mb));
    let accepts_html = app::flash::accepts_html(headers);
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
    if let (true, true, Some(referer)) = (path.starts_with("/fn/"), accepts_html, referer) {
        let back = leptos::server_fn::error::ServerFnUrlError::new(path, err.clone())
            .to_url(referer)
            .ok()
            .and_then(|url| HeaderValue::from_str(url.as_str()).ok());
        if let Some(back) = back {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response();
        }
    }
    let body = serde_json::to_string(&err).unwrap_or_default();
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn secure(mut res: Response, path: &str, policy: &SecurityPolicy) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if policy.settings.cookie_secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !is_static_asset(path) && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(STATIC_CSP),
        );
    }
    res
}
