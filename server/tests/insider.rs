//! Insider attacks from issue #10, each tried over real HTTP against the real server and
//! refused: four eyes bound to content, publisher scope on the stored audience, device
//! identities owners cannot rewrite, the last admin, hidden names, exports from other sites.
mod common;
use app::state::Settings;
use common::compliance::{decision_becomes, post_inventory};
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A third publisher (city-wide), for approvals after the first two have edited.
const PUBLISHER3: (&str, &str) = ("fb32@musterstadt.de", "Leitung#2026");

/// Grants `role` to `email` as the demo admin; it must be accepted.
async fn grant(app: &TestApp, email: &str, role: &str, unit_code: Option<&str>) {
    let admin = app.logged_in(ADMIN).await;
    let (status, body) = app.change_role(&admin, email, role, unit_code, true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn root_code(app: &TestApp) -> String {
    app.scalar("SELECT code FROM org_unit WHERE parent_id IS NULL")
        .await
}

async fn status_of(app: &TestApp, version: &str) -> String {
    sqlx::query_scalar("SELECT status FROM circular_version WHERE id = $1")
        .bind(version.parse::<i64>().unwrap())
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn workflow(
    app: &TestApp,
    c: &reqwest::Client,
    id: &str,
    action: &str,
) -> (StatusCode, Value) {
    app.call(c, "circulars/workflow", &[("id", id), ("action", action)])
        .await
}

#[tokio::test]
async fn whoever_changed_a_version_cannot_approve_it() {
    let app = TestApp::spawn().await;
    let root = root_code(&app).await;
    grant(&app, PUBLISHER3.0, "publisher", Some(&root)).await;
    let author = app.logged_in(PUBLISHER).await;
    let editor = app.logged_in(PUBLISHER2).await;
    let third = app.logged_in(PUBLISHER3).await;
    let (status, body) = app
        .call_owned(&author, "circulars/save", &circular_form("RS 2026/80"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body.as_i64().unwrap().to_string();

    // A second publisher writes new text into the author's draft, submits and approves it.
    let edited = with(
        with(circular_form("RS 2026/80"), "form[version_id]", &id),
        "form[body_md]",
        "Nur der Bearbeiter hat diesen Text gesehen.",
    );
    let (status, body) = app.call_owned(&editor, "circulars/save", &edited).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        workflow(&app, &editor, &id, "submit").await.0,
        StatusCode::OK
    );
    let (status, body) = workflow(&app, &editor, &id, "publish").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_message(&body, "status").unwrap().contains("geändert"),
        "{body}"
    );
    // The author never saw that text and cannot approve it either.
    let (status, body) = workflow(&app, &author, &id, "publish").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "status")
        .unwrap()
        .contains("Vier-Augen"));
    assert_eq!(status_of(&app, &id).await, "in_review");

    // The edit is on record with the fields it touched; the author of record is unchanged.
    let details: String = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'circular.edit' AND target = $1 AND actor_id = $2",
    )
    .bind(format!("version:{id}"))
    .bind(app.user_id(PUBLISHER2.0).await)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(details.contains("body_md"), "{details}");
    let (_, view) = app.call(&third, "circulars/get", &[("id", &id)]).await;
    assert_eq!(view[0]["author_name"], "Thomas Berger", "{view}");

    // Someone who changed nothing approves.
    let (status, body) = workflow(&app, &third, &id, "publish").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_change_after_submission_voids_it_and_bars_the_changer_from_approving() {
    let app = TestApp::spawn().await;
    let author = app.logged_in(PUBLISHER).await;
    let approver = app.logged_in(PUBLISHER2).await;
    let (_, body) = app
        .call_owned(&author, "circulars/save", &circular_form("RS 2026/81"))
        .await;
    let id = body.as_i64().unwrap().to_string();
    assert_eq!(
        workflow(&app, &author, &id, "submit").await.0,
        StatusCode::OK
    );
    // The approver changes the submitted version: it goes back to draft.
    let changed = with(
        with(circular_form("RS 2026/81"), "form[version_id]", &id),
        "form[ack_deadline]",
        &day_in(12),
    );
    let (status, body) = app.call_owned(&approver, "circulars/save", &changed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(status_of(&app, &id).await, "draft");
    let (status, _) = workflow(&app, &approver, &id, "publish").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Submitted again, the approver still cannot approve what they changed.
    assert_eq!(
        workflow(&app, &author, &id, "submit").await.0,
        StatusCode::OK
    );
    let (status, body) = workflow(&app, &approver, &id, "publish").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "status").unwrap().contains("geändert"));
    assert_eq!(status_of(&app, &id).await, "in_review");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM circular_version WHERE status = 'published' AND circular_id = (SELECT id FROM circular WHERE number = 'RS 2026/81')").await,
        0
    );
}

