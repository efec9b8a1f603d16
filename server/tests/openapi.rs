//! The OpenAPI document against the real answers of the API.
mod common;
use app::tokens::Scope;
use chrono::Duration;
use common::compliance::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

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
    let post = reqwest::Method::POST;
    let inv = "/api/v1/inventory";
    let (s, b) = post_inventory(&app, Some(&token), report(&mdm, &[WHATSAPP])).await;
    assert_documented(&doc, inv, "post", s, &b);
    let (s, b) = post_inventory(&app, Some(&token), report("MDM-UNKNOWN", &[])).await;
    assert_documented(&doc, inv, "post", s, &b);
    let (s, b) = post_inventory(&app, None, report(&mdm, &[])).await;
    assert_documented(&doc, inv, "post", s, &b);
    let access = "/api/v1/devices/{mdm_id}/access";
    let (s, b) = get_access(&app, &token, &mdm).await;
    assert_documented(&doc, access, "get", s, &b);
    // The check has teeth: a wrong shape is reported.
    let wrong = json!({"mdm_id": &mdm, "decision": "maybe", "reasons": []});
    assert!(!schema_errors(&doc, access, "get", StatusCode::OK, &wrong).is_empty());
    // Blocked, with reasons.
    run_job_at(
        &app,
        &quiet(),
        effective_at(&app).await + Duration::days(30),
    )
    .await;
    run_job_at(
        &app,
        &quiet(),
        effective_at(&app).await + Duration::days(40),
    )
    .await;
    settle(&app).await;
    let (s, b) = get_access(&app, &token, &mdm).await;
    assert_eq!(b["decision"], "deny");
    assert_documented(&doc, access, "get", s, &b);
    let (s, b) = get_access(&app, &token, "NOPE").await;
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
