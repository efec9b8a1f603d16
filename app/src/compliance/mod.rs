//! Device compliance: inventory reports from MDM systems are matched against the prohibited
//! apps of the circulars in force; each device moves compliant → violating → warned →
//! blocked and back; the mail gateway asks for an access decision before every sync.
//!
//! - `rules`: the pure state machine, matching and the decision rule;
//! - `repo` (ssr): SQL for states, transitions, exemptions and views;
//! - `engine` (ssr): inventory reports (through the per-process `ReportQueue`), the
//!   background job, evaluation of one device and the dry run — used by the REST API in the
//!   server crate, by the service and by the CLI;
//! - `service` (ssr): own findings, the scoped overview, exemptions;
//! - `access` (ssr): each node's snapshot of access decisions for the mail gateway;
//! - `server_fns` and `pages`: what owners, heads and admins see.
use crate::circulars::{CircularId, VersionId};
use crate::devices::DeviceId;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod export;
pub mod pages;
pub mod rules;
mod server_fns;
pub use server_fns::*;

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;

crate::str_enum! {
    /// State of one device under one rule (a circular's app ban, or the stale rule).
    pub enum ComplianceState {
        Compliant => "compliant",
        Violating => "violating",
        Warned => "warned",
        Blocked => "blocked",
        Exempt => "exempt",
        Stale => "stale"
    }
}

/// What a device's standing is about: one circular's app ban, or the stale-device rule.
/// Stored and sent as `circular:<id>` or `stale` (the evidence chain hashes that text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    Circular(CircularId),
    Stale,
}

impl Rule {
    pub fn circular(self) -> Option<CircularId> {
        match self {
            Rule::Circular(id) => Some(id),
            Rule::Stale => None,
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::Circular(id) => write!(f, "circular:{}", id.0),
            Rule::Stale => f.write_str("stale"),
        }
    }
}

impl std::str::FromStr for Rule {
    type Err = crate::enums::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || crate::enums::UnknownValue {
            kind: "Rule",
            value: s.chars().take(64).collect(),
        };
        let rule = match s {
            "stale" => Some(Rule::Stale),
            _ => s
                .strip_prefix("circular:")
                .and_then(|id| id.parse().ok())
                .map(|id| Rule::Circular(CircularId(id))),
        };
        // Only the canonical text (`circular:07` would be a second key for one rule).
        rule.filter(|r| r.to_string() == s).ok_or_else(unknown)
    }
}

crate::text_sql_type!(Rule);
crate::text_serde!(Rule);

/// Why a device is denied or about to be: a rule's standing, or the device's retirement.
/// Sent as the rule's text or `retired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ground {
    Rule(Rule),
    Retired,
}

impl std::fmt::Display for Ground {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ground::Rule(rule) => rule.fmt(f),
            Ground::Retired => f.write_str("retired"),
        }
    }
}

impl std::str::FromStr for Ground {
    type Err = crate::enums::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "retired" => Ok(Ground::Retired),
            _ => s.parse().map(Ground::Rule),
        }
    }
}

crate::text_serde!(Ground);

crate::str_enum! {
    /// Why a standing changed, recorded with each transition.
    pub enum Cause {
        /// An inventory report for the device.
        Report => "report",
        /// The background job (a date passed, a device went quiet).
        Job => "job",
        /// An exemption was granted or revoked.
        Exemption => "exemption",
        /// The circular was withdrawn or superseded by a version without the ban.
        Withdrawn => "withdrawn",
        /// A re-registered device took over the standing of a device with the same identifier.
        Inherited => "inherited"
    }
}

/// An app identifier as matched: trimmed and lower-case. Android package names and iOS
/// bundle ids are matched case-insensitively, as MDMs report them in varying case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppId(String);

