//! SQL of the organisation domain. Row structs stay here (ssr-only); callers get the shared
//! types from `org`.
use super::rules::{ValidUnit, ValidUser};
use super::{OrgUnit, OrgUnitId, UnitKind, UnitPath, UserDetail, UserId, UserPage, UserSummary};
use crate::auth::{Role, RoleGrant, SessionUser};
use crate::db::{Db, Tx};
use crate::i18n::Locale;
use chrono::{DateTime, Utc};
use sqlx::FromRow;

#[derive(FromRow)]
struct UnitRow {
    id: i64,
    parent_id: Option<i64>,
    kind: UnitKind,
    code: String,
    name: String,
    path: UnitPath,
    active: bool,
    members: i64,
}

impl UnitRow {
    fn into_unit(self) -> OrgUnit {
        OrgUnit {
            id: OrgUnitId(self.id),
            parent_id: self.parent_id.map(OrgUnitId),
            kind: self.kind,
            code: self.code,
            name: self.name,
            path: self.path,
            active: self.active,
            members: self.members,
        }
    }
}

const UNIT_COLUMNS: &str = "u.id, u.parent_id, u.kind, u.code, u.name, u.path, u.active";

/// Every unit with its active members, counted in one grouped pass over the index
/// `users (org_unit_id, active)` rather than one count per unit.
pub async fn list_units(db: &Db) -> Result<Vec<OrgUnit>, sqlx::Error> {
    let rows: Vec<UnitRow> = sqlx::query_as(&format!(
        "SELECT {UNIT_COLUMNS}, COALESCE(m.members, 0) AS members
           FROM org_unit u
           LEFT JOIN (SELECT org_unit_id, COUNT(*) AS members FROM users WHERE active GROUP BY org_unit_id) m
             ON m.org_unit_id = u.id
          ORDER BY u.path"
    ))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(UnitRow::into_unit).collect())
}

