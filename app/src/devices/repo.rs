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
    kind: DeviceKind,
    ownership: Ownership,
    platform: Platform,
    label: String,
    asset_tag: Option<String>,
    serial: Option<String>,
    imei: Option<String>,
    mdm_id: Option<String>,
    retired: bool,
    managed: bool,
}

impl DeviceRow {
    fn into_device(self) -> Device {
        Device {
            id: DeviceId(self.id),
            owner_id: UserId(self.owner_id),
            owner_name: self.owner_name,
            kind: self.kind,
            ownership: self.ownership,
            platform: self.platform,
            label: self.label,
            asset_tag: self.asset_tag,
            serial: self.serial,
            imei: self.imei,
            mdm_id: self.mdm_id,
            retired: self.retired,
            managed: self.managed,
        }
    }
}

const DEVICE_SELECT: &str = "SELECT d.id, d.owner_id, u.display_name AS owner_name, d.kind, d.ownership, d.platform, d.label,
       d.asset_tag, d.serial, d.imei, d.mdm_id, (d.retired_at IS NOT NULL) AS retired,
       (d.managed_at IS NOT NULL OR d.last_inventory_at IS NOT NULL) AS managed
  FROM device d JOIN users u ON u.id = d.owner_id";

/// The devices with the given ids (one statement), by id.
pub async fn get_many(
    db: &Db,
    ids: &[DeviceId],
) -> Result<std::collections::HashMap<DeviceId, Device>, sqlx::Error> {
    let ids = serde_json::to_string(&ids.iter().map(|d| d.0).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".to_owned());
    let rows: Vec<DeviceRow> = sqlx::query_as(&format!(
        "{DEVICE_SELECT} WHERE d.id IN (SELECT value FROM json_each($1))"
    ))
    .bind(ids)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(DeviceRow::into_device)
        .map(|d| (d.id, d))
        .collect())
}

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

/// (MDM id, platform) of the active Android and iOS devices with an MDM id, in registration
/// order: what `server simulate-mdm` reports on.
pub async fn managed_phones(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT mdm_id, platform FROM device WHERE mdm_id IS NOT NULL AND retired_at IS NULL AND platform IN ('android', 'ios') ORDER BY id",
    )
    .fetch_all(db)
    .await
}

/// (MDM id, platform, owner's email) of every Android and iOS device with an MDM id, retired
/// ones included, in registration order: the demo city's first inventory reports.
pub async fn managed_phones_with_owner(
    db: &Db,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.mdm_id, d.platform, u.email FROM device d JOIN users u ON u.id = d.owner_id
          WHERE d.mdm_id IS NOT NULL AND d.platform IN ('android', 'ios') ORDER BY d.id",
    )
    .fetch_all(db)
    .await
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
    let id = DeviceId(id);
    // Every new device claims its identifiers, whichever path registered it.
    record_claims(tx, id, owner, d.mdm_id.as_deref(), d.imei.as_deref(), now).await?;
    Ok(id)
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

/// Owner, retirement and identity of a stored device, for the owner-edit rules.
pub async fn stored_identity(
    tx: &mut Tx,
    id: DeviceId,
) -> Result<Option<(UserId, bool, super::rules::StoredIdentity)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        owner_id: UserId,
        retired: bool,
        managed: bool,
        kind: DeviceKind,
        ownership: Ownership,
        platform: Platform,
        serial: Option<String>,
        imei: Option<String>,
        mdm_id: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT owner_id, retired_at IS NOT NULL AS retired,
                (managed_at IS NOT NULL OR last_inventory_at IS NOT NULL) AS managed,
                kind, ownership, platform, serial, imei, mdm_id
           FROM device WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| {
        (
            r.owner_id,
            r.retired,
            super::rules::StoredIdentity {
                managed: r.managed,
                kind: r.kind,
                ownership: r.ownership,
                platform: r.platform,
                serial: r.serial,
                imei: r.imei,
                mdm_id: r.mdm_id,
            },
        )
    }))
}

/// Whether the device is warned or blocked under any rule.
pub async fn is_restricted(tx: &mut Tx, id: DeviceId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM device_compliance WHERE device_id = $1 AND state IN ('warned', 'blocked'))",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await
}

/// Marks a device as managed (imported by an admin or registered by an MDM).
pub async fn mark_managed(
    tx: &mut Tx,
    id: DeviceId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE device SET managed_at = coalesce(managed_at, $1) WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The identifier fields (`mdm_id`, `imei`) of which a person other than `owner` holds the
/// claim: an identifier belongs to one person for ever (see `device_identifier`).
pub async fn claimed_by_others(
    tx: &mut Tx,
    owner: UserId,
    mdm_id: Option<&str>,
    imei: Option<&str>,
) -> Result<Vec<&'static str>, sqlx::Error> {
    claimed(tx, owner, mdm_id, imei, false).await
}