#[tokio::test]
async fn a_scoped_publisher_neither_sees_nor_takes_over_drafts_outside_their_scope() {
    let app = TestApp::spawn().await;
    grant(&app, PUBLISHER3.0, "publisher", Some("FB32")).await;
    let author = app.logged_in(PUBLISHER).await;
    let scoped = app.logged_in(PUBLISHER3).await;
    let (_, body) = app
        .call_owned(&author, "circulars/save", &circular_form("RS 2026/82"))
        .await;
    let id = body.as_i64().unwrap().to_string();

    let (status, list) = app.call(&scoped, "circulars/list", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["number"] == "RS 2026/82"),
        "{list}"
    );
    assert_eq!(
        app.call(&scoped, "circulars/get", &[("id", &id)]).await.0,
        StatusCode::NOT_FOUND
    );
    // Saving into the city-wide draft with an audience inside the own scope is refused.
    let fb32 = app.unit_id("FB32").await.to_string();
    let takeover = with(
        with(
            with(circular_form("RS 2026/82"), "form[version_id]", &id),
            "form[whole_city]",
            "",
        ),
        "form[audience_subtree][]",
        &fb32,
    );
    let (status, body) = app.call_owned(&scoped, "circulars/save", &takeover).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "audience")
        .unwrap()
        .contains("außerhalb"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM circular_version_editor WHERE version_id = {id}"
        ))
        .await,
        1
    );
    let whole: bool = sqlx::query_scalar("SELECT whole_city FROM circular_version WHERE id = $1")
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(whole);
    // Their own draft inside their scope is theirs to see.
    let own = with(
        with(circular_form("RS 2026/83"), "form[whole_city]", ""),
        "form[audience_subtree][]",
        &fb32,
    );
    let (status, body) = app.call_owned(&scoped, "circulars/save", &own).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, list) = app.call(&scoped, "circulars/list", &[]).await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["number"] == "RS 2026/83"));
}

