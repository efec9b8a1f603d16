//! SQL of mail: the outbox (enqueue, the worker's claim and outcome, the admins' list) and
//! what the reminder job reads (published circulars, heads above a person).
use super::templates::Mail;
use super::{OutboxRow, OutboxState};
use crate::db::{Db, Tx};
use crate::i18n::Locale;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;

/// Enqueues a mail in the caller's transaction; returns false if a mail with this dedupe key
/// already exists (then nothing is written).
pub async fn enqueue(
    tx: &mut Tx,
    dedupe_key: &str,
    to: &str,
    mail: &Mail,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let res = sqlx::query(
        "INSERT INTO mail_outbox (dedupe_key, to_addr, subject, body_text, body_html, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(dedupe_key)
    .bind(to)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// A mail the worker may send now.
#[derive(FromRow)]
pub struct DueMail {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i64,
    /// As stored: the claim compares it to tell whether another worker took the row.
    pub next_attempt_at: String,
}

/// Unsent, not given-up mails due at `now`, oldest first (at most `batch`).
pub async fn due_mails(
    db: &Db,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<Vec<DueMail>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, to_addr, subject, body_text, body_html, attempts, next_attempt_at FROM mail_outbox
          WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(batch)
    .fetch_all(db)
    .await
}

/// Claims a due mail by moving its `next_attempt_at` to `lease` if nobody did since it was
/// read as `seen`; true if this caller won the row.
pub async fn claim(
    db: &Db,
    id: i64,
    seen: &str,
    lease: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query("UPDATE mail_outbox SET next_attempt_at = $1, attempts = attempts + 1 WHERE id = $2 AND next_attempt_at = $3 AND sent_at IS NULL")
        .bind(lease)
        .bind(id)
        .bind(seen)
        .execute(db.writer())
        .await?
        .rows_affected();
    Ok(claimed == 1)
}

pub async fn mark_sent(db: &Db, id: i64, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mail_outbox SET sent_at = $1, last_error = NULL WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Records a failed attempt: the next try at `retry_at`, or given up at `failed_at`.
pub async fn mark_failed(
    db: &Db,
    id: i64,
    reason: &str,
    retry_at: DateTime<Utc>,
    failed_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mail_outbox SET last_error = $1, next_attempt_at = $2, failed_at = $3 WHERE id = $4")
        .bind(reason)
        .bind(retry_at)
        .bind(failed_at)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// The newest 200 mails that are pending or failed (`all`: also the sent ones).
pub async fn outbox(db: &Db, all: bool) -> Result<Vec<OutboxRow>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        to_addr: String,
        subject: String,
        created_at: DateTime<Utc>,
        attempts: i64,
        sent: bool,
        failed: bool,
        last_error: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, to_addr, subject, created_at, attempts, sent_at IS NOT NULL AS sent, failed_at IS NOT NULL AS failed, last_error
           FROM mail_outbox WHERE $1 OR sent_at IS NULL ORDER BY id DESC LIMIT 200",
    )
    .bind(all)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OutboxRow {
            id: r.id,
            to_addr: r.to_addr,
            subject: r.subject,
            created_at: crate::time::format_berlin(r.created_at),
            attempts: r.attempts,
            state: if r.sent {
                OutboxState::Sent
            } else if r.failed {
                OutboxState::Failed
            } else {
                OutboxState::Pending
            },
            last_error: r.last_error,
        })
        .collect())
}

/// (version id, number, title) of every published version.
pub async fn published_versions(
    db: &Db,
) -> Result<Vec<(i64, String, String, NaiveDate)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT v.id, c.number, v.title, v.ack_deadline FROM circular_version v JOIN circular c ON c.id = v.circular_id WHERE v.status = 'published'",
    )
    .fetch_all(db)
    .await
}

/// The latest day anyone active joined their unit (late joiners' deadlines follow it).
pub async fn latest_unit_since(db: &Db) -> Result<Option<NaiveDate>, sqlx::Error> {
    let day: Option<String> =
        sqlx::query_scalar("SELECT MAX(substr(unit_since, 1, 10)) FROM users WHERE active")
            .fetch_one(db)
            .await?;
    Ok(day.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()))
}

/// A number that grows with every change to who is addressed: rare changes move
/// `tracking_epoch`, people joining, leaving or moving move `people_epoch` (migration
/// `rollup_deltas`). A version's own changes delete its `reminder_run` row.
pub async fn reminder_epoch(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT t.n + p.n FROM tracking_epoch t, people_epoch p")
        .fetch_one(db)
        .await
}

/// The day the reminder schedule last went through each version, for runs at `epoch`
/// (nothing that decides who is addressed changed since).
pub async fn runs_at(
    db: &Db,
    epoch: i64,
) -> Result<std::collections::HashMap<i64, NaiveDate>, sqlx::Error> {
    let rows: Vec<(i64, NaiveDate)> =
        sqlx::query_as("SELECT version_id, day FROM reminder_run WHERE epoch = $1")
            .bind(epoch)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Notes that the reminder schedule went through `version` on `day` at `epoch`.
pub async fn mark_run(
    db: &Db,
    version: i64,
    day: chrono::NaiveDate,
    epoch: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reminder_run (version_id, day, epoch) VALUES ($1, $2, $3)
         ON CONFLICT (version_id) DO UPDATE SET day = excluded.day, epoch = excluded.epoch",
    )
    .bind(version)
    .bind(day)
    .bind(epoch)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// (number, title) of a version.
pub async fn number_and_title(db: &Db, version: i64) -> Result<(String, String), sqlx::Error> {
    sqlx::query_as("SELECT c.number, v.title FROM circular_version v JOIN circular c ON c.id = v.circular_id WHERE v.id = $1").bind(version).fetch_one(db).await
}

/// (id, email, locale) of the active heads whose scope contains `unit_path`.
pub async fn heads_above(
    db: &Db,
    unit_path: &crate::org::UnitPath,
) -> Result<Vec<(i64, String, Locale)>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT DISTINCT h.id, h.email, h.locale FROM user_role r JOIN users h ON h.id = r.user_id JOIN org_unit su ON su.id = r.scope_unit_id
          WHERE r.role = 'head' AND h.active AND ",
        crate::sql_in_subtree!("$1", "su.path"),
    ))
    .bind(unit_path)
    .fetch_all(db)
    .await
}
