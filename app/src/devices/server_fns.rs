//! Server functions for devices. Owners manage their own devices; admins all of them.
use super::{Device, DeviceForm, DeviceId};
use crate::error::AppError;
use leptos::prelude::*;

/// Registers or updates a device and returns its id. Owners act on their own devices;
/// an admin may act on anyone's (`owner_id` names the owner for new devices).
#[cfg(feature = "ssr")]
pub async fn save_device_as(
    user: &crate::auth::SessionUser,
    owner_id: Option<crate::org::UserId>,
    form: DeviceForm,
) -> Result<DeviceId, AppError> {
    use crate::db::begin_write;
    use crate::i18n::Problem;
    use crate::org::repo as org_repo;
    let device = super::rules::parse_device(&form).map_err(AppError::fields)?;
    let db = crate::state::app_state().db;
    let now = chrono::Utc::now();
    let admin = user.is_admin();
    let mut tx = begin_write(&db).await?;
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
        None => match owner_id {
            Some(o) if o != user.id && !admin => return Err(AppError::Forbidden),
            Some(o) => (o, vec![]),
            None => (user.id, vec![]),
        },
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

#[server(prefix = "/fn", endpoint = "devices/save")]
pub async fn save_device(form: DeviceForm) -> Result<DeviceId, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        save_device_as(&user, None, form).await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "devices/mine")]
pub async fn my_devices() -> Result<Vec<Device>, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        Ok(super::repo::all_for_owner(&crate::state::app_state().db, user.id).await?)
    })
    .await
}

#[server(prefix = "/fn", endpoint = "devices/retire")]
pub async fn retire_device(id: DeviceId) -> Result<(), AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let db = crate::state::app_state().db;
        let now = chrono::Utc::now();
        let mut tx = crate::db::begin_write(&db).await?;
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
    })
    .await
}

#[server(prefix = "/fn", endpoint = "devices/search")]
pub async fn search_devices(q: String) -> Result<Vec<Device>, AppError> {
    crate::error::respond(async move {
        crate::auth::guard::require_role(crate::auth::Role::Admin)?;
        let q: String = q.chars().take(100).collect();
        Ok(super::repo::search(&crate::state::app_state().db, &q, 200).await?)
    })
    .await
}

/// One device, for its owner or an admin (others get 404).
#[server(prefix = "/fn", endpoint = "devices/get")]
pub async fn get_device(id: DeviceId) -> Result<Device, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let device = super::repo::get(&crate::state::app_state().db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if device.owner_id != user.id && !user.is_admin() {
            return Err(AppError::NotFound);
        }
        Ok(device)
    })
    .await
}