pub async fn get_unit(db: &Db, id: OrgUnitId) -> Result<Option<OrgUnit>, sqlx::Error> {
    // One unit: its members counted on their own (the grouped pass would count everybody).
    let row: Option<UnitRow> = sqlx::query_as(&format!(
        "SELECT {UNIT_COLUMNS},
                (SELECT COUNT(*) FROM users p WHERE p.org_unit_id = u.id AND p.active) AS members
           FROM org_unit u WHERE u.id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(UnitRow::into_unit))
}

/// (id, path, kind) of a unit, inside a write transaction.
pub async fn unit_path(
    tx: &mut Tx,
    id: OrgUnitId,
) -> Result<Option<(UnitPath, UnitKind)>, sqlx::Error> {
    sqlx::query_as("SELECT path, kind FROM org_unit WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn unit_by_code(
    tx: &mut Tx,
    code: &str,
) -> Result<Option<(OrgUnitId, UnitPath)>, sqlx::Error> {
    let row: Option<(i64, UnitPath)> =
        sqlx::query_as("SELECT id, path FROM org_unit WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.map(|(id, p)| (OrgUnitId(id), p)))
}

/// The root unit (the city), if the tree has one.
pub async fn root_unit(tx: &mut Tx) -> Result<Option<OrgUnitId>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM org_unit WHERE parent_id IS NULL")
        .fetch_optional(&mut **tx)
        .await
}

/// Path of the root unit, if the tree has one; on a transaction (`&mut **tx`) or the pool.
pub async fn root_path(ex: impl sqlx::SqliteExecutor<'_>) -> Result<Option<UnitPath>, sqlx::Error> {
    sqlx::query_scalar("SELECT path FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1")
        .fetch_optional(ex)
        .await
}

pub async fn root_exists(tx: &mut Tx) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_unit WHERE parent_id IS NULL")
        .fetch_one(&mut **tx)
        .await?;
    Ok(n > 0)
}

/// Inserts a unit under `parent_path` (`UnitPath::above_root()` for the root) and returns
/// its id. The path needs the id, so it is written in a second statement inside the same
/// transaction.
pub async fn insert_unit(
    tx: &mut Tx,
    unit: &ValidUnit,
    parent_path: &UnitPath,
    now: DateTime<Utc>,
) -> Result<OrgUnitId, sqlx::Error> {
    let temp_path = format!("#new-{}", unit.code);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO org_unit (parent_id, kind, code, name, path, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, TRUE, $6, $6) RETURNING id",
    )
    .bind(unit.parent_id)
    .bind(unit.kind.as_str())
    .bind(&unit.code)
    .bind(&unit.name)
    .bind(&temp_path)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let id = OrgUnitId(id);
    sqlx::query("UPDATE org_unit SET path = $1 WHERE id = $2")
        .bind(parent_path.child(id))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Updates a unit; when the parent changes, rewrites the paths of its whole subtree with one
/// range update (the old prefix is replaced by the new one).
pub async fn update_unit(
    tx: &mut Tx,
    id: OrgUnitId,
    unit: &ValidUnit,
    old_path: &UnitPath,
    new_parent_path: &UnitPath,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE org_unit SET parent_id = $1, kind = $2, code = $3, name = $4, updated_at = $5 WHERE id = $6")
        .bind(unit.parent_id)
        .bind(unit.kind.as_str())
        .bind(&unit.code)
        .bind(&unit.name)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let new_path = new_parent_path.child(id);
    if new_path != *old_path {
        let (lo, hi) = old_path.bounds();
        sqlx::query(
            "UPDATE org_unit SET path = $1 || substr(path, $2) WHERE path >= $3 AND path < $4",
        )
        .bind(&new_path)
        .bind(old_path.as_str().len() as i64 + 1)
        .bind(&lo)
        .bind(&hi)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Active users or active child units keep a unit from being deactivated.
pub async fn unit_has_active_members(tx: &mut Tx, id: OrgUnitId) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM users WHERE org_unit_id = $1 AND active)
              + (SELECT COUNT(*) FROM org_unit WHERE parent_id = $1 AND active)",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

pub async fn set_unit_active(
    tx: &mut Tx,
    id: OrgUnitId,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE org_unit SET active = $1, updated_at = $2 WHERE id = $3")
        .bind(active)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Users

pub struct LoginAccount {
    pub id: UserId,
    pub password_hash: Option<String>,
    pub active: bool,
}

pub async fn find_login(db: &Db, email: &str) -> Result<Option<LoginAccount>, sqlx::Error> {
    let row: Option<(i64, Option<String>, bool)> =
        sqlx::query_as("SELECT id, password_hash, active FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(id, password_hash, active)| LoginAccount {
        id: UserId(id),
        password_hash,
        active,
    }))
}

pub async fn password_hash(db: &Db, id: UserId) -> Result<Option<String>, sqlx::Error> {
    let h: Option<Option<String>> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(h.flatten())
}

pub async fn touch_last_login(db: &Db, id: UserId, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

pub async fn set_user_locale(db: &Db, id: UserId, locale: Locale) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
        .bind(locale.code())
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

pub async fn set_password_hash(
    tx: &mut Tx,
    id: UserId,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(FromRow)]
struct RoleRow {
    role: Role,
    scope_unit_id: Option<i64>,
    path: Option<UnitPath>,
    name: Option<String>,
}

async fn role_grants<'e, E: sqlx::Executor<'e, Database = sqlx::Sqlite>>(
    ex: E,
    id: UserId,
) -> Result<Vec<RoleGrant>, sqlx::Error> {
    let rows: Vec<RoleRow> = sqlx::query_as(
        "SELECT r.role, r.scope_unit_id, u.path, u.name
           FROM user_role r LEFT JOIN org_unit u ON u.id = r.scope_unit_id
          WHERE r.user_id = $1 ORDER BY r.role, u.path",
    )
    .bind(id)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RoleGrant {
            role: r.role,
            scope_unit_id: r.scope_unit_id.map(OrgUnitId),
            scope_path: r.path,
            scope_name: r.name,
        })
        .collect())
}

#[derive(FromRow)]
struct SessionUserRow {
    display_name: String,
    email: String,
    locale: Locale,
    last_seen_at: Option<DateTime<Utc>>,
    role: Option<Role>,
    scope_unit_id: Option<i64>,
    path: Option<UnitPath>,
    name: Option<String>,
}

