//! Write operations of the organisation domain: validate against the database inside one
//! `BEGIN IMMEDIATE` transaction, write, and append the audit entry in the same
//! transaction. Used by server functions, the CSV import and the CLI alike.
use super::repo;
use super::rules::{check_placement, Problems, ValidUnit, ValidUser};
use super::{OrgUnitId, UnitKind, UnitPath, UserId};
use crate::auth::password::PasswordService;
use crate::auth::rules::{check_new_password, check_role_scope};
use crate::auth::Role;
use crate::db::{begin_write, Db, Tx};
use crate::error::{AppError, FieldError};
use crate::i18n::{Locale, Problem};
use chrono::Utc;
use serde_json::json;

/// Checks placement rules against the stored tree and returns the new parent's path (a
/// problem is reported at `parent_id`).
async fn placement(
    tx: &mut Tx,
    unit: &ValidUnit,
    own_path: Option<&UnitPath>,
) -> Result<UnitPath, AppError> {
    let misplaced = |p| AppError::field("parent_id", p);
    let parent_path = match unit.parent_id {
        Some(pid) => match repo::unit_path(tx, pid).await? {
            Some((path, _)) => Some(path),
            None => return Err(misplaced(Problem::UnknownUnit)),
        },
        None => None,
    };
    check_placement(unit.kind, parent_path.as_ref(), own_path).map_err(misplaced)?;
    if unit.kind == UnitKind::City && own_path.is_none() && repo::root_exists(tx).await? {
        return Err(misplaced(Problem::SingleRoot));
    }
    Ok(parent_path.unwrap_or_else(UnitPath::above_root))
}

