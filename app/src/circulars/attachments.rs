//! PDF attachments of circular versions: the download for the people allowed to read the
//! version. Upload (drafts only) and removal are in `service`, their SQL in `repo`.
use super::VersionId;
use crate::auth::Role;
use crate::context::RequestCtx;
use crate::db::Db;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

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
    let row = super::repo::attachment_file(&state.db, id).await;
    let (version, filename, data) = match row {
        Ok(Some(r)) => r,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "attachment lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match may_read(&state.db, &ctx, version).await {
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
