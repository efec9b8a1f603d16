//! SQL of acknowledgments: inbox, audience check, the idempotent insert, receipts.
use super::{AckId, Attestation, HistoryItem, Receipt, ReceiptDevice};
use crate::circulars::repo::{HAS_VALID_ACK, IN_AUDIENCE};
use crate::circulars::VersionId;
use crate::db::{Db, Tx};
use crate::devices::DeviceId;
use crate::i18n::Locale;
use crate::org::UserId;
use chrono::{DateTime, Utc};
use sqlx::FromRow;

#[derive(FromRow)]
pub struct DueRow {
    pub version_id: i64,
    pub number: String,
    pub title: String,
    pub summary: String,
    #[sqlx(flatten)]
    pub basis: crate::circulars::repo::DeadlineBasis,
}

/// Published versions addressed to the user that no acknowledgment covers yet.
pub async fn due_for(db: &Db, user: UserId) -> Result<Vec<DueRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT v.id AS version_id, c.number, v.title, v.summary, v.ack_deadline, v.published_at, u.unit_since
           FROM circular_version v JOIN circular c ON c.id = v.circular_id, users u JOIN org_unit uo ON uo.id = u.org_unit_id
          WHERE u.id = $1 AND v.status = 'published' AND {IN_AUDIENCE} AND NOT {HAS_VALID_ACK}"
    ))
    .bind(user)
    .fetch_all(db)
    .await
}

/// The version if it is published and the user is in its audience.
pub async fn addressed(
    ex: &mut Tx,
    user: UserId,
    version: VersionId,
) -> Result<Option<DueRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT v.id AS version_id, c.number, v.title, v.summary, v.ack_deadline, v.published_at, u.unit_since
           FROM circular_version v JOIN circular c ON c.id = v.circular_id, users u JOIN org_unit uo ON uo.id = u.org_unit_id
          WHERE u.id = $1 AND v.id = $2 AND v.status = 'published' AND u.active AND {IN_AUDIENCE}"
    ))
    .bind(user)
    .bind(version)
    .fetch_optional(&mut **ex)
    .await
}

/// What acknowledging `version` needs to know, in one statement on the read side: `None`
/// unless the version is published and the user (active) in its audience; else the text's
/// hash, the acknowledgment that already counts, if any, and the person's active devices.
pub struct AckCheck {
    pub content_sha256: Option<String>,
    pub existing: Option<AckId>,
    pub devices: Vec<DeviceId>,
}

pub async fn ack_check(
    db: &Db,
    user: UserId,
    version: VersionId,
) -> Result<Option<AckCheck>, sqlx::Error> {
    let row: Option<(Option<String>, Option<i64>, Option<String>)> = sqlx::query_as(&format!(
        "SELECT v.content_sha256,
                (SELECT k.id FROM acknowledgment k JOIN circular_version kv ON kv.id = k.version_id
                  WHERE k.user_id = u.id AND kv.circular_id = v.circular_id AND kv.version_no >= v.ack_basis_no
                  ORDER BY kv.version_no DESC LIMIT 1),
                (SELECT group_concat(d.id, ',') FROM device d WHERE d.owner_id = u.id AND d.retired_at IS NULL)
           FROM circular_version v, users u JOIN org_unit uo ON uo.id = u.org_unit_id
          WHERE u.id = $1 AND v.id = $2 AND v.status = 'published' AND u.active AND {IN_AUDIENCE}"
    ))
    .bind(user)
    .bind(version)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(content_sha256, existing, devices)| AckCheck {
        content_sha256,
        existing: existing.map(AckId),
        devices: devices
            .unwrap_or_default()
            .split(',')
            .filter_map(|d| d.parse().ok().map(DeviceId))
            .collect(),
    }))
}

/// The acknowledgment that counts for `version` (its own or, after an editorial change,
/// one of an earlier version).
pub async fn valid_ack(
    ex: &mut Tx,
    user: UserId,
    version: VersionId,
) -> Result<Option<AckId>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT k.id FROM acknowledgment k JOIN circular_version kv ON kv.id = k.version_id, circular_version v
          WHERE v.id = $2 AND k.user_id = $1 AND kv.circular_id = v.circular_id AND kv.version_no >= v.ack_basis_no
          ORDER BY kv.version_no DESC LIMIT 1",
    )
    .bind(user)
    .bind(version)
    .fetch_optional(&mut **ex)
    .await?;
    Ok(id.map(AckId))
}

pub async fn version_hash(ex: &mut Tx, version: VersionId) -> Result<Option<String>, sqlx::Error> {
    let h: Option<Option<String>> =
        sqlx::query_scalar("SELECT content_sha256 FROM circular_version WHERE id = $1")
            .bind(version)
            .fetch_optional(&mut **ex)
            .await?;
    Ok(h.flatten())
}

pub async fn active_device_ids<'e, E: sqlx::Executor<'e, Database = sqlx::Sqlite>>(
    ex: E,
    user: UserId,
) -> Result<Vec<DeviceId>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM device WHERE owner_id = $1 AND retired_at IS NULL ORDER BY id",
    )
    .bind(user)
    .fetch_all(ex)
    .await?;
    Ok(ids.into_iter().map(DeviceId).collect())
}

