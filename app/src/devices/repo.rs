//! SQL of the devices domain.
use super::rules::ValidDevice;
use super::{Device, DeviceId, DeviceKind, Ownership, Platform};
use crate::db::{Db, Tx};
use crate::org::UserId;
use chrono::{DateTime, Utc};
use sqlx::FromRow;

#[derive(FromRow)]
struct DeviceRow {
    id: i64,
    owner_id: i64,
    owner_name: String,
    kind: String,
    ownership: String,
    platform: String,
    label: String,
    asset_tag: Option<String>,
    serial: Option<String>,
    imei: Option<String>,
    mdm_id: Option<String>,
    retired: bool,
}

impl DeviceRow {
    fn into_device(self) -> Device {
        // CHECK constraints guarantee known values.
        Device {
            id: DeviceId(self.id),
            owner_id: UserId(self.owner_id),
            owner_name: self.owner_name,
            kind: DeviceKind::parse(&self.kind).unwrap_or(DeviceKind::Phone),
            ownership: Ownership::parse(&self.ownership).unwrap_or(Ownership::Service),
            platform: Platform::parse(&self.platform).unwrap_or(Platform::Other),
            label: self.label,
            asset_tag: self.asset_tag,
            serial: self.serial,
            imei: self.imei,
            mdm_id: self.mdm_id,
            retired: self.retired,
        }
    }
}

const DEVICE_SELECT: &str = "SELECT d.id, d.owner_id, u.display_name AS owner_name, d.kind, d.ownership, d.platform, d.label,
       d.asset_tag, d.serial, d.imei, d.mdm_id, (d.retired_at IS NOT NULL) AS retired
  FROM device d JOIN users u ON u.id = d.owner_id";

/// Active (not retired) devices of one person, in registration order.
pub async fn active_for_owner(db: &Db, owner: UserId) -> Result<Vec<Device>, sqlx::Error> {
    let rows: Vec<DeviceRow> = sqlx::query_as(&format!(
        "{DEVICE_SELECT} WHERE d.owner_id = $1 AND d.retired_at IS NULL ORDER BY d.id"
    ))
    .bind(owner)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(DeviceRow::into_device).collect())
}

pub async fn all_for_owner(db: &Db, owner: UserId) -> Result<Vec<Device>, sqlx::Error> {
    let rows: Vec<DeviceRow> = sqlx::query_as(&format!(
        "{DEVICE_SELECT} WHERE d.owner_id = $1 ORDER BY d.retired_at IS NOT NULL, d.id"
    ))
    .bind(owner)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(DeviceRow::into_device).collect())
}

/// Admin list: search over owner name/email, label and identifiers; newest first.
pub async fn search(db: &Db, query: &str, limit: i64) -> Result<Vec<Device>, sqlx::Error> {
    let pattern = crate::db::like_pattern(query);
    let rows: Vec<DeviceRow> = sqlx::query_as(&format!(
        "{DEVICE_SELECT} WHERE lower(u.display_name) LIKE $1 ESCAPE '\\' OR u.email LIKE $1 ESCAPE '\\' OR lower(d.label) LIKE $1 ESCAPE '\\'
            OR lower(coalesce(d.mdm_id, '')) LIKE $1 ESCAPE '\\' OR coalesce(d.imei, '') LIKE $1 ESCAPE '\\' OR lower(coalesce(d.asset_tag, '')) LIKE $1 ESCAPE '\\'
         ORDER BY d.id DESC LIMIT $2"
    ))
    .bind(pattern)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(DeviceRow::into_device).collect())
}

pub async fn get(db: &Db, id: DeviceId) -> Result<Option<Device>, sqlx::Error> {
    let row: Option<DeviceRow> = sqlx::query_as(&format!("{DEVICE_SELECT} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(DeviceRow::into_device))
}

pub async fn owner_of(tx: &mut Tx, id: DeviceId) -> Result<Option<(UserId, bool)>, sqlx::Error> {
    let row: Option<(i64, bool)> =
        sqlx::query_as("SELECT owner_id, retired_at IS NOT NULL FROM device WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.map(|(o, r)| (UserId(o), r)))
}

/// Which unique identifiers of `d` are already used by another device.
pub async fn taken_identifiers(
    tx: &mut Tx,
    d: &ValidDevice,
) -> Result<Vec<&'static str>, sqlx::Error> {
    let except = d.id.map(|i| i.0).unwrap_or(-1);
    let mut taken = vec![];
    for (field, value) in [
        ("asset_tag", &d.asset_tag),
        ("imei", &d.imei),
        ("mdm_id", &d.mdm_id),
    ] {
        if let Some(v) = value {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM device WHERE {field} = $1 AND id <> $2"
            ))
            .bind(v)
            .bind(except)
            .fetch_one(&mut **tx)
            .await?;
            if n > 0 {
                taken.push(field);
            }
        }
    }
    Ok(taken)
}

pub async fn insert(
    tx: &mut Tx,
    owner: UserId,
    d: &ValidDevice,
    now: DateTime<Utc>,
) -> Result<DeviceId, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO device (owner_id, kind, ownership, platform, label, asset_tag, serial, imei, mdm_id, registered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(owner)
    .bind(d.kind.as_str())
    .bind(d.ownership.as_str())
    .bind(d.platform.as_str())
    .bind(&d.label)
    .bind(&d.asset_tag)
    .bind(&d.serial)
    .bind(&d.imei)
    .bind(&d.mdm_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(DeviceId(id))
}

pub async fn update(tx: &mut Tx, id: DeviceId, d: &ValidDevice) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE device SET kind = $1, ownership = $2, platform = $3, label = $4, asset_tag = $5, serial = $6, imei = $7, mdm_id = $8
          WHERE id = $9",
    )
    .bind(d.kind.as_str())
    .bind(d.ownership.as_str())
    .bind(d.platform.as_str())
    .bind(&d.label)
    .bind(&d.asset_tag)
    .bind(&d.serial)
    .bind(&d.imei)
    .bind(&d.mdm_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn retire(tx: &mut Tx, id: DeviceId, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE device SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Hands a device to another owner (bulk import from the asset register).
pub async fn set_owner(tx: &mut Tx, id: DeviceId, owner: UserId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE device SET owner_id = $1 WHERE id = $2")
        .bind(owner)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn id_by_mdm(tx: &mut Tx, mdm_id: &str) -> Result<Option<DeviceId>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM device WHERE mdm_id = $1")
        .bind(mdm_id)
        .fetch_optional(&mut **tx)
        .await
}
