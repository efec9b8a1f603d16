//! SQL of tracking. The roll-up is one grouped query over the children of the selected unit
//! (each child's subtree is an index range on the materialised path) plus one for the people
//! directly in the unit — never a per-person loop in Rust.
use super::RollupRow;
use crate::circulars::repo::{HAS_VALID_ACK, IN_AUDIENCE, PERSONAL_DEADLINE};
use crate::db::Db;
use crate::org::OrgUnitId;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;

/// Active devices of user `u` without a clean statement in an acknowledgment that counts.
const UNCLEAN_DEVICES: &str = "(SELECT COUNT(*) FROM device d WHERE d.owner_id = u.id AND d.retired_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM acknowledgment k2 JOIN circular_version kv2 ON kv2.id = k2.version_id JOIN acknowledgment_device ad ON ad.ack_id = k2.id
     WHERE k2.user_id = u.id AND kv2.circular_id = v.circular_id AND kv2.version_no >= v.ack_basis_no AND ad.device_id = d.id
       AND ad.attestation IN ('none_installed', 'not_used_for_work')))";

#[derive(FromRow)]
struct CountRow {
    unit_id: i64,
    audience: i64,
    acknowledged: i64,
    overdue: i64,
    devices_unclean: i64,
}

fn counts_select() -> String {
    format!(
        "COUNT(u.id) AS audience,
         COALESCE(SUM(CASE WHEN {HAS_VALID_ACK} THEN 1 ELSE 0 END), 0) AS acknowledged,
         COALESCE(SUM(CASE WHEN NOT {HAS_VALID_ACK} AND {PERSONAL_DEADLINE} < $2 THEN 1 ELSE 0 END), 0) AS overdue,
         COALESCE(SUM({UNCLEAN_DEVICES}), 0) AS devices_unclean"
    )
}

