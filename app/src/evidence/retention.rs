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
use crate::db::{begin_write, Db};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RetentionReport {
    pub pseudonymised: usize,
    /// Acknowledgments still due (only when the run was limited by `max`).
    pub remaining: i64,
}

const DUE: &str = "FROM acknowledgment k JOIN circular_version v ON v.id = k.version_id JOIN circular c ON c.id = v.circular_id
     WHERE k.pseudonymised_at IS NULL AND v.published_at IS NOT NULL
       AND julianday(substr(v.published_at, 1, 19)) + c.retention_days <= julianday(substr($1, 1, 19))";

/// Pseudonymises up to `max` due acknowledgments (all when `None`).
pub async fn apply(
    db: &Db,
    now: DateTime<Utc>,
    max: Option<usize>,
) -> Result<RetentionReport, sqlx::Error> {
    let now_text = now.to_rfc3339();
    let due: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT k.id, k.user_id {DUE} ORDER BY k.id LIMIT $2"
    ))
    .bind(&now_text)
    .bind(max.map(|m| m as i64).unwrap_or(i64::MAX))
    .fetch_all(db)
    .await?;
    let mut pseudonyms: HashMap<i64, i64> = HashMap::new();
    let mut done = 0;
    for (ack, user) in due {
        let mut tx = begin_write(db).await?;
        let salt: Option<String> = sqlx::query_scalar(
            "SELECT person_salt FROM acknowledgment WHERE id = $1 AND pseudonymised_at IS NULL",
        )
        .bind(ack)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
        let Some(salt) = salt else {
            // Already handled by a concurrent run, or never sealed with a salt.
            tx.rollback().await?;
            continue;
        };
        let pseudonym = match pseudonyms.get(&user) {
            Some(p) => *p,
            None => {
                let p = create_pseudonym(&mut tx, now).await?;
                pseudonyms.insert(user, p);
                p
            }
        };
        let linked: Vec<(i64, String)> = sqlx::query_as("SELECT device_id, attestation FROM acknowledgment_device WHERE ack_id = $1 ORDER BY device_id")
            .bind(ack)
            .fetch_all(&mut *tx)
            .await?;
        let kept: Vec<(String, String)> = linked
            .into_iter()
            .map(|(d, a)| (device_commitment(&salt, d), a))
            .collect();
        sqlx::query("DELETE FROM acknowledgment_device WHERE ack_id = $1")
            .bind(ack)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE acknowledgment SET user_id = $1, person_salt = NULL, pseudonymised_devices = $2, pseudonymised_at = $3 WHERE id = $4",
        )
        .bind(pseudonym)
        .bind(serde_json::to_string(&kept).expect("plain data"))
        .bind(now)
        .bind(ack)
        .execute(&mut *tx)
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
    let remaining: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {DUE}"))
        .bind(&now_text)
        .fetch_one(db)
        .await?;
    Ok(RetentionReport {
        pseudonymised: done,
        remaining,
    })
}

async fn create_pseudonym(tx: &mut crate::db::Tx, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    let tag = super::repo::new_salt();
    let root: i64 =
        sqlx::query_scalar("SELECT id FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1")
            .fetch_one(&mut **tx)
            .await?;
    sqlx::query_scalar(
        "INSERT INTO users (email, display_name, personnel_no, org_unit_id, locale, password_hash, active, unit_since, created_at, updated_at)
         VALUES ($1, $2, NULL, $3, 'de', NULL, FALSE, $4, $4, $4) RETURNING id",
    )
    .bind(format!("pseudonym-{tag}@invalid"))
    .bind(format!("Pseudonym {}", &tag[..8]))
    .bind(root)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}
