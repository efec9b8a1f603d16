//! CSRF defence: a state-changing request (anything but GET/HEAD/OPTIONS) from a browser
//! must come from our own origin. Browsers send `Sec-Fetch-Site` (and `Origin`) on every
//! such request, including plain HTML form posts without JavaScript, and a page on another
//! site cannot forge them. A cookie-carrying request with neither header is refused too.
//! The bearer-token API under `/api/v1` carries no cookies and is exempt.
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

#[derive(Clone)]
pub struct CsrfPolicy {
    /// Extra allowed origin (PUBLIC_URL), besides the request's own Host.
    pub public_origin: Option<Arc<str>>,
}

fn same_origin(origin: &str, host: Option<&str>, public: Option<&str>) -> bool {
    if public.is_some_and(|p| p == origin) {
        return true;
    }
    let Some(host) = host else { return false };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| rest == host)
}

/// The decision as a pure function of the request headers, for unit tests.
pub fn allowed(
    method: &Method,
    path: &str,
    headers: &axum::http::HeaderMap,
    policy: &CsrfPolicy,
) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if path.starts_with("/api/v1/") {
        return true;
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        // Exports are reads that write an audit entry in the viewer's name: a link on another
        // site must not be able to forge such entries, so they only answer our own pages (or
        // a typed address / bookmark).
        // They must also be a page load or download, not an image, frame or other
        // sub-resource that a page (e.g. a circular's Markdown) fetches on its own.
        return !is_export(path)
            || (get("sec-fetch-site").is_none_or(|s| s == "same-origin" || s == "none")
                && get("sec-fetch-dest").is_none_or(|d| d == "document" || d == "empty"));
    }
    if let Some(site) = get("sec-fetch-site") {
        // "none" = typed in the address bar / bookmark; never true for a cross-site form.
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    if let Some(origin) = get("origin") {
        return same_origin(origin, get("host"), policy.public_origin.as_deref());
    }
    // No Origin: a non-browser client. Refuse if it carries cookies, since only a browser
    // attaches the session cookie automatically.
    get("sec-fetch-site").is_some() || headers.get(header::COOKIE).is_none()
}

/// GET endpoints that write an audit entry (evidence and data-subject exports, dashboard
/// and compliance exports).
fn is_export(path: &str) -> bool {
    path.starts_with("/audit/export/")
        || path.starts_with("/privacy/export/")
        || path.starts_with("/dashboard/export.")
        || path == "/compliance/export.csv"
}

pub async fn csrf_guard(State(policy): State<CsrfPolicy>, req: Request, next: Next) -> Response {
    if allowed(req.method(), req.uri().path(), req.headers(), &policy) {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        (
            StatusCode::FORBIDDEN,
            "Cross-site request refused / Anfrage von fremder Seite abgelehnt",
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const POLICY: CsrfPolicy = CsrfPolicy {
        public_origin: None,
    };

    #[test]
    fn a_form_post_from_another_site_is_refused() {
        let h = headers(&[
            ("host", "portal.local"),
            ("origin", "https://evil.example"),
            ("cookie", "id=1"),
        ]);
        assert!(!allowed(&Method::POST, "/fn/org/save_unit", &h, &POLICY));
        let h = headers(&[
            ("host", "portal.local"),
            ("sec-fetch-site", "cross-site"),
            ("cookie", "id=1"),
        ]);
        assert!(!allowed(&Method::POST, "/auth/logout", &h, &POLICY));
    }

    #[test]
    fn a_form_post_from_our_own_pages_is_allowed() {
        let h = headers(&[
            ("host", "portal.local:3000"),
            ("origin", "http://portal.local:3000"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(allowed(&Method::POST, "/auth/login", &h, &POLICY));
    }

    #[test]
    fn a_cookie_bearing_post_without_origin_headers_is_refused_but_reads_pass() {
        let h = headers(&[("host", "portal.local"), ("cookie", "id=1")]);
        assert!(!allowed(&Method::POST, "/auth/logout", &h, &POLICY));
        assert!(allowed(&Method::GET, "/admin/users", &h, &POLICY));
        assert!(allowed(&Method::POST, "/api/v1/inventory", &h, &POLICY));
    }

    #[test]
    fn exports_answer_only_our_own_pages() {
        let cross = headers(&[("sec-fetch-site", "cross-site"), ("cookie", "id=1")]);
        let same_site = headers(&[("sec-fetch-site", "same-site"), ("cookie", "id=1")]);
        let own = headers(&[("sec-fetch-site", "same-origin"), ("cookie", "id=1")]);
        for path in [
            "/audit/export/version/1",
            "/privacy/export/2",
            "/dashboard/export.csv",
            "/compliance/export.csv",
        ] {
            assert!(!allowed(&Method::GET, path, &cross, &POLICY), "{path}");
            assert!(!allowed(&Method::GET, path, &same_site, &POLICY), "{path}");
            assert!(allowed(&Method::GET, path, &own, &POLICY), "{path}");
        }
        let image = headers(&[
            ("sec-fetch-site", "same-origin"),
            ("sec-fetch-dest", "image"),
            ("cookie", "id=1"),
        ]);
        assert!(!allowed(&Method::GET, "/privacy/export/2", &image, &POLICY));
        // Ordinary pages stay reachable from links on other sites.
        assert!(allowed(&Method::GET, "/circulars", &cross, &POLICY));
    }
}
