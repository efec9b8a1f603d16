//! Acknowledgments: the employee's inbox, reading a circular, acknowledging it for each of
//! their devices (idempotently), and the printable receipt.
use crate::circulars::{VersionId, VersionView};
use crate::devices::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod pages;
pub mod rules;
mod server_fns;
pub use server_fns::*;

#[cfg(feature = "ssr")]
pub mod queue;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct AckId(pub i64);

crate::str_enum! {
    /// What an employee declares for one device when acknowledging.
    pub enum Attestation { NoneInstalled => "none_installed", WillRemove => "will_remove", NotUsedForWork => "not_used_for_work" }
}

impl Attestation {
    pub fn label(self, locale: crate::i18n::Locale) -> &'static str {
        let de = locale == crate::i18n::Locale::De;
        match self {
            Attestation::NoneInstalled => {
                if de {
                    "Keine der genannten Apps ist installiert."
                } else {
                    "None of the listed apps is installed."
                }
            }
            Attestation::WillRemove => {
                if de {
                    "Ich entferne sie vor dem Stichtag."
                } else {
                    "I will remove them before the effective date."
                }
            }
            Attestation::NotUsedForWork => {
                if de {
                    "Dieses Gerät nutze ich nicht dienstlich."
                } else {
                    "This device is not used for work."
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub version_id: VersionId,
    pub number: String,
    pub title: String,
    pub summary: String,
    /// The person's own deadline (ISO day).
    pub deadline: String,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub ack_id: AckId,
    pub number: String,
    pub title: String,
    pub version_no: i64,
    pub acknowledged_at: String,
    pub on_behalf_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbox {
    pub due: Vec<InboxItem>,
    pub history: Vec<HistoryItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadView {
    pub version: VersionView,
    pub devices: Vec<Device>,
    pub deadline: String,
    /// The acknowledgment that already counts for this version, if any.
    pub acknowledged: Option<AckId>,
}

/// Raw acknowledgment form: `attestations[<device id>] = none_installed | …`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AckForm {
    #[serde(default)]
    pub version_id: String,
    /// Hash of the text the page showed; must still be the version's hash.
    #[serde(default)]
    pub content_sha256: String,
    #[serde(default)]
    pub read_confirmed: String,
    #[serde(default)]
    pub attestations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptDevice {
    pub summary: String,
    pub attestation: Attestation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub ack_id: AckId,
    pub user_name: String,
    pub personnel_no: Option<String>,
    pub number: String,
    pub title: String,
    pub version_no: i64,
    pub content_sha256: String,
    pub acknowledged_at: String,
    pub locale: String,
    pub auth_method: String,
    pub on_behalf_by: Option<String>,
    pub remark: Option<String>,
    pub devices: Vec<ReceiptDevice>,
    /// (sequence number, entry hash) once sealed into the evidence chain.
    pub seal: Option<(i64, String)>,
}
