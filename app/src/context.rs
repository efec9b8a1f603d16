//! What every page needs to know about the current request: the language and the signed-in
//! user. The server computes it once per request (see `auth::session::load_request_ctx`),
//! renders it into the page as JSON, and the browser reads it back when hydrating, so both
//! sides render from the same data without an extra round trip.
use crate::auth::SessionUser;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RequestCtx {
    pub locale: Locale,
    pub user: Option<SessionUser>,
}

/// Element id of the JSON island that carries the context to the browser.
pub const CTX_ELEMENT_ID: &str = "rs-ctx";

impl RequestCtx {
    /// The context of the current request (server) or page (browser).
    pub fn current() -> RequestCtx {
        #[cfg(feature = "ssr")]
        {
            use_context::<http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<RequestCtx>().cloned())
                .unwrap_or_default()
        }
        #[cfg(not(feature = "ssr"))]
        {
            Self::from_document().unwrap_or_default()
        }
    }

    #[cfg(not(feature = "ssr"))]
    fn from_document() -> Option<RequestCtx> {
        #[cfg(feature = "hydrate")]
        {
            let text = web_sys::window()?
                .document()?
                .get_element_by_id(CTX_ELEMENT_ID)?
                .text_content()?;
            serde_json::from_str(&text).ok()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            None
        }
    }

    /// JSON safe to embed in a `<script>` element: `<` is escaped so that a display name
    /// containing `</script>` cannot end the element.
    pub fn to_script_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| "{}".into())
            .replace('<', "\\u003c")
    }
}

/// The context provided to components by `App`.
pub fn use_ctx() -> RequestCtx {
    use_context::<RequestCtx>().unwrap_or_else(RequestCtx::current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let ctx = RequestCtx {
            locale: Locale::De,
            user: Some(SessionUser {
                id: crate::org::UserId(1),
                display_name: "</script><script>alert(1)</script>".into(),
                email: "a@b.de".into(),
                roles: vec![],
                admin_awaits_second_factor: false,
            }),
        };
        let json = ctx.to_script_json();
        assert!(!json.contains("</script>"));
        let back: RequestCtx = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ctx);
    }
}