/// The signed-in user of a session, for the session middleware: the user with their roles
/// and saved language, and when the session's row (`sid`) was last seen. `None` when the
/// account is inactive or gone, its sessions were ended after `signed_in_ms`, or the named
/// session row was ended. One statement, because every request of a signed-in person asks.
pub async fn load_session_user(
    db: &Db,
    id: UserId,
    signed_in_ms: i64,
    sid: Option<&str>,
) -> Result<Option<(SessionUser, Locale, Option<DateTime<Utc>>)>, sqlx::Error> {
    let rows: Vec<SessionUserRow> = sqlx::query_as(
        "SELECT u.display_name, u.email, u.locale, s.last_seen_at, r.role, r.scope_unit_id, o.path, o.name
           FROM users u
           LEFT JOIN user_session s ON s.sid = $3 AND s.user_id = u.id
           LEFT JOIN user_role r ON r.user_id = u.id
           LEFT JOIN org_unit o ON o.id = r.scope_unit_id
          WHERE u.id = $1 AND u.active AND u.sessions_valid_from <= $2
          ORDER BY r.role, o.path",
    )
    .bind(id)
    .bind(signed_in_ms)
    .bind(sid)
    .fetch_all(db)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    if sid.is_some() && first.last_seen_at.is_none() {
        return Ok(None);
    }
    let (display_name, email, locale, last_seen) = (
        first.display_name.clone(),
        first.email.clone(),
        first.locale,
        first.last_seen_at,
    );
    let roles = rows
        .into_iter()
        .filter_map(|r| {
            Some(RoleGrant {
                role: r.role?,
                scope_unit_id: r.scope_unit_id.map(OrgUnitId),
                scope_path: r.path,
                scope_name: r.name,
            })
        })
        .collect();
    Ok(Some((
        SessionUser {
            id,
            display_name,
            email,
            roles,
            admin_awaits_second_factor: false,
        },
        locale,
        last_seen,
    )))
}

#[derive(FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    personnel_no: Option<String>,
    org_unit_id: i64,
    org_unit_name: String,
    locale: Locale,
    active: bool,
}

impl UserRow {
    fn into_summary(self) -> UserSummary {
        UserSummary {
            id: UserId(self.id),
            email: self.email,
            display_name: self.display_name,
            personnel_no: self.personnel_no,
            org_unit_id: OrgUnitId(self.org_unit_id),
            org_unit_name: self.org_unit_name,
            locale: self.locale,
            active: self.active,
        }
    }
}

const USER_SELECT: &str = "SELECT p.id, p.email, p.display_name, p.personnel_no, p.org_unit_id, o.name AS org_unit_name, p.locale, p.active
  FROM users p JOIN org_unit o ON o.id = p.org_unit_id";

/// Case-insensitive search over name, email and personnel number, paged.
pub async fn search_users(
    db: &Db,
    query: &str,
    page: i64,
    per_page: i64,
) -> Result<UserPage, sqlx::Error> {
    let pattern = crate::db::like_pattern(query);
    // The name also as typed: SQLite folds ASCII only (a capital umlaut must match as is).
    let as_typed = crate::db::like_pattern_as_typed(query);
    // Without a search every person matches: no filter, so the count is the table's and the
    // page comes from the name index (the filter read every row of a large city twice). The
    // binds stay referenced either way.
    let filter = if query.trim().is_empty() {
        "WHERE $1 = $1 AND $4 = $4"
    } else {
        "WHERE lower(p.display_name) LIKE $1 ESCAPE '\\' OR p.display_name LIKE $4 ESCAPE '\\'
        OR p.email LIKE $1 ESCAPE '\\' OR lower(coalesce(p.personnel_no, '')) LIKE $1 ESCAPE '\\'"
    };
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users p {filter}"))
        .bind(&pattern)
        .bind(0)
        .bind(0)
        .bind(&as_typed)
        .fetch_one(db)
        .await?;
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "{USER_SELECT} {filter} ORDER BY p.display_name, p.id LIMIT $2 OFFSET $3"
    ))
    .bind(&pattern)
    .bind(per_page)
    .bind((page.max(1) - 1) * per_page)
    .bind(&as_typed)
    .fetch_all(db)
    .await?;
    Ok(UserPage {
        items: rows.into_iter().map(UserRow::into_summary).collect(),
        total,
        page: page.max(1),
        per_page,
    })
}

pub async fn get_user(db: &Db, id: UserId) -> Result<Option<UserDetail>, sqlx::Error> {
    let row: Option<UserRow> = sqlx::query_as(&format!("{USER_SELECT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let roles = role_grants(db, id).await?;
    let can_sign_in = password_hash(db, id).await?.is_some();
    let second_factor = crate::auth::repo::second_factor(db, id).await?.is_some();
    Ok(Some(UserDetail {
        user: row.into_summary(),
        roles,
        can_sign_in,
        second_factor,
    }))
}

/// Which of email / personnel number is used by someone other than `except`.
pub async fn identity_taken(
    tx: &mut Tx,
    email: &str,
    personnel_no: Option<&str>,
    except: Option<UserId>,
) -> Result<(bool, bool), sqlx::Error> {
    let except = except.map(|u| u.0).unwrap_or(-1);
    let email_taken: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = $1 AND id <> $2")
            .bind(email)
            .bind(except)
            .fetch_one(&mut **tx)
            .await?;
    let pno_taken: i64 = match personnel_no {
        Some(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE personnel_no = $1 AND id <> $2")
                .bind(p)
                .bind(except)
                .fetch_one(&mut **tx)
                .await?
        }
        None => 0,
    };
    Ok((email_taken > 0, pno_taken > 0))
}

pub async fn insert_user(
    tx: &mut Tx,
    user: &ValidUser,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<UserId, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, display_name, personnel_no, org_unit_id, locale, password_hash, active, unit_since, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7, $7) RETURNING id",
    )
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(&user.personnel_no)
    .bind(user.org_unit_id)
    .bind(user.locale.code())
    .bind(password_hash)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(UserId(id))
}

