//! The pre-aggregated acknowledgment counts (`rollup_count`, see the migrations
//! `rollup_counts` and `rollup_deltas`): per published version, unit and personal deadline,
//! the audience, how many acknowledged and how many of their devices lack a clean statement.
//!
//! Frequent changes (acknowledgments, device statements, devices, people) keep the stored
//! counts current through triggers in their own transaction. A version's counts are (re)built
//! only when they are missing or a rare change made them stale (a version or its audience
//! changed, the tree was restructured, retention deleted rows, the late-joiner setting
//! changed); [`ensure`] then rebuilds them in short write transactions of a few hundred
//! people each, so acknowledgments never wait long behind a rebuild.
use crate::circulars::repo::{HAS_VALID_ACK, IN_AUDIENCE, PERSONAL_DEADLINE};
use crate::circulars::AckCounts;
use crate::db::{begin_read, begin_write, Db, Tx};
use chrono::NaiveDate;
use std::collections::HashMap;

/// Imports with more rows than this suspend the per-row deltas and mark every version's
/// counts stale instead (one rebuild per version is cheaper than a delta per row and version).
pub const BULK_ROWS: usize = 200;

/// About how many people one rebuild transaction counts (a few milliseconds of the writer).
const CHUNK_PEOPLE: i64 = 500;

/// Chunked rebuilds that a rare change interrupted before the last one is done in a single
/// transaction (always exact, but it holds the writer for the whole count).
const CHUNKED_ATTEMPTS: usize = 3;

/// One rebuild at a time per process: two requests that find the same version stale do not
/// both count it, and a sweep over many versions leaves the machine's other core free.
static BUILDING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Whether a background sweep over stale versions is running in this process.
static SWEEPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// "The stored counts of `s` are complete and current" (`e` is `tracking_epoch`, `late` the
/// parameter holding the late-joiner days).
fn current(late: &str) -> String {
    format!("s.complete AND s.epoch = e.n AND s.late_days = {late}")
}

/// `('published', …)`: the states of versions with counts (`VersionStatus::has_counts`).
fn counted_states() -> String {
    let states: Vec<String> = crate::circulars::VersionStatus::ALL
        .iter()
        .filter(|s| s.has_counts())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", states.join(", "))
}

/// Makes sure the stored counts of `version` are complete and current, rebuilding them if
/// not. Returns once they are.
pub async fn ensure(db: &Db, version: i64, late_days: i64) -> Result<(), sqlx::Error> {
    if is_current(db, version, late_days).await? {
        return Ok(());
    }
    let _one = BUILDING.lock().await;
    for _ in 0..CHUNKED_ATTEMPTS {
        if is_current(db, version, late_days).await?
            || build_chunked(db, version, late_days).await?
        {
            return Ok(());
        }
    }
    build_at_once(db, version, late_days).await
}

async fn is_current(
    db: impl sqlx::SqliteExecutor<'_>,
    version: i64,
    late_days: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM rollup_state s, tracking_epoch e WHERE s.version_id = $1 AND {current})",
        current = current("$2")
    ))
    .bind(version)
    .bind(late_days)
    .fetch_one(db)
    .await
}

/// The roll-up rows of `unit` for `version` (see `repo::rollup`), read on a snapshot in
/// which the stored counts are complete and current: a rebuild that another request or the
/// counts job starts meanwhile empties them first, and half-rebuilt counts are never shown.
pub async fn rollup(
    db: &Db,
    version: i64,
    unit: crate::org::OrgUnitId,
    today: NaiveDate,
    late_days: i64,
) -> Result<Vec<super::RollupRow>, sqlx::Error> {
    loop {
        ensure(db, version, late_days).await?;
        let mut snapshot = begin_read(db).await?;
        if is_current(&mut *snapshot, version, late_days).await? {
            let rows = super::repo::rollup(&mut snapshot, version, unit, today).await?;
            snapshot.rollback().await?;
            return Ok(rows);
        }
    }
}

/// Totals of every version whose stored counts are current (a version missing from the map
/// is being counted or not published).
pub async fn current_totals(
    db: &Db,
    today: NaiveDate,
    late_days: i64,
) -> Result<HashMap<i64, AckCounts>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT s.version_id, COALESCE(SUM(r.audience), 0), COALESCE(SUM(r.acknowledged), 0),
                COALESCE(SUM(CASE WHEN r.deadline < $1 THEN r.audience - r.acknowledged ELSE 0 END), 0)
           FROM rollup_state s CROSS JOIN tracking_epoch e LEFT JOIN rollup_count r ON r.version_id = s.version_id
          WHERE {current}
          GROUP BY s.version_id",
        current = current("$2")
    ))
    .bind(today)
    .bind(late_days)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(v, audience, acknowledged, overdue)| {
            (
                v,
                AckCounts {
                    audience,
                    acknowledged,
                    open: audience - acknowledged,
                    overdue,
                },
            )
        })
        .collect())
}

