//! Issuing and revoking API tokens: one write transaction each, audited (by the repo), for
//! the admin page, the CLI and the MDM simulator alike. `by` is `None` for the operators'
//! command line.
use super::{IssuedToken, Scope};
use crate::db::{begin_write, Db};
use crate::error::AppError;
use crate::org::UserId;
use chrono::{DateTime, Utc};

/// Checks the name and scopes as typed (the form's or the CLI's) and issues a token; the
/// answer carries the secret, which is shown only this once.
pub async fn issue_checked(
    db: &Db,
    name: &str,
    scopes: &[String],
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<IssuedToken, AppError> {
    let mut problems = vec![];
    let name = super::rules::parse_name(name)
        .map_err(|p| problems.push(("name", p)))
        .ok();
    let scopes = super::rules::parse_scopes(&scopes.join(" "))
        .map_err(|p| problems.push(("scopes", p)))
        .ok();
    let (Some(name), Some(scopes)) = (name, scopes) else {
        return Err(AppError::fields(problems));
    };
    issue(db, &name, &scopes, by, now).await
}

/// Issues a token with a name and scopes already checked.
pub async fn issue(
    db: &Db,
    name: &str,
    scopes: &[Scope],
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<IssuedToken, AppError> {
    let mut tx = begin_write(db).await?;
    let issued = super::repo::issue(&mut tx, name, scopes, by, now).await?;
    tx.commit().await?;
    Ok(issued)
}

/// Revokes an active token; not found when there is no such active token. Nodes forget
/// it within their token cache's lifetime (the caller clears its own node's cache).
pub async fn revoke(
    db: &Db,
    id: i64,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = begin_write(db).await?;
    if !super::repo::revoke(&mut tx, id, by, now).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}