/// Roll-up rows for the children of `unit` and for the people directly in it.
pub async fn rollup(
    db: &Db,
    version: i64,
    unit: OrgUnitId,
    today: NaiveDate,
    late_days: i64,
) -> Result<Vec<RollupRow>, sqlx::Error> {
    let children: Vec<(i64, String, bool)> = sqlx::query_as(
        "SELECT c.id, c.name, EXISTS (SELECT 1 FROM org_unit g WHERE g.parent_id = c.id) FROM org_unit c WHERE c.parent_id = $1 ORDER BY c.code",
    )
    .bind(unit)
    .fetch_all(db)
    .await?;
    // Acknowledgments that count and clean device statements are computed once per query (CTEs)
    // and joined, instead of looked up per person.
    let grouped: Vec<CountRow> = sqlx::query_as(&format!(
        "WITH v AS (SELECT * FROM circular_version WHERE id = $1),
              valid AS (SELECT k.id, k.user_id FROM acknowledgment k JOIN circular_version kv ON kv.id = k.version_id
                          JOIN v ON kv.circular_id = v.circular_id AND kv.version_no >= v.ack_basis_no),
              acked AS (SELECT DISTINCT user_id FROM valid),
              clean AS (SELECT DISTINCT ad.device_id FROM valid JOIN acknowledgment_device ad ON ad.ack_id = valid.id
                         WHERE ad.attestation IN ('none_installed', 'not_used_for_work')),
              unclean AS (SELECT d.owner_id, COUNT(*) AS n FROM device d
                           WHERE d.retired_at IS NULL AND d.id NOT IN (SELECT device_id FROM clean) GROUP BY d.owner_id)
         SELECT ch.id AS unit_id, COUNT(u.id) AS audience,
                COALESCE(SUM(CASE WHEN a.user_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS acknowledged,
                COALESCE(SUM(CASE WHEN a.user_id IS NULL AND {PERSONAL_DEADLINE} < $2 THEN 1 ELSE 0 END), 0) AS overdue,
                COALESCE(SUM(COALESCE(un.n, 0)), 0) AS devices_unclean
           FROM org_unit ch
           JOIN org_unit uo ON uo.path >= ch.path AND uo.path < substr(ch.path, 1, length(ch.path) - 1) || '0'
           JOIN users u ON u.org_unit_id = uo.id AND u.active
           CROSS JOIN v
           LEFT JOIN acked a ON a.user_id = u.id
           LEFT JOIN unclean un ON un.owner_id = u.id
          WHERE ch.parent_id = $4 AND {IN_AUDIENCE}
          GROUP BY ch.id"
    ))
    .bind(version)
    .bind(today)
    .bind(late_days)
    .bind(unit)
    .fetch_all(db)
    .await?;
    let direct: CountRow = sqlx::query_as(&format!(
        "SELECT $4 AS unit_id, {}
           FROM users u JOIN org_unit uo ON uo.id = u.org_unit_id, circular_version v
          WHERE v.id = $1 AND u.active AND u.org_unit_id = $4 AND {IN_AUDIENCE}",
        counts_select()
    ))
    .bind(version)
    .bind(today)
    .bind(late_days)
    .bind(unit)
    .fetch_one(db)
    .await?;
    let mut rows: Vec<RollupRow> = children
        .into_iter()
        .map(|(id, name, has_children)| {
            let c = grouped.iter().find(|g| g.unit_id == id);
            RollupRow {
                unit_id: Some(OrgUnitId(id)),
                unit_name: name,
                has_children,
                audience: c.map_or(0, |c| c.audience),
                acknowledged: c.map_or(0, |c| c.acknowledged),
                overdue: c.map_or(0, |c| c.overdue),
                devices_unclean: c.map_or(0, |c| c.devices_unclean),
            }
        })
        .collect();
    if direct.audience > 0 {
        rows.push(RollupRow {
            unit_id: None,
            unit_name: String::new(),
            has_children: false,
            audience: direct.audience,
            acknowledged: direct.acknowledged,
            overdue: direct.overdue,
            devices_unclean: direct.devices_unclean,
        });
    }
    Ok(rows)
}

#[derive(FromRow)]
pub struct OpenRow {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub locale: String,
    pub unit_path: String,
    pub unit_name: String,
    pub ack_deadline: NaiveDate,
    pub published_at: DateTime<Utc>,
    pub unit_since: DateTime<Utc>,
    pub reminders_sent: i64,
}

impl OpenRow {
    /// This person's own deadline (late joiners get more time).
    pub fn deadline(&self, late_joiner_days: i64) -> NaiveDate {
        crate::circulars::rules::personal_deadline(
            self.ack_deadline,
            self.published_at.date_naive(),
            self.unit_since.date_naive(),
            late_joiner_days,
        )
    }
}

/// People in the subtree `[lo, hi)` who are addressed and have not acknowledged.
pub async fn open_people(
    db: &Db,
    version: i64,
    lo: &str,
    hi: &str,
) -> Result<Vec<OpenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT u.id, u.display_name, u.email, u.locale, uo.path AS unit_path, uo.name AS unit_name, v.ack_deadline, v.published_at, u.unit_since,
                (SELECT COUNT(*) FROM mail_outbox m WHERE m.sent_at IS NOT NULL
                    AND (m.dedupe_key LIKE 'reminder:' || v.id || ':' || u.id || ':%' OR m.dedupe_key LIKE 'manual:' || v.id || ':' || u.id || ':%')) AS reminders_sent
           FROM users u JOIN org_unit uo ON uo.id = u.org_unit_id, circular_version v
          WHERE v.id = $1 AND u.active AND uo.path >= $2 AND uo.path < $3 AND {IN_AUDIENCE} AND NOT {HAS_VALID_ACK}
          ORDER BY u.display_name, u.id"
    ))
    .bind(version)
    .bind(lo)
    .bind(hi)
    .fetch_all(db)
    .await
}

/// Published versions, newest first.
pub async fn published(db: &Db) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT v.id, c.number, v.title FROM circular_version v JOIN circular c ON c.id = v.circular_id WHERE v.status = 'published' ORDER BY c.id DESC",
    )
    .fetch_all(db)
    .await
}
