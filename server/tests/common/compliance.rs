//! Helpers shared by the compliance tests (API calls, reports, the demo ban's dates).
use super::*;
use app::compliance::engine::{
    self, AccessDecision, InventoryReport, JobRun, Links, ReportOutcome,
};
use app::compliance::{ComplianceSettings, StalePolicy};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const WHATSAPP: &str = "com.whatsapp";

pub async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new().request(method, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Posts an inventory report to the REST API as the MDM does (`token`: its bearer token).
pub async fn post_inventory(
    app: &TestApp,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    api(
        app,
        reqwest::Method::POST,
        "/api/v1/inventory",
        token,
        Some(body),
    )
    .await
}

/// Asks the REST API for the access decision of the device `mdm`, as the mail gateway does.
pub async fn get_access(app: &TestApp, token: &str, mdm: &str) -> (StatusCode, Value) {
    api(
        app,
        reqwest::Method::GET,
        &format!("/api/v1/devices/{mdm}/access"),
        Some(token),
        None,
    )
    .await
}

/// The access decision of the API for an MDM id, once the node's snapshot has caught up
/// with `expected` (a decision or an error code; it polls the change log); panics with the
/// last answer after 5 s.
pub async fn decision_becomes(app: &TestApp, token: &str, mdm: &str, expected: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, body) = get_access(app, token, mdm).await;
        if body["decision"] == expected || body["error"] == expected {
            return body;
        }
        assert!(std::time::Instant::now() < deadline, "{mdm}: {body}");
        tokio::time::sleep(app::compliance::access::POLL_EVERY).await;
    }
}

pub fn report(mdm_id: &str, apps: &[&str]) -> Value {
    json!({
        "mdm_id": mdm_id,
        "platform": "android",
        "apps": apps.iter().map(|a| json!({"id": a, "name": a})).collect::<Vec<_>>(),
    })
}

pub fn typed(mdm_id: &str, apps: &[&str]) -> InventoryReport {
    serde_json::from_value(report(mdm_id, apps)).unwrap()
}

/// Reports `apps` for a device through the server's report queue (the REST API's path), as
/// received at `at`.
pub async fn report_at(
    app: &TestApp,
    mdm_id: &str,
    apps: &[&str],
    at: chrono::DateTime<Utc>,
) -> ReportOutcome {
    app.reports
        .report(typed(mdm_id, apps), Some(at))
        .await
        .unwrap()
}

/// The gateway's answer for a known device at `at`, from the node's access snapshot once it
/// has applied every change made so far.
pub async fn decision_at(app: &TestApp, mdm_id: &str, at: chrono::DateTime<Utc>) -> AccessDecision {
    settle(app).await;
    app.access
        .decide(mdm_id, at)
        .expect("the snapshot is fresh")
        .expect("the device is known")
}

/// Default settings, but stale devices are ignored (the demo devices never reported).
pub fn quiet() -> ComplianceSettings {
    ComplianceSettings {
        stale_policy: StalePolicy::Ignore,
        ..Default::default()
    }
}

pub fn links(app: &TestApp) -> Links {
    Links {
        base_url: app.base.clone(),
    }
}

/// Runs the compliance job once, as at `at`.
pub async fn run_job_at(app: &TestApp, settings: &ComplianceSettings, at: DateTime<Utc>) -> JobRun {
    engine::run_job(&app.db, settings, &links(app), at)
        .await
        .unwrap()
}

/// The demo messenger ban's effective day starts at this instant.
pub async fn effective_at(app: &TestApp) -> chrono::DateTime<Utc> {
    let day: chrono::NaiveDate = app
        .scalar(
            "SELECT effective_on FROM circular_version v JOIN circular c ON c.id = v.circular_id WHERE c.number = 'RS 2026/17' AND v.status = 'published'",
        )
        .await;
    app::time::start_of_day_berlin(day)
}

/// Waits until the node's access snapshot has seen the changes made so far (it polls the
/// change log every 100 ms).
pub async fn settle(app: &TestApp) {
    app.access_settled().await;
}

/// A demo phone (Android) whose seeded inventory was clean.
pub async fn clean_phone(app: &TestApp) -> String {
    app.scalar(
        "SELECT mdm_id FROM device WHERE platform = 'android' AND kind = 'phone' AND mdm_id IS NOT NULL
            AND id NOT IN (SELECT device_id FROM device_app_match) ORDER BY id LIMIT 1",
    )
    .await
}

/// A `COUNT(*)` query about one device (`$1` is its MDM id).
pub async fn count_for(app: &TestApp, sql: &str, mdm: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(mdm)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

pub async fn state_of(app: &TestApp, mdm_id: &str, rule_like: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT s.state FROM device_compliance s JOIN device d ON d.id = s.device_id WHERE d.mdm_id = $1 AND s.rule LIKE $2",
    )
    .bind(mdm_id)
    .bind(rule_like)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}
