//! SQL of the compliance domain. Writers take a `Tx` started with `BEGIN IMMEDIATE`.
//!
//! App lists are stored comma-separated (sorted) in `device_compliance.apps` and
//! `compliance_transition.apps`, the form the evidence chain hashes; this module is the only
//! place that joins and splits them.
use super::rules::Standing;
use super::{AppId, Cause, ComplianceState, ExemptionId, Rule};
use crate::circulars::{CircularId, VersionId};
use crate::db::{Db, Tx};
use crate::devices::{DeviceId, Platform};
use crate::org::UnitPath;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use std::collections::{HashMap, HashSet};

/// A circular whose published version prohibits apps: the rules the engine applies.
#[derive(Debug, Clone)]
pub struct InForce {
    pub circular_id: CircularId,
    pub version_id: VersionId,
    pub number: String,
    pub title: String,
    pub effective_on: NaiveDate,
    pub apps: HashSet<(Platform, AppId)>,
}

impl InForce {
    pub fn rule(&self) -> Rule {
        Rule::Circular(self.circular_id)
    }

    /// The circular's prohibited identifiers on one platform.
    pub fn apps_on(&self, platform: Platform) -> HashSet<AppId> {
        self.apps
            .iter()
            .filter(|(p, _)| *p == platform)
            .map(|(_, a)| a.clone())
            .collect()
    }
}

/// Sorted, comma-separated: the stored form of an app list.
pub fn join_apps(apps: &[AppId]) -> String {
    let mut ids: Vec<&str> = apps.iter().map(AppId::as_str).collect();
    ids.sort_unstable();
    ids.join(",")
}

fn split_apps(apps: &str) -> Vec<AppId> {
    apps.split(',')
        .filter(|a| !a.is_empty())
        .map(AppId::normalise)
        .collect()
}

/// Published (current) versions with prohibited apps. Withdrawn circulars have no published
/// version, so their bans end.
pub async fn in_force<'e, E: sqlx::SqliteExecutor<'e>>(ex: E) -> Result<Vec<InForce>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        circular_id: CircularId,
        version_id: VersionId,
        number: String,
        title: String,
        effective_on: NaiveDate,
        platform: Platform,
        app_identifier: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT v.circular_id, v.id AS version_id, c.number, v.title, v.effective_on, p.platform, p.app_identifier
           FROM circular_version v JOIN circular c ON c.id = v.circular_id
           JOIN prohibited_app p ON p.version_id = v.id
          WHERE v.status = 'published' ORDER BY v.circular_id",
    )
    .fetch_all(ex)
    .await?;
    let mut out: Vec<InForce> = vec![];
    for r in rows {
        let platform = r.platform;
        if out.last().map(|l| l.circular_id) != Some(r.circular_id) {
            out.push(InForce {
                circular_id: r.circular_id,
                version_id: r.version_id,
                number: r.number,
                title: r.title,
                effective_on: r.effective_on,
                apps: HashSet::new(),
            });
        }
        let last = out.last_mut().expect("pushed above");
        last.apps
            .insert((platform, AppId::normalise(&r.app_identifier)));
    }
    Ok(out)
}

/// A device as the engine needs it, with its owner's mail address and language.
#[derive(Debug, Clone, FromRow)]
pub struct DeviceRow {
    pub id: DeviceId,
    pub owner_id: crate::org::UserId,
    /// Imported or auto-registered (the owner's own registration is not vouched for).
    pub managed_at: Option<DateTime<Utc>>,
    pub platform: Platform,
    pub label: String,
    pub mdm_id: Option<String>,
    pub registered_at: DateTime<Utc>,
    pub last_inventory_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    pub owner_email: String,
    pub owner_name: String,
    pub owner_locale: crate::i18n::Locale,
    /// Stored prohibited matches, comma-separated (read along to save round trips on the
    /// report path, which runs under the write lock); see `matched_apps`.
    matches: Option<String>,
    /// Whether any standing is stored for the device (most devices have none).
    pub has_standings: bool,
}

impl DeviceRow {
    pub fn matched_apps(&self) -> HashSet<AppId> {
        split_apps(self.matches.as_deref().unwrap_or_default())
            .into_iter()
            .collect()
    }
}

