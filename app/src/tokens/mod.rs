//! API tokens for other systems (MDM, HR, the mail gateway): admins issue them with scopes
//! on a page or with `server token create`; the secret is shown once and only its SHA-256
//! is stored.
use serde::{Deserialize, Serialize};

pub mod pages;
pub mod rules;
mod server_fns;
pub use server_fns::*;

#[cfg(feature = "ssr")]
pub mod cache;
#[cfg(feature = "ssr")]
pub mod ratelimit;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;

crate::str_enum! {
    /// What a token may do.
    pub enum Scope {
        InventoryWrite => "inventory:write",
        DevicesWrite => "devices:write",
        AccessRead => "access:read"
    }
}

impl Scope {
    pub fn describe(self, locale: crate::i18n::Locale) -> &'static str {
        use crate::i18n::Locale::*;
        match (self, locale) {
            (Scope::InventoryWrite, De) => "Inventarberichte senden (MDM)",
            (Scope::InventoryWrite, En) => "send inventory reports (MDM)",
            (Scope::DevicesWrite, De) => "Geräte importieren",
            (Scope::DevicesWrite, En) => "import devices",
            (Scope::AccessRead, De) => "Zugriffsentscheidungen abfragen (Mail-Gateway)",
            (Scope::AccessRead, En) => "query access decisions (mail gateway)",
        }
    }
}

/// A token as listed for admins (never the secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_by: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A freshly issued token: the only time the secret is visible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub id: i64,
    pub name: String,
    pub secret: String,
    pub scopes: Vec<Scope>,
}
