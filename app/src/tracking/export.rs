//! Exports of the roll-up and the open list as CSV and XLSX (German headers, dates as
//! Europe/Berlin calendar days). Every export is audited.
use super::Dashboard;
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

pub const ROLLUP_HEADERS: [&str; 7] = [
    "Einheit",
    "Empfänger",
    "Zur Kenntnis genommen",
    "Offen",
    "Überfällig",
    "Quote %",
    "Geräte ohne Entwarnung",
];
pub const OPEN_HEADERS: [&str; 5] = [
    "Name",
    "Einheit",
    "Frist",
    "Tage überfällig",
    "Erinnerungen",
];

/// A cell: text or number.
enum Cell {
    Text(String),
    Num(i64),
}

/// The two tables of an export: roll-up rows (with the total last) and open people.
fn tables(d: &Dashboard) -> (Vec<Vec<Cell>>, Vec<Vec<Cell>>) {
    let rollup = d
        .rows
        .iter()
        .chain(std::iter::once(&d.total))
        .map(|r| {
            let name = if r.unit_id.is_none() && r.unit_name.is_empty() {
                format!("{} (direkt)", d.unit_name)
            } else {
                r.unit_name.clone()
            };
            vec![
                Cell::Text(name),
                Cell::Num(r.audience),
                Cell::Num(r.acknowledged),
                Cell::Num(r.open()),
                Cell::Num(r.overdue),
                Cell::Num(r.percent()),
                Cell::Num(r.devices_unclean),
            ]
        })
        .collect();
    let open = d
        .open_people
        .iter()
        .map(|p| {
            vec![
                Cell::Text(p.name.clone().unwrap_or_else(|| "–".into())),
                Cell::Text(p.unit_name.clone()),
                Cell::Text(crate::time::format_day(
                    &p.deadline,
                    crate::i18n::Locale::De,
                )),
                Cell::Num(p.days_overdue),
                Cell::Num(p.reminders_sent),
            ]
        })
        .collect();
    (rollup, open)
}

fn csv_field(c: &Cell) -> String {
    match c {
        Cell::Num(n) => n.to_string(),
        Cell::Text(s) => crate::csv::text(s),
    }
}

fn csv_body(d: &Dashboard) -> Vec<u8> {
    let (rollup, open) = tables(d);
    let line = |cells: &[Cell]| crate::csv::line(&cells.iter().map(csv_field).collect::<Vec<_>>());
    let mut out = format!("{}{}\n", crate::csv::BOM, ROLLUP_HEADERS.join(";"));
    rollup.iter().for_each(|r| out.push_str(&line(r)));
    if !open.is_empty() {
        out.push_str(&format!("\n{}\n", OPEN_HEADERS.join(";")));
        open.iter().for_each(|r| out.push_str(&line(r)));
    }
    out.into_bytes()
}

fn xlsx_body(d: &Dashboard) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let (rollup, open) = tables(d);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut sheet_of = |name: &str,
                        headers: &[&str],
                        rows: &[Vec<Cell>]|
     -> Result<(), rust_xlsxwriter::XlsxError> {
        let sheet = book.add_worksheet().set_name(name)?;
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(s) => sheet.write_string(r as u32 + 1, c as u16, s)?,
                    Cell::Num(n) => sheet.write_number(r as u32 + 1, c as u16, *n as f64)?,
                };
            }
        }
        sheet.autofit();
        Ok(())
    };
    sheet_of("Übersicht", &ROLLUP_HEADERS, &rollup)?;
    sheet_of("Offen", &OPEN_HEADERS, &open)?;
    book.save_to_buffer()
}

async fn export(
    state: AppState,
    ctx: RequestCtx,
    q: ExportQuery,
    format: &'static str,
) -> Result<Vec<u8>, AppError> {
    let user = ctx.user.clone().ok_or(AppError::Unauthorized)?;
    let d = super::service::dashboard(
        &state.db,
        &state.settings,
        &user,
        q.version.map(crate::circulars::VersionId),
        q.unit.map(crate::org::OrgUnitId),
        chrono::Utc::now(),
    )
    .await?;
    let body = match format {
        "xlsx" => xlsx_body(&d).map_err(|err| {
            tracing::error!(error = %err, "xlsx export failed");
            AppError::Internal
        })?,
        _ => csv_body(&d),
    };
    crate::org::repo::audit_alone(
        &state.db,
        Some(user.id),
        "tracking.export",
        &format!("unit:{}", d.unit_id.0),
        serde_json::json!({"version_id": d.version_id, "format": format}),
        chrono::Utc::now(),
    )
    .await?;
    Ok(body)
}

fn file(body: Vec<u8>, content_type: &'static str, name: &'static str) -> Response {
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut()
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static(name));
    res
}

/// `GET /dashboard/export.csv?version=&unit=`: semicolon-separated (German Excel), UTF-8 with BOM.
pub async fn csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Query(q): Query<ExportQuery>,
) -> Response {
    match export(state, ctx, q, "csv").await {
        Ok(body) => file(
            body,
            "text/csv; charset=utf-8",
            "attachment; filename=\"kenntnisnahmen.csv\"",
        ),
        Err(e) => e.into_response(),
    }
}

/// `GET /dashboard/export.xlsx?version=&unit=`: two sheets, "Übersicht" and "Offen".
pub async fn xlsx(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Query(q): Query<ExportQuery>,
) -> Response {
    match export(state, ctx, q, "xlsx").await {
        Ok(body) => file(
            body,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "attachment; filename=\"kenntnisnahmen.xlsx\"",
        ),
        Err(e) => e.into_response(),
    }
}