const DEVICE_SELECT: &str = "SELECT d.id, d.owner_id, d.managed_at, d.platform, d.label, d.mdm_id, d.registered_at, d.last_inventory_at, d.retired_at,
        u.email AS owner_email, u.display_name AS owner_name, u.locale AS owner_locale,
        (SELECT group_concat(m.app_identifier) FROM device_app_match m WHERE m.device_id = d.id) AS matches,
        EXISTS (SELECT 1 FROM device_compliance s WHERE s.device_id = d.id) AS has_standings
   FROM device d JOIN users u ON u.id = d.owner_id";

pub async fn device_by_mdm(tx: &mut Tx, mdm_id: &str) -> Result<Option<DeviceRow>, sqlx::Error> {
    sqlx::query_as(&format!("{DEVICE_SELECT} WHERE d.mdm_id = $1"))
        .bind(mdm_id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn device_row(tx: &mut Tx, id: DeviceId) -> Result<Option<DeviceRow>, sqlx::Error> {
    sqlx::query_as(&format!("{DEVICE_SELECT} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// Devices the job must look at: with a prohibited match, with a non-compliant standing,
/// or possibly stale (has an MDM id and no report since `stale_before`), in id order. One
/// query per run (the stale part scans the devices): the job then walks the ids in batches.
pub async fn job_candidates(
    db: &Db,
    stale_before: Option<DateTime<Utc>>,
) -> Result<Vec<DeviceId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT device_id AS id FROM device_app_match
         UNION SELECT device_id FROM device_compliance WHERE state <> 'compliant'
         UNION SELECT id FROM device
          WHERE $1 IS NOT NULL AND mdm_id IS NOT NULL AND retired_at IS NULL
            AND coalesce(last_inventory_at, registered_at) < $1
         ORDER BY id",
    )
    .bind(stale_before)
    .fetch_all(db)
    .await
}

pub async fn set_platform_and_report_time(
    tx: &mut Tx,
    id: DeviceId,
    platform: Platform,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE device SET platform = $1, last_inventory_at = $2 WHERE id = $3")
        .bind(platform.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A prohibited app as reported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FoundApp {
    pub id: AppId,
    pub name: Option<String>,
    pub version: Option<String>,
}

/// Replaces the device's stored matches (`existing`) with those of the latest report,
/// keeping the time each app was first seen.
pub async fn replace_matches(
    tx: &mut Tx,
    device: DeviceId,
    existing: &HashSet<AppId>,
    matches: &[FoundApp],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for gone in existing
        .iter()
        .filter(|e| !matches.iter().any(|m| &m.id == *e))
    {
        sqlx::query("DELETE FROM device_app_match WHERE device_id = $1 AND app_identifier = $2")
            .bind(device)
            .bind(gone.as_str())
            .execute(&mut **tx)
            .await?;
    }
    for FoundApp { id, name, version } in matches {
        sqlx::query(
            "INSERT INTO device_app_match (device_id, app_identifier, display_name, app_version, first_seen_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (device_id, app_identifier) DO UPDATE SET display_name = excluded.display_name, app_version = excluded.app_version",
        )
        .bind(device)
        .bind(id.as_str())
        .bind(name)
        .bind(version)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A device's stored standing under one rule, with the apps recorded with it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub standing: Standing,
    pub apps: Vec<AppId>,
}

pub async fn standings_of(tx: &mut Tx, id: DeviceId) -> Result<HashMap<Rule, Stored>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        rule: Rule,
        state: ComplianceState,
        apps: String,
        warned_at: Option<DateTime<Utc>>,
        block_at: Option<DateTime<Utc>>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT rule, state, apps, warned_at, block_at FROM device_compliance WHERE device_id = $1",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.rule,
                Stored {
                    standing: Standing {
                        state: r.state,
                        warned_at: r.warned_at,
                        block_at: r.block_at,
                    },
                    apps: split_apps(&r.apps),
                },
            )
        })
        .collect())
}

/// Circulars from which the device is exempt on `today` (Berlin).
pub async fn exempt_circulars(
    tx: &mut Tx,
    id: DeviceId,
    today: NaiveDate,
) -> Result<HashSet<CircularId>, sqlx::Error> {
    let ids: Vec<CircularId> = sqlx::query_scalar(
        "SELECT circular_id FROM exemption WHERE device_id = $1 AND revoked_at IS NULL AND valid_until >= $2",
    )
    .bind(id)
    .bind(today)
    .fetch_all(&mut **tx)
    .await?;
    Ok(ids.into_iter().collect())
}

/// A change of one device's standing under one rule.
pub struct Transition<'a> {
    pub device: DeviceId,
    pub rule: Rule,
    pub from: ComplianceState,
    pub to: &'a Standing,
    /// The matched apps now.
    pub apps: &'a [AppId],
    pub cause: Cause,
    pub at: DateTime<Utc>,
}

