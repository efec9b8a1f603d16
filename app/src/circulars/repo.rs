//! SQL of the circulars domain.
use super::rules::ValidCircular;
use super::{
    AppPlatform, AttachmentInfo, AudienceUnit, ChangeKind, CircularId, CircularSummary,
    ProhibitedApp, VersionId, VersionStatus, VersionView,
};
use crate::db::{Db, Tx};
use crate::org::{OrgUnitId, UnitPath, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;

/// SQL condition "user `u` (with unit row `uo`) is in the audience of version `v`".
/// Membership is evaluated against the current org tree, so people who move into an
/// audience unit are included and people who leave it are not.
pub const IN_AUDIENCE: &str = concat!(
    "(v.whole_city OR EXISTS (
    SELECT 1 FROM circular_audience a JOIN org_unit au ON au.id = a.org_unit_id
     WHERE a.version_id = v.id
       AND (a.org_unit_id = u.org_unit_id OR (a.include_subunits AND ",
    crate::sql_in_subtree!("uo.path", "au.path"),
    "))))"
);

/// What a person's own deadline for a version follows from (see
/// [`super::rules::personal_deadline`]); part of every row that shows or acts on it.
#[derive(FromRow)]
pub struct DeadlineBasis {
    pub ack_deadline: NaiveDate,
    pub published_at: DateTime<Utc>,
    pub unit_since: DateTime<Utc>,
}

impl DeadlineBasis {
    /// This person's own deadline (late joiners get more time).
    pub fn deadline(&self, late_joiner_days: i64) -> NaiveDate {
        super::rules::personal_deadline(
            self.ack_deadline,
            self.published_at.date_naive(),
            self.unit_since.date_naive(),
            late_joiner_days,
        )
    }
}

/// SQL condition "user `u` has an acknowledgment that counts for version `v`".
pub const HAS_VALID_ACK: &str = "EXISTS (
    SELECT 1 FROM acknowledgment k JOIN circular_version kv ON kv.id = k.version_id
     WHERE k.user_id = u.id AND kv.circular_id = v.circular_id AND kv.version_no >= v.ack_basis_no)";

pub async fn number_taken(
    tx: &mut Tx,
    number: &str,
    except: Option<CircularId>,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM circular WHERE number = $1 AND id <> $2")
        .bind(number)
        .bind(except.map(|c| c.0).unwrap_or(-1))
        .fetch_one(&mut **tx)
        .await?;
    Ok(n > 0)
}

pub async fn insert_circular(
    tx: &mut Tx,
    number: &str,
    retention_days: i64,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<CircularId, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO circular (number, retention_days, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(number)
    .bind(retention_days)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(CircularId(id))
}

pub async fn set_number_and_retention(
    tx: &mut Tx,
    id: CircularId,
    number: &str,
    retention_days: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE circular SET number = $1, retention_days = $2 WHERE id = $3")
        .bind(number)
        .bind(retention_days)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn insert_version(
    tx: &mut Tx,
    circular: CircularId,
    version_no: i64,
    c: &ValidCircular,
    kind: ChangeKind,
    author: UserId,
    now: DateTime<Utc>,
) -> Result<VersionId, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO circular_version (circular_id, version_no, title, summary, body_md, change_kind, effective_on, ack_deadline,
                                       whole_city, status, author_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $11, $11) RETURNING id",
    )
    .bind(circular)
    .bind(version_no)
    .bind(&c.title)
    .bind(&c.summary)
    .bind(&c.body_md)
    .bind(kind.as_str())
    .bind(c.effective_on)
    .bind(c.ack_deadline)
    .bind(c.whole_city)
    .bind(author)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let id = VersionId(id);
    replace_audience_and_apps(tx, id, c).await?;
    Ok(id)
}

pub async fn update_version(
    tx: &mut Tx,
    id: VersionId,
    c: &ValidCircular,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE circular_version SET title = $1, summary = $2, body_md = $3, effective_on = $4, ack_deadline = $5, whole_city = $6, updated_at = $7,
                status = 'draft', submitted_at = NULL
          WHERE id = $8",
    )
    .bind(&c.title)
    .bind(&c.summary)
    .bind(&c.body_md)
    .bind(c.effective_on)
    .bind(c.ack_deadline)
    .bind(c.whole_city)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    replace_audience_and_apps(tx, id, c).await
}

/// Records that `user` changed part of the version's content (four eyes bound to content).
pub async fn record_editor(
    tx: &mut Tx,
    version: VersionId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO circular_version_editor (version_id, user_id, first_edit_at) VALUES ($1, $2, $3)
         ON CONFLICT (version_id, user_id) DO NOTHING",
    )
    .bind(version)
    .bind(user)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Everyone who changed any part of the version (the author included).
pub async fn editors(tx: &mut Tx, version: VersionId) -> Result<Vec<UserId>, sqlx::Error> {
    sqlx::query_scalar("SELECT user_id FROM circular_version_editor WHERE version_id = $1")
        .bind(version)
        .fetch_all(&mut **tx)
        .await
}

/// A draft or submitted change goes back to draft: the submission is void.
pub async fn back_to_draft(
    tx: &mut Tx,
    version: VersionId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE circular_version SET status = 'draft', submitted_at = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The stored audience of every version that is not yet published (draft or in review):
/// (version, whole city, paths of the audience units).
pub async fn open_version_audiences(
    db: &Db,
) -> Result<Vec<(VersionId, bool, Vec<UnitPath>)>, sqlx::Error> {
    let rows: Vec<(i64, bool, Option<UnitPath>)> = sqlx::query_as(
        "SELECT v.id, v.whole_city, o.path FROM circular_version v
           LEFT JOIN circular_audience a ON a.version_id = v.id
           LEFT JOIN org_unit o ON o.id = a.org_unit_id
          WHERE v.status IN ('draft', 'in_review') ORDER BY v.id",
    )
    .fetch_all(db)
    .await?;
    let mut out: Vec<(VersionId, bool, Vec<UnitPath>)> = vec![];
    for (id, whole_city, path) in rows {
        match out.last_mut() {
            Some((last, _, paths)) if last.0 == id => paths.extend(path),
            _ => out.push((VersionId(id), whole_city, path.into_iter().collect())),
        }
    }
    Ok(out)
}

async fn replace_audience_and_apps(
    tx: &mut Tx,
    id: VersionId,
    c: &ValidCircular,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM circular_audience WHERE version_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM prohibited_app WHERE version_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for (unit, sub) in &c.audience {
        sqlx::query("INSERT INTO circular_audience (version_id, org_unit_id, include_subunits) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(unit)
            .bind(sub)
            .execute(&mut **tx)
            .await?;
    }
    for app in &c.apps {
        sqlx::query("INSERT INTO prohibited_app (version_id, platform, app_identifier, display_name) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(app.platform.as_str())
            .bind(&app.app_identifier)
            .bind(&app.display_name)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct VersionMeta {
    pub circular_id: CircularId,
    pub version_no: i64,
    pub status: VersionStatus,
    pub author_id: UserId,
    pub change_kind: ChangeKind,
}

pub async fn meta(tx: &mut Tx, id: VersionId) -> Result<Option<VersionMeta>, sqlx::Error> {
    sqlx::query_as("SELECT circular_id, version_no, status, author_id, change_kind FROM circular_version WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// Paths of the given units; `None` if any does not exist.
pub async fn unit_paths(
    tx: &mut Tx,
    ids: &[OrgUnitId],
) -> Result<Option<Vec<UnitPath>>, sqlx::Error> {
    let mut out = vec![];
    for id in ids {
        let p: Option<UnitPath> = sqlx::query_scalar("SELECT path FROM org_unit WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        match p {
            Some(p) => out.push(p),
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// The root's path (above the root when there is no tree yet, which no scope contains).
pub async fn root_path(tx: &mut Tx) -> Result<UnitPath, sqlx::Error> {
    Ok(crate::org::repo::root_path(&mut **tx)
        .await?
        .unwrap_or_else(UnitPath::above_root))
}

/// The version as stored, for publishing: everything the content hash covers.
pub async fn load_valid(
    tx: &mut Tx,
    id: VersionId,
) -> Result<(String, ValidCircular), sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        number: String,
        title: String,
        summary: String,
        body_md: String,
        effective_on: NaiveDate,
        ack_deadline: NaiveDate,
        whole_city: bool,
        retention_days: i64,
    }
    let r: Row = sqlx::query_as(
        "SELECT c.number, v.title, v.summary, v.body_md, v.effective_on, v.ack_deadline, v.whole_city, c.retention_days
           FROM circular_version v JOIN circular c ON c.id = v.circular_id WHERE v.id = $1",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let audience: Vec<(i64, bool)> = sqlx::query_as("SELECT org_unit_id, include_subunits FROM circular_audience WHERE version_id = $1 ORDER BY org_unit_id")
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
    let apps = apps_of(&mut **tx, id).await?;
    Ok((
        r.number.clone(),
        ValidCircular {
            number: r.number,
            title: r.title,
            summary: r.summary,
            body_md: r.body_md,
            effective_on: r.effective_on,
            ack_deadline: r.ack_deadline,
            whole_city: r.whole_city,
            audience: audience
                .into_iter()
                .map(|(u, s)| (OrgUnitId(u), s))
                .collect(),
            apps,
            retention_days: r.retention_days,
        },
    ))
}

async fn apps_of<'e, E: sqlx::Executor<'e, Database = sqlx::Sqlite>>(
    ex: E,
    id: VersionId,
) -> Result<Vec<ProhibitedApp>, sqlx::Error> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT platform, app_identifier, display_name FROM prohibited_app WHERE version_id = $1 ORDER BY platform, app_identifier")
            .bind(id)
            .fetch_all(ex)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(p, id, name)| {
            Some(ProhibitedApp {
                platform: AppPlatform::parse(&p)?,
                app_identifier: id,
                display_name: name,
            })
        })
        .collect())
}

pub async fn set_status(
    tx: &mut Tx,
    id: VersionId,
    status: VersionStatus,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let stamp = match status {
        VersionStatus::InReview => ", submitted_at = $2",
        VersionStatus::Withdrawn => ", withdrawn_at = $2",
        _ => "",
    };
    sqlx::query(&format!(
        "UPDATE circular_version SET status = $1, updated_at = $2{stamp} WHERE id = $3"
    ))
    .bind(status.as_str())
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What publishing freezes into a version.
pub struct Publication<'a> {
    pub id: VersionId,
    pub circular: CircularId,
    pub body_html: &'a str,
    pub sha256: &'a str,
    /// The version number whose acknowledgments stay valid (see `rules::ack_basis`).
    pub ack_basis_no: i64,
    pub approver: UserId,
    pub at: DateTime<Utc>,
}

/// Freezes a version: rendered text, hash, approver, acknowledgment basis; the previously
/// published version of the circular becomes superseded.
pub async fn publish(tx: &mut Tx, p: &Publication<'_>) -> Result<(), sqlx::Error> {
    let Publication {
        id,
        circular,
        body_html,
        sha256,
        ack_basis_no,
        approver,
        at: now,
    } = *p;
    sqlx::query("UPDATE circular_version SET status = 'superseded', updated_at = $1 WHERE circular_id = $2 AND status = 'published'")
        .bind(now)
        .bind(circular)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE circular_version SET status = 'published', body_html = $1, content_sha256 = $2, ack_basis_no = $3,
                approver_id = $4, published_at = $5, updated_at = $5 WHERE id = $6",
    )
    .bind(body_html)
    .bind(sha256)
    .bind(ack_basis_no)
    .bind(approver)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `ack_basis_no` of the currently published version of a circular, if any.
pub async fn published_basis(
    tx: &mut Tx,
    circular: CircularId,
) -> Result<Option<i64>, sqlx::Error> {
    let v: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT ack_basis_no FROM circular_version WHERE circular_id = $1 AND status = 'published'",
    )
    .bind(circular)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(v.flatten())
}

pub async fn has_open_version(tx: &mut Tx, circular: CircularId) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM circular_version WHERE circular_id = $1 AND status IN ('draft', 'in_review')")
        .bind(circular)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n > 0)
}

pub async fn max_version_no(tx: &mut Tx, circular: CircularId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT MAX(version_no) FROM circular_version WHERE circular_id = $1")
        .bind(circular)
        .fetch_one(&mut **tx)
        .await
}

#[derive(FromRow)]
struct ViewRow {
    id: i64,
    circular_id: i64,
    number: String,
    version_no: i64,
    title: String,
    summary: String,
    body_md: String,
    body_html: Option<String>,
    change_kind: ChangeKind,
    effective_on: NaiveDate,
    ack_deadline: NaiveDate,
    whole_city: bool,
    status: VersionStatus,
    content_sha256: Option<String>,
    author_id: i64,
    author_name: String,
    approver_name: Option<String>,
    published_at: Option<DateTime<Utc>>,
    retention_days: i64,
}

pub async fn load_view(db: &Db, id: VersionId) -> Result<Option<VersionView>, sqlx::Error> {
    let row: Option<ViewRow> = sqlx::query_as(
        "SELECT v.id, v.circular_id, c.number, v.version_no, v.title, v.summary, v.body_md, v.body_html, v.change_kind,
                v.effective_on, v.ack_deadline, v.whole_city, v.status, v.content_sha256, v.author_id,
                a.display_name AS author_name, p.display_name AS approver_name, v.published_at, c.retention_days
           FROM circular_version v JOIN circular c ON c.id = v.circular_id
           JOIN users a ON a.id = v.author_id LEFT JOIN users p ON p.id = v.approver_id
          WHERE v.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let audience: Vec<(i64, String, bool)> = sqlx::query_as(
        "SELECT a.org_unit_id, o.name, a.include_subunits FROM circular_audience a JOIN org_unit o ON o.id = a.org_unit_id
          WHERE a.version_id = $1 ORDER BY o.path",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let apps = apps_of(db, id).await?;
    let attachments = attachments(db, id).await?;
    let body_html = r
        .body_html
        .unwrap_or_else(|| super::markdown::render(&r.body_md));
    Ok(Some(VersionView {
        id: VersionId(r.id),
        circular_id: CircularId(r.circular_id),
        number: r.number,
        version_no: r.version_no,
        title: r.title,
        summary: r.summary,
        body_md: r.body_md,
        body_html,
        change_kind: r.change_kind,
        effective_on: r.effective_on.to_string(),
        ack_deadline: r.ack_deadline.to_string(),
        whole_city: r.whole_city,
        retention_years: (r.retention_days + 364) / 365,
        audience: audience
            .into_iter()
            .map(|(u, n, s)| AudienceUnit {
                unit_id: OrgUnitId(u),
                unit_name: n,
                include_subunits: s,
            })
            .collect(),
        apps,
        attachments,
        status: r.status,
        content_sha256: r.content_sha256,
        author_id: UserId(r.author_id),
        author_name: r.author_name,
        approver_name: r.approver_name,
        published_at: r.published_at.map(crate::time::format_berlin),
    }))
}

/// The newest version of every circular, newest circular first.
pub async fn list_latest(db: &Db) -> Result<Vec<CircularSummary>, sqlx::Error> {
    let rows: Vec<(i64, String, String, i64, VersionStatus, NaiveDate)> = sqlx::query_as(
        "SELECT v.id, c.number, v.title, v.version_no, v.status, v.ack_deadline
           FROM circular c JOIN circular_version v ON v.circular_id = c.id
          WHERE v.version_no = (SELECT MAX(version_no) FROM circular_version WHERE circular_id = c.id)
          ORDER BY c.id DESC",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, number, title, version_no, status, deadline)| CircularSummary {
                version_id: VersionId(id),
                number,
                title,
                version_no,
                status,
                ack_deadline: deadline.to_string(),
                counts: None,
                counting: false,
            },
        )
        .collect())
}

/// SQL expression of a person's deadline (see `rules::personal_deadline`); `$3` is the number
/// of days late joiners get.
pub const PERSONAL_DEADLINE: &str = "(CASE WHEN substr(u.unit_since, 1, 10) > substr(v.published_at, 1, 10)
      THEN max(v.ack_deadline, date(substr(u.unit_since, 1, 10), '+' || $3 || ' days')) ELSE v.ack_deadline END)";

/// The PDF attachments of a version, in upload order; on a transaction (`&mut **tx`) or the
/// pool.
pub async fn attachments(
    db: impl sqlx::SqliteExecutor<'_>,
    version: VersionId,
) -> Result<Vec<AttachmentInfo>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as("SELECT id, filename, size_bytes, sha256 FROM circular_attachment WHERE version_id = $1 ORDER BY id")
        .bind(version)
        .fetch_all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, filename, size_bytes, sha256)| AttachmentInfo {
            id,
            filename,
            size_bytes,
            sha256,
        })
        .collect())
}

