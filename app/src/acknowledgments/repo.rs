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
    Ok(insert_many(tx, std::slice::from_ref(ack)).await?[0])
}

/// Inserts acknowledgments of *distinct* people with their device rows in two statements
/// (unless they have thousands of devices), and returns their ids in the order given. The group-commit
/// writer calls this once per batch: each statement is a round trip to the connection's
/// thread, and at the morning peak those round trips, not SQLite's work, were the cost.
/// The row triggers (count deltas, evidence) fire per row as for single inserts.
pub async fn insert_many(
    tx: &mut Tx,
    acks: &[NewAcknowledgment<'_>],
) -> Result<Vec<AckId>, sqlx::Error> {
    if acks.is_empty() {
        return Ok(Vec::new());
    }
    // Each row is matched to its acknowledgment by the person (below): a caller that
    // breaks the rule gets an error, never device rows on someone else's acknowledgment.
    let mut users: Vec<UserId> = acks.iter().map(|a| a.user).collect();
    users.sort();
    if users.windows(2).any(|w| w[0] == w[1]) {
        return Err(sqlx::Error::Protocol(
            "insert_many needs distinct people".into(),
        ));
    }
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO acknowledgment (user_id, version_id, acknowledged_at, content_sha256, locale, auth_method, on_behalf_by, remark,
                                     person_salt, person_commitment) ",
    );
    q.push_values(acks, |mut row, ack| {
        let (on_behalf_by, remark) = match ack.on_behalf {
            Some((by, remark)) => (Some(by), Some(remark.to_string())),
            None => (None, None),
        };
        // The evidence chain covers a salted commitment to the person, not the user id itself.
        let salt = crate::evidence::repo::new_salt();
        let commitment = crate::evidence::chain::person_commitment(&salt, ack.user.0);
        row.push_bind(ack.user)
            .push_bind(ack.version)
            .push_bind(ack.at)
            .push_bind(ack.content_sha256.to_string())
            .push_bind(ack.locale.code())
            .push_bind(ack.auth_method.as_str())
            .push_bind(on_behalf_by)
            .push_bind(remark)
            .push_bind(salt)
            .push_bind(commitment);
    });
    q.push(" RETURNING id, user_id, version_id");
    // SQLite does not promise RETURNING's order; the people are distinct, so each row is
    // matched to its acknowledgment by the person. (Not kept in the statement cache: its
    // text depends on the batch size.)
    let rows: Vec<(i64, UserId, VersionId)> = q
        .build_query_as()
        .persistent(false)
        .fetch_all(&mut **tx)
        .await?;
    let ids: Vec<AckId> = acks
        .iter()
        .map(|ack| {
            rows.iter()
                .find(|(_, user, version)| (*user, *version) == (ack.user, ack.version))
                .map(|(id, _, _)| AckId(*id))
                .ok_or(sqlx::Error::RowNotFound)
        })
        .collect::<Result<_, _>>()?;
    let devices: Vec<(AckId, DeviceId, Attestation)> = acks
        .iter()
        .zip(&ids)
        .flat_map(|(ack, id)| ack.devices.iter().map(move |(d, a)| (*id, *d, *a)))
        .collect();
    // In statements of at most DEVICE_ROWS rows: three parameters a row stay far below
    // SQLite's limit of 32,766 whatever the devices of a batch.
    const DEVICE_ROWS: usize = 2_000;
    for part in devices.chunks(DEVICE_ROWS) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO acknowledgment_device (ack_id, device_id, attestation) ",
        );
        q.push_values(part, |mut row, (ack, device, attestation)| {
            row.push_bind(ack.0)
                .push_bind(*device)
                .push_bind(attestation.as_str());
        });
        q.build().persistent(false).execute(&mut **tx).await?;
    }
    Ok(ids)
}

/// For each (person, version) pair, the acknowledgment that counts for the version, if any
/// (as [`valid_ack`]), in one statement.
pub async fn valid_acks(
    tx: &mut Tx,
    pairs: &[(UserId, VersionId)],
) -> Result<Vec<Option<AckId>>, sqlx::Error> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("WITH pair(n, user_id, version_id) AS (");
    q.push_values(pairs.iter().enumerate(), |mut row, (n, (user, version))| {
        row.push_bind(n as i64).push_bind(*user).push_bind(*version);
    });
    q.push(
        ") SELECT p.n, (SELECT k.id FROM acknowledgment k JOIN circular_version kv ON kv.id = k.version_id, circular_version v
                      WHERE v.id = p.version_id AND k.user_id = p.user_id AND kv.circular_id = v.circular_id
                        AND kv.version_no >= v.ack_basis_no
                      ORDER BY kv.version_no DESC LIMIT 1)
             FROM pair p",
    );
    let rows: Vec<(i64, Option<i64>)> = q
        .build_query_as()
        .persistent(false)
        .fetch_all(&mut **tx)
        .await?;
    let mut found = vec![None; pairs.len()];
    for (n, id) in rows {
        if let Some(slot) = usize::try_from(n).ok().and_then(|n| found.get_mut(n)) {
            *slot = id.map(AckId);
        }
    }
    Ok(found)
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
