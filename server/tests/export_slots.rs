//! The node's export slots (alone in this file: the slots are per process, and taking them
//! would turn other tests' exports away).
mod common;
use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn with_every_export_slot_taken_an_export_is_turned_away_and_writes_no_audit_entry() {
    let app = TestApp::spawn().await;
    let auditor = app.logged_in(AUDITOR).await;
    let version = app.demo_version().await;
    let audited = || app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'evidence.export'");
    let before = audited().await;
    let slots: Vec<_> = std::iter::from_fn(app::evidence::export::export_permit).collect();
    assert_eq!(slots.len(), 2, "two exports stream at once on a node");
    for path in [
        format!("/audit/export/version/{version}"),
        "/audit/export/person/1".to_string(),
    ] {
        let res = auditor.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(res.headers()["retry-after"], "10");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "busy");
    }
    assert_eq!(
        audited().await,
        before,
        "a turned-away export is not audited"
    );
    drop(slots);
    let body = app.version_export(&auditor, version).await;
    assert_eq!(body["chain"]["intact"], true);
    assert_eq!(audited().await, before + 1);
}
