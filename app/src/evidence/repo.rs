//! SQL of evidence: sealing and verifying the chain, the auditors' views and exports, and
//! the pseudonymisation of retention.
use super::chain::{
    content_hash, device_commitment, entry_hash, person_commitment, AckContent, AuditContent,
    ComplianceContent, GENESIS,
};
use super::{Broken, VerifyReport};
use crate::db::{begin_write, Db, Tx};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

#[derive(FromRow)]
struct AckRow {
    id: i64,
    user_id: i64,
    version_id: i64,
    content_sha256: String,
    acknowledged_at: String,
    locale: String,
    auth_method: String,
    on_behalf_by: Option<i64>,
    remark: Option<String>,
    person_commitment: Option<String>,
    person_salt: Option<String>,
    pseudonymised_devices: Option<String>,
}

const ACK_SELECT: &str = "SELECT id, user_id, version_id, content_sha256, acknowledged_at, locale, auth_method, on_behalf_by, remark,
        person_commitment, person_salt, pseudonymised_devices FROM acknowledgment";

/// The canonical content of an acknowledgment from its row and the devices it links to
/// (and a problem found on the way).
fn ack_content_from(row: AckRow, linked: Vec<(i64, String)>) -> (AckContent, Option<String>) {
    let devices: Vec<(String, String)> = match (&row.pseudonymised_devices, &row.person_salt) {
        // Pseudonymised: the device links are gone; their commitments were kept.
        (Some(kept), _) => serde_json::from_str(kept).unwrap_or_default(),
        (None, salt) => {
            let salt = salt.clone().unwrap_or_default();
            linked
                .into_iter()
                .map(|(d, a)| (device_commitment(&salt, d), a))
                .collect()
        }
    };
    // A salt that no longer matches the stored commitment means the person was changed.
    let problem = match (&row.person_salt, &row.person_commitment) {
        (Some(salt), Some(c)) if *c != person_commitment(salt, row.user_id) => {
            Some("person changed".to_owned())
        }
        _ => None,
    };
    (
        AckContent {
            id: row.id,
            version_id: row.version_id,
            content_sha256: row.content_sha256,
            acknowledged_at: row.acknowledged_at,
            locale: row.locale,
            auth_method: row.auth_method,
            on_behalf_by: row.on_behalf_by,
            remark: row.remark,
            person_commitment: row.person_commitment.unwrap_or_default(),
            devices,
        },
        problem,
    )
}

/// A list of ids as one bound parameter (a JSON array, read with `json_each`): a chunk's
/// records in one statement, however their ids are spread.
fn id_list(ids: impl Iterator<Item = i64>) -> String {
    serde_json::to_string(&ids.collect::<Vec<_>>()).unwrap_or_else(|_| "[]".to_owned())
}

/// Acknowledgment rows with the devices each links to, loaded with one statement for the
/// whole chunk of the sealer or of a verification.
async fn with_links(
    ex: &mut sqlx::SqliteConnection,
    rows: Vec<AckRow>,
) -> Result<Vec<(AckRow, Vec<(i64, String)>)>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids = id_list(rows.iter().map(|r| r.id));
    let links: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT ack_id, device_id, attestation FROM acknowledgment_device
          WHERE ack_id IN (SELECT value FROM json_each($1)) ORDER BY ack_id, device_id",
    )
    .bind(ids)
    .fetch_all(ex)
    .await?;
    let mut by_ack: std::collections::HashMap<i64, Vec<(i64, String)>> = Default::default();
    for (ack, device, attestation) in links {
        by_ack.entry(ack).or_default().push((device, attestation));
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let linked = by_ack.remove(&r.id).unwrap_or_default();
            (r, linked)
        })
        .collect())
}

/// (device id, attestation) of the devices an acknowledgment still links to.
pub async fn ack_devices<'e, E: sqlx::SqliteExecutor<'e>>(
    ex: E,
    ack: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT device_id, attestation FROM acknowledgment_device WHERE ack_id = $1 ORDER BY device_id")
        .bind(ack)
        .fetch_all(ex)
        .await
}

/// Compliance transitions as the chain covers them (times as stored text).
const TRANSITION_SELECT: &str =
    "SELECT id, device_id, rule, from_state, to_state, at, cause, apps FROM compliance_transition";

#[derive(FromRow)]
struct AuditRow {
    id: i64,
    at: String,
    actor_id: Option<i64>,
    action: String,
    target: String,
    details: String,
}