/// One acknowledgment to record.
pub struct NewAcknowledgment<'a> {
    pub user: UserId,
    pub version: VersionId,
    /// The content hash the person saw (checked against the version by the caller).
    pub content_sha256: &'a str,
    pub locale: Locale,
    /// How the person signed in, or `Paper` for a head's record.
    pub auth_method: crate::auth::AuthMethod,
    /// The head who recorded a paper acknowledgment, with their remark.
    pub on_behalf: Option<(UserId, &'a str)>,
    pub devices: &'a [(DeviceId, Attestation)],
    pub at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, ack: &NewAcknowledgment<'_>) -> Result<AckId, sqlx::Error> {
    let NewAcknowledgment {
        user,
        version,
        content_sha256: sha,
        locale,
        auth_method,
        on_behalf,
        devices,
        at: now,
    } = *ack;
    let (on_behalf_by, remark) = match on_behalf {
        Some((by, remark)) => (Some(by), Some(remark)),
        None => (None, None),
    };
    // The evidence chain covers a salted commitment to the person, not the user id itself.
    let salt = crate::evidence::repo::new_salt();
    let commitment = crate::evidence::chain::person_commitment(&salt, user.0);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO acknowledgment (user_id, version_id, acknowledged_at, content_sha256, locale, auth_method, on_behalf_by, remark,
                                     person_salt, person_commitment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(user)
    .bind(version)
    .bind(now)
    .bind(sha)
    .bind(locale.code())
    .bind(auth_method.as_str())
    .bind(on_behalf_by)
    .bind(remark)
    .bind(salt)
    .bind(commitment)
    .fetch_one(&mut **tx)
    .await?;
    for (device, attestation) in devices {
        sqlx::query("INSERT INTO acknowledgment_device (ack_id, device_id, attestation) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(device)
            .bind(attestation.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(AckId(id))
}

#[derive(FromRow)]
struct HistoryRow {
    id: i64,
    number: String,
    title: String,
    version_no: i64,
    acknowledged_at: DateTime<Utc>,
    on_behalf_by: Option<String>,
}

pub async fn history(db: &Db, user: UserId) -> Result<Vec<HistoryItem>, sqlx::Error> {
    let rows: Vec<HistoryRow> = sqlx::query_as(
        "SELECT k.id, c.number, v.title, v.version_no, k.acknowledged_at, b.display_name AS on_behalf_by
           FROM acknowledgment k JOIN circular_version v ON v.id = k.version_id JOIN circular c ON c.id = v.circular_id
           LEFT JOIN users b ON b.id = k.on_behalf_by
          WHERE k.user_id = $1 ORDER BY k.acknowledged_at DESC",
    )
    .bind(user)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| HistoryItem {
            ack_id: AckId(r.id),
            number: r.number,
            title: r.title,
            version_no: r.version_no,
            acknowledged_at: crate::time::format_berlin(r.acknowledged_at),
            on_behalf_by: r.on_behalf_by,
        })
        .collect())
}

/// A receipt and the id of the person it belongs to.
pub async fn receipt(
    db: &Db,
    id: AckId,
    locale: Locale,
) -> Result<Option<(UserId, Receipt)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        user_id: i64,
        user_name: String,
        personnel_no: Option<String>,
        number: String,
        title: String,
        version_no: i64,
        content_sha256: String,
        acknowledged_at: DateTime<Utc>,
        locale: String,
        auth_method: String,
        on_behalf_by: Option<String>,
        remark: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT k.user_id, u.display_name AS user_name, u.personnel_no, c.number, v.title, v.version_no, k.content_sha256,
                k.acknowledged_at, k.locale, k.auth_method, b.display_name AS on_behalf_by, k.remark
           FROM acknowledgment k JOIN users u ON u.id = k.user_id JOIN circular_version v ON v.id = k.version_id
           JOIN circular c ON c.id = v.circular_id LEFT JOIN users b ON b.id = k.on_behalf_by
          WHERE k.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let devices: Vec<(i64, Attestation)> = sqlx::query_as("SELECT device_id, attestation FROM acknowledgment_device WHERE ack_id = $1 ORDER BY device_id")
        .bind(id)
        .fetch_all(db)
        .await?;
    let mut out = vec![];
    for (device, attestation) in devices {
        if let Some(d) = crate::devices::repo::get(db, DeviceId(device)).await? {
            out.push(ReceiptDevice {
                summary: crate::devices::pages::device_summary(&d, locale),
                attestation,
            });
        }
    }
    Ok(Some((
        UserId(r.user_id),
        Receipt {
            ack_id: id,
            user_name: r.user_name,
            personnel_no: r.personnel_no,
            number: r.number,
            title: r.title,
            version_no: r.version_no,
            content_sha256: r.content_sha256,
            acknowledged_at: crate::time::format_berlin(r.acknowledged_at),
            locale: r.locale,
            auth_method: r.auth_method,
            on_behalf_by: r.on_behalf_by,
            remark: r.remark,
            devices: out,
            seal: crate::evidence::repo::seal_of(db, "ack", id.0).await?,
        },
    )))
}