/// Like [`claimed_by_others`], but only claims that an MDM or an admin vouched for (the
/// claiming device is managed). An MDM registering a device overrides claims that rest on a
/// self-registration alone, so nobody can squat a colleague's MDM id.
pub async fn vouched_claims_of_others(
    tx: &mut Tx,
    owner: UserId,
    mdm_id: Option<&str>,
    imei: Option<&str>,
) -> Result<Vec<&'static str>, sqlx::Error> {
    claimed(tx, owner, mdm_id, imei, true).await
}

async fn claimed(
    tx: &mut Tx,
    owner: UserId,
    mdm_id: Option<&str>,
    imei: Option<&str>,
    vouched_only: bool,
) -> Result<Vec<&'static str>, sqlx::Error> {
    let mut out = vec![];
    for (kind, value) in [("mdm_id", mdm_id), ("imei", imei)] {
        let Some(value) = value else { continue };
        let other: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM device_identifier i JOIN device d ON d.id = i.device_id
                             WHERE i.kind = $1 AND i.value = $2 AND i.owner_id <> $3
                               AND (NOT $4 OR d.managed_at IS NOT NULL OR d.last_inventory_at IS NOT NULL))",
        )
        .bind(kind)
        .bind(value)
        .bind(owner)
        .bind(vouched_only)
        .fetch_one(&mut **tx)
        .await?;
        if other {
            out.push(kind);
        }
    }
    Ok(out)
}

/// Records that `device` (of `owner`) carries these identifiers. When an identifier was
/// carried by another device before (re-registration after it was cleared or the device
/// retired), the new device inherits that device's warned and blocked standings, so that
/// re-registering never buys a fresh grace period. Claims move to `owner`: callers refuse
/// other people's claims first unless an admin is acting (see [`claimed_by_others`]).
pub async fn record_claims(
    tx: &mut Tx,
    device: DeviceId,
    owner: UserId,
    mdm_id: Option<&str>,
    imei: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for (kind, value) in [("mdm_id", mdm_id), ("imei", imei)] {
        let Some(value) = value else { continue };
        let previous: Option<DeviceId> = sqlx::query_scalar(
            "SELECT device_id FROM device_identifier WHERE kind = $1 AND value = $2",
        )
        .bind(kind)
        .bind(value)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(old) = previous.filter(|old| *old != device) {
            inherit_standings(tx, old, device, now).await?;
        }
        sqlx::query(
            "INSERT INTO device_identifier (kind, value, owner_id, device_id, claimed_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (kind, value) DO UPDATE SET owner_id = excluded.owner_id, device_id = excluded.device_id",
        )
        .bind(kind)
        .bind(value)
        .bind(owner)
        .bind(device)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Copies the warned and blocked standings of `from` to `to` (where `to` has none under
/// that rule), each recorded as a transition with cause `inherited` for the evidence chain.
async fn inherit_standings(
    tx: &mut Tx,
    from: DeviceId,
    to: DeviceId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const FROM_RESTRICTED: &str = "FROM device_compliance s WHERE s.device_id = $1 AND s.state IN ('warned', 'blocked')
          AND NOT EXISTS (SELECT 1 FROM device_compliance t WHERE t.device_id = $2 AND t.rule = s.rule)";
    sqlx::query(&format!(
        "INSERT INTO compliance_transition (device_id, rule, from_state, to_state, at, cause, apps)
         SELECT $2, s.rule, 'compliant', s.state, $3, 'inherited', s.apps {FROM_RESTRICTED}"
    ))
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO device_compliance (device_id, rule, circular_id, state, since, apps, warned_at, block_at)
         SELECT $2, s.rule, s.circular_id, s.state, s.since, s.apps, s.warned_at, s.block_at {FROM_RESTRICTED}"
    ))
    .bind(from)
    .bind(to)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves a device nobody vouched for to the owner an MDM names, and undoes a retirement by
/// the wrong registrant.
pub async fn reassign_unmanaged(
    tx: &mut Tx,
    id: DeviceId,
    owner: UserId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE device SET owner_id = $1, retired_at = NULL, managed_at = $2 WHERE id = $3",
    )
    .bind(owner)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Hands every identifier claim of a device to its new owner.
pub async fn move_claims(tx: &mut Tx, id: DeviceId, owner: UserId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE device_identifier SET owner_id = $1 WHERE device_id = $2")
        .bind(owner)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