/// Writes the new standing of a device under a rule and records the transition; returns
/// the transition's id.
pub async fn record_transition(tx: &mut Tx, t: &Transition<'_>) -> Result<i64, sqlx::Error> {
    let apps = join_apps(t.apps);
    sqlx::query(
        "INSERT INTO device_compliance (device_id, rule, circular_id, state, since, apps, warned_at, block_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (device_id, rule) DO UPDATE SET state = excluded.state, since = excluded.since,
            apps = excluded.apps, warned_at = excluded.warned_at, block_at = excluded.block_at",
    )
    .bind(t.device)
    .bind(t.rule)
    .bind(t.rule.circular())
    .bind(t.to.state)
    .bind(t.at)
    .bind(&apps)
    .bind(t.to.warned_at)
    .bind(t.to.block_at)
    .execute(&mut **tx)
    .await?;
    sqlx::query_scalar(
        "INSERT INTO compliance_transition (device_id, rule, from_state, to_state, at, cause, apps)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(t.device)
    .bind(t.rule)
    .bind(t.from)
    .bind(t.to.state)
    .bind(t.at)
    .bind(t.cause)
    .bind(&apps)
    .fetch_one(&mut **tx)
    .await
}

/// Updates only the matched apps of an unchanged standing (e.g. a second app appeared).
pub async fn update_apps(
    tx: &mut Tx,
    id: DeviceId,
    rule: Rule,
    apps: &[AppId],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE device_compliance SET apps = $1 WHERE device_id = $2 AND rule = $3")
        .bind(join_apps(apps))
        .bind(id)
        .bind(rule)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What the access decision reads: a device and one of its standings that (may) deny
/// (`rule` is `None` for a device without such standings).
#[derive(Debug, Clone, FromRow)]
pub struct DecisionRow {
    pub device_id: DeviceId,
    pub mdm_id: String,
    pub retired: bool,
    pub rule: Option<Rule>,
    pub state: Option<ComplianceState>,
    pub since: Option<DateTime<Utc>>,
    apps: Option<String>,
    pub block_at: Option<DateTime<Utc>>,
    pub number: Option<String>,
    pub title: Option<String>,
}

impl DecisionRow {
    pub fn apps(&self) -> Vec<AppId> {
        split_apps(self.apps.as_deref().unwrap_or_default())
    }
}

const DECISION_SELECT: &str = "SELECT d.id AS device_id, d.mdm_id, d.retired_at IS NOT NULL AS retired, s.rule, s.state, s.since, s.apps, s.block_at, c.number,
        (SELECT v.title FROM circular_version v WHERE v.circular_id = s.circular_id AND v.status = 'published') AS title
   FROM device d
   LEFT JOIN device_compliance s ON s.device_id = d.id AND s.state IN ('warned', 'blocked')
   LEFT JOIN circular c ON c.id = s.circular_id";

/// The decision rows of every managed device, as a stream (the access snapshot's first
/// load reads them one by one instead of into one vector).
pub fn all_decision_rows(
    db: &Db,
) -> impl futures_util::Stream<Item = Result<DecisionRow, sqlx::Error>> + Send + '_ {
    static ALL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{DECISION_SELECT} WHERE d.mdm_id IS NOT NULL"));
    sqlx::query_as(ALL.as_str()).fetch(db)
}

pub async fn decision_rows_of(db: &Db, ids: &[DeviceId]) -> Result<Vec<DecisionRow>, sqlx::Error> {
    // The ids come from the database (integers), never from a request.
    let list = ids
        .iter()
        .map(|id| id.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    sqlx::query_as(&format!(
        // `+d.mdm_id` keeps SQLite from walking the MDM-id index instead of the ids.
        "{DECISION_SELECT} WHERE d.id IN ({list}) AND +d.mdm_id IS NOT NULL"
    ))
    .fetch_all(db)
    .await
}

/// (lowest, highest) sequence number in the access change log; (0, 0) when empty.
pub async fn access_change_range(db: &Db) -> Result<(i64, i64), sqlx::Error> {
    // Two sub-queries: SQLite answers a lone MIN or MAX from the primary key at once, but
    // both in one SELECT make it scan the table.
    sqlx::query_as(
        "SELECT COALESCE((SELECT MIN(seq) FROM access_change), 0), COALESCE((SELECT MAX(seq) FROM access_change), 0)",
    )
        .fetch_one(db)
        .await
}

/// Devices changed after `after` up to `upto` (inclusive).
pub async fn access_changes(db: &Db, after: i64, upto: i64) -> Result<Vec<DeviceId>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT device_id FROM access_change WHERE seq > $1 AND seq <= $2")
        .bind(after)
        .bind(upto)
        .fetch_all(db)
        .await
}

/// Forgets change-log entries older than `before` (nodes behind that reload everything).
pub async fn prune_access_changes(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let res = sqlx::query("DELETE FROM access_change WHERE at < $1")
        .bind(before.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .execute(db.writer())
        .await?;
    Ok(res.rows_affected())
}

/// Which findings to list: optionally only units under `scopes`, some states (all that are
/// not compliant when empty), one circular or one owner.
pub struct FindingFilter<'a> {
    pub scopes: Option<&'a [UnitPath]>,
    pub states: &'a [ComplianceState],
    pub circular: Option<CircularId>,
    pub owner: Option<crate::org::UserId>,
    pub limit: i64,
    /// Start after this row (the next page of the overview).
    pub after: Option<&'a super::rules::FindingCursor>,
}

/// `s.state IN (…every state but compliant)`: a list the state index answers (`<>` would
/// read every standing of the city).
fn not_compliant_sql() -> String {
    let states: Vec<String> = ComplianceState::ALL
        .iter()
        .filter(|s| **s != ComplianceState::Compliant)
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("s.state IN ({})", states.join(", "))
}

/// `rules::state_rank` of `s.state` in SQL.
fn rank_sql() -> String {
    let mut sql = String::from("(CASE s.state");
    for state in ComplianceState::ALL {
        sql.push_str(&format!(
            " WHEN '{}' THEN {}",
            state.as_str(),
            super::rules::state_rank(*state)
        ));
    }
    sql.push_str(" END)");
    sql
}

/// `AND (path range OR path range …)` for the subtrees `scopes` (nothing when unscoped): the
/// units' path index answers it, so a head's list costs what their subtree holds.
fn push_scopes(
    q: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>,
    column: &str,
    scopes: Option<&[UnitPath]>,
) {
    let Some(scopes) = scopes else { return };
    let scopes = UnitPath::outermost(scopes);
    if scopes.is_empty() {
        q.push(" AND 0 = 1");
        return;
    }
    q.push(" AND (");
    for (i, scope) in scopes.iter().enumerate() {
        let (lo, hi) = scope.bounds();
        if i > 0 {
            q.push(" OR ");
        }
        q.push(format_args!("({column} >= "))
            .push_bind(lo)
            .push(format_args!(" AND {column} < "))
            .push_bind(hi)
            .push(")");
    }
    q.push(")");
}

/// Devices that are not compliant under some rule, worst first.
pub async fn findings(db: &Db, f: &FindingFilter<'_>) -> Result<Vec<super::Finding>, sqlx::Error> {
    Ok(findings_with_keys(db, f)
        .await?
        .into_iter()
        .map(|(finding, _)| finding)
        .collect())
}

/// [`findings`], each with the key the next page starts after.
pub async fn findings_with_keys<'e, E: sqlx::SqliteExecutor<'e>>(
    ex: E,
    f: &FindingFilter<'_>,
) -> Result<Vec<(super::Finding, super::rules::FindingCursor)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        device_id: DeviceId,
        label: String,
        owner: String,
        unit: String,
        mdm_id: Option<String>,
        rule: Rule,
        number: Option<String>,
        title: Option<String>,
        version_id: Option<VersionId>,
        effective_on: Option<String>,
        state: ComplianceState,
        apps: String,
        since: DateTime<Utc>,
        block_at: Option<DateTime<Utc>>,
        rank: i64,
        since_key: String,
        rule_key: String,
    }
    let rank = rank_sql();
    let mut q = sqlx::QueryBuilder::new(format!(
        "SELECT d.id AS device_id, d.label, u.display_name AS owner, o.name AS unit, d.mdm_id,
                s.rule, c.number, v.title, v.id AS version_id, v.effective_on, s.state, s.apps, s.since, s.block_at,
                {rank} AS rank, s.since AS since_key, s.rule AS rule_key
           FROM device_compliance s JOIN device d ON d.id = s.device_id
           JOIN users u ON u.id = d.owner_id JOIN org_unit o ON o.id = u.org_unit_id
           LEFT JOIN circular c ON c.id = s.circular_id
           LEFT JOIN circular_version v ON v.circular_id = s.circular_id AND v.status = 'published'
          WHERE {not_compliant} AND d.retired_at IS NULL",
        not_compliant = not_compliant_sql()
    ));
    if !f.states.is_empty() {
        q.push(" AND s.state IN (");
        let mut list = q.separated(", ");
        for state in f.states {
            list.push_bind(*state);
        }
        q.push(")");
    }
    if let Some(circular) = f.circular {
        q.push(" AND s.circular_id = ").push_bind(circular);
    }
    if let Some(owner) = f.owner {
        q.push(" AND d.owner_id = ").push_bind(owner);
    }
    push_scopes(&mut q, "o.path", f.scopes);
    if let Some(after) = f.after {
        q.push(format_args!(" AND ({rank}, s.since, d.id, s.rule) > ("))
            .push_bind(after.rank)
            .push(", ")
            .push_bind(after.since.clone())
            .push(", ")
            .push_bind(after.device)
            .push(", ")
            .push_bind(after.rule.clone())
            .push(")");
    }
    q.push(format_args!(
        " ORDER BY {rank}, s.since, d.id, s.rule LIMIT "
    ))
    .push_bind(f.limit);
    let rows: Vec<Row> = q.build_query_as().fetch_all(ex).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let key = super::rules::FindingCursor {
                rank: r.rank,
                since: r.since_key,
                device: r.device_id.0,
                rule: r.rule_key,
            };
            let finding = super::Finding {
                device_id: r.device_id,
                device: r.label,
                owner: r.owner,
                unit: r.unit,
                mdm_id: r.mdm_id,
                rule: r.rule,
                circular: match (r.number, r.title) {
                    (Some(n), Some(t)) => format!("{n} – {t}"),
                    (Some(n), None) => n,
                    _ => String::new(),
                },
                circular_version: r.version_id,
                state: r.state,
                apps: split_apps(&r.apps),
                since: crate::time::format_berlin(r.since),
                block_on: r.block_at.map(|b| crate::time::today_berlin(b).to_string()),
                effective_on: r.effective_on,
            };
            (finding, key)
        })
        .collect())
}

