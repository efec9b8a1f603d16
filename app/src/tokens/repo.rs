//! SQL for API tokens.
use super::rules::{scopes_text, TOKEN_PREFIX};
use super::{IssuedToken, Scope, TokenSummary};
use crate::db::{Db, Tx};
use crate::org::UserId;
use chrono::{DateTime, Utc};
use sqlx::FromRow;

pub fn hash(secret: &str) -> String {
    crate::evidence::chain::sha256_hex(secret.as_bytes())
}

fn new_secret() -> String {
    let bytes: [u8; 24] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{TOKEN_PREFIX}{hex}")
}

/// Issues a token in the caller's transaction (with its audit entry) and returns the secret.
pub async fn issue(
    tx: &mut Tx,
    name: &str,
    scopes: &[Scope],
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<IssuedToken, sqlx::Error> {
    let secret = new_secret();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_token (name, token_hash, prefix, scopes, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(name)
    .bind(hash(&secret))
    .bind(&secret[..TOKEN_PREFIX.len() + 6])
    .bind(scopes_text(scopes))
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    crate::org::repo::audit(
        tx,
        by,
        "token.create",
        &format!("token:{id}"),
        serde_json::json!({ "name": name, "scopes": scopes_text(scopes) }),
        now,
    )
    .await?;
    Ok(IssuedToken {
        id,
        name: name.to_owned(),
        secret,
        scopes: scopes.to_vec(),
    })
}

/// Revokes an active token; false if there is none with this id.
pub async fn revoke(
    tx: &mut Tx,
    id: i64,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let name: Option<String> = sqlx::query_scalar(
        "UPDATE api_token SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING name",
    )
    .bind(now)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(name) = name else { return Ok(false) };
    crate::org::repo::audit(
        tx,
        by,
        "token.revoke",
        &format!("token:{id}"),
        serde_json::json!({ "name": name }),
        now,
    )
    .await?;
    Ok(true)
}

/// An active token found by the hash of its secret.
#[derive(Debug, Clone)]
pub struct ActiveToken {
    pub id: i64,
    pub scopes: Vec<Scope>,
}

pub async fn find_active(db: &Db, token_hash: &str) -> Result<Option<ActiveToken>, sqlx::Error> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, scopes FROM api_token WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id, scopes)| ActiveToken {
        id,
        scopes: scopes.split(' ').filter_map(Scope::parse).collect(),
    }))
}

pub async fn touch(db: &Db, id: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_token SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

pub async fn list(db: &Db) -> Result<Vec<TokenSummary>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        name: String,
        prefix: String,
        scopes: String,
        created_by: Option<String>,
        created_at: DateTime<Utc>,
        last_used_at: Option<DateTime<Utc>>,
        revoked_at: Option<DateTime<Utc>>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.name, t.prefix, t.scopes, u.display_name AS created_by, t.created_at, t.last_used_at, t.revoked_at
           FROM api_token t LEFT JOIN users u ON u.id = t.created_by ORDER BY t.revoked_at IS NOT NULL, t.id DESC",
    )
    .fetch_all(db)
    .await?;
    let fmt = crate::time::format_berlin;
    Ok(rows
        .into_iter()
        .map(|r| TokenSummary {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scopes: r.scopes.split(' ').filter_map(Scope::parse).collect(),
            created_by: r.created_by,
            created_at: fmt(r.created_at),
            last_used_at: r.last_used_at.map(fmt),
            revoked_at: r.revoked_at.map(fmt),
        })
        .collect())
}