/// The totals of one version, rebuilt first if they are stale (read only where they are
/// complete and current, like [`rollup`]).
pub async fn totals(
    db: &Db,
    version: i64,
    today: NaiveDate,
    late_days: i64,
) -> Result<AckCounts, sqlx::Error> {
    loop {
        ensure(db, version, late_days).await?;
        let sums: Option<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT COALESCE(SUM(r.audience), 0), COALESCE(SUM(r.acknowledged), 0),
                    COALESCE(SUM(CASE WHEN r.deadline < $3 THEN r.audience - r.acknowledged ELSE 0 END), 0)
               FROM rollup_state s CROSS JOIN tracking_epoch e LEFT JOIN rollup_count r ON r.version_id = s.version_id
              WHERE s.version_id = $1 AND {current}
              GROUP BY s.version_id",
            current = current("$2")
        ))
        .bind(version)
        .bind(late_days)
        .bind(today)
        .fetch_optional(db)
        .await?;
        if let Some((audience, acknowledged, overdue)) = sums {
            return Ok(AckCounts {
                audience,
                acknowledged,
                open: audience - acknowledged,
                overdue,
            });
        }
    }
}

/// Starts a background task that rebuilds the stale counts of every counted version, one
/// after the other, unless one runs already in this process. Returns at once.
pub fn sweep_in_background(db: &Db, late_days: i64) {
    use std::sync::atomic::Ordering;
    if SWEEPING.swap(true, Ordering::AcqRel) {
        return;
    }
    let db = db.clone();
    tokio::spawn(async move {
        if let Err(e) = sweep(&db, late_days).await {
            tracing::warn!(error = %e, "rebuilding acknowledgment counts failed");
        }
        SWEEPING.store(false, Ordering::Release);
    });
}

/// Rebuilds the stale counts of the versions pages show without being asked (published ones
/// and the newest version of each circular); returns how many it rebuilt. (The background
/// job after start and after rare changes, so that pages find them current; an older
/// version's counts are rebuilt when its page asks.)
pub async fn sweep(db: &Db, late_days: i64) -> Result<usize, sqlx::Error> {
    let stale: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT v.id FROM circular_version v CROSS JOIN tracking_epoch e
           LEFT JOIN rollup_state s ON s.version_id = v.id
          WHERE (v.status = 'published' OR (v.status IN {counted}
                 AND v.version_no = (SELECT MAX(l.version_no) FROM circular_version l WHERE l.circular_id = v.circular_id)))
            AND NOT COALESCE({current}, FALSE)
          ORDER BY v.id DESC",
        counted = counted_states(),
        current = current("$1")
    ))
    .bind(late_days)
    .fetch_all(db)
    .await?;
    for &version in &stale {
        ensure(db, version, late_days).await?;
    }
    Ok(stale.len())
}

/// Inside a bulk change (an import of thousands of people or devices): the per-row deltas
/// are switched off for this transaction and every version's counts are marked stale
/// instead. Call [`resume_deltas`] before committing.
pub async fn suspend_deltas(tx: &mut Tx) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO rollup_suspended (id) VALUES (1) ON CONFLICT (id) DO NOTHING")
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE tracking_epoch SET n = n + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends [`suspend_deltas`] in the same transaction (no other transaction ever sees the flag).
pub async fn resume_deltas(tx: &mut Tx) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rollup_suspended")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The grouped count of the people of units `$3 < id <= $4` for version `$1` (`$2`: the
/// late-joiner days): one row per unit and personal deadline. Per person a few index
/// lookups: their valid acknowledgment, their active devices without a clean statement.
fn count_sql(units: &str) -> String {
    format!(
        "INSERT INTO rollup_count (version_id, unit_id, deadline, audience, acknowledged, unclean)
         SELECT v.id, u.org_unit_id, {deadline} AS deadline, COUNT(*),
                SUM(CASE WHEN {HAS_VALID_ACK} THEN 1 ELSE 0 END),
                SUM((SELECT COUNT(*) FROM device d WHERE d.owner_id = u.id AND d.retired_at IS NULL
                       AND NOT EXISTS (SELECT 1 FROM acknowledgment_device cd JOIN acknowledgment ck ON ck.id = cd.ack_id
                                         JOIN circular_version cv ON cv.id = ck.version_id
                                        WHERE cd.device_id = d.id AND cd.attestation IN ('none_installed', 'not_used_for_work')
                                          AND cv.circular_id = v.circular_id AND cv.version_no >= v.ack_basis_no)))
           FROM circular_version v, users u JOIN org_unit uo ON uo.id = u.org_unit_id
          WHERE v.id = $1 AND u.active AND {units} AND {IN_AUDIENCE}
          GROUP BY u.org_unit_id, deadline",
        deadline = PERSONAL_DEADLINE.replace("$3", "$2"),
    )
}

