//! CSV export of the roll-up and the open list (German headers, Europe/Berlin dates).
use crate::context::RequestCtx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ExportQuery {
    pub version: Option<i64>,
    pub unit: Option<i64>,
}

/// Quotes a CSV field when needed; a leading `=`, `+`, `-` or `@` is neutralised so that a
/// spreadsheet never evaluates a name as a formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([';', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `GET /dashboard/export.csv?version=&unit=`: semicolon-separated (German Excel), UTF-8 with BOM.
pub async fn csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let result = async {
        let user = ctx.user.clone().ok_or(AppError::Unauthorized)?;
        let d = super::server_fns::build(&state, &user, q.version, q.unit).await?;
        let mut out = String::from("\u{feff}Einheit;Empfänger;Zur Kenntnis genommen;Offen;Überfällig;Quote %;Geräte ohne Entwarnung\n");
        for r in d.rows.iter().chain(std::iter::once(&d.total)) {
            let name = if r.unit_id.is_none() && r.unit_name.is_empty() { format!("{} (direkt)", d.unit_name) } else { r.unit_name.clone() };
            out.push_str(&format!("{};{};{};{};{};{};{}\n", field(&name), r.audience, r.acknowledged, r.open(), r.overdue, r.percent(), r.devices_unclean));
        }
        if !d.open_people.is_empty() {
            out.push_str("\nName;Einheit;Frist;Tage überfällig\n");
            for p in &d.open_people {
                let deadline = crate::time::format_day(&p.deadline, crate::i18n::Locale::De);
                out.push_str(&format!("{};{};{};{}\n", field(p.name.as_deref().unwrap_or("–")), field(&p.unit_name), deadline, p.days_overdue));
            }
        }
        let mut tx = crate::db::begin_write(&state.db).await?;
        crate::org::repo::audit(&mut tx, Some(user.id), "tracking.export", &format!("unit:{}", d.unit_id.0), serde_json::json!({"version_id": d.version_id, "format": "csv"}), chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok::<_, AppError>(out)
    }
    .await;
    match result {
        Ok(body) => {
            let mut res = body.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            res.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"kenntnisnahmen.csv\""),
            );
            res
        }
        Err(e) => crate::evidence::export::json_error(e),
    }
}
