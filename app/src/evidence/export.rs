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
/// pseudonymised) the person. Written straight from these borrowing structs (no JSON tree
/// per entry); the fields are declared in sorted order, so the bytes are those of the
/// sorted-key documents the format has always had (see the test below).
#[derive(serde::Serialize)]
struct ExportEntry<'a> {
    acknowledgment: SortedAck<'a>,
    content_sha256: String,
    person: Option<ExportPerson<'a>>,
    seal: Option<ExportSeal<'a>>,
}

#[derive(serde::Serialize)]
struct SortedAck<'a> {
    acknowledged_at: &'a str,
    auth_method: &'a str,
    content_sha256: &'a str,
    devices: &'a [(String, String)],
    id: i64,
    locale: &'a str,
    on_behalf_by: Option<i64>,
    person_commitment: &'a str,
    remark: Option<&'a str>,
    version_id: i64,
}

#[derive(serde::Serialize)]
struct ExportPerson<'a> {
    email: &'a str,
    name: &'a str,
    personnel_no: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct ExportSeal<'a> {
    content_sha256: &'a str,
    entry_hash: &'a str,
    prev_hash: &'a str,
    seq: i64,
}

/// Writes one entry; returns whether it verifies on its own: a sealed acknowledgment whose
/// recomputed content hash or seal no longer match has been changed since sealing (the
/// export then states the chain as broken, whatever the checkpoint says).
fn write_entry(out: &mut Vec<u8>, a: &super::repo::ExportedAck) -> serde_json::Result<bool> {
    let c = &a.content;
    let content_sha256 = content_hash::<AckContent>(c);
    let verifies = a.seal.as_ref().is_none_or(|(seq, sealed, prev, entry)| {
        *sealed == content_sha256
            && *entry == super::chain::entry_hash(*seq, "ack", c.id, sealed, prev)
    });
    serde_json::to_writer(
        out,
        &ExportEntry {
            acknowledgment: SortedAck {
                acknowledged_at: &c.acknowledged_at,
                auth_method: &c.auth_method,
                content_sha256: &c.content_sha256,
                devices: &c.devices,
                id: c.id,
                locale: &c.locale,
                on_behalf_by: c.on_behalf_by,
                person_commitment: &c.person_commitment,
                remark: c.remark.as_deref(),
                version_id: c.version_id,
            },
            content_sha256,
            person: a.person.as_ref().map(|(name, email, pno)| ExportPerson {
                email,
                name,
                personnel_no: pno.as_deref(),
            }),
            seal: a
                .seal
                .as_ref()
                .map(|(seq, content, prev, entry)| ExportSeal {
                    content_sha256: content,
                    entry_hash: entry,
                    prev_hash: prev,
                    seq: *seq,
                }),
        },
    )?;
    Ok(verifies)
}

/// Exports that may stream at once on this node: each holds a read connection (and SQLite's
/// snapshot) while it runs, and pages need the others.
const EXPORTS_AT_ONCE: usize = 2;
static EXPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(EXPORTS_AT_ONCE);

/// A permit to stream an export on this node; `None` while [`EXPORTS_AT_ONCE`] others
/// stream (answer [`busy`] then).
pub fn export_permit() -> Option<tokio::sync::SemaphorePermit<'static>> {
    EXPORTS.try_acquire().ok()
}

/// 503 with `Retry-After`: other exports are streaming on this node.
pub fn busy() -> Response {
    (
        http::StatusCode::SERVICE_UNAVAILABLE,
        [(http::header::RETRY_AFTER, "10")],
        axum::Json(json!({
            "error": "busy",
            "message": "Other exports are running; try again in a few seconds.",
        })),
    )
        .into_response()
}

/// The body of an export: a JSON object whose members are `"acknowledgments"` (written a
/// chunk at a time as it is read, all from one read snapshot; see [`crate::streaming`])
/// followed by the members of `rest`, and `"chain"` (the verified head, computed after the
/// acknowledgments, so every seal in the export lies within it) when `with_chain`. The keys
/// come in sorted order, as in the exports before they were streamed.
pub fn streamed_body(
    db: crate::db::Db,
    of: Of,
    rest: serde_json::Map<String, Value>,
    with_chain: bool,
    chunk: i64,
    permit: Option<tokio::sync::SemaphorePermit<'static>>,
) -> axum::body::Body {
    let (version, person) = match of {
        Of::Version(v) => (Some(v), None),
        Of::Person(p) => (None, Some(p)),
    };
    crate::streaming::body(move |out| async move {
        let _permit = permit;
        const WHAT: &str = "evidence export";
        let mut tx = match crate::db::begin_read(&db).await {
            Ok(tx) => tx,
            Err(err) => return out.fail(WHAT, &err).await,
        };
        if !out.send(b"{\"acknowledgments\":[".to_vec()).await {
            return;
        }
        let (mut after, mut first, mut all_verify) = (0, true, true);
        loop {
            let acks = match super::repo::export_chunk(&mut tx, version, person, after, chunk).await
            {
                Ok(acks) => acks,
                Err(err) => return out.fail(WHAT, &err).await,
            };
            let Some(last) = acks.last().map(|a| a.id) else {
                break;
            };
            let mut part = Vec::with_capacity(acks.len() * 1024);
            for a in acks {
                if !first {
                    part.push(b',');
                }
                first = false;
                match write_entry(&mut part, &a) {
                    Ok(verifies) => all_verify &= verifies,
                    Err(err) => return out.fail(WHAT, &err).await,
                }
            }
            after = last;
            if !out.send(part).await {
                return;
            }
        }
        let _ = tx.rollback().await;
        let mut rest = rest;
        if with_chain {
            // From the verification job's checkpoint on (see `repo::chain_state`): a full
            // recomputation per export would cost more than the export itself.
            match super::repo::chain_state(&db, chrono::Utc::now()).await {
                Ok((head, _)) => {
                    rest.insert(
                        "chain".into(),
                        json!({"entries": head.entries, "head_hash": head.head_hash, "intact": head.intact && all_verify,
                               "fully_verified_at": head.fully_verified_at}),
                    );
                }
                Err(err) => return out.fail(WHAT, &err).await,
            }
        }
        let tail = match serde_json::to_string(&Value::Object(rest)) {
            Ok(rest) if rest != "{}" => format!("],{}", &rest[1..]),
            _ => "]}".to_owned(),
        };
        if out.send(tail.into_bytes()).await {
            out.end().await;
        }
    })
}

