//! Server functions for devices. Owners manage their own devices; admins all of them.
use super::{Device, DeviceForm, DeviceId};
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "devices/save")]
pub async fn save_device(form: DeviceForm) -> Result<DeviceId, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let db = crate::state::app_state().db;
        super::service::save(&db, &user, form, chrono::Utc::now()).await
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
        super::service::retire(&db, &user, id, chrono::Utc::now()).await
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
