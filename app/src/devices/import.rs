//! Bulk import of devices from an MDM or asset register (REST API, admin upload, JSON or
//! CSV): upsert by `mdm_id`, all or nothing, every bad row reported.
use super::rules::parse_device;
use super::{DeviceForm, DeviceKind, Platform};
use crate::db::{begin_write, Db};
use crate::error::{AppError, FieldError, Row};
use crate::i18n::Problem;
use crate::org::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Largest number of devices in one import.
pub const MAX_DEVICES: usize = 200_000;

/// One device of an import. CSV files use the same names as header columns; only
/// `mdm_id`, `owner` and `platform` are required.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRecord {
    pub mdm_id: String,
    /// E-mail address or personnel number of the owner.
    pub owner: String,
    pub platform: String,
    /// `phone`, `tablet`, `laptop` or `desktop` (default: phone for mobile platforms,
    /// laptop otherwise).
    #[serde(default)]
    pub kind: String,
    /// Default "MDM <mdm_id>".
    #[serde(default)]
    pub label: String,
    /// `service` (default) or `private`.
    #[serde(default)]
    pub ownership: String,
    #[serde(default)]
    pub asset_tag: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub imei: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceImport {
    pub devices: Vec<DeviceRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
}

pub const CSV_COLUMNS: [&str; 9] = [
    "mdm_id",
    "owner",
    "platform",
    "kind",
    "label",
    "ownership",
    "asset_tag",
    "serial",
    "imei",
];

/// Parses a CSV file (header row with some of [`CSV_COLUMNS`], `mdm_id`, `owner` and
/// `platform` required) into records with their line numbers.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<(Row, DeviceRecord)>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header_error = || {
        AppError::Validation(vec![FieldError::in_row(
            Row::Line(1),
            "",
            Problem::BadCsvHeader,
        )])
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| header_error())?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    if !["mdm_id", "owner", "platform"]
        .iter()
        .all(|c| header.iter().any(|h| h == c))
        || header.iter().any(|h| !CSV_COLUMNS.contains(&h.as_str()))
    {
        return Err(header_error());
    }
    let mut rows = vec![];
    let mut errors = vec![];
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        if index >= MAX_DEVICES {
            return Err(AppError::Validation(vec![FieldError::in_row(
                Row::Line(line),
                "",
                Problem::TooMany(MAX_DEVICES),
            )]));
        }
        let Ok(record) = record else {
            errors.push(FieldError::in_row(
                Row::Line(line),
                "",
                Problem::MalformedRow,
            ));
            continue;
        };
        let line = record.position().map(|p| p.line() as usize).unwrap_or(line);
        let mut d = DeviceRecord::default();
        for (name, value) in header.iter().zip(record.iter()) {
            let slot = match name.as_str() {
                "mdm_id" => &mut d.mdm_id,
                "owner" => &mut d.owner,
                "platform" => &mut d.platform,
                "kind" => &mut d.kind,
                "label" => &mut d.label,
                "ownership" => &mut d.ownership,
                "asset_tag" => &mut d.asset_tag,
                "serial" => &mut d.serial,
                _ => &mut d.imei,
            };
            *slot = value.to_owned();
        }
        rows.push((Row::Line(line), d));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The form the device rules check, with the import's defaults filled in.
fn as_form(r: &DeviceRecord) -> DeviceForm {
    let kind = match (r.kind.trim(), Platform::parse(&r.platform)) {
        ("", platform) => DeviceKind::default_for(platform.unwrap_or(Platform::Other))
            .as_str()
            .to_owned(),
        (k, _) => k.to_owned(),
    };
    DeviceForm {
        id: String::new(),
        kind,
        ownership: match r.ownership.trim() {
            "" => "service".into(),
            o => o.to_owned(),
        },
        platform: r.platform.clone(),
        label: match r.label.trim() {
            "" => format!("MDM {}", r.mdm_id.trim()),
            l => l.to_owned(),
        },
        asset_tag: r.asset_tag.clone(),
        serial: r.serial.clone(),
        imei: r.imei.clone(),
        mdm_id: r.mdm_id.clone(),
    }
}

