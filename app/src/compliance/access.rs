//! Each node's in-memory snapshot of the access decisions, so that the mail gateway's
//! question ("may this device sync?") is answered without a database round trip.
//!
//! The snapshot holds, per MDM id, what the decision rows of `repo::decision_rows_of` say
//! (retirement, warned/blocked standings with their block dates); the decision itself is
//! computed per request at the request's time, so a warned device is denied the moment its
//! block date passes. A refresher polls the `access_change` log every [`POLL_EVERY`] and
//! reloads the devices changed since — changes reach every node within a fraction of a
//! second. If the snapshot could not be refreshed for [`MAX_AGE`] (database unavailable),
//! the node stops answering (the API says 503) instead of answering from old data.
use super::engine::{decision_from, AccessDecision};
use super::repo::{self, DecisionRow};
use crate::db::Db;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub const POLL_EVERY: Duration = Duration::from_millis(100);
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// The snapshot is not current enough to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale;

#[derive(Clone, Default)]
pub struct AccessCache {
    inner: Arc<RwLock<Snapshot>>,
}

/// Kept small, since it holds every managed device of the city (150,000 in the synthetic
/// one): each MDM id is stored once (shared by both maps), and only the standings that
/// count (rule and state present) are kept, so a compliant device costs a map entry and no
/// allocation of its own.
#[derive(Default)]
struct Snapshot {
    by_mdm: HashMap<Arc<str>, Device>,
    mdm_of: HashMap<crate::devices::DeviceId, Arc<str>>,
    last_seq: i64,
    fresh_at: Option<Instant>,
}

struct Device {
    retired: bool,
    standings: Vec<DecisionRow>,
}

impl AccessCache {
    /// The decision for `mdm_id` at `now`; `Ok(None)` for an unknown device.
    pub fn decide(
        &self,
        mdm_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AccessDecision>, Stale> {
        let snap = self.inner.read().expect("access snapshot lock");
        if snap.fresh_at.is_none_or(|t| t.elapsed() > MAX_AGE) {
            return Err(Stale);
        }
        Ok(snap
            .by_mdm
            .get(mdm_id)
            .map(|d| decision_from(mdm_id, d.retired, &d.standings, now)))
    }

    /// Brings the snapshot up to date: everything on the first call (or after falling
    /// behind the pruned log), else the devices changed since the last call.
    pub async fn refresh(&self, db: &Db) -> Result<(), sqlx::Error> {
        let (last, loaded) = {
            let snap = self.inner.read().expect("access snapshot lock");
            (snap.last_seq, snap.fresh_at.is_some())
        };
        // Read the log's end before the rows: a change committed in between is loaded now
        // and again on the next poll, which is harmless.
        let (min_seq, max_seq) = repo::access_change_range(db).await?;
        if !loaded || (min_seq > last + 1 && max_seq > last) {
            let mut snap = Snapshot::default();
            // Row by row as they are read: the city's rows never sit in one vector.
            let mut rows = repo::all_decision_rows(db);
            while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
                snap.insert(row);
            }
            snap.last_seq = max_seq;
            snap.fresh_at = Some(Instant::now());
            *self.inner.write().expect("access snapshot lock") = snap;
            return Ok(());
        }
        let mut changed_rows = vec![];
        let changed = if max_seq > last {
            repo::access_changes(db, last, max_seq).await?
        } else {
            vec![]
        };
        for chunk in changed.chunks(500) {
            changed_rows.extend(repo::decision_rows_of(db, chunk).await?);
        }
        let mut snap = self.inner.write().expect("access snapshot lock");
        for id in &changed {
            if let Some(mdm) = snap.mdm_of.remove(id) {
                snap.by_mdm.remove(&mdm);
            }
        }
        for row in changed_rows {
            snap.insert(row);
        }
        snap.last_seq = snap.last_seq.max(max_seq);
        snap.fresh_at = Some(Instant::now());
        Ok(())
    }

    /// The newest entry of the access change log this snapshot has applied; `None` before
    /// the first load. Lets a caller wait until the node has seen a change.
    pub fn applied_up_to(&self) -> Option<i64> {
        let snap = self.inner.read().expect("access snapshot lock");
        snap.fresh_at.map(|_| snap.last_seq)
    }

    /// Refreshes every [`POLL_EVERY`] for as long as the process runs.
    pub fn spawn_refresher(&self, db: Db) {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                tick.tick().await;
                match cache.refresh(&db).await {
                    Ok(()) => failing = false,
                    // Logged once per outage, not ten times a second.
                    Err(err) if !failing => {
                        failing = true;
                        tracing::error!(error = %err, "refreshing the access snapshot failed");
                    }
                    Err(_) => {}
                }
            }
        });
    }
}

impl Snapshot {
    /// Adds one decision row (a device may have several: one per standing).
    fn insert(&mut self, mut row: DecisionRow) {
        let mdm: Arc<str> = match self.mdm_of.get(&row.device_id) {
            Some(known) if **known == *row.mdm_id => known.clone(),
            _ => Arc::from(row.mdm_id.as_str()),
        };
        self.mdm_of.insert(row.device_id, mdm.clone());
        let device = self.by_mdm.entry(mdm).or_insert(Device {
            retired: row.retired,
            standings: Vec::new(),
        });
        device.retired = row.retired;
        if row.rule.is_some() && row.state.is_some() {
            // The map's key says it already.
            row.mdm_id = String::new();
            device.standings.push(row);
        }
    }
}
