//! Pure compliance rules: matching a reported inventory against prohibited apps, the state
//! machine of one device under one rule, the stale-device policy and the access decision.
//! No SQL and no clock: callers pass `now`, so tests drive every transition.
use super::{AppId, ComplianceState, StalePolicy};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;

/// Largest number of apps accepted in one inventory report. Real devices carry a few
/// hundred; anything far beyond is a broken client, not a device.
pub const MAX_APPS_PER_REPORT: usize = 5_000;
/// Longest app identifier (Android package names are limited to 255 characters).
pub const MAX_APP_ID_LEN: usize = 255;

/// The one matching rule: the apps of `found` that `prohibited` bans, sorted and without
/// duplicates. Identifiers are compared normalised (see [`AppId`]), so a report's
/// `com.WhatsApp` matches a ban of `com.whatsapp`.
pub fn prohibited<'a>(
    found: impl IntoIterator<Item = &'a AppId>,
    prohibited: &HashSet<AppId>,
) -> Vec<AppId> {
    let mut out: Vec<AppId> = found
        .into_iter()
        .filter(|id| prohibited.contains(*id))
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Where one device stands under one circular, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub state: ComplianceState,
    pub warned_at: Option<DateTime<Utc>>,
    pub block_at: Option<DateTime<Utc>>,
}

impl Standing {
    pub fn compliant() -> Self {
        Standing {
            state: ComplianceState::Compliant,
            warned_at: None,
            block_at: None,
        }
    }
}

/// What the engine knows about one device under one circular.
#[derive(Debug, Clone)]
pub struct Facts {
    /// A prohibited app of the circular was in the device's last report.
    pub app_present: bool,
    /// Start of the circular's effective day.
    pub effective_at: DateTime<Utc>,
    /// An exemption for this device and circular is valid at `now`.
    pub exempt: bool,
    pub grace: Duration,
    pub now: DateTime<Utc>,
}

/// Next standing of a device under a circular's ban.
///
/// compliant → violating (app seen before the effective date) → warned (on/after it; the
/// block date is fixed at warning time: warned_at + grace) → blocked (block date reached).
/// Any state → compliant as soon as the app is gone; exempt while an exemption is valid.
/// An exemption that ends while the app is still there starts a fresh warning, so nobody
/// is blocked without a warning and a full grace period.
pub fn next_standing(current: &Standing, f: &Facts) -> Standing {
    use ComplianceState::*;
    if !f.app_present {
        return Standing::compliant();
    }
    if f.exempt {
        return Standing {
            state: Exempt,
            warned_at: None,
            block_at: None,
        };
    }
    if f.now < f.effective_at {
        return Standing {
            state: Violating,
            warned_at: None,
            block_at: None,
        };
    }
    match (current.state, current.block_at) {
        (Blocked, _) => current.clone(),
        (Warned, Some(block_at)) if f.now >= block_at => Standing {
            state: Blocked,
            ..current.clone()
        },
        (Warned, Some(_)) => current.clone(),
        _ => Standing {
            state: Warned,
            warned_at: Some(f.now),
            block_at: Some(f.now + f.grace),
        },
    }
}

/// State of a device under the stale rule: `None` when the policy ignores stale devices or
/// the device reported recently enough (or never was expected to: no MDM id).
pub fn stale_state(
    policy: StalePolicy,
    last_report: Option<DateTime<Utc>>,
    registered_at: DateTime<Utc>,
    stale_after: Duration,
    now: DateTime<Utc>,
) -> ComplianceState {
    // A device that never reported is measured from its registration.
    let since = last_report.unwrap_or(registered_at);
    if policy == StalePolicy::Ignore || now - since < stale_after {
        return ComplianceState::Compliant;
    }
    match policy {
        StalePolicy::Block => ComplianceState::Blocked,
        _ => ComplianceState::Stale,
    }
}

/// A stored standing that denies access at `now`: blocked, or warned with its block date
/// passed (so a late compliance job never lets a device through past its date).
pub fn denies(state: ComplianceState, block_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match state {
        ComplianceState::Blocked => true,
        ComplianceState::Warned => block_at.is_some_and(|b| now >= b),
        _ => false,
    }
}

/// Heads see the devices of their units that are warned or blocked: those need action now;
/// earlier states (an app found before the effective date, exemptions) are between the owner
/// and the admins.
pub fn shown_to_heads(state: ComplianceState) -> bool {
    matches!(state, ComplianceState::Warned | ComplianceState::Blocked)
}

/// Where a page of the compliance findings list ends: the list is ordered worst state first
/// ([`state_rank`]), then by how long the state has lasted, device and rule, and the next
/// page starts after this key (keyset pagination: a page deep in the list costs what the
/// first one does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingCursor {
    pub rank: i64,
    pub since: String,
    pub device: i64,
    pub rule: String,
}

impl FindingCursor {
    /// The cursor as one query value: `rank|device|rule|since`.
    pub fn encode(&self) -> String {
        format!("{}|{}|{}|{}", self.rank, self.device, self.rule, self.since)
    }