impl From<AuditRow> for AuditContent {
    fn from(r: AuditRow) -> Self {
        AuditContent {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            action: r.action,
            target: r.target,
            details: r.details,
        }
    }
}

/// Records sealed per write transaction: a few milliseconds of the writer each, so that a
/// request waits at most that long behind the sealer, however large the backlog.
pub const SEAL_CHUNK: i64 = 500;

/// Seals every committed but unsealed acknowledgment, audit entry and compliance transition,
/// in chunks of [`SEAL_CHUNK`] (one write transaction each). Concurrent sealers take turns
/// on the write lock and never fork the chain. Returns the number of new entries.
pub async fn seal_pending(db: &Db) -> Result<usize, sqlx::Error> {
    let mut total = 0;
    loop {
        let sealed = seal_chunk(db, SEAL_CHUNK).await?;
        total += sealed;
        if sealed == 0 {
            return Ok(total);
        }
    }
}

/// The highest id of `kind` in the chain. Ids are handed out inside the one write
/// transaction at a time (SQLite), so every record below it was committed, and sealed, first.
async fn sealed_up_to(tx: &mut Tx, kind: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(ref_id), 0) FROM evidence_entry WHERE kind = $1")
        .bind(kind)
        .fetch_one(&mut **tx)
        .await
}

