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

/// A unit's materialised path: the ids from the root down to the unit, each followed by
/// '/', e.g. `/1/4/17/`. A subtree is a key range of paths, so "everything below this
/// unit" is one index range scan, and "is X in Y's subtree" is a prefix test — both live
/// here (in SQL: [`sql_in_subtree!`](crate::sql_in_subtree) below) and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct UnitPath(String);

impl UnitPath {
    /// A path as text (`/1/4/`): a '/' after every id, at least one id. `None` otherwise.
    pub fn parse(text: &str) -> Option<UnitPath> {
        let inner = text.strip_prefix('/')?.strip_suffix('/')?;
        let valid = !inner.is_empty()
            && inner
                .split('/')
                .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
        valid.then(|| UnitPath(text.to_owned()))
    }

    /// The path above a root unit.
    pub fn above_root() -> UnitPath {
        UnitPath("/".into())
    }

    /// Path of the child `id` of this unit.
    pub fn child(&self, id: OrgUnitId) -> UnitPath {
        UnitPath(format!("{}{}/", self.0, id.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `other` is this unit or lies below it.
    pub fn contains(&self, other: &UnitPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// Some path of `scopes` contains `self`.
    pub fn within(&self, scopes: &[UnitPath]) -> bool {
        scopes.iter().any(|s| s.contains(self))
    }

    /// Half-open range `[lo, hi)` of the paths in this subtree (the unit included). Every
    /// path ends in '/', and '0' is the character after '/', so the upper bound is the path
    /// with its final '/' replaced by '0'. SQLite and PostgreSQL (C collation) answer
    /// `path >= lo AND path < hi` from the path index.
    pub fn bounds(&self) -> (String, String) {
        let mut hi = self.0.trim_end_matches('/').to_owned();
        hi.push('0');
        (self.0.clone(), hi)
    }

    /// Ids of the units on the path, root first.
    pub fn ids(&self) -> Vec<OrgUnitId> {
        self.0
            .split('/')
            .filter_map(|id| id.parse().ok())
            .map(OrgUnitId)
            .collect()
    }

    /// Levels below the root (the root is 0).
    pub fn depth(&self) -> usize {
        self.0.matches('/').count().saturating_sub(2)
    }

    /// The scopes that no other scope of the list contains (so that a subtree is not
    /// queried twice when a head leads a unit and one below it).
    pub fn outermost(scopes: &[UnitPath]) -> Vec<UnitPath> {
        let mut out: Vec<UnitPath> = scopes
            .iter()
            .filter(|s| !scopes.iter().any(|o| o != *s && o.contains(s)))
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// SQL condition "the path `$inner` lies in the subtree rooted at the path `$outer`" (both
/// SQL expressions: columns or a bind like `$1`): the SQL form of [`UnitPath::contains`]
/// and [`UnitPath::bounds`], a key range the path index answers.
#[macro_export]
macro_rules! sql_in_subtree {
    ($inner:literal, $outer:literal) => {
        concat!(
            "(",
            $inner,
            " >= ",
            $outer,
            " AND ",
            $inner,
            " < substr(",
            $outer,
            ", 1, length(",
            $outer,
            ") - 1) || '0')"
        )
    };
}

impl std::fmt::Display for UnitPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod unit_path_tests {
    use super::*;

    fn p(s: &str) -> UnitPath {
        UnitPath(s.into())
    }

    #[test]
    fn a_subtree_is_a_prefix_and_a_key_range() {
        let amt = p("/1/4/");
        assert!(amt.contains(&p("/1/4/17/")));
        assert!(amt.contains(&amt));
        assert!(
            !amt.contains(&p("/1/40/")),
            "a sibling with a longer id is outside"
        );
        assert!(!amt.contains(&p("/1/")));
        let (lo, hi) = amt.bounds();
        assert_eq!((lo.as_str(), hi.as_str()), ("/1/4/", "/1/40"));
        for inside in ["/1/4/", "/1/4/17/", "/1/4/9/3/"] {
            assert!(inside >= lo.as_str() && inside < hi.as_str(), "{inside}");
        }
        for outside in ["/1/40/", "/1/5/", "/1/3/", "/1/"] {
            assert!(
                !(outside >= lo.as_str() && outside < hi.as_str()),
                "{outside}"
            );
        }
    }

    #[test]
    fn paths_know_their_ids_depth_and_children() {
        let path = UnitPath::above_root()
            .child(OrgUnitId(1))
            .child(OrgUnitId(4));
        assert_eq!(path, p("/1/4/"));
        assert_eq!(path.ids(), vec![OrgUnitId(1), OrgUnitId(4)]);
        assert_eq!(path.depth(), 1);
        assert_eq!(p("/1/").depth(), 0);
        assert!(path.within(&[p("/2/"), p("/1/")]));
        assert_eq!(UnitPath::parse("/1/4/"), Some(path));
        for bad in ["", "/", "1/4/", "/1/4", "/1//4/", "/1/x/"] {
            assert_eq!(UnitPath::parse(bad), None, "{bad}");
        }
        assert_eq!(
            UnitPath::outermost(&[p("/1/4/17/"), p("/1/4/"), p("/1/5/"), p("/1/4/")]),
            vec![p("/1/4/"), p("/1/5/")]
        );
    }
}

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
    pub path: UnitPath,
    pub active: bool,
    /// Active users directly in this unit.
    pub members: i64,
}

impl OrgUnit {
    /// Depth in the tree: 0 for the root.
    pub fn depth(&self) -> usize {
        self.path.depth()
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
    /// The column (or `file` for the file as a whole).
    pub field: String,
    pub problem: crate::i18n::Problem,
}

impl RowError {
    /// The problem in words, after the column it is in (`name: Pflichtfeld.`).
    pub fn describe(&self, locale: Locale) -> String {
        match self.field.as_str() {
            "file" => self.problem.message(locale),
            field => format!("{field}: {}", self.problem.message(locale)),
        }
    }
}
