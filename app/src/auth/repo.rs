//! SQL of the auth domain: sign-in throttling counters, signed-in sessions, second-factor
//! secrets and recovery codes, the half-way (pending) sign-in and admin-role checks.
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

async fn read_state(
    tx: &mut crate::db::Tx,
    key: &str,
) -> Result<Option<ThrottleState>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}

async fn store_state(
    tx: &mut crate::db::Tx,
    key: &str,
    state: &ThrottleState,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start,
            locked_until = excluded.locked_until",
    )
    .bind(key)
    .bind(state.failures)
    .bind(state.window_start)
    .bind(state.locked_until)
    .execute(&mut **tx)
    .await?;
    Ok(())
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
        let next = policy.after_failure(read_state(&mut tx, key).await?, now_ms);
        store_state(&mut tx, key, &next).await?;
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

/// Whether an attempt was counted (with the counters after it) or refused while locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt<T> {
    Counted(T),
    /// Locked for this many more milliseconds; nothing was counted.
    Locked(i64),
}

/// Checks and counts in one write transaction, for checks that are cheap to repeat (codes):
/// if any key is locked, returns how long and counts nothing; otherwise counts the attempt as
/// a failure *before* the check runs, so that parallel guesses cannot all pass a lock that
/// none of them has written yet. A correct answer is forgiven afterwards (`forgive`).
pub async fn count_attempt(
    db: &Db,
    keys: &[(&str, ThrottlePolicy)],
    now_ms: i64,
) -> Result<Attempt<Vec<ThrottleState>>, sqlx::Error> {
    let mut tx = begin_write(db).await?;
    let mut states = vec![];
    let mut locked = None;
    for (key, _) in keys {
        let state = read_state(&mut tx, key).await?;
        if let Some(ms) = state.as_ref().and_then(|s| locked_for(s, now_ms)) {
            locked = locked.max(Some(ms));
        }
        states.push(state);
    }
    if let Some(ms) = locked {
        tx.rollback().await?;
        return Ok(Attempt::Locked(ms));
    }
    let mut out = vec![];
    for ((key, policy), state) in keys.iter().zip(states) {
        let next = policy.after_failure(state, now_ms);
        store_state(&mut tx, key, &next).await?;
        out.push(next);
    }
    tx.commit().await?;
    Ok(Attempt::Counted(out))
}

/// Takes back one counted attempt of `key` that turned out correct (the lock it may have
/// started stays: it was earned by the failures before).
pub async fn forgive(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END WHERE key = $1")
        .bind(key)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// A successful sign-in clears the account's counter.
pub async fn clear(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(db.writer())
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

    /// For a cheap check (a code): refuses while locked, else counts the attempt up front
    /// (see [`count_attempt`]); returns the account's and the client's failures so far.
    pub async fn attempt(&self, db: &Db, now_ms: i64) -> Result<Attempt<(i64, i64)>, sqlx::Error> {
        let counted = count_attempt(
            db,
            &[
                (self.account.as_str(), ACCOUNT),
                (self.client.as_str(), CLIENT),
            ],
            now_ms,
        )
        .await?;
        Ok(match counted {
            Attempt::Counted(s) => Attempt::Counted((s[0].failures, s[1].failures)),
            Attempt::Locked(ms) => Attempt::Locked(ms),
        })
    }

    /// The attempt counted by [`Throttle::attempt`] never ran (refused as busy).
    pub async fn forgive_attempt(&self, db: &Db) -> Result<(), sqlx::Error> {
        forgive(db, &self.account).await?;
        forgive(db, &self.client).await
    }

    /// The attempt counted by [`Throttle::attempt`] was correct: the account's counter is
    /// cleared and the client's takes the attempt back.
    pub async fn attempt_succeeded(&self, db: &Db) -> Result<(), sqlx::Error> {
        clear(db, &self.account).await?;
        forgive(db, &self.client).await
    }
}

/// One signed-in session of a person, as the profile page lists it.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub sid: String,
    pub signed_in_at: chrono::DateTime<chrono::Utc>,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
    pub user_agent: String,
}