/// Updates a user's master data; moving to another unit resets `unit_since`.
pub async fn update_user(
    tx: &mut Tx,
    id: UserId,
    user: &ValidUser,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET email = $1, display_name = $2, personnel_no = $3,
                unit_since = CASE WHEN org_unit_id = $4 THEN unit_since ELSE $6 END,
                org_unit_id = $4, locale = $5, updated_at = $6
          WHERE id = $7",
    )
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(&user.personnel_no)
    .bind(user.org_unit_id)
    .bind(user.locale.code())
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn user_exists(tx: &mut Tx, id: UserId) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n > 0)
}

pub async fn set_user_active(
    tx: &mut Tx,
    id: UserId,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET active = $1, updated_at = $2 WHERE id = $3")
        .bind(active)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn add_role(
    tx: &mut Tx,
    id: UserId,
    role: Role,
    scope: Option<OrgUnitId>,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    // ON CONFLICT DO NOTHING: granting a role twice is not an error, it is already granted.
    let res = sqlx::query(
        "INSERT INTO user_role (user_id, role, scope_unit_id, granted_at, granted_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(role.as_str())
    .bind(scope)
    .bind(now)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(res.rows_affected() > 0)
}

pub async fn remove_role(
    tx: &mut Tx,
    id: UserId,
    role: Role,
    scope: Option<OrgUnitId>,
) -> Result<bool, sqlx::Error> {
    let res = sqlx::query("DELETE FROM user_role WHERE user_id = $1 AND role = $2 AND COALESCE(scope_unit_id, 0) = $3")
        .bind(id)
        .bind(role.as_str())
        .bind(scope.map(|s| s.0).unwrap_or(0))
        .execute(&mut **tx)
        .await?;
    Ok(res.rows_affected() > 0)
}

/// Ends every session of the user signed in before `now` (checked on each request against
/// the session's sign-in time, see `auth::session`).
pub async fn void_sessions(tx: &mut Tx, id: UserId, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET sessions_valid_from = $1 WHERE id = $2")
        .bind(now.timestamp_millis())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM user_session WHERE user_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Active users holding the admin role.
pub async fn active_admin_count(tx: &mut Tx) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(DISTINCT u.id) FROM users u JOIN user_role r ON r.user_id = u.id
          WHERE r.role = 'admin' AND u.active",
    )
    .fetch_one(&mut **tx)
    .await
}

pub async fn clear_roles(tx: &mut Tx, id: UserId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_role WHERE user_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Path of the unit a person belongs to.
pub async fn user_unit_path(tx: &mut Tx, user: UserId) -> Result<Option<UnitPath>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT o.path FROM users u JOIN org_unit o ON o.id = u.org_unit_id WHERE u.id = $1",
    )
    .bind(user)
    .fetch_optional(&mut **tx)
    .await
}

/// (id, email) of every user, in id order.
pub async fn user_emails(db: &Db) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, email FROM users ORDER BY id")
        .fetch_all(db)
        .await
}

pub async fn count_users(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db)
        .await
}

/// Appends an entry to the audit log in the caller's transaction, so the entry exists if and
/// only if the action it describes was committed.
pub async fn audit(
    tx: &mut Tx,
    actor: Option<UserId>,
    action: &str,
    target: &str,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, action, target, details) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now)
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(details.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes one audit entry in a write transaction of its own: for reads that are audited
/// (exports, views), where there is no other write to share it with.
pub async fn audit_alone(
    db: &Db,
    actor: Option<UserId>,
    action: &str,
    target: &str,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut tx = crate::db::begin_write(db).await?;
    audit(&mut tx, actor, action, target, details, now).await?;
    tx.commit().await
}

pub async fn find_login_in(tx: &mut Tx, email: &str) -> Result<Option<UserId>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(id.map(UserId))
}

/// The active user with this e-mail address or personnel number (how other systems name
/// people: MDM reports and device imports).
pub async fn find_active_by_identity(
    tx: &mut Tx,
    key: &str,
) -> Result<Option<UserId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM users WHERE active AND (email = lower($1) OR personnel_no = $1)",
    )
    .bind(key.trim())
    .fetch_optional(&mut **tx)
    .await
}
