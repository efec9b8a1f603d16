//! A large synthetic city for benchmarks (`server seed-large`): a deep org tree, many
//! employees with a device each, many published circulars and acknowledgments. Written with
//! plain multi-row inserts in a few big transactions so that 100k people take seconds.
use app::db::{begin_write, Db};
use app::org::UnitPath;
use app::org::{OrgUnitId, UnitKind};
use chrono::{Duration, Utc};

pub struct LargeCity {
    pub employees: usize,
    pub circulars: usize,
    /// Devices in all (at least one per employee; the rest are second devices). Every
    /// 20th device is blocked under the first circular, which bans WhatsApp.
    pub devices: usize,
    /// Acknowledgments in all; `None`: every other employee acknowledges each of the first 20
    /// circulars (about 325,000 for the default city). With a number, the circulars are
    /// filled in order, each by its whole audience, until that many exist; the last tenth
    /// of the circulars always stays without acknowledgments (the benchmarks acknowledge
    /// those).
    pub acknowledgments: Option<usize>,
}

/// Seeds into an empty database; returns (units, employees, circulars, acknowledgments).
pub async fn seed(db: &Db, size: &LargeCity) -> anyhow::Result<(usize, usize, usize, usize)> {
    if app::org::repo::count_users(db).await? > 0 {
        anyhow::bail!("seed-large only fills an empty database");
    }
    // Bulk inserts: the per-row count deltas are off (nothing else uses this database while
    // it is seeded), also if seeding fails; the counts are built once at the end.
    sqlx::query("INSERT INTO rollup_suspended (id) VALUES (1)")
        .execute(db.writer())
        .await?;
    let seeded = seed_rows(db, size).await;
    sqlx::query("DELETE FROM rollup_suspended")
        .execute(db.writer())
        .await?;
    let seeded = seeded?;
    sqlx::query("ANALYZE").execute(db.writer()).await?;
    let started = std::time::Instant::now();
    let versions = app::tracking::counts::sweep(db, 14).await?;
    tracing::info!(
        versions,
        seconds = started.elapsed().as_secs_f64(),
        "acknowledgment counts built"
    );
    Ok(seeded)
}

