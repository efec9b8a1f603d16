//! Evidence that holds up: acknowledgments and audit entries are sealed into a SHA-256 hash
//! chain after they are committed (so the request path is never serialised on it), and the
//! whole chain can be recomputed to show that no record was changed, deleted or reordered.
use serde::{Deserialize, Serialize};

pub mod chain;
pub mod pages;
pub mod privacy;
mod server_fns;
pub use server_fns::*;

#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod retention;
#[cfg(feature = "ssr")]
pub mod service;

/// Result of recomputing the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Sealed entries checked.
    pub entries: i64,
    pub acknowledgments: i64,
    pub audit_entries: i64,
    pub compliance_transitions: i64,
    /// Records committed but not sealed yet (the sealing job runs every few seconds).
    pub pending: i64,
    /// entry_hash of the last entry (64 zeros for an empty chain); note it down outside the
    /// system to detect a truncated chain later.
    pub head_hash: String,
    /// The first problem, if any.
    pub broken: Option<Broken>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broken {
    pub seq: i64,
    pub kind: String,
    pub ref_id: i64,
    pub reason: String,
}

/// One audit-log entry as auditors see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: Option<String>,
    pub action: String,
    pub target: String,
    pub details: String,
    pub seq: Option<i64>,
}

/// Filters of the audit-log view; empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub target: String,
    /// ISO day, inclusive.
    #[serde(default)]
    pub from: String,
    /// ISO day, inclusive.
    #[serde(default)]
    pub to: String,
}

/// Which page of a version's evidence the auditor asks for: a search (name, personnel
/// number, unit name or code; empty = everybody) and the last acknowledgment id of the page
/// before (keyset pagination; 0 = the first page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub after: i64,
}

/// One page of a version's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidencePage {
    pub rows: Vec<EvidenceRow>,
    /// How many acknowledgments match the search (on all pages).
    pub total: i64,
    /// The `after` of the next page, if there is one.
    pub next_after: Option<i64>,
}

/// One acknowledgment in the printable evidence view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRow {
    pub ack_id: i64,
    /// `None` once pseudonymised.
    pub person: Option<String>,
    /// The person's id (for their evidence export); `None` once pseudonymised.
    pub person_id: Option<i64>,
    pub acknowledged_at: String,
    pub content_sha256: String,
    pub on_behalf_by: Option<String>,
    pub devices: Vec<String>,
    pub seal: Option<(i64, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRef {
    pub id: i64,
    pub number: String,
    pub version_no: i64,
    pub title: String,
    pub status: String,
}
