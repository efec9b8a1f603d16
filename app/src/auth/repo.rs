//! SQL of the auth domain: sign-in throttling counters.
use super::throttle::{locked_for, ThrottlePolicy, ThrottleState, ACCOUNT, CLIENT};
use crate::db::{begin_write, Db};
use sqlx::FromRow;

#[derive(FromRow)]
struct Row {
    failures: i64,
    window_start: i64,
    locked_until: i64,
}

impl From<Row> for ThrottleState {
    fn from(r: Row) -> Self {
        ThrottleState {
            failures: r.failures,
            window_start: r.window_start,
            locked_until: r.locked_until,
        }
    }
}

/// The stored counter of `key`, if any.
pub async fn throttle_state(db: &Db, key: &str) -> Result<Option<ThrottleState>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(db)
    .await?;
    Ok(row.map(Into::into))
}

/// Counts one failed sign-in for each key (read and written under the write lock, so
/// concurrent failures on several nodes all count). Returns the new states.
pub async fn record_failure(
    db: &Db,
    keys: &[(&str, ThrottlePolicy)],
    now_ms: i64,
) -> Result<Vec<ThrottleState>, sqlx::Error> {
    let mut tx = begin_write(db).await?;
    let mut out = vec![];
    for (key, policy) in keys {
        let row: Option<Row> = sqlx::query_as(
            "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        let next = policy.after_failure(row.map(Into::into), now_ms);
        sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start,
                locked_until = excluded.locked_until",
        )
        .bind(key)
        .bind(next.failures)
        .bind(next.window_start)
        .bind(next.locked_until)
        .execute(&mut *tx)
        .await?;
        out.push(next);
    }
    // Old counters are no use to anybody; dropping them keeps the table small.
    sqlx::query("DELETE FROM login_throttle WHERE window_start < $1 AND locked_until < $2")
        .bind(now_ms - 24 * 3_600_000)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(out)
}

/// A successful sign-in clears the account's counter.
pub async fn clear(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(db)
        .await?;
    Ok(())
}

/// The two counters one password attempt touches: the account's and the client address's.
pub struct Throttle {
    account: String,
    client: String,
}

impl Throttle {
    pub fn for_attempt(email: &str, client: &super::client_ip::ClientIp) -> Throttle {
        Throttle {
            account: format!("account:{}", email.trim().to_lowercase()),
            client: format!("ip:{client}"),
        }
    }

    /// Milliseconds until the next attempt may be tried, if either key is locked.
    pub async fn locked_for(&self, db: &Db, now_ms: i64) -> Result<Option<i64>, sqlx::Error> {
        let mut locked = None;
        for key in [&self.account, &self.client] {
            if let Some(s) = throttle_state(db, key).await? {
                locked = locked.max(locked_for(&s, now_ms));
            }
        }
        Ok(locked)
    }

    /// Counts a failed attempt; returns the account's and the client's failures in the window.
    pub async fn failed(&self, db: &Db, now_ms: i64) -> Result<(i64, i64), sqlx::Error> {
        let states = record_failure(
            db,
            &[
                (self.account.as_str(), ACCOUNT),
                (self.client.as_str(), CLIENT),
            ],
            now_ms,
        )
        .await?;
        Ok((states[0].failures, states[1].failures))
    }

    /// A correct password clears the account's counter (not the client's).
    pub async fn succeeded(&self, db: &Db) -> Result<(), sqlx::Error> {
        clear(db, &self.account).await
    }
}