/// Seals up to `limit` records of each kind that follow the chain's last ones, ordered by
/// their time across the kinds. Returns how many it sealed.
async fn seal_chunk(db: &Db, limit: i64) -> Result<usize, sqlx::Error> {
    let mut tx = begin_write(db).await?;
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, entry_hash FROM evidence_entry ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (mut seq, mut prev) = last.unwrap_or((0, GENESIS.to_owned()));
    // (time, kind, id, content hash), in commit order across the kinds.
    let mut pending: Vec<(String, &'static str, i64, String)> = vec![];
    let after = sealed_up_to(&mut tx, "ack").await?;
    let rows: Vec<AckRow> =
        sqlx::query_as(&format!("{ACK_SELECT} WHERE id > $1 ORDER BY id LIMIT $2"))
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
    let acks = with_links(&mut tx, rows).await?;
    for (mut row, linked) in acks {
        // Acknowledgments written before the chain existed get their commitment now.
        if row.person_commitment.is_none() {
            let salt = new_salt();
            let commitment = person_commitment(&salt, row.user_id);
            sqlx::query(
                "UPDATE acknowledgment SET person_salt = $1, person_commitment = $2 WHERE id = $3",
            )
            .bind(&salt)
            .bind(&commitment)
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
            row.person_salt = Some(salt);
            row.person_commitment = Some(commitment);
        }
        let (content, _) = ack_content_from(row, linked);
        pending.push((
            content.acknowledged_at.clone(),
            "ack",
            content.id,
            content_hash(&content),
        ));
    }
    let after = sealed_up_to(&mut tx, "audit").await?;
    let audits: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, at, actor_id, action, target, details FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    for row in audits {
        let content = AuditContent::from(row);
        pending.push((
            content.at.clone(),
            "audit",
            content.id,
            content_hash(&content),
        ));
    }
    let after = sealed_up_to(&mut tx, "compliance").await?;
    let transitions: Vec<ComplianceContent> = sqlx::query_as(&format!(
        "{TRANSITION_SELECT} WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    for content in transitions {
        pending.push((
            content.at.clone(),
            "compliance",
            content.id,
            content_hash(&content),
        ));
    }
    pending.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    let now = Utc::now();
    let count = pending.len();
    for (_, kind, ref_id, content) in pending {
        seq += 1;
        let hash = entry_hash(seq, kind, ref_id, &content, &prev);
        sqlx::query("INSERT INTO evidence_entry (seq, kind, ref_id, content_sha256, prev_hash, entry_hash, sealed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(seq)
            .bind(kind)
            .bind(ref_id)
            .bind(&content)
            .bind(&prev)
            .bind(&hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        prev = hash;
    }
    tx.commit().await?;
    Ok(count)
}

pub fn new_salt() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(FromRow)]
struct EntryRow {
    seq: i64,
    kind: String,
    ref_id: i64,
    content_sha256: String,
    prev_hash: String,
    entry_hash: String,
}

/// Entries verified per read: memory stays bounded however long the chain grows.
const VERIFY_CHUNK: i64 = 5_000;

/// Recomputes the whole chain from the stored records and reports the first broken entry.
/// Reads the chain a chunk at a time, each chunk with its records in one snapshot and a few
/// statements (not one per entry).
pub async fn verify(db: &Db) -> Result<VerifyReport, sqlx::Error> {
    let mut report = walk(db, 0, GENESIS).await?;
    report.pending = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM acknowledgment WHERE id NOT IN (SELECT ref_id FROM evidence_entry WHERE kind = 'ack'))
              + (SELECT COUNT(*) FROM audit_log WHERE id NOT IN (SELECT ref_id FROM evidence_entry WHERE kind = 'audit'))
              + (SELECT COUNT(*) FROM compliance_transition WHERE id NOT IN (SELECT ref_id FROM evidence_entry WHERE kind = 'compliance'))",
    )
    .fetch_one(db)
    .await?;
    Ok(report)
}

/// Verifies the entries after `from_seq`, the first of them linking to `prev_hash` (entry
/// `from_seq`'s hash, or the genesis for 0). The counts cover the entries walked.
async fn walk(db: &Db, from_seq: i64, prev_hash: &str) -> Result<VerifyReport, sqlx::Error> {
    let mut report = VerifyReport {
        entries: 0,
        acknowledgments: 0,
        audit_entries: 0,
        compliance_transitions: 0,
        pending: 0,
        head_hash: prev_hash.to_owned(),
        broken: None,
    };
    let mut prev = prev_hash.to_owned();
    let mut expected_seq: i64 = from_seq + 1;
    // From the genesis, every entry counts, whatever its seq (one at 0 or below is a gap at
    // entry 1, not something to skip).
    let mut after = if from_seq == 0 { i64::MIN } else { from_seq };
    'chunks: loop {
        let mut snapshot = crate::db::begin_read(db).await?;
        let entries: Vec<EntryRow> = sqlx::query_as(
            "SELECT seq, kind, ref_id, content_sha256, prev_hash, entry_hash FROM evidence_entry
              WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(VERIFY_CHUNK)
        .fetch_all(&mut *snapshot)
        .await?;
        let Some(last) = entries.last() else {
            break;
        };
        after = last.seq;
        let records = RecordHashes::load(&mut snapshot, &entries).await?;
        snapshot.rollback().await?;
        for e in &entries {
            let problem = if e.seq != expected_seq {
                Some(format!("entry {expected_seq} is missing (chain has a gap)"))
            } else if e.prev_hash != prev {
                Some("previous-hash link does not match (entry removed or reordered)".to_owned())
            } else if e.entry_hash
                != entry_hash(e.seq, &e.kind, e.ref_id, &e.content_sha256, &e.prev_hash)
            {
                Some("entry hash does not match its fields (entry edited)".to_owned())
            } else {
                match records.get(&e.kind, e.ref_id) {
                    None => Some(format!("{} record {} was deleted", e.kind, e.ref_id)),
                    Some((_, Some(p))) => Some(format!("{} record {}: {p}", e.kind, e.ref_id)),
                    Some((hash, None)) if *hash != e.content_sha256 => Some(format!(
                        "{} record {} was changed after sealing",
                        e.kind, e.ref_id
                    )),
                    Some(_) => None,
                }
            };
            if let Some(reason) = problem {
                report.broken = Some(Broken {
                    seq: e.seq,
                    kind: e.kind.clone(),
                    ref_id: e.ref_id,
                    reason,
                });
                break 'chunks;
            }
            report.entries += 1;
            match e.kind.as_str() {
                "ack" => report.acknowledgments += 1,
                "compliance" => report.compliance_transitions += 1,
                _ => report.audit_entries += 1,
            }
            prev.clone_from(&e.entry_hash);
            expected_seq += 1;
        }
    }
    report.head_hash = prev;
    Ok(report)
}

/// How far the chain was last verified (one row, kept by the verification job; see
/// [`check_chain`]).
#[derive(Debug, Clone, FromRow)]
pub struct Checkpoint {
    /// The last entry verified and its hash at that time.
    pub seq: i64,
    pub entry_hash: String,
    /// The first broken entry found, if any (it stays broken: a chain is not repaired).
    pub broken_seq: Option<i64>,
    /// When the last verification from the genesis ended.
    pub full_at: DateTime<Utc>,
}

pub async fn checkpoint(db: &Db) -> Result<Option<Checkpoint>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, entry_hash, broken_seq, full_at FROM evidence_checkpoint WHERE id = 1",
    )
    .fetch_optional(db)
    .await
}