async fn seed_rows(db: &Db, size: &LargeCity) -> anyhow::Result<(usize, usize, usize, usize)> {
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    // Tree: city > 10 Dezernate > 6 Fachbereiche each > 7 Ämter each = 1 + 10 + 60 + 420 units.
    sqlx::query("INSERT INTO org_unit (id, parent_id, kind, code, name, path, active, created_at, updated_at) VALUES (1, NULL, 'city', 'STADT', 'Großstadt', '/1/', TRUE, $1, $1)")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let city = UnitPath::above_root().child(OrgUnitId(1));
    let mut next_id = 2i64;
    let mut leaves: Vec<i64> = vec![];
    for d in 0..10 {
        let dezernat = SyntheticUnit {
            id: next_id,
            parent: 1,
            parent_path: city.clone(),
            kind: UnitKind::Dezernat,
            code: format!("D{d}"),
            name: format!("Dezernat {d}"),
        };
        next_id += 1;
        insert_unit(&mut tx, &dezernat, now).await?;
        for f in 0..6 {
            let fachbereich = SyntheticUnit {
                id: next_id,
                parent: dezernat.id,
                parent_path: dezernat.path(),
                kind: UnitKind::Fachbereich,
                code: format!("FB{d}{f}"),
                name: format!("Fachbereich {d}.{f}"),
            };
            next_id += 1;
            insert_unit(&mut tx, &fachbereich, now).await?;
            for a in 0..7 {
                let amt = SyntheticUnit {
                    id: next_id,
                    parent: fachbereich.id,
                    parent_path: fachbereich.path(),
                    kind: UnitKind::Amt,
                    code: format!("A{d}{f}{a}"),
                    name: format!("Amt {d}.{f}.{a}"),
                };
                next_id += 1;
                insert_unit(&mut tx, &amt, now).await?;
                leaves.push(amt.id);
            }
        }
    }
    // Employees in chunks of 500 rows per statement. They all sign in with the demo
    // employees' password (one hash, computed once), so that load tests can use sessions.
    let password = tokio::task::spawn_blocking(|| {
        app::auth::password::hash_blocking(crate::demo::EMPLOYEE_PASSWORD)
    })
    .await?;
    for chunk in (0..size.employees).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from("INSERT INTO users (id, email, display_name, personnel_no, org_unit_id, locale, active, unit_since, created_at, updated_at, password_hash) VALUES ");
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                let id = i + 1;
                format!("({id}, 'p{id}@grossstadt.de', 'Person {id}', 'L{id}', {}, 'de', TRUE, '2020-01-01T00:00:00+00:00', '2020-01-01T00:00:00+00:00', '2020-01-01T00:00:00+00:00', $1)", leaves[i % leaves.len()])
            })
            .collect();
        sql.push_str(&values.join(","));
        sqlx::query(&sql).bind(&password).execute(&mut *tx).await?;
        let devices: Vec<String> = chunk.iter().map(|i| format!("({}, {}, 'phone', 'service', 'android', 'Diensthandy', 'L-MDM-{}', '2020-01-01T00:00:00+00:00')", i + 1, i + 1, i + 1)).collect();
        sqlx::query(&format!("INSERT INTO device (id, owner_id, kind, ownership, platform, label, mdm_id, registered_at) VALUES {}", devices.join(",")))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    // Circulars: all published, whole city or one Dezernat; acknowledgments for part of the
    // audience (more for older circulars).
    let published = (now - Duration::days(30)).to_rfc3339();
    let deadline = (now + Duration::days(10)).date_naive().to_string();
    let mut acks = 0usize;
    for c in 0..size.circulars {
        let mut tx = begin_write(db).await?;
        let cid: i64 = sqlx::query_scalar(
            "INSERT INTO circular (number, created_by, created_at) VALUES ($1, 1, $2) RETURNING id",
        )
        .bind(format!("RS L/{c}"))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let whole_city = c % 4 == 0;
        let vid: i64 = sqlx::query_scalar(
            "INSERT INTO circular_version (circular_id, version_no, title, summary, body_md, change_kind, ack_basis_no, effective_on, ack_deadline,
                                           whole_city, status, body_html, content_sha256, author_id, approver_id, published_at, created_at, updated_at)
             VALUES ($1, 1, $2, 'Kurz', 'Text', 'initial', 1, $3, $3, $4, 'published', '<p>Text</p>', $5, 1, 2, $6, $6, $6) RETURNING id",
        )
        .bind(cid)
        .bind(format!("Rundschreiben {c}"))
        .bind(&deadline)
        .bind(whole_city)
        .bind("0".repeat(64))
        .bind(&published)
        .fetch_one(&mut *tx)
        .await?;
        if !whole_city {
            // One Dezernat: their ids are 2, 51, 100, … (each subtree has 1 + 6 * (1 + 7) units).
            let dezernat = 2 + (c % 10) as i64 * 49;
            sqlx::query("INSERT INTO circular_audience (version_id, org_unit_id, include_subunits) VALUES ($1, $2, TRUE)").bind(vid).bind(dezernat).execute(&mut *tx).await?;
        }
        let share = match size.acknowledgments {
            // The first 20 circulars get acknowledgments from every other employee in the
            // audience.
            None if c < 20 => Some(("u.id % 2 = 0", i64::MAX)),
            Some(target) if acks < target && c < size.circulars - size.circulars / 10 => {
                Some(("TRUE", (target - acks) as i64))
            }
            _ => None,
        };
        if let Some((who, limit)) = share {
            let inserted = sqlx::query(&format!(
                "INSERT INTO acknowledgment (user_id, version_id, acknowledged_at, content_sha256, locale, auth_method, person_commitment)
                 SELECT u.id, {vid}, '{published}', '{}', 'de', 'password', 'x'
                   FROM users u JOIN org_unit uo ON uo.id = u.org_unit_id, circular_version v
                  WHERE v.id = {vid} AND {who} AND {}
                  ORDER BY u.id LIMIT {limit}",
                "0".repeat(64),
                app::circulars::repo::IN_AUDIENCE
            ))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            acks += inserted as usize;
            sqlx::query(&format!(
                "INSERT INTO acknowledgment_device (ack_id, device_id, attestation) SELECT k.id, k.user_id, 'none_installed' FROM acknowledgment k WHERE k.version_id = {vid}"
            ))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    seed_compliance(db, size).await?;
    Ok((1 + leaves.len() + 70, size.employees, size.circulars, acks))
}

