//! The organisation: units in a tree (city > Dezernat > Fachbereich > Amt/Betrieb), the
//! people in them, and the admin pages and CSV import that maintain both.
use crate::auth::RoleGrant;
use crate::i18n::Locale;
use serde::{Deserialize, Serialize};

pub mod pages;
pub mod rules;
mod server_fns;
pub use server_fns::*;

#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct OrgUnitId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct UserId(pub i64);

crate::str_enum! {
    pub enum UnitKind {
        City => "city",
        Dezernat => "dezernat",
        Fachbereich => "fachbereich",
        Amt => "amt",
        Betrieb => "betrieb",
    }
}

impl UnitKind {
    pub fn label(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (UnitKind::City, Locale::De) => "Stadt",
            (UnitKind::City, Locale::En) => "City",
            (UnitKind::Dezernat, Locale::De) => "Dezernat",
            (UnitKind::Dezernat, Locale::En) => "Department (Dezernat)",
            (UnitKind::Fachbereich, Locale::De) => "Fachbereich",
            (UnitKind::Fachbereich, Locale::En) => "Division (Fachbereich)",
            (UnitKind::Amt, Locale::De) => "Amt",
            (UnitKind::Amt, Locale::En) => "Office (Amt)",
            (UnitKind::Betrieb, Locale::De) => "Betrieb",
            (UnitKind::Betrieb, Locale::En) => "Municipal enterprise (Betrieb)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: OrgUnitId,
    pub parent_id: Option<OrgUnitId>,
    pub kind: UnitKind,
    pub code: String,
    pub name: String,
    pub path: String,
    pub active: bool,
    /// Active users directly in this unit.
    pub members: i64,
}

impl OrgUnit {
    /// Depth in the tree: 0 for the root.
    pub fn depth(&self) -> usize {
        rules::path_depth(&self.path)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub personnel_no: Option<String>,
    pub org_unit_id: OrgUnitId,
    pub org_unit_name: String,
    pub locale: Locale,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDetail {
    pub user: UserSummary,
    pub roles: Vec<RoleGrant>,
    pub can_sign_in: bool,
    /// The person has set up a second factor.
    pub second_factor: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPage {
    pub items: Vec<UserSummary>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Raw form input for creating or editing a unit; parsed by `rules::parse_unit`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub parent_id: String,
}

/// Raw form input for creating or editing a user; parsed by `rules::parse_user`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub personnel_no: String,
    #[serde(default)]
    pub org_unit_id: String,
    #[serde(default)]
    pub locale: String,
    /// Only for new users; empty = no password (cannot sign in yet).
    #[serde(default)]
    pub password: String,
}

/// Result of a CSV import: either everything was written, or nothing and these rows failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ImportOutcome {
    Imported { created: usize, updated: usize },
    Rejected(Vec<RowError>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// Line number in the file as an editor shows it (the header is line 1).
    pub line: usize,
    pub message: String,
}