/// The chain's state as an export states it: its head and whether every entry up to it
/// verifies.
#[derive(Debug, Clone)]
pub struct ChainState {
    pub entries: i64,
    pub head_hash: String,
    pub intact: bool,
    /// When the chain was last verified from the genesis.
    pub fully_verified_at: DateTime<Utc>,
}

/// A full pass over the chain is repeated after this long, so that an edit of an entry
/// verified long ago is found within a day even if nobody runs `verify-evidence`.
pub const FULL_VERIFICATION_HOURS: i64 = 24;

/// Whether a checkpoint's full pass is recent: less than [`FULL_VERIFICATION_HOURS`] (plus
/// `slack`) old, and not dated in the future (the row is in the database like everything
/// it vouches for).
fn recent(cp: &Checkpoint, now: DateTime<Utc>, slack: chrono::Duration) -> bool {
    cp.full_at <= now && now - cp.full_at < chrono::Duration::hours(FULL_VERIFICATION_HOURS) + slack
}

/// The state a checkpoint of a recent full pass that found a break states: broken, with the
/// entries before the break. (Walking again at every export or job run would only repeat
/// that answer at the cost of a full pass; the next daily pass looks again.)
fn broken(cp: &Checkpoint) -> ChainState {
    ChainState {
        entries: cp.seq,
        head_hash: cp.entry_hash.clone(),
        intact: false,
        fully_verified_at: cp.full_at,
    }
}

/// Walks from the genesis: the reference answer, and the checkpoint it leaves.
async fn full_pass(db: &Db, now: DateTime<Utc>) -> Result<(ChainState, Checkpoint), sqlx::Error> {
    let report = walk(db, 0, GENESIS).await?;
    let cp = Checkpoint {
        seq: report.entries,
        entry_hash: report.head_hash.clone(),
        broken_seq: report.broken.as_ref().map(|b| b.seq),
        full_at: now,
    };
    Ok((
        ChainState {
            entries: report.entries,
            head_hash: report.head_hash,
            intact: report.broken.is_none(),
            fully_verified_at: now,
        },
        cp,
    ))
}

/// The chain's state, verified from the checkpoint on: the checkpoint's entry must still
/// carry the hash it had, and every entry after it must verify (its record, its link, its
/// own hash). The entries before the checkpoint were verified by the last full pass (less
/// than a day ago). Whenever the checkpoint cannot stand in for them (none yet, too old or
/// dated in the future, a break found before, its own entry changed) this is a full pass.
/// Read-only: the job saves checkpoints, callers such as exports only read them.
pub async fn chain_state(
    db: &Db,
    now: DateTime<Utc>,
) -> Result<(ChainState, Checkpoint), sqlx::Error> {
    // An export may use a checkpoint a little past its day while the job is due.
    match checkpoint(db).await? {
        Some(cp) if recent(&cp, now, chrono::Duration::hours(1)) => {
            from_checkpoint(db, cp, now).await
        }
        _ => full_pass(db, now).await,
    }
}

/// [`chain_state`] from a recent checkpoint.
async fn from_checkpoint(
    db: &Db,
    cp: Checkpoint,
    now: DateTime<Utc>,
) -> Result<(ChainState, Checkpoint), sqlx::Error> {
    if cp.broken_seq.is_some() {
        return Ok((broken(&cp), cp));
    }
    let at: Option<String> =
        sqlx::query_scalar("SELECT entry_hash FROM evidence_entry WHERE seq = $1")
            .bind(cp.seq)
            .fetch_optional(db)
            .await?;
    if cp.seq > 0 && at.as_deref() != Some(cp.entry_hash.as_str()) {
        // Something before the tail changed: only a full pass can say where.
        return full_pass(db, now).await;
    }
    let tail = walk(db, cp.seq, &cp.entry_hash).await?;
    let cp = Checkpoint {
        // Up to the last entry that verified (the one before a break).
        seq: cp.seq + tail.entries,
        entry_hash: tail.head_hash.clone(),
        broken_seq: tail.broken.as_ref().map(|b| b.seq),
        ..cp
    };
    Ok((
        ChainState {
            entries: cp.seq,
            head_hash: cp.entry_hash.clone(),
            intact: cp.broken_seq.is_none(),
            fully_verified_at: cp.full_at,
        },
        cp,
    ))
}

