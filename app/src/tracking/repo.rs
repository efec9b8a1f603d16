//! SQL of tracking. The roll-up sums pre-aggregated counts (per version, unit and personal
//! deadline; recomputed by one grouped query whenever their inputs changed) over the children
//! of the selected unit — never a per-person loop in Rust.
use super::RollupRow;
use crate::circulars::repo::{HAS_VALID_ACK, IN_AUDIENCE};
use crate::db::Db;
use crate::org::OrgUnitId;
use chrono::NaiveDate;
use sqlx::FromRow;

#[derive(FromRow)]
struct CountRow {
    unit_id: i64,
    audience: i64,
    acknowledged: i64,
    overdue: i64,
    devices_unclean: i64,
}

/// Sums of the pre-aggregated counts (`r`) grouped by `unit_id`; `$2` is today.
const SUMS: &str = "COALESCE(SUM(r.audience), 0) AS audience, COALESCE(SUM(r.acknowledged), 0) AS acknowledged,
        COALESCE(SUM(CASE WHEN r.deadline < $2 THEN r.audience - r.acknowledged ELSE 0 END), 0) AS overdue,
        COALESCE(SUM(r.unclean), 0) AS devices_unclean";

/// Roll-up rows for the children of `unit` and for the people directly in it: sums of the
/// pre-aggregated counts over each child's subtree (an index range on the materialised path).
/// On a snapshot in which they are current (see `counts::rollup`).
pub async fn rollup(
    tx: &mut crate::db::Tx,
    version: i64,
    unit: OrgUnitId,
    today: NaiveDate,
) -> Result<Vec<RollupRow>, sqlx::Error> {
    let children: Vec<(i64, String, bool)> = sqlx::query_as(
        "SELECT c.id, c.name, EXISTS (SELECT 1 FROM org_unit g WHERE g.parent_id = c.id) FROM org_unit c WHERE c.parent_id = $1 ORDER BY c.code",
    )
    .bind(unit)
    .fetch_all(&mut **tx)
    .await?;
    let grouped: Vec<CountRow> = sqlx::query_as(&format!(
        "SELECT ch.id AS unit_id, {SUMS}
           FROM org_unit ch
           JOIN org_unit uo ON {in_subtree}
           JOIN rollup_count r ON r.version_id = $1 AND r.unit_id = uo.id
          WHERE ch.parent_id = $3
          GROUP BY ch.id",
        in_subtree = crate::sql_in_subtree!("uo.path", "ch.path"),
    ))
    .bind(version)
    .bind(today)
    .bind(unit)
    .fetch_all(&mut **tx)
    .await?;
    let direct: CountRow = sqlx::query_as(&format!(
        "SELECT $3 AS unit_id, {SUMS} FROM rollup_count r WHERE r.version_id = $1 AND r.unit_id = $3"
    ))
    .bind(version)
    .bind(today)
    .bind(unit)
    .fetch_one(&mut **tx)
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
    pub locale: crate::i18n::Locale,
    pub unit_path: crate::org::UnitPath,
    pub unit_name: String,
    #[sqlx(flatten)]
    pub basis: crate::circulars::repo::DeadlineBasis,
    pub reminders_sent: i64,
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

/// What `server bench-rollup` times: the oldest published whole-city version (it has
/// acknowledgments), the root unit and the first Amt.
pub async fn bench_targets(db: &Db) -> Result<(i64, OrgUnitId, OrgUnitId), sqlx::Error> {
    let version: i64 = sqlx::query_scalar(
        "SELECT MIN(v.id) FROM circular_version v WHERE v.whole_city AND v.status = 'published'",
    )
    .fetch_one(db)
    .await?;
    let mut tx = crate::db::begin_read(db).await?;
    let root = crate::org::repo::root_unit(&mut tx)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    tx.commit().await?;
    let amt: i64 =
        sqlx::query_scalar("SELECT id FROM org_unit WHERE kind = 'amt' ORDER BY id LIMIT 1")
            .fetch_one(db)
            .await?;
    Ok((version, root, OrgUnitId(amt)))
}