/// Starts a rebuild: the state row says "incomplete, build n" and the old rows are gone.
/// Returns the build number and the epoch it started at.
async fn start(tx: &mut Tx, version: i64, late_days: i64) -> Result<(i64, i64), sqlx::Error> {
    let epoch: i64 = sqlx::query_scalar("SELECT n FROM tracking_epoch")
        .fetch_one(&mut **tx)
        .await?;
    let build: i64 = sqlx::query_scalar(
        "INSERT INTO rollup_state (version_id, epoch, late_days, complete, build) VALUES ($1, $2, $3, FALSE, 1)
         ON CONFLICT (version_id) DO UPDATE SET epoch = excluded.epoch, late_days = excluded.late_days,
                complete = FALSE, build = rollup_state.build + 1
         RETURNING build",
    )
    .bind(version)
    .bind(epoch)
    .bind(late_days)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM rollup_count WHERE version_id = $1")
        .bind(version)
        .execute(&mut **tx)
        .await?;
    Ok((build, epoch))
}

/// Marks build `build` complete if no rare change moved the epoch since it started.
async fn finish(tx: &mut Tx, version: i64, build: i64, epoch: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE rollup_state SET complete = TRUE
          WHERE version_id = $1 AND build = $2 AND epoch = $3 AND epoch = (SELECT n FROM tracking_epoch)",
    )
    .bind(version)
    .bind(build)
    .bind(epoch)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A rebuild in chunks of units; `false` when a rare change or another rebuild interrupted
/// it (the caller tries again).
async fn build_chunked(db: &Db, version: i64, late_days: i64) -> Result<bool, sqlx::Error> {
    let mut tx = begin_write(db).await?;
    let (build, epoch) = start(&mut tx, version, late_days).await?;
    tx.commit().await?;

    let mut read = begin_read(db).await?;
    let people: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT org_unit_id, COUNT(*) FROM users WHERE active GROUP BY org_unit_id ORDER BY org_unit_id",
    )
    .fetch_all(&mut *read)
    .await?;
    read.rollback().await?;
    let sql = count_sql("u.org_unit_id > $3 AND u.org_unit_id <= $4");
    for (lo, hi) in super::rules::unit_chunks(&people, CHUNK_PEOPLE) {
        let mut tx = begin_write(db).await?;
        let ours: Option<i64> =
            sqlx::query_scalar("SELECT build FROM rollup_state WHERE version_id = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
        if ours != Some(build) {
            return Ok(false);
        }
        sqlx::query(
            "DELETE FROM rollup_count WHERE version_id = $1 AND unit_id > $2 AND unit_id <= $3",
        )
        .bind(version)
        .bind(lo)
        .bind(hi)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&sql)
            .bind(version)
            .bind(late_days)
            .bind(lo)
            .bind(hi)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    let mut tx = begin_write(db).await?;
    let done = finish(&mut tx, version, build, epoch).await?;
    tx.commit().await?;
    Ok(done)
}

/// A rebuild in one write transaction: exact whatever happens meanwhile, used when chunked
/// rebuilds keep being interrupted.
async fn build_at_once(db: &Db, version: i64, late_days: i64) -> Result<(), sqlx::Error> {
    let mut tx = begin_write(db).await?;
    let (build, epoch) = start(&mut tx, version, late_days).await?;
    sqlx::query(&count_sql("TRUE"))
        .bind(version)
        .bind(late_days)
        .execute(&mut *tx)
        .await?;
    finish(&mut tx, version, build, epoch).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The triggers of migration `rollup_deltas` repeat the audience, valid-acknowledgment
    /// and deadline expressions of the rebuild; they must stay identical.
    #[test]
    fn the_delta_triggers_use_the_same_expressions_as_the_rebuild() {
        let migration = include_str!("../../../server/migrations/20261124000003_rollup_deltas.sql");
        assert!(migration.contains(IN_AUDIENCE));
        assert!(migration.contains(HAS_VALID_ACK));
        assert!(migration.contains(&PERSONAL_DEADLINE.replace("$3", "rs.late_days")));
    }
}
