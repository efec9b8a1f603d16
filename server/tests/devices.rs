//! "My devices" over real HTTP: registration, identifier checks, ownership.
mod common;
use common::*;
use reqwest::StatusCode;

fn device(label: &str, imei: &str, mdm: &str) -> Vec<(String, String)> {
    [
        ("form[label]", label),
        ("form[kind]", "phone"),
        ("form[ownership]", "private"),
        ("form[platform]", "android"),
        ("form[imei]", imei),
        ("form[mdm_id]", mdm),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[tokio::test]
async fn employees_register_edit_and_retire_their_own_devices() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let (status, body) = app
        .call_owned(
            &max,
            "devices/save",
            &device("Privathandy", "49-015420-323751-8", ""),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body.as_i64().unwrap().to_string();
    let (_, mine) = app.call(&max, "devices/mine", &[]).await;
    let saved = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"].as_i64().map(|n| n.to_string()).as_deref() == Some(id.as_str()))
        .unwrap()
        .clone();
    assert_eq!(saved["imei"], "490154203237518");
    assert_eq!(saved["ownership"], "private");
    let (status, _) = app
        .call_owned(
            &max,
            "devices/save",
            &with(device("Privathandy (alt)", "", ""), "form[id]", &id),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.call(&max, "devices/retire", &[("id", &id)]).await.0,
        StatusCode::OK
    );
    let retired: bool =
        sqlx::query_scalar("SELECT retired_at IS NOT NULL FROM device WHERE id = $1")
            .bind(id.parse::<i64>().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(retired);
}

#[tokio::test]
async fn bad_and_duplicate_identifiers_are_refused() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let before = app.count("SELECT COUNT(*) FROM device").await;
    let (status, body) = app
        .call_owned(
            &max,
            "devices/save",
            &device("", "490154203237517", "bad id!"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_message(&body, "imei").unwrap(),
        "Keine gültige IMEI (15 Ziffern mit Prüfziffer)."
    );
    assert!(field_message(&body, "label").is_some() && field_message(&body, "mdm_id").is_some());
    let (status, body) = app
        .call_owned(&max, "devices/save", &device("Zweithandy", "", "MDM-00001"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_message(&body, "mdm_id").unwrap(),
        "Diese Kennung ist schon bei einem anderen Gerät eingetragen."
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM device").await, before);
}

#[tokio::test]
async fn nobody_edits_or_retires_someone_elses_device_except_admins() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let other: i64 = sqlx::query_scalar("SELECT d.id FROM device d JOIN users u ON u.id = d.owner_id WHERE u.email NOT IN ($1, $2) ORDER BY d.id LIMIT 1").bind(EMPLOYEE.0).bind(ADMIN.0).fetch_one(&app.db).await.unwrap();
    let other = other.to_string();
    assert_eq!(
        app.call_owned(
            &max,
            "devices/save",
            &with(device("Meins!", "", ""), "form[id]", &other)
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(&max, "devices/retire", &[("id", &other)]).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(&max, "devices/search", &[("q", "")]).await.0,
        StatusCode::FORBIDDEN
    );
    let admin = app.logged_in(ADMIN).await;
    let (status, list) = app
        .call(&admin, "devices/search", &[("q", "MDM-0000")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.as_array().unwrap().is_empty());
    assert_eq!(
        app.call_owned(
            &admin,
            "devices/save",
            &with(device("Von IT korrigiert", "", ""), "form[id]", &other)
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'device.update' AND target = 'device:{other}' AND actor_id = {}", app.user_id(ADMIN.0).await))
            .await,
        1
    );
}
