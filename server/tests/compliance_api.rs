//! Device compliance over the real HTTP API: tokens and scopes, inventory reports and
//! their matching, unknown devices, bad input, bulk import (API and upload), concurrency and the
//! MDM simulator.
mod common;
use app::tokens::Scope;
use common::compliance::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn tokens_need_the_right_scope_and_revocation_is_immediate() {
    let app = TestApp::spawn().await;
    let mdm = clean_phone(&app).await;
    let body = report(&mdm, &[]);
    let (status, err) = post_inventory(&app, None, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["error"], "unauthorized");
    assert!(err["message"].as_str().unwrap().contains("Bearer"));
    let (status, _) = post_inventory(&app, Some("rsp_nope"), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let forged = format!("rsp_{}", "ab".repeat(24));
    let (status, err) = post_inventory(&app, Some(&forged), body.clone()).await;
    assert_eq!(
        (status, err["message"].as_str().unwrap()),
        (StatusCode::UNAUTHORIZED, "unknown or revoked token")
    );

    let reader = api_token(&app.db, &[Scope::AccessRead]).await;
    let (status, err) = post_inventory(&app, Some(&reader), body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(err["message"].as_str().unwrap().contains("inventory:write"));
    let (status, _) = get_access(&app, &reader, &mdm).await;
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
    let (status, _) = post_inventory(&app, Some(&secret), body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let stored: String = app
        .scalar("SELECT token_hash FROM api_token WHERE name = 'Mail-Gateway'")
        .await;
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
    let employee = app.logged_in(EMPLOYEE).await;
    let (status, _) = app.call(&employee, "tokens/revoke", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only admins revoke tokens");
    let (status, _) = app.call(&admin, "tokens/revoke", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.call(&admin, "tokens/revoke", &[("id", &id)]).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a revoked token is not revoked twice"
    );
    let (status, _) = post_inventory(&app, Some(&secret), body.clone()).await;
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
    let body = report(
        &mdm,
        &["com.android.chrome", "com.WhatsApp", "org.example.notes"],
    );
    let (status, out) = post_inventory(&app, Some(&token), body.clone()).await;
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
    let (status, _) = post_inventory(&app, Some(&token), body).await;
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
    let (_, out) = post_inventory(&app, Some(&token), report(&mdm, &["com.android.chrome"])).await;
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
async fn unknown_devices_are_rejected_unless_an_owner_is_named() {
    let app = TestApp::spawn().await;
    let token = api_token(&app.db, &[Scope::InventoryWrite]).await;
    let (status, err) = post_inventory(&app, Some(&token), report("MDM-NEW-1", &[])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["fields"][0]["field"], "mdm_id");
    let mut body = report("MDM-NEW-1", &[WHATSAPP]);
    body["owner"] = json!("nobody@musterstadt.de");
    let (status, err) = post_inventory(&app, Some(&token), body.clone()).await;
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
    let (status, out) = post_inventory(&app, Some(&token), body).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["registered"], true);
    assert_eq!(out["prohibited_apps"], json!([WHATSAPP]));
    let owner: String = app
        .scalar("SELECT u.email FROM device d JOIN users u ON u.id = d.owner_id WHERE d.mdm_id = 'MDM-NEW-1'")
        .await;
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
    let kind: String = app
        .scalar("SELECT kind FROM device WHERE mdm_id = 'IMP-2'")
        .await;
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
async fn the_mdm_simulator_reports_through_the_real_api() {
    let app = TestApp::spawn().await;
    let token = api_token(&app.db, &[Scope::InventoryWrite]).await;
    let before = app
        .count("SELECT COUNT(*) FROM device WHERE last_inventory_at IS NOT NULL")
        .await;
    app.exec("UPDATE device SET last_inventory_at = NULL").await;
    assert!(before > 0);
    // The real binary, as an operator would run it against this portal.
    let simulate = |token: &str, limit: &str| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
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
                token,
                "--limit",
                limit,
            ])
            .output()
    };
    let out = simulate(&token, "12").await.unwrap();
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
    let out = simulate("rsp_wrong", "1").await.unwrap();
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