/// Creates (no id) or updates a unit, including moving it with its subtree.
pub async fn save_unit(
    db: &Db,
    actor: Option<UserId>,
    unit: ValidUnit,
) -> Result<OrgUnitId, AppError> {
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    let id = save_unit_in(&mut tx, actor, &unit, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// The transactional core of `save_unit`, shared with the CSV import and the seeds. Invalid
/// input is a validation error and nothing is written.
pub async fn save_unit_in(
    tx: &mut Tx,
    actor: Option<UserId>,
    unit: &ValidUnit,
    now: chrono::DateTime<Utc>,
) -> Result<OrgUnitId, AppError> {
    let existing = match unit.id {
        Some(id) => match repo::unit_path(tx, id).await? {
            Some((path, _)) => Some((id, path)),
            None => return Err(AppError::field("id", Problem::UnknownUnit)),
        },
        None => None,
    };
    let mut problems = vec![];
    if let Some((other, _)) = repo::unit_by_code(tx, &unit.code).await? {
        if Some(other) != unit.id {
            problems.push(FieldError::new("code", Problem::DuplicateCode));
        }
    }
    let parent_path = match placement(tx, unit, existing.as_ref().map(|(_, p)| p)).await {
        Ok(p) => Some(p),
        Err(AppError::Validation(v)) => {
            problems.extend(v);
            None
        }
        Err(other) => return Err(other),
    };
    let (Some(parent_path), true) = (parent_path, problems.is_empty()) else {
        return Err(AppError::Validation(problems));
    };
    let id = match existing {
        Some((id, old_path)) => {
            repo::update_unit(tx, id, unit, &old_path, &parent_path, now).await?;
            repo::audit(
                tx,
                actor,
                "unit.update",
                &format!("unit:{}", id.0),
                json!({"code": unit.code, "name": unit.name, "parent_id": unit.parent_id}),
                now,
            )
            .await?;
            id
        }
        None => {
            let id = repo::insert_unit(tx, unit, &parent_path, now).await?;
            repo::audit(
                tx,
                actor,
                "unit.create",
                &format!("unit:{}", id.0),
                json!({"code": unit.code, "name": unit.name, "parent_id": unit.parent_id}),
                now,
            )
            .await?;
            id
        }
    };
    Ok(id)
}

pub async fn set_unit_active(
    db: &Db,
    actor: Option<UserId>,
    id: OrgUnitId,
    active: bool,
) -> Result<(), AppError> {
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    if repo::unit_path(&mut tx, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    if !active && repo::unit_has_active_members(&mut tx, id).await? {
        return Err(AppError::field("active", Problem::UnitHasActiveMembers));
    }
    repo::set_unit_active(&mut tx, id, active, now).await?;
    let action = if active {
        "unit.reactivate"
    } else {
        "unit.deactivate"
    };
    repo::audit(
        &mut tx,
        actor,
        action,
        &format!("unit:{}", id.0),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates (no id) or updates a user. A password is only set on creation; it is hashed before
/// the transaction starts so the write lock is not held during hashing.
pub async fn save_user(
    db: &Db,
    passwords: &PasswordService,
    actor: Option<UserId>,
    user: ValidUser,
) -> Result<UserId, AppError> {
    let hash = match (&user.password, user.id) {
        (Some(pw), None) => Some(passwords.hash(pw).await),
        _ => None,
    };
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    let id = save_user_in(&mut tx, actor, &user, hash.as_deref(), now).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn save_user_in(
    tx: &mut Tx,
    actor: Option<UserId>,
    user: &ValidUser,
    password_hash: Option<&str>,
    now: chrono::DateTime<Utc>,
) -> Result<UserId, AppError> {
    let mut problems = Problems::new();
    if let Some(id) = user.id {
        if !repo::user_exists(tx, id).await? {
            return Err(AppError::field("id", Problem::Required));
        }
    }
    let (email_taken, pno_taken) =
        repo::identity_taken(tx, &user.email, user.personnel_no.as_deref(), user.id).await?;
    if email_taken {
        problems.push(("email", Problem::DuplicateEmail));
    }
    if pno_taken {
        problems.push(("personnel_no", Problem::DuplicatePersonnelNo));
    }
    if repo::unit_path(tx, user.org_unit_id).await?.is_none() {
        problems.push(("org_unit_id", Problem::UnknownUnit));
    }
    if !problems.is_empty() {
        return Err(AppError::fields(problems));
    }
    let details = json!({"email": user.email, "org_unit_id": user.org_unit_id});
    let id = match user.id {
        Some(id) => {
            repo::update_user(tx, id, user, now).await?;
            repo::audit(
                tx,
                actor,
                "user.update",
                &format!("user:{}", id.0),
                details,
                now,
            )
            .await?;
            id
        }
        None => {
            let id = repo::insert_user(tx, user, password_hash, now).await?;
            repo::add_role(tx, id, Role::Employee, None, actor, now).await?;
            repo::audit(
                tx,
                actor,
                "user.create",
                &format!("user:{}", id.0),
                details,
                now,
            )
            .await?;
            id
        }
    };
    Ok(id)
}

pub async fn set_user_active(
    db: &Db,
    actor: UserId,
    id: UserId,
    active: bool,
) -> Result<(), AppError> {
    if actor == id && !active {
        return Err(AppError::field("active", Problem::CannotDeactivateSelf));
    }
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    if !repo::user_exists(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    repo::set_user_active(&mut tx, id, active, now).await?;
    if !active && repo::active_admin_count(&mut tx).await? == 0 {
        return Err(AppError::field("active", Problem::LastAdmin));
    }
    if !active {
        // Deactivation ends every session of the account at once.
        repo::void_sessions(&mut tx, id, now).await?;
    }
    let action = if active {
        "user.reactivate"
    } else {
        "user.deactivate"
    };
    repo::audit(
        &mut tx,
        Some(actor),
        action,
        &format!("user:{}", id.0),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Grants or revokes a role. Revoking the last admin role of the city is refused so the
/// portal can never lock out its administrators.
pub async fn change_role(
    db: &Db,
    actor: Option<UserId>,
    id: UserId,
    role: Role,
    scope: Option<OrgUnitId>,
    grant: bool,
) -> Result<(), AppError> {
    check_role_scope(role, scope.is_some()).map_err(|p| AppError::field("scope_unit_id", p))?;
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    if !repo::user_exists(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    if let Some(unit) = scope {
        if repo::unit_path(&mut tx, unit).await?.is_none() {
            return Err(AppError::field("scope_unit_id", Problem::UnknownUnit));
        }
    }
    let changed = if grant {
        repo::add_role(&mut tx, id, role, scope, actor, now).await?
    } else {
        repo::remove_role(&mut tx, id, role, scope).await?
    };
    // Checked after the change, in its transaction: whatever path removed the role, the
    // portal keeps an active administrator (the transaction is rolled back on drop).
    if role == Role::Admin && !grant && repo::active_admin_count(&mut tx).await? == 0 {
        return Err(AppError::field("role", Problem::LastAdmin));
    }
    if changed {
        let action = if grant {
            "user.role_grant"
        } else {
            "user.role_revoke"
        };
        repo::audit(
            &mut tx,
            actor,
            action,
            &format!("user:{}", id.0),
            json!({"role": role.as_str(), "scope_unit_id": scope}),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An admin ends every session of a person at once (audited).
pub async fn end_all_sessions(db: &Db, actor: UserId, id: UserId) -> Result<(), AppError> {
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    if !repo::user_exists(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    repo::void_sessions(&mut tx, id, now).await?;
    repo::audit(
        &mut tx,
        Some(actor),
        "user.sessions_ended",
        &format!("user:{}", id.0),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A person created from the command line (e.g. the first admin of a deployment).
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    /// Org unit code; the root unit when `None`.
    pub unit_code: Option<String>,
    /// Name of the root unit to create when the tree is still empty.
    pub city: String,
    /// Roles besides employee, with the code of their scope unit.
    pub grants: Vec<(Role, Option<String>)>,
    pub password: String,
}

/// Creates the person, their roles and, in an empty database, the root unit, all in one
/// transaction: a bad scope or a duplicate address leaves nothing behind.
pub async fn create_account(
    db: &Db,
    passwords: &PasswordService,
    account: NewAccount,
) -> Result<UserId, AppError> {
    for (role, scope) in &account.grants {
        check_role_scope(*role, scope.is_some()).map_err(|p| AppError::field("role", p))?;
    }
    let hash = passwords.hash(&account.password).await;
    let now = Utc::now();
    let unknown = |field: &str| AppError::field(field, Problem::UnknownUnit);
    let mut tx = begin_write(db).await?;
    let unit_id = match &account.unit_code {
        Some(code) => {
            repo::unit_by_code(&mut tx, code)
                .await?
                .ok_or_else(|| unknown("unit"))?
                .0
        }
        None => match repo::root_unit(&mut tx).await? {
            Some(id) => id,
            None => {
                let root = ValidUnit {
                    id: None,
                    code: "STADT".into(),
                    name: account.city.clone(),
                    kind: UnitKind::City,
                    parent_id: None,
                };
                save_unit_in(&mut tx, None, &root, now).await?
            }
        },
    };
    let form = super::UserForm {
        email: account.email,
        display_name: account.display_name,
        org_unit_id: unit_id.0.to_string(),
        // People see German until they choose otherwise; `locale` is only for messages.
        locale: Locale::default().as_str().into(),
        password: account.password,
        ..Default::default()
    };
    let user = super::rules::parse_user(&form).map_err(AppError::fields)?;
    let id = save_user_in(&mut tx, None, &user, Some(&hash), now).await?;
    for (role, scope) in account.grants {
        if role == Role::Employee {
            continue;
        }
        let scope_id = match scope {
            Some(code) => Some(
                repo::unit_by_code(&mut tx, &code)
                    .await?
                    .ok_or_else(|| unknown("role"))?
                    .0,
            ),
            None => None,
        };
        repo::add_role(&mut tx, id, role, scope_id, None, now).await?;
        repo::audit(
            &mut tx,
            None,
            "user.role_grant",
            &format!("user:{}", id.0),
            json!({"role": role.as_str(), "scope_unit_id": scope_id}),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Sets a password (admin reset, CLI, or the user's own change after verification).
pub async fn set_password(
    db: &Db,
    passwords: &PasswordService,
    actor: Option<UserId>,
    id: UserId,
    password: &str,
) -> Result<(), AppError> {
    let user = repo::get_user(db, id).await?.ok_or(AppError::NotFound)?;
    let local_part = user
        .user
        .email
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    // zxcvbn takes tens of milliseconds on long inputs: off the executor, like hashing.
    let candidate = password.to_owned();
    let checked = tokio::task::spawn_blocking(move || {
        check_new_password(
            &candidate,
            &[&user.user.email, &local_part, &user.user.display_name],
        )
    })
    .await
    .map_err(|_| AppError::Internal)?;
    checked.map_err(|p| AppError::field("new_password", p))?;
    let hash = passwords.hash(password).await;
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    if !repo::user_exists(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    repo::set_password_hash(&mut tx, id, &hash, now).await?;
    // Every session signed in before now ends; the caller renews the current one.
    repo::void_sessions(&mut tx, id, now).await?;
    repo::audit(
        &mut tx,
        actor,
        "user.password_set",
        &format!("user:{}", id.0),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
