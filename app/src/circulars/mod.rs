//! Circulars: authoring with live preview, the four-eyes workflow (draft → in review →
//! published → withdrawn), versions (material ones need a new acknowledgment, editorial ones
//! do not), audiences from the org tree, and prohibited-app lists.
use crate::org::OrgUnitId;
use serde::{Deserialize, Serialize};

pub mod pages;
pub mod rules;
mod server_fns;
pub use server_fns::*;

#[cfg(feature = "ssr")]
pub mod attachments;
#[cfg(feature = "ssr")]
pub mod markdown;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct CircularId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct VersionId(pub i64);

crate::str_enum! {
    pub enum VersionStatus { Draft => "draft", InReview => "in_review", Published => "published", Superseded => "superseded", Withdrawn => "withdrawn" }
}
crate::str_enum! {
    pub enum ChangeKind { Initial => "initial", Material => "material", Editorial => "editorial" }
}
crate::str_enum! {
    /// Platforms a prohibited-app list can name (those an MDM reports apps for).
    pub enum AppPlatform { Android => "android", Ios => "ios", Windows => "windows", Macos => "macos" }
}

impl VersionStatus {
    /// Whether a version in this state has acknowledgment counts: once it was published.
    pub fn has_counts(self) -> bool {
        matches!(
            self,
            VersionStatus::Published | VersionStatus::Superseded | VersionStatus::Withdrawn
        )
    }

    pub fn label(self, locale: crate::i18n::Locale) -> &'static str {
        let de = locale == crate::i18n::Locale::De;
        match self {
            VersionStatus::Draft => {
                if de {
                    "Entwurf"
                } else {
                    "Draft"
                }
            }
            VersionStatus::InReview => {
                if de {
                    "In Prüfung"
                } else {
                    "In review"
                }
            }
            VersionStatus::Published => {
                if de {
                    "Veröffentlicht"
                } else {
                    "Published"
                }
            }
            VersionStatus::Superseded => {
                if de {
                    "Ersetzt"
                } else {
                    "Superseded"
                }
            }
            VersionStatus::Withdrawn => {
                if de {
                    "Zurückgezogen"
                } else {
                    "Withdrawn"
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProhibitedApp {
    pub platform: AppPlatform,
    pub app_identifier: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    pub id: i64,
    pub filename: String,
    pub size_bytes: i64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceUnit {
    pub unit_id: OrgUnitId,
    pub unit_name: String,
    pub include_subunits: bool,
}

/// One version of a circular as pages show it. Dates are ISO calendar days; times are
/// already formatted for Europe/Berlin by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionView {
    pub id: VersionId,
    pub circular_id: CircularId,
    pub number: String,
    pub version_no: i64,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    /// Frozen rendering once published; for drafts, the current rendering.
    pub body_html: String,
    pub change_kind: ChangeKind,
    pub effective_on: String,
    pub ack_deadline: String,
    pub whole_city: bool,
    pub retention_years: i64,
    pub audience: Vec<AudienceUnit>,
    pub apps: Vec<ProhibitedApp>,
    pub attachments: Vec<AttachmentInfo>,
    pub status: VersionStatus,
    pub content_sha256: Option<String>,
    pub author_id: crate::org::UserId,
    pub author_name: String,
    pub approver_name: Option<String>,
    pub published_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AckCounts {
    pub audience: i64,
    pub acknowledged: i64,
    pub open: i64,
    pub overdue: i64,
}

/// A row of the publisher's list: the newest version of each circular.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CircularSummary {
    pub version_id: VersionId,
    pub number: String,
    pub title: String,
    pub version_no: i64,
    pub status: VersionStatus,
    pub ack_deadline: String,
    pub counts: Option<AckCounts>,
    /// Published, but its counts are being rebuilt after a rare change.
    pub counting: bool,
}

/// Raw editor input; parsed by `rules::parse_circular`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CircularForm {
    /// Empty for a new circular, else the draft version being edited.
    #[serde(default)]
    pub version_id: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub body_md: String,
    #[serde(default)]
    pub effective_on: String,
    #[serde(default)]
    pub ack_deadline: String,
    /// "on" when the whole city is the audience.
    #[serde(default)]
    pub whole_city: String,
    /// Unit ids whose whole subtree is in the audience.
    #[serde(default)]
    pub audience_subtree: Vec<String>,
    /// Unit ids in the audience without their subunits.
    #[serde(default)]
    pub audience_unit: Vec<String>,
    /// One app per line: `platform; identifier; display name`.
    #[serde(default)]
    pub apps: String,
    /// Years the acknowledgments keep their personal data (empty = 10).
    #[serde(default)]
    pub retention_years: String,
}