/// Records a new signed-in session.
pub async fn insert_session(
    db: &Db,
    sid: &str,
    user: crate::org::UserId,
    user_agent: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    let agent: String = user_agent.chars().take(200).collect();
    sqlx::query(
        "INSERT INTO user_session (sid, user_id, signed_in_at, last_seen_at, user_agent) VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(sid)
    .bind(user)
    .bind(now)
    .bind(agent)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// When the session was last seen, if it has not been ended.
pub async fn session_last_seen(
    db: &Db,
    sid: &str,
    user: crate::org::UserId,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT last_seen_at FROM user_session WHERE sid = $1 AND user_id = $2")
        .bind(sid)
        .bind(user)
        .fetch_optional(db)
        .await
}

pub async fn touch_session(
    db: &Db,
    sid: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE user_session SET last_seen_at = $1 WHERE sid = $2")
        .bind(now)
        .bind(sid)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// The person's sessions that can still be in use (seen within `idle`, begun within
/// `absolute`), newest first; older rows are dropped on the way.
pub async fn list_sessions(
    db: &Db,
    user: crate::org::UserId,
    live_since: chrono::DateTime<chrono::Utc>,
    begun_since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query(
        "DELETE FROM user_session WHERE user_id = $1 AND (last_seen_at < $2 OR signed_in_at < $3)",
    )
    .bind(user)
    .bind(live_since)
    .bind(begun_since)
    .execute(db.writer())
    .await?;
    sqlx::query_as(
        "SELECT sid, signed_in_at, last_seen_at, user_agent FROM user_session WHERE user_id = $1 ORDER BY last_seen_at DESC",
    )
    .bind(user)
    .fetch_all(db)
    .await
}

/// Ends one of the person's sessions; `false` when it is not theirs or already ended.
pub async fn end_session(
    db: &Db,
    user: crate::org::UserId,
    sid: &str,
) -> Result<bool, sqlx::Error> {
    let res = sqlx::query("DELETE FROM user_session WHERE sid = $1 AND user_id = $2")
        .bind(sid)
        .bind(user)
        .execute(db.writer())
        .await?;
    Ok(res.rows_affected() > 0)
}

/// Ends all the person's sessions except `keep`; returns how many were ended.
pub async fn end_other_sessions(
    db: &Db,
    user: crate::org::UserId,
    keep: &str,
) -> Result<u64, sqlx::Error> {
    let res = sqlx::query("DELETE FROM user_session WHERE user_id = $1 AND sid <> $2")
        .bind(user)
        .bind(keep)
        .execute(db.writer())
        .await?;
    Ok(res.rows_affected())
}

/// Removes a session's row (sign-out).
pub async fn forget_session(db: &Db, sid: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_session WHERE sid = $1")
        .bind(sid)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// A person's second factor as the sign-in needs it.
#[derive(Debug, Clone, FromRow)]
pub struct SecondFactorRow {
    pub totp_secret: String,
    pub totp_last_step: i64,
}

/// The person's TOTP secret and last used step, if a second factor is set up.
pub async fn second_factor(
    db: &Db,
    user: crate::org::UserId,
) -> Result<Option<SecondFactorRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT totp_secret, totp_last_step FROM users WHERE id = $1 AND totp_secret IS NOT NULL",
    )
    .bind(user)
    .fetch_optional(db)
    .await
}

/// When the second factor was set up and how many recovery codes are unused.
pub async fn second_factor_status(
    db: &Db,
    user: crate::org::UserId,
) -> Result<(Option<chrono::DateTime<chrono::Utc>>, i64), sqlx::Error> {
    let since: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
        "SELECT totp_enabled_at FROM users WHERE id = $1 AND totp_secret IS NOT NULL",
    )
    .bind(user)
    .fetch_optional(db)
    .await?
    .flatten();
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM totp_recovery_code WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user)
    .fetch_one(db)
    .await?;
    Ok((since, left))
}

/// Stores a confirmed secret and fresh recovery codes (hashes), replacing any earlier ones.
/// `step` is the step of the code that confirmed it, which cannot be used again.
pub async fn set_second_factor(
    tx: &mut crate::db::Tx,
    user: crate::org::UserId,
    secret: &str,
    step: u64,
    recovery_hashes: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = $3 WHERE id = $4",
    )
    .bind(secret)
    .bind(now)
    .bind(step as i64)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM totp_recovery_code WHERE user_id = $1")
        .bind(user)
        .execute(&mut **tx)
        .await?;
    for hash in recovery_hashes {
        sqlx::query(
            "INSERT INTO totp_recovery_code (user_id, code_sha256, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user)
        .bind(hash)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Removes the second factor and its recovery codes; `false` if there was none.
pub async fn clear_second_factor(
    tx: &mut crate::db::Tx,
    user: crate::org::UserId,
) -> Result<bool, sqlx::Error> {
    let res = sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL WHERE id = $1 AND totp_secret IS NOT NULL",
    )
    .bind(user)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM totp_recovery_code WHERE user_id = $1")
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(res.rows_affected() > 0)
}

/// Marks `step` as used if it is later than the last used one. One conditional update, so
/// two nodes (or two tabs) racing with the same code cannot both succeed.
pub async fn consume_step(
    db: &Db,
    user: crate::org::UserId,
    secret: &str,
    step: u64,
) -> Result<bool, sqlx::Error> {
    // Bound to the secret that was checked: a reset or new setup in between voids the code.
    let res = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1 AND totp_secret = $3",
    )
    .bind(step as i64)
    .bind(user)
    .bind(secret)
    .execute(db.writer())
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Uses up a recovery code; `false` if it is unknown or already used.
pub async fn consume_recovery_code(
    tx: &mut crate::db::Tx,
    user: crate::org::UserId,
    hash: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sqlx::Error> {
    let res = sqlx::query(
        "UPDATE totp_recovery_code SET used_at = $1 WHERE user_id = $2 AND code_sha256 = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// An active account's e-mail address (the key of its sign-in throttle) and the instant
/// (ms) before which its sign-ins are void.
pub async fn pending_account(
    db: &Db,
    user: crate::org::UserId,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT email, sessions_valid_from FROM users WHERE id = $1 AND active")
        .bind(user)
        .fetch_optional(db)
        .await
}

/// Whether the person holds the admin role (whatever their current session).
pub async fn holds_admin_role(
    tx: &mut crate::db::Tx,
    user: crate::org::UserId,
) -> Result<bool, sqlx::Error> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM user_role WHERE user_id = $1 AND role = 'admin'")
            .bind(user)
            .fetch_one(&mut **tx)
            .await?;
    Ok(n > 0)
}