/// State counts per unit below `scopes` (all units when `None`) for the units that have a
/// device that is not compliant, grouped by the unit the owner belongs to, in tree order:
/// `limit` units from the `offset`th. Only the non-compliant states are read (through their
/// index); each listed unit's number of service devices is counted for that unit alone.
pub async fn unit_counts(
    db: &Db,
    scopes: Option<&[UnitPath]>,
    limit: i64,
    offset: i64,
) -> Result<Vec<super::UnitCounts>, sqlx::Error> {
    let mut q = sqlx::QueryBuilder::new(format!(
        "SELECT g.unit,
                (SELECT COUNT(*) FROM users uu JOIN device dd ON dd.owner_id = uu.id
                  WHERE uu.org_unit_id = g.unit_id AND dd.retired_at IS NULL AND dd.ownership = 'service') AS devices,
                g.violating, g.warned, g.blocked, g.exempt
           FROM (SELECT o.id AS unit_id, o.name AS unit, o.path,
                        COUNT(DISTINCT CASE WHEN s.state = 'violating' THEN d.id END) AS violating,
                        COUNT(DISTINCT CASE WHEN s.state IN ('warned', 'stale') THEN d.id END) AS warned,
                        COUNT(DISTINCT CASE WHEN s.state = 'blocked' THEN d.id END) AS blocked,
                        COUNT(DISTINCT CASE WHEN s.state = 'exempt' THEN d.id END) AS exempt
                   FROM device_compliance s JOIN device d ON d.id = s.device_id
                   JOIN users u ON u.id = d.owner_id JOIN org_unit o ON o.id = u.org_unit_id
                  WHERE {not_compliant}
                    AND d.retired_at IS NULL AND d.ownership = 'service'",
        not_compliant = not_compliant_sql()
    ));
    push_scopes(&mut q, "o.path", scopes);
    q.push(" GROUP BY o.id ORDER BY o.path LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset)
        .push(") g ORDER BY g.path");
    q.build_query_as().fetch_all(db).await
}

pub async fn insert_exemption(
    tx: &mut Tx,
    device: DeviceId,
    circular: CircularId,
    reason: &str,
    valid_until: NaiveDate,
    by: crate::org::UserId,
    now: DateTime<Utc>,
) -> Result<ExemptionId, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO exemption (device_id, circular_id, reason, valid_until, granted_by, granted_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(device)
    .bind(circular)
    .bind(reason)
    .bind(valid_until)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

/// Revokes an active exemption; returns its device, or `None` if there is no such active one.
pub async fn revoke_exemption(
    tx: &mut Tx,
    id: ExemptionId,
    now: DateTime<Utc>,
) -> Result<Option<DeviceId>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE exemption SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING device_id",
    )
    .bind(now)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn exemptions(db: &Db, today: NaiveDate) -> Result<Vec<super::Exemption>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        id: ExemptionId,
        label: String,
        owner: String,
        number: String,
        reason: String,
        valid_until: String,
        granted_by: Option<String>,
        active: bool,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT e.id, d.label, u.display_name AS owner, c.number, e.reason, e.valid_until, g.display_name AS granted_by,
                e.revoked_at IS NULL AND e.valid_until >= $1 AS active
           FROM exemption e JOIN device d ON d.id = e.device_id JOIN users u ON u.id = d.owner_id
           JOIN circular c ON c.id = e.circular_id LEFT JOIN users g ON g.id = e.granted_by
          ORDER BY e.id DESC LIMIT 200",
    )
    .bind(today)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| super::Exemption {
            id: r.id,
            device: format!("{} ({})", r.label, r.owner),
            circular: r.number,
            reason: r.reason,
            valid_until: r.valid_until,
            granted_by: r.granted_by.unwrap_or_default(),
            active: r.active,
        })
        .collect())
}

/// A device that carries one of a circular's apps now, for the dry run.
pub struct Carrier {
    pub id: DeviceId,
    pub label: String,
    pub owner: String,
    pub unit: String,
    pub apps: Vec<AppId>,
}

/// Devices (with owners) that currently have matches for a circular's apps on their
/// platform, for the dry run.
pub async fn devices_matching(db: &Db, circular: &InForce) -> Result<Vec<Carrier>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        id: DeviceId,
        label: String,
        owner: String,
        unit: String,
        platform: Platform,
        apps: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT d.id, d.label, u.display_name AS owner, o.name AS unit, d.platform, group_concat(m.app_identifier) AS apps
           FROM device_app_match m JOIN device d ON d.id = m.device_id
           JOIN users u ON u.id = d.owner_id JOIN org_unit o ON o.id = u.org_unit_id
          WHERE d.retired_at IS NULL GROUP BY d.id ORDER BY o.path, u.display_name",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let apps =
                super::rules::prohibited(&split_apps(&r.apps), &circular.apps_on(r.platform));
            (!apps.is_empty()).then_some(Carrier {
                id: r.id,
                label: r.label,
                owner: r.owner,
                unit: r.unit,
                apps,
            })
        })
        .collect())
}
