//! Sign-in, sessions, roles and the authorization checks every server function starts with.
//!
//! Design (also in the README): sessions are tower-sessions rows in the database, the cookie
//! is HttpOnly + SameSite=Lax (+ Secure behind https), a new session id is issued on login,
//! logout deletes the session server-side, and sessions end after an idle and an absolute
//! timeout. CSRF is refused by an Origin / Sec-Fetch-Site check on every state-changing
//! request (see the server's `csrf` layer), which also covers plain HTML form posts.
use crate::i18n::Locale;
use crate::org::{OrgUnitId, UserId};
use serde::{Deserialize, Serialize};

pub mod pages;
pub mod rules;
mod server_fns;
pub mod throttle;
pub use server_fns::*;

#[cfg(feature = "ssr")]
pub mod client_ip;
#[cfg(feature = "ssr")]
pub mod handlers;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod second_factor;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;

crate::str_enum! {
    #[derive(PartialOrd, Ord)]
    pub enum Role {
        Employee => "employee",
        Head => "head",
        Publisher => "publisher",
        Admin => "admin",
        Auditor => "auditor",
    }
}

impl Role {
    /// Heads and publishers act on an org-unit subtree; the others are city-wide.
    pub fn needs_scope(self) -> bool {
        matches!(self, Role::Head | Role::Publisher)
    }

    pub fn label(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Role::Employee, Locale::De) => "Beschäftigte/r",
            (Role::Head, Locale::De) => "Leitung",
            (Role::Publisher, Locale::De) => "Veröffentlichung (Personal/Organisation)",
            (Role::Admin, Locale::De) => "Administration",
            (Role::Auditor, Locale::De) => "Revision",
            (Role::Employee, Locale::En) => "Employee",
            (Role::Head, Locale::En) => "Head of unit",
            (Role::Publisher, Locale::En) => "Publisher (HR)",
            (Role::Admin, Locale::En) => "Administrator",
            (Role::Auditor, Locale::En) => "Auditor",
        }
    }
}

/// How a session was signed in. Recorded with every acknowledgment, so that the evidence
/// says whether a second factor was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthMethod {
    Password,
    /// Password and a code from the person's authenticator app.
    PasswordTotp,
    /// Password and one of the person's one-time recovery codes.
    PasswordRecoveryCode,
    /// Not signed in at all: a head recorded a signed paper form on the person's behalf.
    Paper,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::PasswordTotp => "password+totp",
            AuthMethod::PasswordRecoveryCode => "password+recovery_code",
            AuthMethod::Paper => "paper",
        }
    }

    pub fn parse(s: &str) -> Option<AuthMethod> {
        [
            AuthMethod::Password,
            AuthMethod::PasswordTotp,
            AuthMethod::PasswordRecoveryCode,
            AuthMethod::Paper,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }

    pub fn second_factor(self) -> bool {
        matches!(
            self,
            AuthMethod::PasswordTotp | AuthMethod::PasswordRecoveryCode
        )
    }

    pub fn label(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (AuthMethod::Password, Locale::De) => "Passwort",
            (AuthMethod::PasswordTotp, Locale::De) => "Passwort und Einmalcode (zweiter Faktor)",
            (AuthMethod::PasswordRecoveryCode, Locale::De) => {
                "Passwort und Wiederherstellungscode (zweiter Faktor)"
            }
            (AuthMethod::Paper, Locale::De) => "Papierformular, erfasst von der Leitung",
            (AuthMethod::Password, Locale::En) => "Password",
            (AuthMethod::Paper, Locale::En) => "Paper form, recorded by the head of unit",
            (AuthMethod::PasswordTotp, Locale::En) => "Password and one-time code (second factor)",
            (AuthMethod::PasswordRecoveryCode, Locale::En) => {
                "Password and recovery code (second factor)"
            }
        }
    }

    /// The label of a stored method; unknown values are shown as stored.
    pub fn describe(stored: &str, locale: Locale) -> String {
        AuthMethod::parse(stored)
            .map(|m| m.label(locale).to_owned())
            .unwrap_or_else(|| stored.to_owned())
    }
}

/// The second factor of the signed-in person, as "Mein Profil" shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorStatus {
    /// When it was set up (Europe/Berlin), if it is.
    pub enabled_since: Option<String>,
    pub recovery_codes_left: i64,
    /// Admins must keep a second factor.
    pub required: bool,
    /// A (new) second factor this session began to set up and has not confirmed yet.
    pub pending: Option<SecondFactorSetup>,
}

/// A second factor being set up: what the app needs. The secret stays in the server-side
/// session until the person confirms a first code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorSetup {
    pub secret_grouped: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

/// One role held by a user, with its scope for head/publisher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    pub role: Role,
    pub scope_unit_id: Option<OrgUnitId>,
    /// Materialised path of the scope unit; lets scope checks run without a query.
    pub scope_path: Option<crate::org::UnitPath>,
    pub scope_name: Option<String>,
}

/// One of a person's signed-in sessions, as "Mein Profil" lists it. Times are formatted
/// for Europe/Berlin by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Opaque handle to end the session with (not the cookie value).
    pub id: String,
    pub browser: Option<String>,
    pub system: Option<String>,
    pub signed_in_at: String,
    pub last_seen_at: String,
    /// The session this request came with.
    pub current: bool,
}

/// The signed-in user as every page and server function sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: UserId,
    pub display_name: String,
    pub email: String,
    pub roles: Vec<RoleGrant>,
    /// The account holds the admin role but this session was signed in without a second
    /// factor: the role is left out of `roles` until one is used (see `load_request_ctx`).
    pub admin_awaits_second_factor: bool,
}

impl SessionUser {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|g| g.role == role)
    }

    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }
}

/// Server-side guards. Every server function calls one of these first.
#[cfg(feature = "ssr")]
pub mod guard {
    use super::*;
    use crate::context::RequestCtx;
    use crate::error::AppError;

    pub fn ctx() -> RequestCtx {
        RequestCtx::current()
    }

    pub fn require_user() -> Result<SessionUser, AppError> {
        ctx().user.ok_or(AppError::Unauthorized)
    }

    pub fn require_role(role: Role) -> Result<SessionUser, AppError> {
        let user = require_user()?;
        if user.has_role(role) {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }
}
