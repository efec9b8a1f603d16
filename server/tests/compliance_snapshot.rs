//! The access snapshot that answers the mail gateway: never "allow" when the database is
//! down, and right after the change log was pruned.
mod common;
use app::tokens::Scope;
use chrono::{Duration, Utc};
use common::compliance::*;
use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn the_access_decision_never_allows_when_the_database_is_down() {
    let app = TestApp::spawn().await;
    let token = api_token(&app.db, &[Scope::AccessRead]).await;
    let (_, d) = get_access(&app, &token, "MDM-00002").await;
    assert_eq!(d["decision"], "allow");
    // The token is now cached; the database goes away. Once the snapshot is older than
    // its limit, the node answers 503 — never an allow from old data.
    app.db.close().await;
    tokio::time::sleep(app::compliance::access::MAX_AGE + app::compliance::access::POLL_EVERY * 3)
        .await;
    for mdm in ["MDM-00002", "MDM-00001"] {
        let (status, body) = get_access(&app, &token, mdm).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"], "unavailable");
        assert!(!body.to_string().contains("allow\""));
    }
    // Without a cached token it is also an error, never an allow.
    let other = format!("rsp_{}", "cd".repeat(24));
    let (status, _) = get_access(&app, &other, "MDM-00002").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
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
    report_at(
        &app,
        &mdm,
        &[WHATSAPP],
        effective_at(&app).await + Duration::days(8),
    )
    .await;
    run_job_at(
        &app,
        &quiet(),
        effective_at(&app).await + Duration::days(16),
    )
    .await;
    settle(&app).await;
    let (status, d) = get_access(&app, &token, &mdm).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d["decision"], "deny");
}