fn device_form(
    id: &str,
    label: &str,
    platform: &str,
    imei: &str,
    mdm: &str,
) -> Vec<(String, String)> {
    [
        ("form[id]", id),
        ("form[label]", label),
        ("form[kind]", "phone"),
        ("form[ownership]", "service"),
        ("form[platform]", platform),
        ("form[imei]", imei),
        ("form[mdm_id]", mdm),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Max's phone: reported by the MDM in the demo, so managed.
async fn max_phone(app: &TestApp) -> (i64, String, String) {
    sqlx::query_as(
        "SELECT d.id, d.mdm_id, coalesce(d.imei, '') FROM device d JOIN users u ON u.id = d.owner_id
          WHERE u.email = $1 AND d.kind = 'phone' AND d.last_inventory_at IS NOT NULL",
    )
    .bind(EMPLOYEE.0)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn owners_cannot_rewrite_the_identity_of_a_managed_device_and_every_edit_is_audited() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let (id, mdm, imei) = max_phone(&app).await;
    let platform: String = sqlx::query_scalar("SELECT platform FROM device WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let id_s = id.to_string();
    // Clearing the MDM id, or changing the platform, is refused field by field.
    let (status, body) = app
        .call_owned(
            &max,
            "devices/save",
            &device_form(&id_s, "Diensthandy", &platform, &imei, ""),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "mdm_id")
        .unwrap()
        .contains("Administration"));
    let other = if platform == "android" {
        "ios"
    } else {
        "android"
    };
    let (status, body) = app
        .call_owned(
            &max,
            "devices/save",
            &device_form(&id_s, "Diensthandy", other, &imei, &mdm),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "platform").is_some());
    let stored: Option<String> = sqlx::query_scalar("SELECT mdm_id FROM device WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some(mdm.as_str()));
    // The label stays the owner's, and the owner's own edit is on record.
    let (status, body) = app
        .call_owned(
            &max,
            "devices/save",
            &device_form(&id_s, "Mein Diensthandy", &platform, &imei, &mdm),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'device.update' AND target = 'device:{id}' AND actor_id = {}",
            app.user_id(EMPLOYEE.0).await
        ))
        .await,
        1
    );
    // An admin may correct the identity (audited).
    let admin = app.logged_in(ADMIN).await;
    let (status, body) = app
        .call_owned(
            &admin,
            "devices/save",
            &device_form(&id_s, "Mein Diensthandy", &platform, &imei, ""),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let details: String = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'device.update' AND target = $1 AND actor_id = $2",
    )
    .bind(format!("device:{id}"))
    .bind(app.user_id(ADMIN.0).await)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(details.contains("mdm_id"), "{details}");
}

async fn set_state(app: &TestApp, device: i64, state: &str) {
    let circular = app.demo_circular().await;
    let now = chrono::Utc::now();
    // The ban is in force (the demo's effective day lies ahead), so the standing is real.
    sqlx::query("UPDATE circular_version SET effective_on = $1 WHERE circular_id = $2 AND status = 'published'")
        .bind((now - chrono::Duration::days(10)).date_naive())
        .bind(circular)
        .execute(app.db.writer())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO device_compliance (device_id, rule, circular_id, state, since, apps, warned_at, block_at)
         VALUES ($1, $2, $3, $4, $5, 'com.whatsapp', $5, $5)
         ON CONFLICT (device_id, rule) DO UPDATE SET state = excluded.state",
    )
    .bind(device)
    .bind(format!("circular:{circular}"))
    .bind(circular)
    .bind(state)
    .bind(now - chrono::Duration::days(8))
    .execute(app.db.writer())
    .await
    .unwrap();
}

/// A token as the MDM and the mail gateway hold it.
async fn mdm_token(app: &TestApp) -> String {
    api_token(
        &app.db,
        &[
            app::tokens::Scope::AccessRead,
            app::tokens::Scope::InventoryWrite,
        ],
    )
    .await
}

