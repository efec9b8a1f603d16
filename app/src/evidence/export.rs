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
use axum::Extension;
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

/// Acknowledgments exported per chunk (one read of each kind per chunk).
pub const EXPORT_CHUNK: i64 = 1000;

/// Which acknowledgments an export holds.
#[derive(Debug, Clone, Copy)]
pub enum Of {
    Version(i64),
    Person(i64),
}

/// One acknowledgment of an export: its canonical content, recomputed hash, seal and (unless
/// pseudonymised) the person.
fn ack_json(a: super::repo::ExportedAck) -> Value {
    json!({
        "acknowledgment": a.content,
        "content_sha256": content_hash::<AckContent>(&a.content),
        "person": a.person.map(|(name, email, pno)| json!({"name": name, "email": email, "personnel_no": pno})),
        "seal": a.seal.map(|(seq, c, prev, entry)| json!({"seq": seq, "content_sha256": c, "prev_hash": prev, "entry_hash": entry})),
    })
}

/// The body of an export: a JSON object whose members are `"acknowledgments"` (written a
/// chunk at a time as it is read, all from one read snapshot, so memory stays constant and
/// the first bytes leave at once however large the export) followed by the members of
/// `rest`. The keys come in sorted order, as in the exports before they were streamed.
/// A database failure in the middle ends the response early (the client sees a broken
/// download, never a complete-looking file).
pub fn streamed_body(
    db: crate::db::Db,
    of: Of,
    rest: serde_json::Map<String, Value>,
    chunk: i64,
) -> axum::body::Body {
    use futures_util::stream;
    enum Step {
        Open,
        Chunk {
            tx: crate::db::Tx,
            after: i64,
            first: bool,
        },
        Done,
    }
    let (version, person) = match of {
        Of::Version(v) => (Some(v), None),
        Of::Person(p) => (None, Some(p)),
    };
    let tail = match serde_json::to_string(&Value::Object(rest)) {
        Ok(rest) if rest != "{}" => format!("],{}", &rest[1..]),
        _ => "]}".to_owned(),
    };
    let failed = |err: sqlx::Error| {
        tracing::error!(error = %err, "evidence export failed while streaming");
        std::io::Error::other("export failed")
    };
    let body = stream::unfold(Step::Open, move |step| {
        let (db, tail) = (db.clone(), tail.clone());
        async move {
            match step {
                Step::Open => match crate::db::begin_read(&db).await {
                    Ok(tx) => Some((
                        Ok(axum::body::Bytes::from_static(b"{\"acknowledgments\":[")),
                        Step::Chunk {
                            tx,
                            after: 0,
                            first: true,
                        },
                    )),
                    Err(err) => Some((Err(failed(err)), Step::Done)),
                },
                Step::Chunk {
                    mut tx,
                    after,
                    first,
                } => {
                    match super::repo::export_chunk(&mut tx, version, person, after, chunk).await {
                        Ok(acks) if acks.is_empty() => {
                            let _ = tx.rollback().await;
                            Some((Ok(axum::body::Bytes::from(tail)), Step::Done))
                        }
                        Ok(acks) => {
                            let last = acks.last().map_or(after, |a| a.id);
                            let mut out = Vec::with_capacity(acks.len() * 1024);
                            for (n, a) in acks.into_iter().enumerate() {
                                if !(first && n == 0) {
                                    out.push(b',');
                                }
                                if let Err(err) = serde_json::to_writer(&mut out, &ack_json(a)) {
                                    tracing::error!(error = %err, "evidence export failed while streaming");
                                    return Some((
                                        Err(std::io::Error::other("export failed")),
                                        Step::Done,
                                    ));
                                }
                            }
                            Some((
                                Ok(axum::body::Bytes::from(out)),
                                Step::Chunk {
                                    tx,
                                    after: last,
                                    first: false,
                                },
                            ))
                        }
                        Err(err) => Some((Err(failed(err)), Step::Done)),
                    }
                }
                Step::Done => None,
            }
        }
    });
    axum::body::Body::from_stream(body)
}

/// An export response: JSON, streamed (see [`streamed_body`]).
fn streamed(state: &AppState, of: Of, rest: Value) -> Response {
    let rest = match rest {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    (
        [(http::header::CONTENT_TYPE, "application/json")],
        streamed_body(state.db.clone(), of, rest, EXPORT_CHUNK),
    )
        .into_response()
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
        record_export(&state.db, actor, &format!("version:{id}")).await?;
        let head = super::repo::verify(&state.db).await?;
        Ok::<_, AppError>(json!({
            "format": "rundschreiben-evidence/1",
            "version": {
                "id": version.id, "number": version.number, "version_no": version.version_no, "title": version.title,
                "status": version.status, "content_sha256": version.content_sha256, "published_at": version.published_at,
                "body_html": version.body_html, "apps": version.apps, "attachments": version.attachments,
            },
            "chain": {"entries": head.entries, "head_hash": head.head_hash, "intact": head.broken.is_none()},
        }))
    }
    .await;
    result
        .map(|rest| streamed(&state, Of::Version(id), rest))
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
        record_export(&state.db, actor, &format!("user:{id}")).await?;
        Ok::<_, AppError>(json!({"format": "rundschreiben-evidence/1", "person_id": id}))
    }
    .await;
    result
        .map(|rest| streamed(&state, Of::Person(id), rest))
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
        let audit = super::repo::audit_of_person(&state.db, id).await?;
        record_export(&state.db, actor, &format!("user:{id}")).await?;
        Ok::<_, AppError>(json!({
            "format": "rundschreiben-subject-export/1",
            "person": detail.user,
            "roles": detail.roles,
            "can_sign_in": detail.can_sign_in,
            "devices": devices,
            "audit_entries": audit.into_iter().map(|(i, at, action, target, details)| json!({"id": i, "at": at, "action": action, "target": target, "details": details})).collect::<Vec<_>>(),
        }))
    }
    .await;
    result
        .map(|rest| streamed(&state, Of::Person(id), rest))
        .unwrap_or_else(IntoResponse::into_response)
}
