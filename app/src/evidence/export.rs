//! Machine-readable evidence exports (JSON) for auditors, and the data-subject export
//! (GDPR Art. 15) for the person themselves or an admin. Each export is itself recorded in
//! the audit log.
use super::chain::{content_hash, AckContent};
use crate::auth::Role;
use crate::context::RequestCtx;
use crate::error::AppError;
use crate::org::UserId;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

fn require(
    ctx: &RequestCtx,
    allowed: impl Fn(&crate::auth::SessionUser) -> bool,
) -> Result<UserId, AppError> {
    let user = ctx.user.as_ref().ok_or(AppError::Unauthorized)?;
    if allowed(user) {
        Ok(user.id)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Acknowledgments with their canonical content, recomputed hash, seal and (unless
/// pseudonymised) the person, for a version or a person.
async fn acknowledgments(
    db: &crate::db::Db,
    version: Option<i64>,
    person: Option<i64>,
) -> Result<Vec<Value>, sqlx::Error> {
    let ids = super::repo::ack_ids(db, version, person).await?;
    let mut out = vec![];
    for id in ids {
        let Some(content) = super::repo::ack_canonical(db, id).await? else {
            continue;
        };
        let person = super::repo::ack_person(db, id).await?;
        let seal = super::repo::ack_seal(db, id).await?;
        out.push(json!({
            "acknowledgment": content,
            "content_sha256": content_hash::<AckContent>(&content),
            "person": person.filter(|p| p.3).map(|(name, email, pno, _)| json!({"name": name, "email": email, "personnel_no": pno})),
            "seal": seal.map(|(seq, c, prev, entry)| json!({"seq": seq, "content_sha256": c, "prev_hash": prev, "entry_hash": entry})),
        }));
    }
    Ok(out)
}

async fn record_export(db: &crate::db::Db, actor: UserId, what: &str) -> Result<(), sqlx::Error> {
    let mut tx = crate::db::begin_write(db).await?;
    crate::org::repo::audit(
        &mut tx,
        Some(actor),
        "evidence.export",
        what,
        json!({}),
        chrono::Utc::now(),
    )
    .await?;
    tx.commit().await
}

/// `GET /audit/export/version/{id}`: evidence for one circular version (auditors).
pub async fn version_export(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(id): Path<i64>,
) -> Response {
    let result = async {
        let actor = require(&ctx, |u| u.has_role(Role::Auditor))?;
        let version = crate::circulars::repo::load_view(&state.db, crate::circulars::VersionId(id)).await?.ok_or(AppError::NotFound)?;
        let acks = acknowledgments(&state.db, Some(id), None).await?;
        record_export(&state.db, actor, &format!("version:{id}")).await?;
        let head = super::repo::verify(&state.db).await?;
        Ok::<_, AppError>(json!({
            "format": "rundschreiben-evidence/1",
            "version": {
                "id": version.id, "number": version.number, "version_no": version.version_no, "title": version.title,
                "status": version.status, "content_sha256": version.content_sha256, "published_at": version.published_at,
                "body_html": version.body_html, "apps": version.apps, "attachments": version.attachments,
            },
            "acknowledgments": acks,
            "chain": {"entries": head.entries, "head_hash": head.head_hash, "intact": head.broken.is_none()},
        }))
    }
    .await;
    result
        .map(|v| Json(v).into_response())
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /audit/export/person/{id}`: evidence of one person's acknowledgments (auditors).
pub async fn person_export(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(id): Path<i64>,
) -> Response {
    let result = async {
        let actor = require(&ctx, |u| u.has_role(Role::Auditor))?;
        if !super::repo::person_exists(&state.db, id).await? {
            return Err(AppError::NotFound);
        }
        let acks = acknowledgments(&state.db, None, Some(id)).await?;
        record_export(&state.db, actor, &format!("user:{id}")).await?;
        Ok::<_, AppError>(
            json!({"format": "rundschreiben-evidence/1", "person_id": id, "acknowledgments": acks}),
        )
    }
    .await;
    result
        .map(|v| Json(v).into_response())
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /privacy/export/{id}`: everything stored about a person (Art. 15 GDPR), for the
/// person themselves or an admin. Password hashes and session data are never included.
pub async fn subject_export(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(id): Path<i64>,
) -> Response {
    let result = async {
        let actor = require(&ctx, |u| u.id.0 == id || u.is_admin())?;
        let detail = crate::org::repo::get_user(&state.db, UserId(id)).await?.ok_or(AppError::NotFound)?;
        let devices = crate::devices::repo::all_for_owner(&state.db, UserId(id)).await?;
        let acks = acknowledgments(&state.db, None, Some(id)).await?;
        let audit = super::repo::audit_of_person(&state.db, id).await?;
        record_export(&state.db, actor, &format!("user:{id}")).await?;
        Ok::<_, AppError>(json!({
            "format": "rundschreiben-subject-export/1",
            "person": detail.user,
            "roles": detail.roles,
            "can_sign_in": detail.can_sign_in,
            "devices": devices,
            "acknowledgments": acks,
            "audit_entries": audit.into_iter().map(|(i, at, action, target, details)| json!({"id": i, "at": at, "action": action, "target": target, "details": details})).collect::<Vec<_>>(),
        }))
    }
    .await;
    result
        .map(|v| Json(v).into_response())
        .unwrap_or_else(IntoResponse::into_response)
}
