//! Operations on devices: registering and updating (with the identifier claims that keep
//! an MDM id or IMEI with one person) and retiring. Each runs in one write transaction with
//! its audit entry; callers pass the acting person and the clock.
use super::{DeviceForm, DeviceId};
use crate::auth::SessionUser;
use crate::db::{begin_write, Db};
use crate::error::AppError;
use crate::i18n::Problem;
use crate::org::repo as org_repo;
use chrono::{DateTime, Utc};

/// Registers (for `user`) or updates a device and returns its id. Owners act on their own
/// devices; an admin may update anyone's, and only an admin moves an identifier another
/// person holds (audited). Every change is audited, the owner's own included.
pub async fn save(
    db: &Db,
    user: &SessionUser,
    form: DeviceForm,
    now: DateTime<Utc>,
) -> Result<DeviceId, AppError> {
    let device = super::rules::parse_device(&form).map_err(AppError::fields)?;
    let admin = user.is_admin();
    let mut tx = begin_write(db).await?;
    let (owner, changed) = match device.id {
        Some(id) => {
            let (owner, retired, stored) = super::repo::stored_identity(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            if owner != user.id && !admin {
                return Err(AppError::Forbidden);
            }
            if retired {
                return Err(AppError::NotFound);
            }
            if !admin {
                super::rules::owner_may_change(&stored, &device).map_err(AppError::fields)?;
            }
            (owner, super::rules::changed_identity(&stored, &device))
        }
        None => (user.id, vec![]),
    };
    let mut problems: Vec<_> = super::repo::taken_identifiers(&mut tx, &device)
        .await?
        .into_iter()
        .map(|f| (f, Problem::DuplicateDeviceId))
        .collect();
    // An identifier belongs to one person for ever; only an admin moves it (audited).
    let claimed = super::repo::claimed_by_others(
        &mut tx,
        owner,
        device.mdm_id.as_deref(),
        device.imei.as_deref(),
    )
    .await?;
    if !admin {
        problems.extend(
            claimed
                .iter()
                .filter(|f| !problems.iter().any(|(p, _)| p == *f))
                .map(|f| (*f, Problem::IdentifierClaimed))
                .collect::<Vec<_>>(),
        );
    }
    if !problems.is_empty() {
        tracing::warn!(user_id = user.id.0, fields = ?problems.iter().map(|(f, _)| *f).collect::<Vec<_>>(), "device identifiers refused");
        return Err(AppError::fields(problems));
    }
    let id = match device.id {
        Some(id) => {
            super::repo::update(&mut tx, id, &device).await?;
            super::repo::record_claims(
                &mut tx,
                id,
                owner,
                device.mdm_id.as_deref(),
                device.imei.as_deref(),
                now,
            )
            .await?;
            id
        }
        None => super::repo::insert(&mut tx, owner, &device, now).await?,
    };
    // Every change of a device is on record, the owner's own included.
    org_repo::audit(
        &mut tx,
        Some(user.id),
        if device.id.is_some() {
            "device.update"
        } else {
            "device.register"
        },
        &format!("device:{}", id.0),
        serde_json::json!({
            "owner_id": owner,
            "identifiers_changed": changed,
            "claims_moved": if admin { claimed } else { vec![] },
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Retires a device (its owner or an admin). Owners cannot retire a device that is warned or
/// blocked (that would end the restriction); retiring twice changes nothing.
pub async fn retire(
    db: &Db,
    user: &SessionUser,
    id: DeviceId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = begin_write(db).await?;
    let (owner, retired) = super::repo::owner_of(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if owner != user.id && !user.is_admin() {
        return Err(AppError::Forbidden);
    }
    if retired {
        return Ok(());
    }
    if !user.is_admin() {
        super::rules::owner_may_retire(super::repo::is_restricted(&mut tx, id).await?)
            .map_err(|p| AppError::field("device", p))?;
    }
    super::repo::retire(&mut tx, id, now).await?;
    crate::org::repo::audit(
        &mut tx,
        Some(user.id),
        "device.retire",
        &format!("device:{}", id.0),
        serde_json::json!({"owner_id": owner}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
