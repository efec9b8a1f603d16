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
    use crate::auth::guard::ctx;
    use crate::db::begin_write;
    use crate::i18n::Problem;
    use crate::org::{repo as org_repo, rules::into_error};
    let locale = ctx().locale;
    let device = super::rules::parse_device(&form).map_err(|p| into_error(p, locale))?;
    let db = crate::state::app_state().db;
    let now = chrono::Utc::now();
    let mut tx = begin_write(&db).await?;
    let owner = match device.id {
        Some(id) => {
            let (owner, retired) = super::repo::owner_of(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            if owner != user.id && !user.is_admin() {
                return Err(AppError::Forbidden);
            }
            if retired {
                return Err(AppError::NotFound);
            }
            owner
        }
        None => match owner_id {
            Some(o) if o != user.id && !user.is_admin() => return Err(AppError::Forbidden),
            Some(o) => o,
            None => user.id,
        },
    };
    let taken = super::repo::taken_identifiers(&mut tx, &device).await?;
    if !taken.is_empty() {
        return Err(into_error(
            taken
                .into_iter()
                .map(|f| (f, Problem::DuplicateDeviceId))
                .collect(),
            locale,
        ));
    }
    let id = match device.id {
        Some(id) => {
            super::repo::update(&mut tx, id, &device).await?;
            id
        }
        None => super::repo::insert(&mut tx, owner, &device, now).await?,
    };
    if owner != user.id {
        org_repo::audit(
            &mut tx,
            Some(user.id),
            "device.save",
            &format!("device:{}", id.0),
            serde_json::json!({"owner_id": owner}),
            now,
        )
        .await?;
    }
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
pub async fn retire_device(id: i64) -> Result<(), AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let db = crate::state::app_state().db;
        let mut tx = crate::db::begin_write(&db).await?;
        let (owner, _) = super::repo::owner_of(&mut tx, DeviceId(id))
            .await?
            .ok_or(AppError::NotFound)?;
        if owner != user.id && !user.is_admin() {
            return Err(AppError::Forbidden);
        }
        super::repo::retire(&mut tx, DeviceId(id), chrono::Utc::now()).await?;
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
pub async fn get_device(id: i64) -> Result<Device, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let device = super::repo::get(&crate::state::app_state().db, DeviceId(id))
            .await?
            .ok_or(AppError::NotFound)?;
        if device.owner_id != user.id && !user.is_admin() {
            return Err(AppError::NotFound);
        }
        Ok(device)
    })
    .await
}