/// The verification job: verifies what was sealed since the last checkpoint (a few reads
/// when nothing was), or the whole chain when the checkpoint cannot stand in for its
/// entries or its full pass is [`FULL_VERIFICATION_HOURS`] old, and saves the new
/// checkpoint. Returns the entries verified. A broken chain is logged as an error at every
/// run (and every run is then a full pass, which also says where).
pub async fn check_chain(db: &Db, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let last = checkpoint(db).await?;
    let before = last.as_ref().map(|cp| cp.seq).unwrap_or(0);
    let (state, cp) = match last {
        Some(cp) if recent(&cp, now, chrono::Duration::zero()) && cp.broken_seq.is_some() => {
            (broken(&cp), cp)
        }
        Some(cp) if recent(&cp, now, chrono::Duration::zero()) => {
            match from_checkpoint(db, cp, now).await? {
                // A break found after the checkpoint (or at it): a full pass says where,
                // and its checkpoint is what later runs and exports state.
                (state, cp) if !state.intact && cp.full_at != now => full_pass(db, now).await?,
                found => found,
            }
        }
        _ => full_pass(db, now).await?,
    };
    if !state.intact {
        tracing::error!(
            broken_seq = cp.broken_seq,
            "the evidence chain is broken; run `server verify-evidence` for the reason"
        );
    }
    let mut tx = begin_write(db).await?;
    sqlx::query(
        "INSERT INTO evidence_checkpoint (id, seq, entry_hash, broken_seq, full_at, checked_at) VALUES (1, $1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, entry_hash = excluded.entry_hash,
                broken_seq = excluded.broken_seq, full_at = excluded.full_at, checked_at = excluded.checked_at",
    )
    .bind(cp.seq)
    .bind(&cp.entry_hash)
    .bind(cp.broken_seq)
    .bind(cp.full_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(usize::try_from(cp.seq - before).unwrap_or(0))
}

/// The current content hash of each record a chunk of entries covers (and a problem found
/// while loading it), by kind and id: one statement per kind for the chunk.
#[derive(Default)]
struct RecordHashes {
    acks: std::collections::HashMap<i64, (String, Option<String>)>,
    audits: std::collections::HashMap<i64, (String, Option<String>)>,
    transitions: std::collections::HashMap<i64, (String, Option<String>)>,
}

impl RecordHashes {
    async fn load(
        ex: &mut sqlx::SqliteConnection,
        entries: &[EntryRow],
    ) -> Result<RecordHashes, sqlx::Error> {
        let ids = |kind: &str| {
            let of_kind: Vec<i64> = entries
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| e.ref_id)
                .collect();
            (!of_kind.is_empty()).then(|| id_list(of_kind.into_iter()))
        };
        let mut hashes = RecordHashes::default();
        if let Some(ids) = ids("ack") {
            let rows: Vec<AckRow> = sqlx::query_as(&format!(
                "{ACK_SELECT} WHERE id IN (SELECT value FROM json_each($1)) ORDER BY id"
            ))
            .bind(ids)
            .fetch_all(&mut *ex)
            .await?;
            for (row, linked) in with_links(ex, rows).await? {
                let (content, problem) = ack_content_from(row, linked);
                hashes
                    .acks
                    .insert(content.id, (content_hash(&content), problem));
            }
        }
        if let Some(ids) = ids("compliance") {
            let rows: Vec<ComplianceContent> = sqlx::query_as(&format!(
                "{TRANSITION_SELECT} WHERE id IN (SELECT value FROM json_each($1))"
            ))
            .bind(ids)
            .fetch_all(&mut *ex)
            .await?;
            for r in rows {
                hashes.transitions.insert(r.id, (content_hash(&r), None));
            }
        }
        if let Some(ids) = ids("audit") {
            let rows: Vec<AuditRow> = sqlx::query_as(
                "SELECT id, at, actor_id, action, target, details FROM audit_log WHERE id IN (SELECT value FROM json_each($1))",
            )
            .bind(ids)
            .fetch_all(&mut *ex)
            .await?;
            for r in rows {
                hashes
                    .audits
                    .insert(r.id, (content_hash(&AuditContent::from(r)), None));
            }
        }
        Ok(hashes)
    }

    fn get(&self, kind: &str, id: i64) -> Option<&(String, Option<String>)> {
        match kind {
            "ack" => self.acks.get(&id),
            "compliance" => self.transitions.get(&id),
            _ => self.audits.get(&id),
        }
    }
}