#[tokio::test]
async fn a_blocked_device_cannot_be_retired_by_its_owner_nor_escape_by_re_registration() {
    let app = TestApp::spawn().await;
    let token = mdm_token(&app).await;
    let max = app.logged_in(EMPLOYEE).await;
    let (id, mdm, _) = max_phone(&app).await;
    set_state(&app, id, "blocked").await;
    decision_becomes(&app, &token, &mdm, "deny").await;

    let (status, body) = app
        .call(&max, "devices/retire", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "device").unwrap().contains("gesperrt"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM device WHERE id = {id} AND retired_at IS NULL"
        ))
        .await,
        1
    );

    // Even if the MDM id is cleared (only an admin can), the MDM re-registering the phone
    // under it does not buy a fresh grace period: the new device is blocked at once.
    let admin = app.logged_in(ADMIN).await;
    let platform: String = sqlx::query_scalar("SELECT platform FROM device WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (status, body) = app
        .call_owned(
            &admin,
            "devices/save",
            &device_form(&id.to_string(), "Diensthandy", &platform, "", ""),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    decision_becomes(&app, &token, &mdm, "unknown_device").await;
    let (status, body) = post_inventory(
        &app,
        Some(&token),
        json!({"mdm_id": mdm, "platform": platform, "owner": EMPLOYEE.0,
               "apps": [{"id": "com.whatsapp", "name": "WhatsApp"}, {"id": "net.whatsapp.WhatsApp", "name": "WhatsApp"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body = decision_becomes(&app, &token, &mdm, "deny").await;
    assert!(
        body["reasons"][0]["rule"]
            .as_str()
            .unwrap()
            .starts_with("circular:"),
        "{body}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM compliance_transition WHERE cause = 'inherited'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_mdm_id_belongs_to_one_person_for_ever_and_the_mdm_undoes_a_false_claim() {
    let app = TestApp::spawn().await;
    let token = mdm_token(&app).await;
    let max = app.logged_in(EMPLOYEE).await;
    let colleague_email: String = sqlx::query_scalar(
        "SELECT email FROM users WHERE email LIKE '%.%@musterstadt.de' AND email <> $1 AND active ORDER BY id LIMIT 1",
    )
    .bind(EMPLOYEE.0)
    .fetch_one(&app.db)
    .await
    .unwrap();
    app.logged_in(ADMIN).await;
    // Max claims the MDM id of a colleague's phone that is not registered yet, then clears it.
    let (status, body) = app
        .call_owned(
            &max,
            "devices/save",
            &device_form("", "Fremdes Handy", "android", "", "MDM-KOLLEGE-1"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claimed = body.as_i64().unwrap().to_string();
    // Retiring it would cut the colleague's phone off — until the MDM says whose it is.
    assert_eq!(
        app.call(&max, "devices/retire", &[("id", &claimed)])
            .await
            .0,
        StatusCode::OK
    );
    decision_becomes(&app, &token, "MDM-KOLLEGE-1", "deny").await;
    let (status, body) = post_inventory(
        &app,
        Some(&token),
        json!({"mdm_id": "MDM-KOLLEGE-1", "platform": "android", "owner": colleague_email, "apps": []}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    decision_becomes(&app, &token, "MDM-KOLLEGE-1", "allow").await;
    let owner: String = app
        .scalar("SELECT u.email FROM device d JOIN users u ON u.id = d.owner_id WHERE d.mdm_id = 'MDM-KOLLEGE-1'")
        .await;
    assert_eq!(owner, colleague_email);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'device.owner_corrected'")
            .await,
        1
    );

    // Max registers another unreported id, clears it again (allowed: nobody vouched for it),
    // and a colleague's later claim of that id is refused: it is Max's for ever.
    let (status, body) = app
        .call_owned(
            &max,
            "devices/save",
            &device_form("", "Zweithandy", "android", "", "MDM-MAX-9"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body.as_i64().unwrap().to_string();
    let (status, body) = app
        .call_owned(
            &max,
            "devices/save",
            &device_form(&second, "Zweithandy", "android", "", ""),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let colleague = app.client();
    sqlx::query("UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email = $1) WHERE email = $2")
        .bind(EMPLOYEE.0)
        .bind(&colleague_email)
        .execute(app.db.writer())
        .await
        .unwrap();
    let res = app.login(&colleague, (&colleague_email, EMPLOYEE.1)).await;
    assert_eq!(location(&res), "/");
    let (status, body) = app
        .call_owned(
            &colleague,
            "devices/save",
            &device_form("", "Mein Handy", "android", "", "MDM-MAX-9"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_message(&body, "mdm_id")
            .unwrap()
            .contains("anderen Person"),
        "{body}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device WHERE mdm_id = 'MDM-MAX-9'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_last_active_admin_keeps_the_role_and_the_account() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let (status, body) = app.change_role(&admin, ADMIN.0, "admin", None, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "role").unwrap().contains("letzte"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM user_role WHERE user_id = {} AND role = 'admin'",
            app.user_id(ADMIN.0).await
        ))
        .await,
        1
    );
    // With a second admin, the first may step down; the second may then not.
    grant(&app, AUDITOR.0, "admin", None).await;
    assert_eq!(
        app.change_role(&admin, ADMIN.0, "admin", None, false)
            .await
            .0,
        StatusCode::OK
    );
    let second = app.logged_in(AUDITOR).await;
    // Admin rights apply in a session with a second factor.
    app.enrol_second_factor(&second).await;
    assert_eq!(
        app.change_role(&second, AUDITOR.0, "admin", None, false)
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn hidden_people_carry_no_stable_id_to_the_browser() {
    let app = TestApp::spawn_with(Settings {
        head_names: app::tracking::NamesPolicy::None,
        ..Settings::default()
    })
    .await;
    let head = app.logged_in(HEAD).await;
    let unit = app.unit_id("A32.1").await.to_string();
    let (status, d) = app
        .call(&head, "tracking/dashboard", &[("unit", &unit)])
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let people = d["open_people"].as_array().unwrap();
    assert!(!people.is_empty(), "{d}");
    for p in people {
        assert!(p["name"].is_null() && p["user_id"].is_null(), "{p}");
    }
}

#[tokio::test]
async fn exports_refuse_links_from_other_sites_and_write_no_audit_entry() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let before = app.count("SELECT COUNT(*) FROM audit_log").await;
    let version = app.demo_version().await;
    for path in [
        format!("/dashboard/export.csv?version={version}"),
        format!("/audit/export/version/{version}"),
    ] {
        let res = admin
            .get(app.url(&path))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, before);
    let res = admin
        .get(app.url(&format!("/dashboard/export.csv?version={version}")))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn draft_attachments_are_readable_only_within_the_publishers_scope() {
    let app = TestApp::spawn().await;
    grant(&app, PUBLISHER3.0, "publisher", Some("FB32")).await;
    let author = app.logged_in(PUBLISHER).await;
    let (_, body) = app
        .call_owned(&author, "circulars/save", &circular_form("RS 2026/84"))
        .await;
    let version = body.as_i64().unwrap().to_string();
    let form = reqwest::multipart::Form::new()
        .text("version_id", version)
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.7\nEntwurf".to_vec())
                .file_name("entwurf.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let res = author
        .post(app.url("/fn/circulars/attach"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let id: i64 = res.json().await.unwrap();
    let path = format!("/attachments/{id}");
    let scoped = app.logged_in(PUBLISHER3).await;
    assert_eq!(
        scoped.get(app.url(&path)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let city_wide = app.logged_in(PUBLISHER2).await;
    assert_eq!(
        city_wide.get(app.url(&path)).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_mdm_registers_a_phone_whose_id_someone_only_claimed_for_themselves() {
    let app = TestApp::spawn().await;
    let token = mdm_token(&app).await;
    let max = app.logged_in(EMPLOYEE).await;
    // Max squats a colleague's MDM id on a device of his own and clears it again.
    let (status, body) = app
        .call_owned(
            &max,
            "devices/save",
            &device_form("", "Handy", "android", "", "MDM-SQUAT-1"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let squat = body.as_i64().unwrap().to_string();
    let (status, _) = app
        .call_owned(
            &max,
            "devices/save",
            &device_form(&squat, "Handy", "android", "", ""),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The MDM's word wins over a claim nobody vouched for.
    let (status, body) = post_inventory(
        &app,
        Some(&token),
        json!({"mdm_id": "MDM-SQUAT-1", "platform": "android", "owner": HEAD.0, "apps": []}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let owner: String = app
        .scalar("SELECT u.email FROM device d JOIN users u ON u.id = d.owner_id WHERE d.mdm_id = 'MDM-SQUAT-1'")
        .await;
    assert_eq!(owner, HEAD.0);
    decision_becomes(&app, &token, "MDM-SQUAT-1", "allow").await;
}
