//! PDF attachments of circular versions: upload (drafts only), removal, and download for
//! the people allowed to read the version.
use super::{AttachmentInfo, VersionId, VersionStatus};
use crate::auth::Role;
use crate::context::RequestCtx;
use crate::db::{Db, Tx};
use crate::org::UserId;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

pub async fn list(
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

pub async fn insert(
    tx: &mut Tx,
    version: VersionId,
    filename: &str,
    data: &[u8],
    by: UserId,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let sha = format!("{:x}", Sha256::digest(data));
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

/// Copies the attachments of one version to another (new versions start with them).
pub async fn copy(tx: &mut Tx, from: VersionId, to: VersionId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO circular_attachment (version_id, filename, size_bytes, sha256, data, uploaded_by, uploaded_at)
         SELECT $2, filename, size_bytes, sha256, data, uploaded_by, uploaded_at FROM circular_attachment WHERE version_id = $1 ORDER BY id",
    )
    .bind(from)
    .bind(to)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// (version id, version status) of an attachment.
pub async fn owner(
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

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM circular_attachment WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn may_read(
    db: &Db,
    ctx: &RequestCtx,
    version: VersionId,
) -> Result<bool, crate::error::AppError> {
    let Some(user) = &ctx.user else {
        return Ok(false);
    };
    if user.has_role(Role::Auditor) || user.is_admin() {
        return Ok(true);
    }
    // Publishers: drafts only inside their scope, like the draft itself.
    if user.has_role(Role::Publisher)
        && super::service::publisher_may_see(db, user, version).await?
    {
        return Ok(true);
    }
    let mut tx = crate::db::begin_read(db).await?;
    let addressed = crate::acknowledgments::repo::addressed(&mut tx, user.id, version)
        .await?
        .is_some();
    tx.commit().await?;
    Ok(addressed)
}

/// `GET /attachments/{id}`: the PDF, for publishers, auditors, admins and the audience of a
/// published version. Anyone else gets 404 (existence is not revealed).
pub async fn download(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(id): Path<i64>,
) -> Response {
    let row: Result<Option<(i64, String, Vec<u8>)>, _> =
        sqlx::query_as("SELECT version_id, filename, data FROM circular_attachment WHERE id = $1")
            .bind(id)
            .fetch_optional(&state.db)
            .await;
    let (version, filename, data) = match row {
        Ok(Some(r)) => r,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "attachment lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match may_read(&state.db, &ctx, VersionId(version)).await {
        Ok(true) => {}
        Ok(false) => return StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(error = ?err, "attachment authorization failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let mut res = data.into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    // The name was sanitised on upload; non-ASCII letters go in the RFC 5987 form.
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}
