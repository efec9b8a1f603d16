//! Device compliance over the real HTTP API: tokens and scopes, inventory matching, every
//! state transition (with an injected clock for the engine), exemptions, stale devices,
//! bulk import, bad input, database outage, and the OpenAPI document against real answers.
mod common;
use app::compliance::engine::{self, InventoryReport, Links};
use app::compliance::{ComplianceSettings, StalePolicy};
use app::tokens::Scope;
use chrono::{Duration, Utc};
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const WHATSAPP: &str = "com.whatsapp";

async fn api(
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

fn report(mdm_id: &str, apps: &[&str]) -> Value {
    json!({
        "mdm_id": mdm_id,
        "platform": "android",
        "apps": apps.iter().map(|a| json!({"id": a, "name": a})).collect::<Vec<_>>(),
    })
}

fn typed(mdm_id: &str, apps: &[&str]) -> InventoryReport {
    serde_json::from_value(report(mdm_id, apps)).unwrap()
}

/// Default settings, but stale devices are ignored (the demo devices never reported).
fn quiet() -> ComplianceSettings {
    ComplianceSettings {
        stale_policy: StalePolicy::Ignore,
        ..Default::default()
    }
}

fn links(app: &TestApp) -> Links {
    Links {
        base_url: app.base.clone(),
    }
}

/// The demo messenger ban's effective day starts at this instant.
async fn effective_at(app: &TestApp) -> chrono::DateTime<Utc> {
    let day: chrono::NaiveDate = sqlx::query_scalar(
        "SELECT effective_on FROM circular_version v JOIN circular c ON c.id = v.circular_id WHERE c.number = 'RS 2026/17' AND v.status = 'published'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    app::time::start_of_day_berlin(day)
}

/// Waits until the node's access snapshot has seen the changes made so far (it polls the
/// change log every 100 ms).
async fn settle(app: &TestApp) {
    app.access_settled().await;
}

/// A demo phone (Android) whose seeded inventory was clean.
async fn clean_phone(app: &TestApp) -> String {
    sqlx::query_scalar(
        "SELECT mdm_id FROM device WHERE platform = 'android' AND kind = 'phone' AND mdm_id IS NOT NULL
            AND id NOT IN (SELECT device_id FROM device_app_match) ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// A `COUNT(*)` query about one device (`$1` is its MDM id).
async fn count_for(app: &TestApp, sql: &str, mdm: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(mdm)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn state_of(app: &TestApp, mdm_id: &str, rule_like: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT s.state FROM device_compliance s JOIN device d ON d.id = s.device_id WHERE d.mdm_id = $1 AND s.rule LIKE $2",
    )
    .bind(mdm_id)
    .bind(rule_like)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn tokens_need_the_right_scope_and_revocation_is_immediate() {
    let app = TestApp::spawn().await;
    let mdm = clean_phone(&app).await;
    let body = Some(report(&mdm, &[]));
    let post = reqwest::Method::POST;
    let (status, err) = api(&app, post.clone(), "/api/v1/inventory", None, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["error"], "unauthorized");
    assert!(err["message"].as_str().unwrap().contains("Bearer"));
    let (status, _) = api(
        &app,
        post.clone(),
        "/api/v1/inventory",
        Some("rsp_nope"),
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let forged = format!("rsp_{}", "ab".repeat(24));
    let (status, err) = api(
        &app,
        post.clone(),
        "/api/v1/inventory",
        Some(&forged),
        body.clone(),
    )
    .await;
    assert_eq!(
        (status, err["message"].as_str().unwrap()),
        (StatusCode::UNAUTHORIZED, "unknown or revoked token")
    );

    let reader = api_token(&app.db, &[Scope::AccessRead]).await;
    let (status, err) = api(
        &app,
        post.clone(),
        "/api/v1/inventory",
        Some(&reader),
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(err["message"].as_str().unwrap().contains("inventory:write"));
    let (status, _) = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/devices/{mdm}/access"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // An admin issues a token on the page's server function; it is shown once and works.
    let admin = app.logged_in(ADMIN).await;
    let (status, issued) = app
        .call(
            &admin,
            "tokens/create",
            &[
                ("name", "Mail-Gateway"),
                ("scopes[]", "access:read"),
                ("scopes[]", "inventory:write"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let secret = issued["secret"].as_str().unwrap().to_owned();
    let (status, _) = api(
        &app,
        post.clone(),
        "/api/v1/inventory",
        Some(&secret),
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let stored: String =
        sqlx::query_scalar("SELECT token_hash FROM api_token WHERE name = 'Mail-Gateway'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_ne!(stored, secret, "only the hash is stored");
    // Last use is recorded off the request path.
    app.eventually_count(
        "SELECT COUNT(*) FROM api_token WHERE name = 'Mail-Gateway' AND last_used_at IS NOT NULL",
        1,
    )
    .await;
    // The list never shows secrets.
    let (_, list) = app.call(&admin, "tokens/list", &[]).await;
    assert!(!list.to_string().contains(&secret));

    let id = issued["id"].to_string();
    let (status, _) = app.call(&admin, "tokens/revoke", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api(
        &app,
        post.clone(),
        "/api/v1/inventory",
        Some(&secret),
        body.clone(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revoked token is refused at once"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('token.create', 'token.revoke')"
        )
        .await,
        3
    );

    // Bad token form input: clear field errors; employees cannot issue tokens.
    let (status, err) = app
        .call(
            &admin,
            "tokens/create",
            &[("name", " "), ("scopes[]", "root")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&err, "name").is_some() && field_message(&err, "scopes").is_some());
    let employee = app.logged_in(EMPLOYEE).await;
    let (status, _) = app
        .call(
            &employee,
            "tokens/create",
            &[("name", "x"), ("scopes[]", "access:read")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn reports_keep_only_prohibited_matches_and_repeat_idempotently() {
    let app = TestApp::spawn().await;
    let mdm = clean_phone(&app).await;
    let transitions = app
        .count("SELECT COUNT(*) FROM compliance_transition")
        .await;
    let matches = app.count("SELECT COUNT(*) FROM device_app_match").await;
    let token = api_token(&app.db, &[Scope::InventoryWrite, Scope::AccessRead]).await;
    let post = reqwest::Method::POST;
    let body = report(
        &mdm,
        &["com.android.chrome", "com.WhatsApp", "org.example.notes"],
    );
    let (status, out) = api(
        &app,
        post.clone(),
        "/api/v1/inventory",
        Some(&token),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["prohibited_apps"], json!([WHATSAPP]));
    assert_eq!(out["registered"], false);
    // The ban takes effect in the future: "violating", still allowed.
    assert_eq!(out["standings"][0]["state"], "violating");
    assert_eq!(out["decision"], "allow");
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT app_identifier FROM device_app_match m JOIN device d ON d.id = m.device_id WHERE d.mdm_id = $1",
    )
    .bind(&mdm)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        stored,
        vec![WHATSAPP.to_owned()],
        "the full app list is not stored"
    );
    let reported = count_for(
        &app,
        "SELECT COUNT(*) FROM device WHERE mdm_id = $1 AND last_inventory_at IS NOT NULL",
        &mdm,
    )
    .await;
    assert_eq!(reported, 1);

    // The same report again changes nothing.
    let (status, _) = api(
        &app,
        post.clone(),
        "/api/v1/inventory",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM compliance_transition")
            .await,
        transitions + 1
    );

    // The demo MDM reported WhatsApp and Snapchat on Max's phone: he sees it with what to do.
    let client = app.logged_in(EMPLOYEE).await;
    let (_, mine) = app.call(&client, "compliance/mine", &[]).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["state"], "violating");
    assert_eq!(mine[0]["apps"], json!(["com.snapchat.android", WHATSAPP]));

    // Removed: compliant again, matches gone.
    let (_, out) = api(
        &app,
        post,
        "/api/v1/inventory",
        Some(&token),
        Some(report(&mdm, &["com.android.chrome"])),
    )
    .await;
    assert_eq!(out["standings"], json!([]));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device_app_match").await,
        matches
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM compliance_transition")
            .await,
        transitions + 2
    );
}

#[tokio::test]
async fn a_device_is_warned_blocked_and_restored_with_mails_and_evidence() {
    let app = TestApp::spawn().await;
    let mdm = clean_phone(&app).await;
    // Other demo devices never reported; keep them out of this test.
    let settings = quiet();
    let start = effective_at(&app).await + Duration::hours(9);
    let out = engine::report_inventory(
        &app.db,
        &settings,
        &links(&app),
        &typed(&mdm, &[WHATSAPP]),
        start,
    )
    .await
    .unwrap();
    assert_eq!(out.standings[0].state.as_str(), "warned");
    let block_at = out.standings[0].block_at.unwrap();
    assert_eq!(block_at, start + Duration::days(7));
    let warn_mail: String = sqlx::query_scalar("SELECT subject FROM mail_outbox WHERE dedupe_key IN (SELECT 'compliance:' || id FROM compliance_transition WHERE device_id = (SELECT id FROM device WHERE mdm_id = $1)) ORDER BY id DESC LIMIT 1")
        .bind(&mdm)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let block_day = app::time::today_berlin(block_at)
        .format("%d.%m.%Y")
        .to_string();
    assert!(
        warn_mail.contains("Diensthandy") && warn_mail.contains(&block_day),
        "{warn_mail}"
    );

    // The job leaves the device alone within the grace period (other demo phones with
    // apps are warned by it now), then blocks it.
    engine::run_job(&app.db, &settings, &links(&app), start + Duration::days(6))
        .await
        .unwrap();
    assert_eq!(
        state_of(&app, &mdm, "circular:%").await.as_deref(),
        Some("warned")
    );
    let decision = engine::decide(&app.db, &mdm, start + Duration::days(6))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(decision.decision, engine::Decision::Allow);
    assert_eq!(decision.pending.len(), 1);
    engine::run_job(&app.db, &settings, &links(&app), start + Duration::days(7))
        .await
        .unwrap();
    assert_eq!(
        state_of(&app, &mdm, "circular:%").await.as_deref(),
        Some("blocked")
    );

    // The gateway, asking over HTTP now, is denied with the reason.
    let token = api_token(&app.db, &[Scope::AccessRead]).await;
    settle(&app).await;
    let (status, d) = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/devices/{mdm}/access"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["reasons"][0]["circular"], "RS 2026/17");
    assert_eq!(d["reasons"][0]["apps"], json!([WHATSAPP]));
    // A clean device is allowed; an unknown one is a 404, not an allow.
    let other: String = sqlx::query_scalar(
        "SELECT mdm_id FROM device WHERE mdm_id IS NOT NULL AND mdm_id <> $1 AND id NOT IN (SELECT device_id FROM device_app_match) LIMIT 1",
    )
    .bind(&mdm)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (_, clean) = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/devices/{other}/access"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(clean["decision"], "allow");
    let (status, unknown) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/devices/NOPE/access",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (status, unknown["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_device"))
    );

    // App removed: compliant at once, with a mail.
    let out = engine::report_inventory(
        &app.db,
        &settings,
        &links(&app),
        &typed(&mdm, &[]),
        start + Duration::days(8),
    )
    .await
    .unwrap();
    assert!(out.standings.is_empty());
    assert_eq!(out.decision, engine::Decision::Allow);
    let subjects: Vec<String> = sqlx::query_scalar(
        "SELECT subject FROM mail_outbox WHERE dedupe_key IN (SELECT 'compliance:' || id FROM compliance_transition WHERE device_id = (SELECT id FROM device WHERE mdm_id = $1)) ORDER BY id",
    )
    .bind(&mdm)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    assert!(
        subjects[1].contains("gesperrt") && subjects[2].contains("wieder freigegeben"),
        "{subjects:?}"
    );
    let path: Vec<(String, String, String)> =
        sqlx::query_as("SELECT from_state, to_state, cause FROM compliance_transition WHERE device_id = (SELECT id FROM device WHERE mdm_id = $1) ORDER BY id")
            .bind(&mdm)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        path,
        vec![
            ("compliant".into(), "warned".into(), "report".into()),
            ("warned".into(), "blocked".into(), "job".into()),
            ("blocked".into(), "compliant".into(), "report".into()),
        ]
    );

    // Transitions are sealed into the evidence chain; tampering with one is detected.
    app::evidence::repo::seal_pending(&app.db).await.unwrap();
    let report = app::evidence::repo::verify(&app.db).await.unwrap();
    assert!(report.broken.is_none());
    assert_eq!(
        report.compliance_transitions,
        app.count("SELECT COUNT(*) FROM compliance_transition")
            .await
    );
    sqlx::query(
        "UPDATE compliance_transition SET to_state = 'compliant' WHERE to_state = 'blocked'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let report = app::evidence::repo::verify(&app.db).await.unwrap();
    let broken = report.broken.expect("tampering detected");
    assert_eq!(broken.kind, "compliance");
    assert!(
        broken.reason.contains("changed after sealing"),
        "{}",
        broken.reason
    );
}

#[tokio::test]
async fn exemptions_hold_until_revoked_and_are_audited() {
    let app = TestApp::spawn().await;
    let mdm = clean_phone(&app).await;
    let token = api_token(&app.db, &[Scope::InventoryWrite]).await;
    api(
        &app,
        reqwest::Method::POST,
        "/api/v1/inventory",
        Some(&token),
        Some(report(&mdm, &[WHATSAPP])),
    )
    .await;
    assert_eq!(
        state_of(&app, &mdm, "circular:%").await.as_deref(),
        Some("violating")
    );
    let circular: i64 = sqlx::query_scalar("SELECT id FROM circular WHERE number = 'RS 2026/17'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let admin = app.logged_in(ADMIN).await;
    let c = circular.to_string();
    let good = |until: &str, mdm: &str| {
        vec![
            ("form[mdm_id]", mdm.to_owned()),
            ("form[circular]", c.clone()),
            ("form[reason]", "Pilotgerät der IT-Sicherheit".to_owned()),
            ("form[valid_until]", until.to_owned()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| {
        v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
    };
    // Bad input: a date in the past, an unknown device.
    let past = as_refs(&good(&day_in(-1), &mdm));
    let (status, err) = app
        .call(
            &admin,
            "compliance/exempt",
            &past
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&err, "valid_until").is_some());
    let unknown = as_refs(&good(&day_in(30), "MDM-XXXXX"));
    let (_, err) = app
        .call(
            &admin,
            "compliance/exempt",
            &unknown
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert!(field_message(&err, "mdm_id").is_some());
    // A reason of a word or two is not a reason; a date that is no date is refused.
    let (status, err) = app
        .call(
            &admin,
            "compliance/exempt",
            &[
                ("form[mdm_id]", mdm.as_str()),
                ("form[circular]", c.as_str()),
                ("form[reason]", "ok"),
                ("form[valid_until]", "morgen"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&err, "reason").is_some());
    assert!(field_message(&err, "valid_until").is_some());
    assert_eq!(app.count("SELECT COUNT(*) FROM exemption").await, 0);

    let ok = as_refs(&good(&day_in(60), &mdm));
    let (status, id) = app
        .call(
            &admin,
            "compliance/exempt",
            &ok.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{id}");
    assert_eq!(
        state_of(&app, &mdm, "circular:%").await.as_deref(),
        Some("exempt")
    );
    // Exempt devices stay allowed past the effective date and the grace period.
    let settings = quiet();
    let later = effective_at(&app).await + Duration::days(10);
    engine::run_job(&app.db, &settings, &links(&app), later)
        .await
        .unwrap();
    assert_eq!(
        state_of(&app, &mdm, "circular:%").await.as_deref(),
        Some("exempt")
    );

    let employee = app.logged_in(EMPLOYEE).await;
    let (status, _) = app
        .call(
            &employee,
            "compliance/revoke_exemption",
            &[("id", &id.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            &admin,
            "compliance/revoke_exemption",
            &[("id", &id.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        state_of(&app, &mdm, "circular:%").await.as_deref(),
        Some("violating")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('exemption.grant', 'exemption.revoke')").await, 2);
}

#[tokio::test]
async fn stale_devices_follow_the_configured_policy() {
    let app = TestApp::spawn().await;
    let token = api_token(&app.db, &[Scope::InventoryWrite, Scope::AccessRead]).await;
    api(
        &app,
        reqwest::Method::POST,
        "/api/v1/inventory",
        Some(&token),
        Some(report("MDM-00002", &[])),
    )
    .await;
    let in_20_days = Utc::now() + Duration::days(20);
    let mut settings = ComplianceSettings {
        stale_policy: StalePolicy::Ignore,
        ..Default::default()
    };
    let run = engine::run_job(&app.db, &settings, &links(&app), in_20_days)
        .await
        .unwrap();
    assert_eq!(run.transitions, 0, "ignore: nothing happens");
    settings.stale_policy = StalePolicy::Warn;
    engine::run_job(&app.db, &settings, &links(&app), in_20_days)
        .await
        .unwrap();
    assert_eq!(
        state_of(&app, "MDM-00002", "stale").await.as_deref(),
        Some("stale")
    );
    assert_eq!(
        engine::decide(&app.db, "MDM-00002", in_20_days)
            .await
            .unwrap()
            .unwrap()
            .decision,
        engine::Decision::Allow
    );
    settings.stale_policy = StalePolicy::Block;
    engine::run_job(&app.db, &settings, &links(&app), in_20_days)
        .await
        .unwrap();
    let d = engine::decide(&app.db, "MDM-00002", in_20_days)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.decision, engine::Decision::Deny);
    assert_eq!(d.reasons[0].rule, "stale");
    // Devices without an MDM id are never stale.
    assert_eq!(app.count("SELECT COUNT(*) FROM device_compliance s JOIN device d ON d.id = s.device_id WHERE d.mdm_id IS NULL").await, 0);
    // A fresh report clears it.
    engine::report_inventory(
        &app.db,
        &settings,
        &links(&app),
        &typed("MDM-00002", &[]),
        in_20_days,
    )
    .await
    .unwrap();
    assert_eq!(
        state_of(&app, "MDM-00002", "stale").await.as_deref(),
        Some("compliant")
    );
}

#[tokio::test]
async fn unknown_devices_are_rejected_unless_an_owner_is_named() {
    let app = TestApp::spawn().await;
    let token = api_token(&app.db, &[Scope::InventoryWrite]).await;
    let post = reqwest::Method::POST;
    let (status, err) = api(
        &app,
        post.clone(),
        "/api/v1/inventory",
        Some(&token),
        Some(report("MDM-NEW-1", &[])),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["fields"][0]["field"], "mdm_id");
    let mut body = report("MDM-NEW-1", &[WHATSAPP]);
    body["owner"] = json!("nobody@musterstadt.de");
    let (status, err) = api(
        &app,
        post.clone(),
        "/api/v1/inventory",
        Some(&token),
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (status, err["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("owner"))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device WHERE mdm_id = 'MDM-NEW-1'")
            .await,
        0
    );
    body["owner"] = json!(EMPLOYEE.0);
    body["device_name"] = json!("Tablet Bürgerbüro");
    let (status, out) = api(&app, post, "/api/v1/inventory", Some(&token), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["registered"], true);
    assert_eq!(out["prohibited_apps"], json!([WHATSAPP]));
    let owner: String = sqlx::query_scalar("SELECT u.email FROM device d JOIN users u ON u.id = d.owner_id WHERE d.mdm_id = 'MDM-NEW-1'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(owner, EMPLOYEE.0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'device.auto_register'")
            .await,
        1
    );
}

#[tokio::test]
async fn bad_requests_get_clear_json_errors_and_write_nothing() {
    let app = TestApp::spawn().await;
    let mdm = clean_phone(&app).await;
    let matches = app.count("SELECT COUNT(*) FROM device_app_match").await;
    let reported = app
        .count("SELECT COUNT(*) FROM device WHERE last_inventory_at IS NOT NULL")
        .await;
    let token = api_token(&app.db, &[Scope::InventoryWrite]).await;
    let url = app.url("/api/v1/inventory");
    let client = reqwest::Client::new();
    let send = |body: Vec<u8>, ct: &'static str| {
        client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let res = send(b"{\"mdm_id\": ".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "malformed_json"
    );
    let res = send(b"mdm_id=1".to_vec(), "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "unsupported_media_type"
    );
    // 10 MB body.
    let res = send(vec![b' '; 10 * 1024 * 1024], "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "payload_too_large"
    );
    // 100k apps: too large a body.
    let many: Vec<String> = (0..100_000)
        .map(|i| format!("org.example.app{i}"))
        .collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let res = send(
        serde_json::to_vec(&report(&mdm, &refs)).unwrap(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // 6,000 short app ids fit in the body but exceed the per-report limit.
    let many: Vec<String> = (0..6_000).map(|i| format!("a{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let res = send(
        serde_json::to_vec(&report(&mdm, &refs)).unwrap(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["fields"][0]["field"],
        "apps"
    );
    let mut bad = report(&mdm, &[WHATSAPP]);
    bad["platform"] = json!("palmos");
    let res = send(serde_json::to_vec(&bad).unwrap(), "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("palmos"));
    let res = client
        .delete(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let res = client.get(app.url("/api/v1/nothing")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "not_found");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device_app_match").await,
        matches
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device WHERE last_inventory_at IS NOT NULL")
            .await,
        reported
    );
}

#[tokio::test]
async fn bulk_import_upserts_all_or_nothing() {
    let app = TestApp::spawn().await;
    let mdm = clean_phone(&app).await;
    let token = api_token(&app.db, &[Scope::DevicesWrite]).await;
    let before = app.count("SELECT COUNT(*) FROM device").await;
    let post = reqwest::Method::POST;
    let body = json!({"devices": [
        {"mdm_id": "IMP-1", "owner": EMPLOYEE.0, "platform": "ios", "label": "iPad Bürgerbüro", "kind": "tablet"},
        {"mdm_id": "IMP-2", "owner": EMPLOYEE.0, "platform": "windows"},
        {"mdm_id": &mdm, "owner": EMPLOYEE.0, "platform": "android", "label": "Diensthandy (neu)"},
    ]});
    let (status, out) = api(
        &app,
        post.clone(),
        "/api/v1/devices/import",
        Some(&token),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out, json!({"created": 2, "updated": 1}));
    assert_eq!(app.count("SELECT COUNT(*) FROM device").await, before + 2);
    let kind: String = sqlx::query_scalar("SELECT kind FROM device WHERE mdm_id = 'IMP-2'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(kind, "laptop");
    // Importing the same again only updates.
    let (_, out) = api(
        &app,
        post.clone(),
        "/api/v1/devices/import",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(out, json!({"created": 0, "updated": 3}));

    // A duplicate mdm_id in the file: 422 naming the row, nothing written.
    let dup = json!({"devices": [
        {"mdm_id": "IMP-3", "owner": EMPLOYEE.0, "platform": "ios"},
        {"mdm_id": "IMP-3", "owner": EMPLOYEE.0, "platform": "ios"},
    ]});
    let (status, err) = api(
        &app,
        post.clone(),
        "/api/v1/devices/import",
        Some(&token),
        Some(dup),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["fields"][0]["field"], "device 2: mdm_id");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device WHERE mdm_id = 'IMP-3'")
            .await,
        0
    );

    // A CSV with a bad row 3,000 rows in: every good row is rolled back.
    let mut csv = String::from("mdm_id,owner,platform,imei\n");
    for i in 0..3_500 {
        let imei = if i == 2_999 { "123" } else { "" };
        csv.push_str(&format!("CSV-{i},{},android,{imei}\n", EMPLOYEE.0));
    }
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/devices/import"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["fields"].as_array().unwrap().len(), 1);
    assert_eq!(err["fields"][0]["field"], "line 3001: imei");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device WHERE mdm_id LIKE 'CSV-%'")
            .await,
        0
    );
    // Wrong content type and wrong scope.
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/devices/import"))
        .bearer_auth(&token)
        .header("content-type", "application/xml")
        .body("<devices/>")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let inventory_only = api_token(&app.db, &[Scope::InventoryWrite]).await;
    let (status, _) = api(
        &app,
        post,
        "/api/v1/devices/import",
        Some(&inventory_only),
        Some(json!({"devices": []})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn concurrent_reports_for_one_device_leave_a_consistent_history() {
    let app = TestApp::spawn().await;
    let mdm = clean_phone(&app).await;
    let token = api_token(&app.db, &[Scope::InventoryWrite]).await;
    let mut tasks = vec![];
    for i in 0..24 {
        let url = app.url("/api/v1/inventory");
        let token = token.clone();
        let apps: &[&str] = if i % 2 == 0 { &[WHATSAPP] } else { &[] };
        let body = report(&mdm, apps);
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    let path: Vec<(String, String)> =
        sqlx::query_as("SELECT from_state, to_state FROM compliance_transition WHERE device_id = (SELECT id FROM device WHERE mdm_id = $1) ORDER BY id")
            .bind(&mdm)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let mut state = "compliant".to_owned();
    for (from, to) in &path {
        assert_eq!(
            from, &state,
            "each transition starts where the last one ended: {path:?}"
        );
        state = to.clone();
    }
    let matches = count_for(
        &app,
        "SELECT COUNT(*) FROM device_app_match m JOIN device d ON d.id = m.device_id WHERE d.mdm_id = $1",
        &mdm,
    )
    .await;
    let expected = if matches == 1 {
        "violating"
    } else {
        "compliant"
    };
    assert_eq!(
        state_of(&app, &mdm, "circular:%")
            .await
            .unwrap_or("compliant".into()),
        expected
    );
}

#[tokio::test]
async fn the_access_decision_never_allows_when_the_database_is_down() {
    let app = TestApp::spawn().await;
    let token = api_token(&app.db, &[Scope::AccessRead]).await;
    let (_, d) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/devices/MDM-00002/access",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(d["decision"], "allow");
    // The token is now cached; the database goes away. Once the snapshot is older than
    // its limit, the node answers 503 — never an allow from old data.
    app.db.close().await;
    tokio::time::sleep(app::compliance::access::MAX_AGE + app::compliance::access::POLL_EVERY * 3)
        .await;
    for path in [
        "/api/v1/devices/MDM-00002/access",
        "/api/v1/devices/MDM-00001/access",
    ] {
        let (status, body) = api(&app, reqwest::Method::GET, path, Some(&token), None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"], "unavailable");
        assert!(!body.to_string().contains("allow\""));
    }
    // Without a cached token it is also an error, never an allow.
    let other = format!("rsp_{}", "cd".repeat(24));
    let (status, _) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/devices/MDM-00002/access",
        Some(&other),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

/// Validates `body` against the response schema the OpenAPI document declares for it.
fn assert_documented(doc: &Value, path: &str, method: &str, status: StatusCode, body: &Value) {
    let errors = schema_errors(doc, path, method, status, body);
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:?}\n{body}"
    );
}

fn schema_errors(
    doc: &Value,
    path: &str,
    method: &str,
    status: StatusCode,
    body: &Value,
) -> Vec<String> {
    let response = &doc["paths"][path][method]["responses"][status.as_str()];
    assert!(
        response.is_object(),
        "{method} {path} {status} is not documented"
    );
    let schema = &response["content"]["application/json"]["schema"];
    // The document's component schemas travel along so that `$ref`s resolve.
    let validator =
        jsonschema::validator_for(&json!({ "allOf": [schema], "components": doc["components"] }))
            .unwrap_or_else(|e| panic!("schema of {method} {path} {status} is invalid: {e}"));
    validator.iter_errors(body).map(|e| e.to_string()).collect()
}

#[tokio::test]
async fn the_openapi_document_describes_the_real_answers() {
    let app = TestApp::spawn().await;
    let mdm = clean_phone(&app).await;
    let (status, doc) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/openapi.json",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let token = api_token(
        &app.db,
        &[
            Scope::InventoryWrite,
            Scope::AccessRead,
            Scope::DevicesWrite,
        ],
    )
    .await;
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let inv = "/api/v1/inventory";
    let (s, b) = api(
        &app,
        post.clone(),
        inv,
        Some(&token),
        Some(report(&mdm, &[WHATSAPP])),
    )
    .await;
    assert_documented(&doc, inv, "post", s, &b);
    let (s, b) = api(
        &app,
        post.clone(),
        inv,
        Some(&token),
        Some(report("MDM-UNKNOWN", &[])),
    )
    .await;
    assert_documented(&doc, inv, "post", s, &b);
    let (s, b) = api(&app, post.clone(), inv, None, Some(report(&mdm, &[]))).await;
    assert_documented(&doc, inv, "post", s, &b);
    let access = "/api/v1/devices/{mdm_id}/access";
    let (s, b) = api(
        &app,
        get.clone(),
        &format!("/api/v1/devices/{mdm}/access"),
        Some(&token),
        None,
    )
    .await;
    assert_documented(&doc, access, "get", s, &b);
    // The check has teeth: a wrong shape is reported.
    let wrong = json!({"mdm_id": &mdm, "decision": "maybe", "reasons": []});
    assert!(!schema_errors(&doc, access, "get", StatusCode::OK, &wrong).is_empty());
    // Blocked, with reasons.
    engine::run_job(
        &app.db,
        &quiet(),
        &links(&app),
        effective_at(&app).await + Duration::days(30),
    )
    .await
    .unwrap();
    engine::run_job(
        &app.db,
        &quiet(),
        &links(&app),
        effective_at(&app).await + Duration::days(40),
    )
    .await
    .unwrap();
    settle(&app).await;
    let (s, b) = api(
        &app,
        get.clone(),
        &format!("/api/v1/devices/{mdm}/access"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(b["decision"], "deny");
    assert_documented(&doc, access, "get", s, &b);
    let (s, b) = api(&app, get, "/api/v1/devices/NOPE/access", Some(&token), None).await;
    assert_documented(&doc, access, "get", s, &b);
    let imp = "/api/v1/devices/import";
    let (s, b) = api(
        &app,
        post.clone(),
        imp,
        Some(&token),
        Some(json!({"devices": [{"mdm_id": "X-1", "owner": EMPLOYEE.0, "platform": "ios"}]})),
    )
    .await;
    assert_documented(&doc, imp, "post", s, &b);
    let (s, b) = api(
        &app,
        post,
        imp,
        Some(&token),
        Some(json!({"devices": [{"mdm_id": "X-2", "owner": "nobody", "platform": "ios"}]})),
    )
    .await;
    assert_documented(&doc, imp, "post", s, &b);
}

#[tokio::test]
async fn heads_see_counts_and_warned_devices_of_their_units_only() {
    let app = TestApp::spawn().await;
    // After the effective date the job warns every phone the demo MDM reported with an app.
    engine::run_job(
        &app.db,
        &quiet(),
        &links(&app),
        effective_at(&app).await + Duration::hours(10),
    )
    .await
    .unwrap();
    let head = app.logged_in(HEAD).await; // head of the Bürgeramt
    let (status, o) = app.call(&head, "compliance/overview", &[]).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["is_admin"], false);
    assert_eq!(o["exemptions"], json!([]));
    let units: Vec<&str> = o["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["unit"].as_str().unwrap())
        .collect();
    assert!(!units.is_empty());
    let path: String = sqlx::query_scalar(
        "SELECT o.path FROM users u JOIN user_role r ON r.user_id = u.id AND r.role = 'head' JOIN org_unit o ON o.id = r.scope_unit_id WHERE u.email = $1",
    )
    .bind(HEAD.0)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let inside: Vec<String> =
        sqlx::query_scalar("SELECT name FROM org_unit WHERE path LIKE $1 || '%'")
            .bind(&path)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert!(
        units.iter().all(|u| inside.iter().any(|i| i == u)),
        "{units:?} outside {inside:?}"
    );
    let expected: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM device_compliance s JOIN device d ON d.id = s.device_id JOIN users u ON u.id = d.owner_id
           JOIN org_unit o ON o.id = u.org_unit_id WHERE s.state = 'warned' AND o.path LIKE $1 || '%'",
    )
    .bind(&path)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let standings = o["standings"].as_array().unwrap();
    assert!(expected > 0, "the demo Bürgeramt has warned phones");
    assert_eq!(standings.len() as i64, expected);
    assert!(standings.iter().all(|s| s["state"] == "warned"));
    let city_wide = app
        .count("SELECT COUNT(*) FROM device_compliance WHERE state = 'warned'")
        .await;
    assert!(
        city_wide > expected,
        "the city has more warned devices than the Bürgeramt"
    );

    // Filters cannot widen a head's view; employees and auditors get nothing.
    let (_, filtered) = app
        .call(&head, "compliance/overview", &[("state", "violating")])
        .await;
    assert_eq!(filtered["standings"], json!([]));
    let employee = app.logged_in(EMPLOYEE).await;
    let (status, _) = app.call(&employee, "compliance/overview", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            &employee,
            "compliance/dry_run",
            &[("circular", "1"), ("date", "2030-01-01")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_dry_run_shows_who_would_be_warned_or_blocked_on_a_day() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let circular: i64 = sqlx::query_scalar("SELECT id FROM circular WHERE number = 'RS 2026/17'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let c = circular.to_string();
    let carrying = app
        .count("SELECT COUNT(DISTINCT device_id) FROM device_app_match")
        .await;
    assert!(carrying > 0);
    let effective = app::time::today_berlin(effective_at(&app).await);
    let outcomes = |rows: &Value| -> Vec<String> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["outcome"].as_str().unwrap().to_owned())
            .collect()
    };
    for (day, expected) in [
        (effective - Duration::days(1), "violating"),
        (effective + Duration::days(2), "warned"),
        (effective + Duration::days(8), "blocked"),
    ] {
        let (status, rows) = app
            .call(
                &admin,
                "compliance/dry_run",
                &[("circular", &c), ("date", &day.to_string())],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{rows}");
        let got = outcomes(&rows);
        assert_eq!(got.len() as i64, carrying);
        assert!(got.iter().all(|o| o == expected), "{day}: {got:?}");
    }
    // Nothing was changed by the dry runs.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device_compliance WHERE state IN ('warned', 'blocked')")
            .await,
        0
    );
    let (status, err) = app
        .call(
            &admin,
            "compliance/dry_run",
            &[("circular", &c), ("date", "31.12.2026")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&err, "date").is_some());
    let (status, _) = app
        .call(
            &admin,
            "compliance/dry_run",
            &[("circular", "999"), ("date", "2030-01-01")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_job_on_several_nodes_at_once_makes_each_transition_once() {
    let app = TestApp::spawn().await;
    let later = effective_at(&app).await + Duration::days(1);
    let before = app
        .count("SELECT COUNT(*) FROM compliance_transition")
        .await;
    let carrying = app
        .count("SELECT COUNT(DISTINCT device_id) FROM device_app_match")
        .await;
    // Four "nodes" run the job at the same moment.
    let runs = futures_util::future::join_all((0..4).map(|_| {
        let db = app.db.clone();
        let links = links(&app);
        async move { engine::run_job(&db, &quiet(), &links, later).await.unwrap() }
    }))
    .await;
    let made: usize = runs.iter().map(|r| r.transitions).sum();
    assert_eq!(made as i64, carrying, "each device warned once in all");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM compliance_transition")
            .await,
        before + carrying
    );
    // One warning mail per device, not one per node.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM mail_outbox WHERE subject LIKE '%Sperre ab%' OR subject LIKE '%access ends%'")
            .await,
        carrying
    );
}

#[tokio::test]
async fn the_mdm_simulator_reports_through_the_real_api() {
    let app = TestApp::spawn().await;
    let token = api_token(&app.db, &[Scope::InventoryWrite]).await;
    let before = app
        .count("SELECT COUNT(*) FROM device WHERE last_inventory_at IS NOT NULL")
        .await;
    sqlx::query("UPDATE device SET last_inventory_at = NULL")
        .execute(&app.db)
        .await
        .unwrap();
    assert!(before > 0);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", app.db_path.display()),
        )
        .env("RUST_LOG", "error")
        .args([
            "simulate-mdm",
            "--url",
            &app.base,
            "--token",
            &token,
            "--limit",
            "12",
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Reported 12 devices; 3 carry prohibited apps."),
        "{stdout}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device WHERE last_inventory_at IS NOT NULL")
            .await,
        12
    );
    // A wrong token: a clear failure, not a crash.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", app.db_path.display()),
        )
        .env("RUST_LOG", "error")
        .args([
            "simulate-mdm",
            "--url",
            &app.base,
            "--token",
            "rsp_wrong",
            "--limit",
            "1",
        ])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
}

#[tokio::test]
async fn admins_import_devices_by_upload_with_german_row_errors() {
    let app = TestApp::spawn().await;
    let upload = |client: reqwest::Client, csv: &'static str| {
        let url = app.url("/fn/compliance/import_devices");
        async move {
            let part =
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("geraete.csv");
            let res = client
                .post(url)
                .multipart(reqwest::multipart::Form::new().part("file", part))
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let admin = app.logged_in(ADMIN).await;
    let (status, body) = upload(
        admin.clone(),
        "mdm_id,owner,platform,label\nUP-1,max.mustermann@musterstadt.de,ios,iPad\nUP-2,kein.mensch@musterstadt.de,ios,iPad\n",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_message(&body, "Zeile 3: owner").as_deref(),
        Some("Keine aktive Person hat diese E-Mail-Adresse oder Personalnummer.")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device WHERE mdm_id LIKE 'UP-%'")
            .await,
        0
    );
    let (status, body) = upload(
        admin.clone(),
        "mdm_id,owner,platform,label\nUP-1,max.mustermann@musterstadt.de,ios,iPad\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"created": 1, "updated": 0}));
    let (status, _) = upload(app.logged_in(EMPLOYEE).await, "mdm_id,owner,platform\n").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_pruned_change_log_makes_the_snapshot_reload_and_stay_right() {
    let app = TestApp::spawn().await;
    let token = api_token(&app.db, &[Scope::AccessRead]).await;
    let mdm = clean_phone(&app).await;
    // Old log entries are pruned (the demo seed wrote thousands); nothing is lost.
    let later = Utc::now() + Duration::hours(2);
    let pruned = app::compliance::repo::prune_access_changes(&app.db, later)
        .await
        .unwrap();
    assert!(pruned > 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM access_change").await, 0);
    // A change after the pruning still reaches the gateway.
    engine::report_inventory(
        &app.db,
        &quiet(),
        &links(&app),
        &typed(&mdm, &[WHATSAPP]),
        effective_at(&app).await + Duration::days(8),
    )
    .await
    .unwrap();
    engine::run_job(
        &app.db,
        &quiet(),
        &links(&app),
        effective_at(&app).await + Duration::days(16),
    )
    .await
    .unwrap();
    settle(&app).await;
    let (status, d) = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/devices/{mdm}/access"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d["decision"], "deny");
}
