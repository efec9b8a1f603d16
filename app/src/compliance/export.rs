//! `GET /compliance/export.csv`: the compliance list as CSV, for the people who may see it
//! on `/compliance` (admins the city, heads their subtrees) and with the same filters. It
//! streams: findings are read [`CHUNK`] at a time on the overview's keyset, all from one
//! read snapshot, and written as they are read (see [`crate::streaming`]), so a city's list
//! costs constant memory. Audited like every export.
use super::service::FindingScope;
use super::{ComplianceState, Finding};
use crate::circulars::CircularId;
use crate::context::RequestCtx;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

/// Compliance exports that may stream at once on this node (each holds a read connection).
static EXPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Findings read per statement.
pub const CHUNK: i64 = 1000;

pub const HEADERS: [&str; 10] = [
    "Gerät",
    "Besitzer/in",
    "Einheit",
    "MDM-ID",
    "Status",
    "Rundschreiben",
    "Apps",
    "Seit",
    "Gesperrt ab",
    "Wirksam ab",
];

/// The overview's filters (an empty or unknown value means "all").
#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub circular: String,
}

fn line(f: &Finding) -> String {
    let reason = if f.circular.is_empty() {
        "Gerät meldet sich nicht".to_owned()
    } else {
        f.circular.clone()
    };
    let apps: Vec<&str> = f.apps.iter().map(|a| a.as_str()).collect();
    crate::csv::line(&[
        crate::csv::text(&f.device),
        crate::csv::text(&f.owner),
        crate::csv::text(&f.unit),
        crate::csv::text(f.mdm_id.as_deref().unwrap_or_default()),
        crate::csv::text(f.state.label(Locale::De)),
        crate::csv::text(&reason),
        crate::csv::text(&apps.join(", ")),
        crate::csv::text(&f.since),
        crate::csv::text(f.block_on.as_deref().unwrap_or_default()),
        crate::csv::text(f.effective_on.as_deref().unwrap_or_default()),
    ])
}

pub async fn csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Query(q): Query<ExportQuery>,
) -> Response {
    // Who may see which findings first, then a free export slot, then the audit entry:
    // a refused or busy request writes nothing.
    let Some(user) = ctx.user.as_ref() else {
        return AppError::Unauthorized.into_response();
    };
    let filter_state = ComplianceState::parse(&q.state);
    let circular = q.circular.trim().parse().ok().map(CircularId);
    let seen = match FindingScope::of(user, filter_state) {
        Ok(seen) => seen,
        Err(e) => return e.into_response(),
    };
    // Slots of their own: heads' lists never keep an auditor's evidence export waiting.
    let Ok(permit) = EXPORTS.try_acquire() else {
        return crate::evidence::export::busy();
    };
    let audited = crate::org::repo::audit_alone(
        &state.db,
        Some(user.id),
        "compliance.export",
        "compliance",
        serde_json::json!({"state": filter_state, "circular_id": circular, "format": "csv"}),
        chrono::Utc::now(),
    );
    if let Err(err) = audited.await {
        return AppError::from(err).into_response();
    }
    let db = state.db.clone();
    let body = crate::streaming::body(move |out| async move {
        let _permit = permit;
        const WHAT: &str = "compliance export";
        let head = format!("{}{}\n", crate::csv::BOM, HEADERS.join(";"));
        if !seen.visible {
            if out.send(head.into_bytes()).await {
                out.end().await;
            }
            return;
        }
        let mut tx = match crate::db::begin_read(&db).await {
            Ok(tx) => tx,
            Err(err) => return out.fail(WHAT, &err).await,
        };
        if !out.send(head.into_bytes()).await {
            return;
        }
        let mut after = None;
        loop {
            let filter = super::repo::FindingFilter {
                limit: CHUNK,
                after: after.as_ref(),
                ..seen.filter(circular)
            };
            let rows = match super::repo::findings_with_keys(&mut *tx, &filter).await {
                Ok(rows) => rows,
                Err(err) => return out.fail(WHAT, &err).await,
            };
            let Some(key) = rows.last().map(|(_, key)| key.clone()) else {
                break;
            };
            let full = rows.len() as i64 == CHUNK;
            let part: String = rows.iter().map(|(f, _)| line(f)).collect();
            if !out.send(part.into_bytes()).await {
                return;
            }
            if !full {
                break;
            }
            after = Some(key);
        }
        let _ = tx.rollback().await;
        out.end().await;
    });
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"geraete-compliance.csv\""),
    );
    res
}