/// Second devices up to `size.devices`, a WhatsApp ban on the first circular, and blocked
/// standings for every 20th device (the access-decision benchmark reads both kinds).
async fn seed_compliance(db: &Db, size: &LargeCity) -> anyhow::Result<()> {
    let mut tx = begin_write(db).await?;
    let ids: Vec<usize> = (size.employees + 1..=size.devices).collect();
    for chunk in ids.chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| format!("({i}, {}, 'tablet', 'service', 'android', 'Tablet', 'L-MDM-{i}', '2020-01-01T00:00:00+00:00')", (i % size.employees) + 1))
            .collect();
        sqlx::query(&format!("INSERT INTO device (id, owner_id, kind, ownership, platform, label, mdm_id, registered_at) VALUES {}", rows.join(",")))
            .execute(&mut *tx)
            .await?;
    }
    // Bulk-inserted devices claim their MDM ids like every other registration path.
    sqlx::query(
        "INSERT INTO device_identifier (kind, value, owner_id, device_id, claimed_at)
         SELECT 'mdm_id', mdm_id, owner_id, id, registered_at FROM device WHERE mdm_id IS NOT NULL
         ON CONFLICT (kind, value) DO NOTHING",
    )
    .execute(&mut *tx)
    .await?;
    let first: Option<(i64, i64)> =
        sqlx::query_as("SELECT circular_id, id FROM circular_version ORDER BY id LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((circular, version)) = first {
        for (platform, app) in [
            ("android", "com.whatsapp"),
            ("ios", "net.whatsapp.whatsapp"),
            ("android", "com.snapchat.android"),
        ] {
            sqlx::query("INSERT INTO prohibited_app (version_id, platform, app_identifier, display_name) VALUES ($1, $2, $3, $3)")
                .bind(version)
                .bind(platform)
                .bind(app)
                .execute(&mut *tx)
                .await?;
        }
        // The ban took effect a month ago, so the blocked devices stay blocked.
        sqlx::query("UPDATE circular_version SET effective_on = $1 WHERE id = $2")
            .bind((Utc::now() - Duration::days(30)).date_naive().to_string())
            .bind(version)
            .execute(&mut *tx)
            .await?;
        let since = Utc::now() - Duration::days(3);
        sqlx::query(
            "INSERT INTO device_compliance (device_id, rule, circular_id, state, since, apps, warned_at, block_at)
             SELECT id, $1, $2, $3, $4, 'com.whatsapp', $4, $4 FROM device WHERE id % 20 = 0",
        )
        .bind(app::compliance::Rule::Circular(app::circulars::CircularId(circular)))
        .bind(circular)
        .bind(app::compliance::ComplianceState::Blocked)
        .bind(since)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO device_app_match (device_id, app_identifier, first_seen_at) SELECT id, 'com.whatsapp', $1 FROM device WHERE id % 20 = 0")
            .bind(since)
            .execute(&mut *tx)
            .await?;
    }
    // Every device reported to the MDM recently (as managed devices do daily), so none is stale.
    sqlx::query("UPDATE device SET last_inventory_at = $1")
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// One unit of the synthetic tree (ids are chosen up front so paths need no second write).
struct SyntheticUnit {
    id: i64,
    parent: i64,
    parent_path: UnitPath,
    kind: UnitKind,
    code: String,
    name: String,
}

impl SyntheticUnit {
    fn path(&self) -> UnitPath {
        self.parent_path.child(OrgUnitId(self.id))
    }
}

async fn insert_unit(
    tx: &mut app::db::Tx,
    unit: &SyntheticUnit,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO org_unit (id, parent_id, kind, code, name, path, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7)")
        .bind(unit.id)
        .bind(unit.parent)
        .bind(unit.kind)
        .bind(&unit.code)
        .bind(&unit.name)
        .bind(unit.path())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Times the roll-up `runs` times for a unit and returns sorted durations in milliseconds.
pub async fn bench_rollup(
    db: &Db,
    version: i64,
    unit: i64,
    runs: usize,
) -> anyhow::Result<Vec<f64>> {
    let today = app::time::today_berlin(Utc::now());
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = std::time::Instant::now();
        let rows = app::tracking::counts::rollup(db, version, app::org::OrgUnitId(unit), today, 14)
            .await?;
        std::hint::black_box(rows);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Ok(times)
}
