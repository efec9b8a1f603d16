//! Tracking for heads: acknowledgment roll-ups over their part of the org tree, drill-down to
//! the people who have not acknowledged, acknowledging on behalf of staff without a PC,
//! reminding a unit, and the CSV/XLSX exports (`export`). `service` holds the operations,
//! `rules` the pure scope and name-visibility rules.
use crate::org::{OrgUnitId, UnitKind};
use serde::{Deserialize, Serialize};

pub mod pages;
pub mod rules;
mod server_fns;
pub use server_fns::*;

#[cfg(feature = "ssr")]
pub mod counts;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;

/// Counts for one unit (with its subtree) or for the people directly in the selected unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RollupRow {
    /// `None` for "directly in the selected unit".
    pub unit_id: Option<OrgUnitId>,
    pub unit_name: String,
    pub has_children: bool,
    pub audience: i64,
    pub acknowledged: i64,
    pub overdue: i64,
    /// Active devices of the audience without a clean statement
    /// ("none installed" / "not used for work").
    pub devices_unclean: i64,
}

impl RollupRow {
    pub fn open(&self) -> i64 {
        self.audience - self.acknowledged
    }

    /// Acknowledged share in whole percent (100 for an empty audience).
    pub fn percent(&self) -> i64 {
        rules::percent(self.acknowledged, self.audience)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenPerson {
    /// Only for people whose name is shown: a hidden person carries no stable id to the
    /// browser, so that it cannot be linked to the name once the person becomes overdue.
    pub user_id: Option<crate::org::UserId>,
    /// Hidden (None) when the privacy setting does not allow names for this person.
    pub name: Option<String>,
    pub unit_name: String,
    pub deadline: String,
    pub days_overdue: i64,
    /// Reminder mails sent so far for this circular.
    pub reminders_sent: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircularChoice {
    pub version_id: i64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub circulars: Vec<CircularChoice>,
    pub version_id: Option<i64>,
    pub unit_id: OrgUnitId,
    pub unit_name: String,
    pub unit_kind: UnitKind,
    /// Path from the top of the viewer's scope down to the selected unit.
    pub breadcrumbs: Vec<(OrgUnitId, String)>,
    pub rows: Vec<RollupRow>,
    pub total: RollupRow,
    /// People in the selected unit's subtree who have not acknowledged (for units without
    /// child units).
    pub open_people: Vec<OpenPerson>,
}

crate::str_enum! {
    /// Which names heads see in the open list (setting `HEAD_NAMES`).
    pub enum NamesPolicy { All => "all", OverdueOnly => "overdue", None => "none" }
}
