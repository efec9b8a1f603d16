//! Retention: when a circular's retention period has passed for a version (counted from its
//! publication), the personal data in its acknowledgments is pseudonymised:
//!
//! * the acknowledgment moves to a fresh pseudonym user (one per person and run; the mapping
//!   is not stored), and the salt that tied the person commitment to the real user is deleted;
//! * the links to the person's device rows are replaced by the device commitments the chain
//!   already covers.
//!
//! The canonical content of the acknowledgment does not change, so the evidence chain still
//! verifies, while nobody can tell any more whose acknowledgment it was. Each acknowledgment is
//! handled in its own transaction: an interrupted run leaves only whole steps behind and the
//! next run completes the rest.
use super::chain::device_commitment;
use super::repo;
use crate::db::{begin_write, Db};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RetentionReport {
    pub pseudonymised: usize,
    /// Acknowledgments still due (only when the run was limited by `max`).
    pub remaining: i64,
}

/// Pseudonymises up to `max` due acknowledgments (all when `None`).
pub async fn apply(
    db: &Db,
    now: DateTime<Utc>,
    max: Option<usize>,
) -> Result<RetentionReport, sqlx::Error> {
    let now_text = now.to_rfc3339();
    let due = repo::retention_due(db, &now_text, max.map(|m| m as i64).unwrap_or(i64::MAX)).await?;
    let mut pseudonyms: HashMap<i64, i64> = HashMap::new();
    let mut done = 0;
    for (ack, user) in due {
        let mut tx = begin_write(db).await?;
        let Some(salt) = repo::unpseudonymised_salt(&mut tx, ack).await? else {
            // Already handled by a concurrent run, or never sealed with a salt.
            tx.rollback().await?;
            continue;
        };
        let pseudonym = match pseudonyms.get(&user) {
            Some(p) => *p,
            None => {
                let p = repo::insert_pseudonym(&mut tx, now).await?;
                pseudonyms.insert(user, p);
                p
            }
        };
        let kept: Vec<(String, String)> = repo::ack_devices(&mut *tx, ack)
            .await?
            .into_iter()
            .map(|(d, a)| (device_commitment(&salt, d), a))
            .collect();
        repo::pseudonymise(
            &mut tx,
            ack,
            pseudonym,
            &serde_json::to_string(&kept).expect("plain data"),
            now,
        )
        .await?;
        tx.commit().await?;
        done += 1;
    }
    if done > 0 {
        let mut tx = begin_write(db).await?;
        crate::org::repo::audit(
            &mut tx,
            None,
            "retention.pseudonymise",
            "acknowledgments",
            serde_json::json!({"count": done}),
            now,
        )
        .await?;
        tx.commit().await?;
    }
    let remaining = repo::retention_due_count(db, &now_text).await?;
    Ok(RetentionReport {
        pseudonymised: done,
        remaining,
    })
}