/// An export response: JSON, streamed (see [`streamed_body`]); 503 while
/// [`EXPORTS_AT_ONCE`] other exports stream.
/// What an export answers once its checks are done: the stream (holding the node's export
/// slot taken before the audit entry was written), 503 when no slot was free (nothing was
/// written then), or the error.
fn answer(
    state: &AppState,
    of: Of,
    with_chain: bool,
    result: Result<Option<(Value, tokio::sync::SemaphorePermit<'static>)>, AppError>,
) -> Response {
    match result {
        Ok(Some((rest, permit))) => streamed(state, of, rest, with_chain, permit),
        Ok(None) => busy(),
        Err(e) => e.into_response(),
    }
}

fn streamed(
    state: &AppState,
    of: Of,
    rest: Value,
    with_chain: bool,
    permit: tokio::sync::SemaphorePermit<'static>,
) -> Response {
    let rest = match rest {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    (
        [(http::header::CONTENT_TYPE, "application/json")],
        streamed_body(
            state.db.clone(),
            of,
            rest,
            with_chain,
            EXPORT_CHUNK,
            Some(permit),
        ),
    )
        .into_response()
}

async fn record_export(db: &crate::db::Db, actor: UserId, what: &str) -> Result<(), sqlx::Error> {
    crate::org::repo::audit_alone(
        db,
        Some(actor),
        "evidence.export",
        what,
        json!({}),
        chrono::Utc::now(),
    )
    .await
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
        let Some(permit) = export_permit() else {
            return Ok(None);
        };
        record_export(&state.db, actor, &format!("version:{id}")).await?;
        Ok::<_, AppError>(Some((json!({
            "format": "rundschreiben-evidence/1",
            "version": {
                "id": version.id, "number": version.number, "version_no": version.version_no, "title": version.title,
                "status": version.status, "content_sha256": version.content_sha256, "published_at": version.published_at,
                "body_html": version.body_html, "apps": version.apps, "attachments": version.attachments,
            },
        }), permit)))
    }
    .await;
    answer(&state, Of::Version(id), true, result)
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
        let Some(permit) = export_permit() else {
            return Ok(None);
        };
        record_export(&state.db, actor, &format!("user:{id}")).await?;
        Ok::<_, AppError>(Some((
            json!({"format": "rundschreiben-evidence/1", "person_id": id}),
            permit,
        )))
    }
    .await;
    answer(&state, Of::Person(id), false, result)
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
        let Some(permit) = export_permit() else {
            return Ok(None);
        };
        record_export(&state.db, actor, &format!("user:{id}")).await?;
        Ok::<_, AppError>(Some((json!({
            "format": "rundschreiben-subject-export/1",
            "person": detail.user,
            "roles": detail.roles,
            "can_sign_in": detail.can_sign_in,
            "devices": devices,
            "audit_entries": audit.into_iter().map(|(i, at, action, target, details)| json!({"id": i, "at": at, "action": action, "target": target, "details": details})).collect::<Vec<_>>(),
        }), permit)))
    }
    .await;
    answer(&state, Of::Person(id), false, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::repo::ExportedAck;

    /// The sorted-key document of one entry, as the format was first written (a JSON tree).
    fn as_tree(a: &ExportedAck) -> Value {
        json!({
            "acknowledgment": a.content,
            "content_sha256": content_hash::<AckContent>(&a.content),
            "person": a.person.as_ref().map(|(name, email, pno)| json!({"name": name, "email": email, "personnel_no": pno})),
            "seal": a.seal.as_ref().map(|(seq, c, prev, entry)| json!({"seq": seq, "content_sha256": c, "prev_hash": prev, "entry_hash": entry})),
        })
    }

    fn sample(full: bool) -> ExportedAck {
        ExportedAck {
            id: 7,
            content: AckContent {
                id: 7,
                version_id: 3,
                content_sha256: "c".repeat(64),
                acknowledged_at: "2026-11-24T08:00:00.123+00:00".into(),
                locale: "de".into(),
                auth_method: "password".into(),
                on_behalf_by: full.then_some(12),
                remark: full.then(|| "auf Papier \"unterschrieben\" – ü".into()),
                person_commitment: "p".repeat(64),
                devices: if full {
                    vec![
                        ("d1".into(), "none_installed".into()),
                        ("d2".into(), "will_remove".into()),
                    ]
                } else {
                    vec![]
                },
            },
            person: full.then(|| ("Erika Muster".into(), "e@x.de".into(), Some("P-1".into()))),
            seal: full.then(|| (5, "a".repeat(64), "b".repeat(64), "e".repeat(64))),
        }
    }

    #[test]
    fn entries_are_written_byte_for_byte_as_the_sorted_key_documents() {
        for full in [true, false] {
            let a = sample(full);
            let mut written = Vec::new();
            assert!(
                !write_entry(&mut written, &a).unwrap() || !full,
                "the sample's seal is made up"
            );
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&as_tree(&a)).unwrap()
            );
        }
    }
}