/// (seq, entry_hash) of a sealed record, for receipts and exports.
pub async fn seal_of(db: &Db, kind: &str, id: i64) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT seq, entry_hash FROM evidence_entry WHERE kind = $1 AND ref_id = $2")
        .bind(kind)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Audit entries matching the filter, newest first (at most `limit`).
pub async fn audit_entries(
    db: &Db,
    f: &super::AuditFilter,
    limit: i64,
) -> Result<Vec<super::AuditEntry>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        at: chrono::DateTime<Utc>,
        actor: Option<String>,
        action: String,
        target: String,
        details: String,
        seq: Option<i64>,
    }
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let from = day(&f.from)
        .map(|d| d.to_string())
        .unwrap_or_else(|| "0000".into());
    let to = day(&f.to)
        .map(|d| (d + chrono::Duration::days(1)).to_string())
        .unwrap_or_else(|| "9999".into());
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.id, a.at, u.display_name AS actor, a.action, a.target, a.details, e.seq
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
           LEFT JOIN evidence_entry e ON e.kind = 'audit' AND e.ref_id = a.id
          WHERE ($1 = '' OR a.action LIKE $1 || '%')
            AND ($2 = '' OR lower(coalesce(u.display_name, '')) LIKE '%' || lower($2) || '%' OR lower(coalesce(u.email, '')) LIKE '%' || lower($2) || '%')
            AND ($3 = '' OR a.target = $3)
            AND a.at >= $4 AND a.at < $5
          ORDER BY a.id DESC LIMIT $6",
    )
    .bind(f.action.trim())
    .bind(f.actor.trim())
    .bind(f.target.trim())
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| super::AuditEntry {
            id: r.id,
            at: crate::time::format_berlin(r.at),
            actor: r.actor,
            action: r.action,
            target: r.target,
            details: r.details,
            seq: r.seq,
        })
        .collect())
}

/// Rows per page of a version's evidence.
pub const EVIDENCE_PAGE: i64 = 50;

