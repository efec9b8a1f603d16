//! Device compliance: inventory reports from MDM systems are matched against the prohibited
//! apps of the circulars in force; each device moves compliant → violating → warned →
//! blocked and back; the mail gateway asks for an access decision before every sync.
//!
//! - `rules`: the pure state machine, matching and the decision rule;
//! - `repo` (ssr): SQL for states, transitions, exemptions and views;
//! - `engine` (ssr): inventory reports, the background job and bulk device import — used
//!   by the REST API in the server crate, by server functions and by the CLI;
//! - `server_fns` and `pages`: what owners, heads and admins see.
use crate::devices::DeviceId;
use serde::{Deserialize, Serialize};

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

/// One non-compliant standing of a device, for owners, heads and admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standing {
    pub device_id: DeviceId,
    pub device: String,
    pub owner: String,
    pub unit: String,
    pub mdm_id: Option<String>,
    pub rule: String,
    /// "RS 2026/01 – title" for circular rules; empty for the stale rule.
    pub circular: String,
    pub circular_version: Option<i64>,
    pub state: ComplianceState,
    pub apps: Vec<String>,
    pub since: String,
    /// Date (Europe/Berlin) from which the device is blocked, while warned.
    pub block_on: Option<String>,
    /// Effective day of the circular, while violating.
    pub effective_on: Option<String>,
}

/// Counts per unit for a head's dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub id: i64,
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
    pub apps: Vec<String>,
    pub outcome: ComplianceState,
}

/// The compliance page: everything a viewer may see, already scoped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub is_admin: bool,
    pub units: Vec<UnitCounts>,
    pub standings: Vec<Standing>,
    pub exemptions: Vec<Exemption>,
    pub circulars: Vec<(i64, String)>,
}

/// Result of a device import, for the upload page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub created: usize,
    pub updated: usize,
}