/// Stores a PDF with its SHA-256 and returns the attachment's id.
pub async fn insert_attachment(
    tx: &mut Tx,
    version: VersionId,
    filename: &str,
    data: &[u8],
    by: UserId,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let sha = crate::evidence::chain::sha256_hex(data);
    sqlx::query_scalar(
        "INSERT INTO circular_attachment (version_id, filename, size_bytes, sha256, data, uploaded_by, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(version)
    .bind(filename)
    .bind(data.len() as i64)
    .bind(sha)
    .bind(data)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

/// (version id, version status) of an attachment.
pub async fn attachment_owner(
    tx: &mut Tx,
    id: i64,
) -> Result<Option<(VersionId, VersionStatus)>, sqlx::Error> {
    let row: Option<(i64, VersionStatus)> = sqlx::query_as(
        "SELECT a.version_id, v.status FROM circular_attachment a JOIN circular_version v ON v.id = a.version_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(v, s)| (VersionId(v), s)))
}

pub async fn delete_attachment(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM circular_attachment WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// (version id, file name, bytes) of an attachment, for the download.
pub async fn attachment_file(
    db: &Db,
    id: i64,
) -> Result<Option<(VersionId, String, Vec<u8>)>, sqlx::Error> {
    let row: Option<(i64, String, Vec<u8>)> =
        sqlx::query_as("SELECT version_id, filename, data FROM circular_attachment WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(v, name, data)| (VersionId(v), name, data)))
}