impl AppId {
    pub fn normalise(raw: &str) -> AppId {
        AppId(raw.trim().to_ascii_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AppId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Apps as shown to people: `com.whatsapp, com.snapchat.android`.
pub fn app_list(apps: &[AppId]) -> String {
    apps.iter()
        .map(AppId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// An exemption's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct ExemptionId(pub i64);

crate::str_enum! {
    /// What happens to devices that stop reporting (`STALE_POLICY`).
    pub enum StalePolicy { Ignore => "ignore", Warn => "warn", Block => "block" }
}

impl ComplianceState {
    pub fn label(self, locale: crate::i18n::Locale) -> &'static str {
        use crate::i18n::Locale::*;
        use ComplianceState::*;
        match (self, locale) {
            (Compliant, De) => "konform",
            (Compliant, En) => "compliant",
            (Violating, De) => "verbotene App gefunden",
            (Violating, En) => "prohibited app found",
            (Warned, De) => "verwarnt",
            (Warned, En) => "warned",
            (Blocked, De) => "gesperrt",
            (Blocked, En) => "blocked",
            (Exempt, De) => "ausgenommen",
            (Exempt, En) => "exempt",
            (Stale, De) => "meldet sich nicht",
            (Stale, En) => "not reporting",
        }
    }
}

/// Engine settings (environment: `COMPLIANCE_GRACE_DAYS`, `STALE_AFTER_DAYS`, `STALE_POLICY`).
#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceSettings {
    pub grace_days: i64,
    pub stale_after_days: i64,
    pub stale_policy: StalePolicy,
}

impl Default for ComplianceSettings {
    fn default() -> Self {
        Self {
            grace_days: 7,
            stale_after_days: 14,
            stale_policy: StalePolicy::Warn,
        }
    }
}

/// One device that is not compliant under one rule, as listed for owners, heads and admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub device_id: DeviceId,
    pub device: String,
    pub owner: String,
    pub unit: String,
    pub mdm_id: Option<String>,
    pub rule: Rule,
    /// "RS 2026/01 – title" for circular rules; empty for the stale rule.
    pub circular: String,
    pub circular_version: Option<VersionId>,
    pub state: ComplianceState,
    pub apps: Vec<AppId>,
    pub since: String,
    /// Date (Europe/Berlin) from which the device is blocked, while warned.
    pub block_on: Option<String>,
    /// Effective day of the circular, while violating.
    pub effective_on: Option<String>,
}

/// Counts per unit for a head's dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct UnitCounts {
    pub unit: String,
    pub devices: i64,
    pub violating: i64,
    pub warned: i64,
    pub blocked: i64,
    pub exempt: i64,
}

/// An exemption as listed for admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exemption {
    pub id: ExemptionId,
    pub device: String,
    pub circular: String,
    pub reason: String,
    pub valid_until: String,
    pub granted_by: String,
    pub active: bool,
}

/// One device of a dry run: what would happen on the chosen date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DryRunRow {
    pub device: String,
    pub owner: String,
    pub unit: String,
    pub apps: Vec<AppId>,
    pub outcome: ComplianceState,
}

/// The compliance page: everything a viewer may see, already scoped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub is_admin: bool,
    /// One page of the units with findings, in tree order.
    pub units: Vec<UnitCounts>,
    /// Whether more units follow.
    pub more_units: bool,
    /// One page of the findings, worst first.
    pub findings: Vec<Finding>,
    /// Where the next page of findings starts (`None` on the last page).
    pub next_after: Option<String>,
    pub exemptions: Vec<Exemption>,
    /// Circulars whose bans are in force, with their labels (for the filters and forms).
    pub circulars: Vec<(CircularId, String)>,
}

/// Result of a device import, for the upload page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub created: usize,
    pub updated: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_and_grounds_keep_their_stored_text() {
        for (text, rule) in [
            ("circular:17", Rule::Circular(CircularId(17))),
            ("stale", Rule::Stale),
        ] {
            assert_eq!(text.parse::<Rule>(), Ok(rule));
            assert_eq!(rule.to_string(), text);
            assert_eq!(serde_json::to_value(rule).unwrap(), serde_json::json!(text));
        }
        for odd in [
            "circular:017",
            "circular:+5",
            "circular:",
            "Stale",
            "circular:x",
            "",
        ] {
            assert!(odd.parse::<Rule>().is_err(), "{odd}");
        }
        assert_eq!("retired".parse::<Ground>(), Ok(Ground::Retired));
        assert_eq!(Ground::Rule(Rule::Stale).to_string(), "stale");
        assert_eq!(
            serde_json::from_value::<Rule>(serde_json::json!("circular:3")).unwrap(),
            Rule::Circular(CircularId(3))
        );
    }
}
