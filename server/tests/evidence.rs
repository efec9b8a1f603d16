//! The evidence chain: sealing, verification, and every kind of tampering it must catch.
mod common;
use common::*;
use reqwest::StatusCode;

async fn sealed_app() -> TestApp {
    let app = TestApp::spawn().await;
    let n = app::evidence::repo::seal_pending(&app.db).await.unwrap();
    assert!(
        n > 100,
        "the demo's acknowledgments and audit entries are sealed ({n})"
    );
    app
}

async fn broken_reason(app: &TestApp) -> String {
    let report = app::evidence::repo::verify(&app.db).await.unwrap();
    report.broken.expect("tampering must be detected").reason
}

#[tokio::test]
async fn an_empty_database_verifies_with_the_genesis_hash() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(&dir.path().join("empty.db"), Default::default());
    let db = server::open_database(&config).await.unwrap();
    let report = app::evidence::repo::verify(&db).await.unwrap();
    assert_eq!(report.entries, 0);
    assert_eq!(report.head_hash, "0".repeat(64));
    assert!(report.broken.is_none());
}

#[tokio::test]
async fn an_untouched_chain_verifies_and_auditors_can_check_it() {
    let app = sealed_app().await;
    let report = app::evidence::repo::verify(&app.db).await.unwrap();
    assert!(report.broken.is_none(), "{report:?}");
    assert_eq!(report.pending, 0);
    assert_eq!(
        report.acknowledgments,
        app.count("SELECT COUNT(*) FROM acknowledgment").await
    );
    let auditor = app.logged_in(AUDITOR).await;
    let (status, body) = app.call(&auditor, "evidence/verify", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["head_hash"], report.head_hash);
    let employee = app.logged_in(EMPLOYEE).await;
    assert_eq!(
        app.call(&employee, "evidence/verify", &[]).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_changed_acknowledgment_is_caught() {
    let app = sealed_app().await;
    let id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM acknowledgment")
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE acknowledgment SET acknowledged_at = '2020-01-01T00:00:00+00:00' WHERE id = $1",
    )
    .bind(id)
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(
        broken_reason(&app).await,
        format!("ack record {id} was changed after sealing")
    );
}

#[tokio::test]
async fn a_changed_device_attestation_is_caught() {
    let app = sealed_app().await;
    let ack: i64 = sqlx::query_scalar("SELECT MIN(ack_id) FROM acknowledgment_device")
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE acknowledgment_device SET attestation = 'will_remove' WHERE ack_id = $1")
        .bind(ack)
        .execute(&app.db)
        .await
        .unwrap();
    assert!(broken_reason(&app)
        .await
        .contains(&format!("ack record {ack} was changed")));
}

#[tokio::test]
async fn moving_an_acknowledgment_to_another_person_is_caught() {
    let app = sealed_app().await;
    let id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM acknowledgment")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let max = app.user_id(EMPLOYEE.0).await;
    sqlx::query("UPDATE acknowledgment SET user_id = $1 WHERE id = $2")
        .bind(max)
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        broken_reason(&app).await,
        format!("ack record {id}: person changed")
    );
}

#[tokio::test]
async fn a_deleted_acknowledgment_is_caught() {
    let app = sealed_app().await;
    let id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM acknowledgment")
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM acknowledgment_device WHERE ack_id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM acknowledgment WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        broken_reason(&app).await,
        format!("ack record {id} was deleted")
    );
}

#[tokio::test]
async fn a_changed_audit_entry_and_a_removed_chain_entry_are_caught() {
    let app = sealed_app().await;
    sqlx::query("UPDATE audit_log SET actor_id = NULL WHERE action = 'circular.publish'")
        .execute(&app.db)
        .await
        .unwrap();
    assert!(broken_reason(&app).await.starts_with("audit record"));

    let app = sealed_app().await;
    sqlx::query("DELETE FROM evidence_entry WHERE seq = 5")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        broken_reason(&app).await,
        "entry 5 is missing (chain has a gap)"
    );

    let app = sealed_app().await;
    // Swap two entries' contents (reordering) while keeping their sequence numbers.
    sqlx::query(
        "UPDATE evidence_entry SET entry_hash = 'x' || substr(entry_hash, 2) WHERE seq = 3",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let report = app::evidence::repo::verify(&app.db).await.unwrap();
    assert_eq!(report.broken.unwrap().seq, 3);
}

#[tokio::test]
async fn concurrent_acknowledgments_and_concurrent_sealers_build_one_unbroken_chain() {
    let app = sealed_app().await;
    let version: i64 =
        sqlx::query_scalar("SELECT id FROM circular_version WHERE status = 'published'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    // Twelve people who have not acknowledged yet, each with their own session.
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT u.email FROM users u WHERE u.email LIKE '%.%@musterstadt.de' AND u.email <> 'max.mustermann@musterstadt.de'
           AND NOT EXISTS (SELECT 1 FROM acknowledgment k WHERE k.user_id = u.id) ORDER BY u.id LIMIT 12",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let mut clients = vec![];
    for e in &emails {
        clients.push(app.logged_in((e, EMPLOYEE.1)).await);
    }
    let mut forms = vec![];
    for c in &clients {
        forms.push(app.ack_form(c, version, "none_installed").await);
    }
    let acks = clients
        .iter()
        .zip(&forms)
        .map(|(c, f)| app.call_owned(c, "ack/acknowledge", f));
    let sealers = (0..3).map(|_| app::evidence::repo::seal_pending(&app.db));
    let (results, sealed) = futures_util::future::join(
        futures_util::future::join_all(acks),
        futures_util::future::join_all(sealers),
    )
    .await;
    for (status, body) in results {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for s in sealed {
        s.unwrap();
    }
    app::evidence::repo::seal_pending(&app.db).await.unwrap();
    let report = app::evidence::repo::verify(&app.db).await.unwrap();
    assert!(report.broken.is_none(), "{report:?}");
    assert_eq!(report.pending, 0);
    assert_eq!(
        report.acknowledgments,
        app.count("SELECT COUNT(*) FROM acknowledgment").await
    );
    // The receipt names the seal.
    let (_, inbox) = app.call(&clients[0], "ack/inbox", &[]).await;
    let ack_id = inbox["history"][0]["ack_id"].to_string();
    let (_, receipt) = app
        .call(&clients[0], "ack/receipt", &[("id", &ack_id)])
        .await;
    assert_eq!(receipt["seal"][1].as_str().unwrap().len(), 64, "{receipt}");
}