/// One page of a version's acknowledgments with their devices and seals, in acknowledgment
/// order (keyset pagination on the id, so every page costs the same however far back it
/// is). The search matches the person's name (part of it, any case), personnel number or
/// current unit (part of its name, or its code); pseudonymised acknowledgments are never
/// found by a search, only listed without one. At most four statements per page, whatever
/// its size. (SQLite's `lower` folds ASCII only: a capital umlaut, as in "Özdemir", is
/// found as typed, "Özdemir", or by the rest of the name, not by "özdemir".)
pub async fn evidence_page(
    db: &Db,
    version: i64,
    query: &super::EvidenceQuery,
    locale: crate::i18n::Locale,
) -> Result<super::EvidencePage, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        user_id: i64,
        name: String,
        pseudonymised: bool,
        acknowledged_at: chrono::DateTime<Utc>,
        content_sha256: String,
        on_behalf_by: Option<String>,
        seq: Option<i64>,
        entry_hash: Option<String>,
    }
    const JOINS: &str = "FROM acknowledgment k JOIN users u ON u.id = k.user_id
           JOIN org_unit o ON o.id = u.org_unit_id";
    // The search part only when there is a search: without one, the count is a walk over
    // the version's index entries and the page a range of it (no join per acknowledgment).
    const SEARCH: &str = "AND k.pseudonymised_at IS NULL AND (lower(u.display_name) LIKE $3 ESCAPE '\\'
                 OR u.display_name LIKE $6 ESCAPE '\\' OR u.personnel_no = $2
                 OR lower(o.name) LIKE $3 ESCAPE '\\' OR o.name LIKE $6 ESCAPE '\\' OR lower(o.code) = lower($2))";
    let q = query.q.trim();
    let pattern = crate::db::like_pattern(q);
    let as_typed = crate::db::like_pattern_as_typed(q);
    let search = if q.is_empty() { "" } else { SEARCH };
    let mut rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT k.id, k.user_id, u.display_name AS name, k.pseudonymised_at IS NOT NULL AS pseudonymised,
                k.acknowledged_at, k.content_sha256, b.display_name AS on_behalf_by, e.seq, e.entry_hash
           {JOINS}
           LEFT JOIN users b ON b.id = k.on_behalf_by
           LEFT JOIN evidence_entry e ON e.kind = 'ack' AND e.ref_id = k.id
          WHERE k.version_id = $1 AND k.id > $4 {search}
          ORDER BY k.id LIMIT $5"
    ))
    .bind(version)
    .bind(q)
    .bind(&pattern)
    .bind(query.after)
    .bind(EVIDENCE_PAGE + 1)
    .bind(&as_typed)
    .fetch_all(db)
    .await?;
    // A first page that holds every match is its own count.
    let total: i64 = if query.after == 0 && rows.len() as i64 <= EVIDENCE_PAGE {
        rows.len() as i64
    } else if q.is_empty() {
        sqlx::query_scalar("SELECT COUNT(*) FROM acknowledgment WHERE version_id = $1")
            .bind(version)
            .fetch_one(db)
            .await?
    } else {
        sqlx::query_scalar(&format!(
            "SELECT COUNT(*) {JOINS} WHERE k.version_id = $1 {search}"
        ))
        .bind(version)
        .bind(q)
        .bind(&pattern)
        .bind(0)
        .bind(0)
        .bind(&as_typed)
        .fetch_one(db)
        .await?
    };
    let next_after = (rows.len() as i64 > EVIDENCE_PAGE).then(|| {
        rows.truncate(EVIDENCE_PAGE as usize);
        rows.last().map_or(0, |r| r.id)
    });
    // The page's device links and devices: one statement each.
    let links: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT ack_id, device_id, attestation FROM acknowledgment_device
          WHERE ack_id IN (SELECT value FROM json_each($1)) ORDER BY ack_id, device_id",
    )
    .bind(id_list(rows.iter().map(|r| r.id)))
    .fetch_all(db)
    .await?;
    let device_ids: Vec<crate::devices::DeviceId> = links
        .iter()
        .map(|(_, d, _)| crate::devices::DeviceId(*d))
        .collect();
    let devices = crate::devices::repo::get_many(db, &device_ids).await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let described = links
                .iter()
                .filter(|(ack, _, _)| *ack == r.id)
                .filter_map(|(_, device, attestation)| {
                    let d = devices.get(&crate::devices::DeviceId(*device))?;
                    let a = crate::acknowledgments::Attestation::parse(attestation)
                        .map(|a| a.label(locale))
                        .unwrap_or_default();
                    Some(format!(
                        "{}: {a}",
                        crate::devices::pages::device_summary(d, locale)
                    ))
                })
                .collect();
            super::EvidenceRow {
                ack_id: r.id,
                person: (!r.pseudonymised).then_some(r.name),
                person_id: (!r.pseudonymised).then_some(r.user_id),
                acknowledged_at: crate::time::format_berlin(r.acknowledged_at),
                content_sha256: r.content_sha256,
                on_behalf_by: r.on_behalf_by,
                devices: described,
                seal: r.seq.zip(r.entry_hash),
            }
        })
        .collect();
    Ok(super::EvidencePage {
        rows,
        total,
        next_after,
    })
}

/// Published (and earlier published) versions, newest circular first.
pub async fn published_versions(db: &Db) -> Result<Vec<super::VersionRef>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, String, String)> = sqlx::query_as(
        "SELECT v.id, c.number, v.version_no, v.title, v.status FROM circular_version v JOIN circular c ON c.id = v.circular_id
          WHERE v.published_at IS NOT NULL ORDER BY c.id DESC, v.version_no DESC",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, number, version_no, title, status)| super::VersionRef {
                id,
                number,
                version_no,
                title,
                status,
            },
        )
        .collect())
}

// Exports (see `export`).

/// An acknowledgment as the evidence exports show it.
pub struct ExportedAck {
    pub id: i64,
    pub content: AckContent,
    /// (name, email, personnel number), unless pseudonymised.
    pub person: Option<(String, String, Option<String>)>,
    /// (seq, content hash, previous hash, entry hash) of its seal.
    pub seal: Option<(i64, String, String, String)>,
}