/// Imports `rows` ((line or position, record)): every row is checked (fields, owner,
/// duplicates within the file and against other devices), then all are written in one
/// transaction — or none, with every problem named by its row and field.
pub async fn import(
    db: &Db,
    rows: Vec<(Row, DeviceRecord)>,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<ImportSummary, AppError> {
    if rows.is_empty() {
        return Err(AppError::field("devices", Problem::EmptyFile));
    }
    if rows.len() > MAX_DEVICES {
        return Err(AppError::field("devices", Problem::TooMany(MAX_DEVICES)));
    }
    let mut errors: Vec<FieldError> = vec![];
    let mut push = |row: Row, field: &str, p: Problem| {
        errors.push(FieldError::in_row(row, field, p));
    };
    let mut tx = begin_write(db).await?;
    let bulk = rows.len() > crate::tracking::counts::BULK_ROWS;
    if bulk {
        crate::tracking::counts::suspend_deltas(&mut tx).await?;
    }
    let mut seen: HashMap<(&'static str, String), Row> = HashMap::new();
    let mut valid = vec![];
    for (n, record) in &rows {
        let mut device = match parse_device(&as_form(record)) {
            Ok(d) => d,
            Err(problems) => {
                for (field, p) in problems {
                    push(*n, field, p);
                }
                continue;
            }
        };
        let Some(mdm_id) = device.mdm_id.clone() else {
            push(*n, "mdm_id", Problem::Required);
            continue;
        };
        let mut duplicate = false;
        for (field, value) in [
            ("mdm_id", Some(&mdm_id)),
            ("asset_tag", device.asset_tag.as_ref()),
            ("imei", device.imei.as_ref()),
        ] {
            if let Some(v) = value {
                if seen.insert((field, v.clone()), *n).is_some() {
                    push(*n, field, Problem::DuplicateInFile);
                    duplicate = true;
                }
            }
        }
        let Some(owner) = crate::org::repo::find_active_by_identity(&mut tx, &record.owner).await?
        else {
            push(*n, "owner", Problem::UnknownOwner);
            continue;
        };
        device.id = super::repo::id_by_mdm(&mut tx, &mdm_id).await?;
        for field in super::repo::taken_identifiers(&mut tx, &device).await? {
            push(*n, field, Problem::DuplicateDeviceId);
            duplicate = true;
        }
        if !duplicate {
            valid.push((owner, device));
        }
    }
    if !errors.is_empty() {
        tx.rollback().await?;
        return Err(AppError::Validation(errors));
    }
    let mut summary = ImportSummary {
        created: 0,
        updated: 0,
    };
    for (owner, device) in &valid {
        // The asset register's word on who holds an identifier wins (claims move with it).
        let id = match device.id {
            Some(id) => {
                super::repo::update(&mut tx, id, device).await?;
                super::repo::set_owner(&mut tx, id, *owner).await?;
                super::repo::record_claims(
                    &mut tx,
                    id,
                    *owner,
                    device.mdm_id.as_deref(),
                    device.imei.as_deref(),
                    now,
                )
                .await?;
                summary.updated += 1;
                id
            }
            None => {
                summary.created += 1;
                super::repo::insert(&mut tx, *owner, device, now).await?
            }
        };
        // The asset register vouches for the device: from now on its owner cannot rewrite
        // its identity.
        super::repo::mark_managed(&mut tx, id, now).await?;
    }
    crate::org::repo::audit(
        &mut tx,
        actor,
        "device.import",
        "devices",
        serde_json::json!({ "created": summary.created, "updated": summary.updated }),
        now,
    )
    .await?;
    if bulk {
        crate::tracking::counts::resume_deltas(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(summary)
}