    /// A cursor from a link; `None` for anything that is not one (the list then starts at
    /// its beginning).
    pub fn parse(raw: &str) -> Option<FindingCursor> {
        let mut parts = raw.splitn(4, '|');
        let rank = parts.next()?.parse().ok()?;
        let device = parts.next()?.parse().ok()?;
        let rule = parts.next()?.to_owned();
        let since = parts.next()?.to_owned();
        (!rule.is_empty() && !since.is_empty() && raw.len() <= 200).then_some(FindingCursor {
            rank,
            since,
            device,
            rule,
        })
    }
}

/// Order of the states in the findings list: the ones that need action first.
pub fn state_rank(state: ComplianceState) -> i64 {
    match state {
        ComplianceState::Blocked => 0,
        ComplianceState::Warned => 1,
        ComplianceState::Violating => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use ComplianceState::*;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 8, 0, 0).unwrap()
    }

    fn facts(app: bool, exempt: bool, now: DateTime<Utc>) -> Facts {
        Facts {
            app_present: app,
            effective_at: t(10),
            exempt,
            grace: Duration::days(7),
            now,
        }
    }

    #[test]
    fn a_device_walks_through_every_state_and_back() {
        let s0 = Standing::compliant();
        let s1 = next_standing(&s0, &facts(true, false, t(1)));
        assert_eq!(s1.state, Violating);
        let s2 = next_standing(&s1, &facts(true, false, t(10)));
        assert_eq!(s2.state, Warned);
        assert_eq!(s2.warned_at, Some(t(10)));
        assert_eq!(s2.block_at, Some(t(17)));
        // Still within the grace period: unchanged, the block date does not move.
        assert_eq!(next_standing(&s2, &facts(true, false, t(16))), s2);
        let s3 = next_standing(&s2, &facts(true, false, t(17)));
        assert_eq!(s3.state, Blocked);
        assert_eq!(next_standing(&s3, &facts(true, false, t(30))), s3);
        assert_eq!(
            next_standing(&s3, &facts(false, false, t(18))).state,
            Compliant
        );
    }

    #[test]
    fn exemptions_hold_and_their_end_starts_a_fresh_warning() {
        let blocked = Standing {
            state: Blocked,
            warned_at: Some(t(1)),
            block_at: Some(t(8)),
        };
        let exempt = next_standing(&blocked, &facts(true, true, t(12)));
        assert_eq!(exempt.state, Exempt);
        let after = next_standing(&exempt, &facts(true, false, t(20)));
        assert_eq!(after.state, Warned);
        assert_eq!(after.block_at, Some(t(27)));
    }

    #[test]
    fn an_app_found_after_the_effective_date_is_warned_at_once() {
        let s = next_standing(&Standing::compliant(), &facts(true, false, t(12)));
        assert_eq!(s.state, Warned);
        assert!(!denies(s.state, s.block_at, t(18)));
        assert!(denies(s.state, s.block_at, t(19)));
    }

    #[test]
    fn stale_policy_ignores_warns_or_blocks() {
        let week = Duration::days(7);
        let reg = t(1);
        assert_eq!(
            stale_state(StalePolicy::Warn, Some(t(5)), reg, week, t(11)),
            Compliant
        );
        assert_eq!(
            stale_state(StalePolicy::Warn, Some(t(5)), reg, week, t(12)),
            Stale
        );
        assert_eq!(
            stale_state(StalePolicy::Block, None, reg, week, t(8)),
            Blocked
        );
        assert_eq!(
            stale_state(StalePolicy::Ignore, None, reg, week, t(30)),
            Compliant
        );
    }

    #[test]
    fn matching_is_case_insensitive_and_deduplicated() {
        let banned: HashSet<AppId> = ["com.whatsapp", "com.snapchat.android"]
            .map(AppId::normalise)
            .into();
        let reported =
            [" com.WhatsApp", "org.mozilla.firefox", "com.whatsapp"].map(AppId::normalise);
        assert_eq!(
            prohibited(&reported, &banned),
            vec![AppId::normalise("com.whatsapp")]
        );
    }

    #[test]
    fn a_findings_cursor_survives_its_link_and_rejects_anything_else() {
        let c = FindingCursor {
            rank: 1,
            since: "2026-11-24 08:00:00.123+00:00".into(),
            device: 42,
            rule: "circular:7".into(),
        };
        assert_eq!(FindingCursor::parse(&c.encode()), Some(c));
        for bad in [
            "",
            "1|2|x",
            "a|2|stale|2026",
            "1|b|stale|2026",
            "1|2||2026",
            "1|2|stale|",
        ] {
            assert_eq!(FindingCursor::parse(bad), None, "{bad}");
        }
        assert_eq!(
            FindingCursor::parse(&format!("1|2|stale|{}", "9".repeat(300))),
            None
        );
    }

    #[test]
    fn the_worst_states_come_first() {
        let mut states = [
            ComplianceState::Violating,
            ComplianceState::Stale,
            ComplianceState::Blocked,
            ComplianceState::Warned,
        ];
        states.sort_by_key(|s| state_rank(*s));
        assert_eq!(
            states,
            [
                ComplianceState::Blocked,
                ComplianceState::Warned,
                ComplianceState::Violating,
                ComplianceState::Stale
            ]
        );
    }
}