/// The next `limit` acknowledgments after id `after` of a version or a person (in id order),
/// with their canonical content, person and seal: four statements per chunk, on the
/// caller's read transaction (one snapshot for a whole export).
pub async fn export_chunk(
    ex: &mut sqlx::SqliteConnection,
    version: Option<i64>,
    person: Option<i64>,
    after: i64,
    limit: i64,
) -> Result<Vec<ExportedAck>, sqlx::Error> {
    // One filter each, so that SQLite walks the version's (or person's) index in id order
    // instead of every acknowledgment after `after`.
    let (filter, key) = match (version, person) {
        (Some(v), _) => ("version_id", v),
        (None, Some(p)) => ("user_id", p),
        (None, None) => return Ok(vec![]),
    };
    let rows: Vec<AckRow> = sqlx::query_as(&format!(
        "{ACK_SELECT} WHERE {filter} = $1 AND id > $2 ORDER BY id LIMIT $3"
    ))
    .bind(key)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *ex)
    .await?;
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids = id_list(rows.iter().map(|r| r.id));
    let people: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT k.id, u.display_name, u.email, u.personnel_no FROM acknowledgment k JOIN users u ON u.id = k.user_id
          WHERE k.id IN (SELECT value FROM json_each($1)) AND k.person_salt IS NOT NULL",
    )
    .bind(&ids)
    .fetch_all(&mut *ex)
    .await?;
    let seals: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT ref_id, seq, content_sha256, prev_hash, entry_hash FROM evidence_entry
          WHERE kind = 'ack' AND ref_id IN (SELECT value FROM json_each($1))",
    )
    .bind(&ids)
    .fetch_all(&mut *ex)
    .await?;
    let mut people: std::collections::HashMap<i64, (String, String, Option<String>)> = people
        .into_iter()
        .map(|(id, name, email, pno)| (id, (name, email, pno)))
        .collect();
    let mut seals: std::collections::HashMap<i64, (i64, String, String, String)> = seals
        .into_iter()
        .map(|(id, seq, c, prev, entry)| (id, (seq, c, prev, entry)))
        .collect();
    Ok(with_links(ex, rows)
        .await?
        .into_iter()
        .map(|(row, linked)| {
            let id = row.id;
            ExportedAck {
                id,
                content: ack_content_from(row, linked).0,
                person: people.remove(&id),
                seal: seals.remove(&id),
            }
        })
        .collect())
}

/// Whether a user with this id exists (pseudonyms included).
pub async fn person_exists(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(exists.is_some())
}

/// (id, at, action, target, details) of the audit entries a person made or that name them.
pub async fn audit_of_person(
    db: &Db,
    id: i64,
) -> Result<Vec<(i64, String, String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, at, action, target, details FROM audit_log WHERE actor_id = $1 OR target = $2 ORDER BY id",
    )
    .bind(id)
    .bind(format!("user:{id}"))
    .fetch_all(db)
    .await
}

// Retention (see `retention`).

const DUE: &str = "FROM acknowledgment k JOIN circular_version v ON v.id = k.version_id JOIN circular c ON c.id = v.circular_id
     WHERE k.pseudonymised_at IS NULL AND v.published_at IS NOT NULL
       AND julianday(substr(v.published_at, 1, 19)) + c.retention_days <= julianday(substr($1, 1, 19))";

/// (acknowledgment id, user id) of up to `limit` acknowledgments whose retention period has
/// passed at `now` (RFC 3339 text), oldest first.
pub async fn retention_due(db: &Db, now: &str, limit: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT k.id, k.user_id {DUE} ORDER BY k.id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// How many acknowledgments are due for pseudonymisation at `now` (RFC 3339 text).
pub async fn retention_due_count(db: &Db, now: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) {DUE}"))
        .bind(now)
        .fetch_one(db)
        .await
}

/// The person salt of an acknowledgment that is not pseudonymised yet.
pub async fn unpseudonymised_salt(tx: &mut Tx, ack: i64) -> Result<Option<String>, sqlx::Error> {
    let salt: Option<Option<String>> = sqlx::query_scalar(
        "SELECT person_salt FROM acknowledgment WHERE id = $1 AND pseudonymised_at IS NULL",
    )
    .bind(ack)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(salt.flatten())
}

/// Creates an inactive pseudonym user (no password, in the root unit) and returns its id.
pub async fn insert_pseudonym(tx: &mut Tx, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    let tag = new_salt();
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

/// Moves an acknowledgment to `pseudonym`: drops the salt and the device links, keeping the
/// device commitments (`kept_devices`, JSON) the chain covers.
pub async fn pseudonymise(
    tx: &mut Tx,
    ack: i64,
    pseudonym: i64,
    kept_devices: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM acknowledgment_device WHERE ack_id = $1")
        .bind(ack)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE acknowledgment SET user_id = $1, person_salt = NULL, pseudonymised_devices = $2, pseudonymised_at = $3 WHERE id = $4",
    )
    .bind(pseudonym)
    .bind(kept_devices)
    .bind(now)
    .bind(ack)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
