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
    let id: i64 = app.scalar("SELECT MIN(id) FROM acknowledgment").await;
    sqlx::query(
        "UPDATE acknowledgment SET acknowledged_at = '2020-01-01T00:00:00+00:00' WHERE id = $1",
    )
    .bind(id)
    .execute(app.db.writer())
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
    let ack: i64 = app
        .scalar("SELECT MIN(ack_id) FROM acknowledgment_device")
        .await;
    sqlx::query("UPDATE acknowledgment_device SET attestation = 'will_remove' WHERE ack_id = $1")
        .bind(ack)
        .execute(app.db.writer())
        .await
        .unwrap();
    assert!(broken_reason(&app)
        .await
        .contains(&format!("ack record {ack} was changed")));
}

#[tokio::test]
async fn moving_an_acknowledgment_to_another_person_is_caught() {
    let app = sealed_app().await;
    let id: i64 = app.scalar("SELECT MIN(id) FROM acknowledgment").await;
    let max = app.user_id(EMPLOYEE.0).await;
    sqlx::query("UPDATE acknowledgment SET user_id = $1 WHERE id = $2")
        .bind(max)
        .bind(id)
        .execute(app.db.writer())
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
    let id: i64 = app.scalar("SELECT MAX(id) FROM acknowledgment").await;
    sqlx::query("DELETE FROM acknowledgment_device WHERE ack_id = $1")
        .bind(id)
        .execute(app.db.writer())
        .await
        .unwrap();
    sqlx::query("DELETE FROM acknowledgment WHERE id = $1")
        .bind(id)
        .execute(app.db.writer())
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
    app.exec("UPDATE audit_log SET actor_id = NULL WHERE action = 'circular.publish'")
        .await;
    assert!(broken_reason(&app).await.starts_with("audit record"));

    let app = sealed_app().await;
    app.exec("DELETE FROM evidence_entry WHERE seq = 5").await;
    assert_eq!(
        broken_reason(&app).await,
        "entry 5 is missing (chain has a gap)"
    );

    let app = sealed_app().await;
    // Swap two entries' contents (reordering) while keeping their sequence numbers.
    app.exec("UPDATE evidence_entry SET entry_hash = 'x' || substr(entry_hash, 2) WHERE seq = 3")
        .await;
    let report = app::evidence::repo::verify(&app.db).await.unwrap();
    assert_eq!(report.broken.unwrap().seq, 3);
}

#[tokio::test]
async fn concurrent_acknowledgments_and_concurrent_sealers_build_one_unbroken_chain() {
    let app = sealed_app().await;
    let version = app.demo_version().await;
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

#[tokio::test]
async fn auditors_export_evidence_per_version_and_person_as_json_and_exports_are_audited() {
    let app = sealed_app().await;
    let auditor = app.logged_in(AUDITOR).await;
    let version = app.demo_version().await;
    let body = app.version_export(&auditor, version).await;
    let acks = body["acknowledgments"].as_array().unwrap();
    assert_eq!(
        acks.len() as i64,
        app.count(&format!(
            "SELECT COUNT(*) FROM acknowledgment WHERE version_id = {version}"
        ))
        .await
    );
    let first = &acks[0];
    assert_eq!(
        first["content_sha256"], first["seal"]["content_sha256"],
        "recomputed hash equals the sealed one"
    );
    assert!(first["person"]["name"].is_string());
    assert_eq!(body["chain"]["intact"], true);
    let person: i64 = first["acknowledgment"]["id"].as_i64().unwrap();
    let user: i64 = sqlx::query_scalar("SELECT user_id FROM acknowledgment WHERE id = $1")
        .bind(person)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let res = auditor
        .get(app.url(&format!("/audit/export/person/{user}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // A person that does not exist, and someone who is not an auditor.
    let res = auditor
        .get(app.url("/audit/export/person/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "not_found"
    );
    let head = app.logged_in(HEAD).await;
    assert_eq!(
        head.get(app.url(&format!("/audit/export/version/{version}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'evidence.export'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_person_downloads_everything_stored_about_them_and_nothing_secret() {
    let app = sealed_app().await;
    let max = app.logged_in(EMPLOYEE).await;
    let id = app.user_id(EMPLOYEE.0).await;
    let res = max
        .get(app.url(&format!("/privacy/export/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["person"]["email"], EMPLOYEE.0);
    assert_eq!(body["devices"].as_array().unwrap().len(), 2);
    assert!(!text.contains("$argon2"), "no password hash in the export");
    // Someone else's data: refused; admins may answer a request; unknown people: 404.
    let other = app.user_id(HEAD.0).await;
    assert_eq!(
        max.get(app.url(&format!("/privacy/export/{other}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let admin = app.logged_in(ADMIN).await;
    assert_eq!(
        admin
            .get(app.url(&format!("/privacy/export/{other}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        admin
            .get(app.url("/privacy/export/999999"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client()
            .get(app.url(&format!("/privacy/export/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn auditors_filter_the_audit_log() {
    let app = sealed_app().await;
    let auditor = app.logged_in(AUDITOR).await;
    let (status, all) = app.call(&auditor, "evidence/audit", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(all.as_array().unwrap().len() >= 3);
    let (_, publishes) = app
        .call(
            &auditor,
            "evidence/audit",
            &[("filter[action]", "circular.publish")],
        )
        .await;
    let list = publishes.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["actor"], "Claudia Neumann");
    assert!(list[0]["seq"].is_number(), "sealed into the chain");
    let (_, by_actor) = app
        .call(&auditor, "evidence/audit", &[("filter[actor]", "berger")])
        .await;
    assert!(by_actor
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"] == "Thomas Berger"));
    let (_, none) = app
        .call(
            &auditor,
            "evidence/audit",
            &[("filter[from]", "2099-01-01")],
        )
        .await;
    assert!(none.as_array().unwrap().is_empty());
    let employee = app.logged_in(EMPLOYEE).await;
    assert_eq!(
        app.call(&employee, "evidence/audit", &[]).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn retention_pseudonymises_acknowledgments_and_the_chain_still_verifies_even_after_an_interrupted_run(
) {
    let app = sealed_app().await;
    let version = app.demo_version().await;
    let total = app
        .count(&format!(
            "SELECT COUNT(*) FROM acknowledgment WHERE version_id = {version}"
        ))
        .await;
    let someone: i64 = app
        .scalar("SELECT user_id FROM acknowledgment ORDER BY id LIMIT 1")
        .await;
    let now = chrono::Utc::now();
    // Not due yet: nothing happens.
    let report = app::evidence::retention::apply(&app.db, now, None)
        .await
        .unwrap();
    assert_eq!(report.pseudonymised, 0);
    // The retention period ends (set to zero days).
    app.exec("UPDATE circular SET retention_days = 0").await;
    // A run that stops after five acknowledgments (as if the process died).
    let report = app::evidence::retention::apply(&app.db, now, Some(5))
        .await
        .unwrap();
    assert_eq!(report.pseudonymised, 5);
    assert_eq!(report.remaining, total - 5);
    let mid = app::evidence::repo::verify(&app.db).await.unwrap();
    assert!(mid.broken.is_none(), "half-way the chain verifies: {mid:?}");
    // The next run completes it.
    let report = app::evidence::retention::apply(&app.db, now, None)
        .await
        .unwrap();
    assert_eq!(report.pseudonymised as i64, total - 5);
    assert_eq!(report.remaining, 0);
    app::evidence::repo::seal_pending(&app.db).await.unwrap();
    let end = app::evidence::repo::verify(&app.db).await.unwrap();
    assert!(end.broken.is_none(), "{end:?}");
    assert_eq!(
        end.acknowledgments,
        app.count("SELECT COUNT(*) FROM acknowledgment").await
    );
    // Nothing links the acknowledgments to people or their devices any more.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM acknowledgment WHERE user_id = {someone}"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM acknowledgment_device")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM acknowledgment WHERE person_salt IS NOT NULL")
            .await,
        0
    );
    let auditor = app.logged_in(AUDITOR).await;
    let body: serde_json::Value = auditor
        .get(app.url(&format!("/audit/export/version/{version}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["acknowledgments"][0]["person"].is_null());
    assert_eq!(
        body["acknowledgments"][0]["content_sha256"],
        body["acknowledgments"][0]["seal"]["content_sha256"]
    );
    // Tampering with a pseudonymised acknowledgment is still caught.
    app.exec("UPDATE acknowledgment SET pseudonymised_devices = '[]' WHERE id = (SELECT MIN(id) FROM acknowledgment WHERE pseudonymised_devices <> '[]')").await;
    assert!(broken_reason(&app)
        .await
        .contains("was changed after sealing"));
}

#[tokio::test]
async fn every_administrative_action_lands_in_the_audit_log() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    // Import, role change, deactivation.
    let part = reqwest::multipart::Part::bytes(
        b"code,name,kind,parent_code\nA77,Testamt,amt,FB11\n".to_vec(),
    )
    .file_name("u.csv");
    admin
        .post(app.url("/fn/org/import"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    app.change_role(&admin, EMPLOYEE.0, "auditor", None, true)
        .await;
    let uid = app.user_id(EMPLOYEE.0).await.to_string();
    app.call(
        &admin,
        "org/set_user_active",
        &[("id", &uid), ("active", "false")],
    )
    .await;
    // Publish and withdraw.
    let version = app.publish(circular_form("RS 2026/97")).await;
    let approver = app.logged_in(PUBLISHER2).await;
    app.call(
        &approver,
        "circulars/workflow",
        &[("id", &version.to_string()), ("action", "withdraw")],
    )
    .await;
    // An auditor looks at the evidence of a version.
    let auditor = app.logged_in(AUDITOR).await;
    let (status, body) = app
        .call(
            &auditor,
            "evidence/version",
            &[("id", &version.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for action in [
        "org.import",
        "user.role_grant",
        "user.deactivate",
        "circular.create",
        "circular.submit",
        "circular.publish",
        "circular.withdraw",
        "evidence.view",
    ] {
        let n = app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND at >= (SELECT MIN(at) FROM audit_log WHERE action = 'org.import')")).await;
        assert!(n >= 1, "{action} missing from the audit log");
    }
    // ...and every entry gets sealed into the chain.
    app::evidence::repo::seal_pending(&app.db).await.unwrap();
    assert_eq!(
        app::evidence::repo::verify(&app.db).await.unwrap().pending,
        0
    );
}

#[tokio::test]
async fn the_printable_evidence_view_names_people_devices_and_seals() {
    let app = sealed_app().await;
    let auditor = app.logged_in(AUDITOR).await;
    let (_, versions) = app.call(&auditor, "evidence/versions", &[]).await;
    let id = versions[0]["id"].to_string();
    let (status, html) = app
        .get_html(&auditor, &format!("/audit/versions/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Diensthandy") && html.contains("Keine der genannten Apps ist installiert.")
    );
    assert!(html.contains("Eintrag #"), "seal numbers are shown");
    let max = app.logged_in(EMPLOYEE).await;
    assert_eq!(
        app.call(&max, "evidence/version", &[("id", &id)]).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_large_backlog_is_sealed_in_short_transactions_and_verifies() {
    let app = sealed_app().await;
    let entries_before = app::evidence::repo::verify(&app.db).await.unwrap().entries;
    // A backlog of 1,300 audit entries, more than two chunks.
    app.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1300)
         INSERT INTO audit_log (at, actor_id, action, target, details)
         SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, 'test.backlog', 'entry:' || i, '{}' FROM n",
    )
    .await;
    let sealed = app::evidence::repo::seal_pending(&app.db).await.unwrap();
    assert_eq!(sealed, 1300);
    let transactions: i64 = app
        .scalar(
            "SELECT COUNT(DISTINCT e.sealed_at) FROM evidence_entry e JOIN audit_log a ON a.id = e.ref_id
              WHERE e.kind = 'audit' AND a.action = 'test.backlog'",
        )
        .await;
    let chunk = app::evidence::repo::SEAL_CHUNK;
    assert_eq!(
        transactions,
        (1300 + chunk - 1) / chunk,
        "one transaction per chunk"
    );
    let report = app::evidence::repo::verify(&app.db).await.unwrap();
    assert!(report.broken.is_none(), "{report:?}");
    assert_eq!(report.pending, 0);
    assert_eq!(report.entries, entries_before + 1300);
    assert_eq!(app::evidence::repo::seal_pending(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn the_evidence_per_version_comes_in_pages_and_finds_a_person() {
    let app = sealed_app().await;
    let auditor = app.logged_in(AUDITOR).await;
    let version = app.demo_version().await;
    let acks = app
        .count(&format!(
            "SELECT COUNT(*) FROM acknowledgment WHERE version_id = {version}"
        ))
        .await;
    let page_size = app::evidence::repo::EVIDENCE_PAGE;
    assert!(acks > page_size, "the demo has more than one page ({acks})");
    let page = |q: &str, after: i64| {
        let (app, auditor) = (&app, &auditor);
        let (q, after) = (q.to_owned(), after.to_string());
        async move {
            let (status, body) = app
                .call(
                    auditor,
                    "evidence/version",
                    &[
                        ("id", &version.to_string()),
                        ("query[q]", &q),
                        ("query[after]", &after),
                    ],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body[1].clone()
        }
    };
    // Page by page, every acknowledgment once.
    let first = page("", 0).await;
    assert_eq!(first["total"], acks);
    assert_eq!(first["rows"].as_array().unwrap().len() as i64, page_size);
    let after = first["next_after"].as_i64().expect("a next page");
    let second = page("", after).await;
    let ids = |p: &serde_json::Value| -> Vec<i64> {
        p["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ack_id"].as_i64().unwrap())
            .collect()
    };
    let mut all = ids(&first);
    all.extend(ids(&second));
    let mut unique = all.clone();
    unique.dedup();
    assert_eq!(unique, all, "in order, none twice");
    assert_eq!(all.len() as i64, acks.min(2 * page_size));

    // A person is found by (part of) their name, by personnel number and by unit code.
    let found: String = app
        .scalar(&format!(
            "SELECT u.display_name || '|' || u.personnel_no || '|' || o.code FROM acknowledgment k
               JOIN users u ON u.id = k.user_id JOIN org_unit o ON o.id = u.org_unit_id
              WHERE k.version_id = {version} AND u.personnel_no IS NOT NULL ORDER BY k.id LIMIT 1"
        ))
        .await;
    let parts: Vec<&str> = found.split('|').collect();
    let (name, pno, code) = (
        parts[0].to_owned(),
        parts[1].to_owned(),
        parts[2].to_owned(),
    );
    let by_name = page(&name.to_uppercase(), 0).await;
    assert!(by_name["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["person"]
            .as_str()
            .unwrap()
            .to_uppercase()
            .contains(&name.to_uppercase())));
    assert!(by_name["total"].as_i64().unwrap() >= 1);
    let by_number = page(&pno, 0).await;
    assert_eq!(by_number["total"], 1);
    assert_eq!(by_number["rows"][0]["person"], name.as_str());
    let by_unit = page(&code, 0).await;
    assert!(by_unit["total"].as_i64().unwrap() >= 1);

    // Once pseudonymised, an acknowledgment is listed without a name and never found by one.
    app.exec(&format!(
        "UPDATE acknowledgment SET pseudonymised_at = '2026-01-01T00:00:00Z'
          WHERE version_id = {version} AND user_id = (SELECT id FROM users WHERE personnel_no = '{pno}')"
    ))
    .await;
    assert_eq!(page(&pno, 0).await["total"], 0);
    assert_eq!(page("", 0).await["total"], acks);

    // The page itself: the search form, the count and a link to the next page; the column
    // names whose devices they are.
    let (status, html) = app
        .get_html(&auditor, &format!("/audit/versions/{version}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Geräte der Person") && !html.contains(">Meine Geräte</th>"));
    assert!(html.contains(&format!("{acks} Treffer")));
    assert!(
        html.contains(&format!("?q=&amp;after={after}"))
            || html.contains(&format!("?q=&after={after}"))
    );
    assert!(html.len() < 1024 * 1024);

    // A version that does not exist, and a search too long to be a name.
    let (status, _) = app
        .call(&auditor, "evidence/version", &[("id", "999999")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .call(
            &auditor,
            "evidence/version",
            &[("id", &version.to_string()), ("query[q]", &"x".repeat(101))],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Only auditors.
    let max = app.logged_in(EMPLOYEE).await;
    assert_eq!(
        app.call(&max, "evidence/version", &[("id", &version.to_string())])
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn exports_stream_in_chunks_and_read_the_same_whatever_the_chunk_size() {
    use app::evidence::export::{streamed_body, Of};
    let app = sealed_app().await;
    let version = app.demo_version().await;
    let mut rest = serde_json::Map::new();
    rest.insert("format".into(), "rundschreiben-evidence/1".into());
    let read = |chunk: i64| {
        let body = streamed_body(
            app.db.clone(),
            Of::Version(version),
            rest.clone(),
            false,
            chunk,
            None,
        );
        async move {
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        }
    };
    // Chunks of 7 (many round trips, commas between chunks) read exactly like one chunk.
    let small = read(7).await;
    assert_eq!(small, read(100_000).await);
    let doc: serde_json::Value = serde_json::from_str(&small).expect("valid JSON");
    assert_eq!(doc["format"], "rundschreiben-evidence/1");
    let acks = doc["acknowledgments"].as_array().unwrap();
    let stored = app
        .count(&format!(
            "SELECT COUNT(*) FROM acknowledgment WHERE version_id = {version}"
        ))
        .await;
    assert!(stored > 7);
    assert_eq!(acks.len() as i64, stored, "every acknowledgment once");
    for a in acks {
        // The recomputed hash is the sealed one (nothing changed since sealing).
        assert_eq!(a["content_sha256"], a["seal"]["content_sha256"], "{a}");
        assert!(a["person"]["name"].is_string());
    }

    // Over HTTP the export is that document with the version and the chain added.
    let auditor = app.logged_in(AUDITOR).await;
    let res = app
        .page(&auditor, &format!("/audit/export/version/{version}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        doc["acknowledgments"].as_array().unwrap().len() as i64,
        stored
    );
    assert_eq!(doc["chain"]["intact"], true);
    assert_eq!(doc["version"]["id"], version);

    // As a browser asks for it (compressed), every export arrives complete: the compression
    // layer polls a finished body once more, which must not break the stream.
    let me = app.user_id(EMPLOYEE.0).await;
    let employee = app.logged_in(EMPLOYEE).await;
    for (who, path) in [
        (&auditor, format!("/audit/export/version/{version}")),
        (&auditor, format!("/audit/export/person/{me}")),
        (&employee, format!("/privacy/export/{me}")),
    ] {
        let res = who
            .get(app.url(&path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["content-encoding"], "gzip", "{path}");
        let body = res.bytes().await.expect("the whole body arrives");
        assert!(!body.is_empty(), "{path}");
    }
}

async fn exported_chain(app: &TestApp, auditor: &reqwest::Client) -> serde_json::Value {
    let version = app.demo_version().await;
    app.version_export(auditor, version).await["chain"].clone()
}

#[tokio::test]
async fn exports_state_the_chain_from_the_verification_checkpoint_and_catch_edits_on_both_sides_of_it(
) {
    use app::evidence::repo::{check_chain, checkpoint, verify};
    let app = sealed_app().await;
    let auditor = app.logged_in(AUDITOR).await;
    let now = chrono::Utc::now();
    // Without a checkpoint the export verifies everything itself.
    assert!(checkpoint(&app.db).await.unwrap().is_none());
    let chain = exported_chain(&app, &auditor).await;
    let full = verify(&app.db).await.unwrap();
    assert_eq!(chain["intact"], true);
    assert_eq!(chain["entries"], full.entries);
    assert_eq!(chain["head_hash"], full.head_hash.as_str());
    // The job keeps a checkpoint; what is sealed after it is verified by the export.
    assert_eq!(
        check_chain(&app.db, now).await.unwrap() as i64,
        full.entries
    );
    let cp = checkpoint(&app.db).await.unwrap().unwrap();
    assert_eq!(
        (cp.seq, cp.entry_hash.as_str()),
        (full.entries, full.head_hash.as_str())
    );
    assert!(
        app::evidence::repo::seal_pending(&app.db).await.unwrap() > 0,
        "the export's audit entry"
    );
    let chain = exported_chain(&app, &auditor).await;
    let full = verify(&app.db).await.unwrap();
    assert_eq!(chain["intact"], true);
    assert!(chain["entries"].as_i64().unwrap() > cp.seq);
    assert_eq!(chain["entries"], full.entries);
    assert_eq!(chain["head_hash"], full.head_hash.as_str());
    assert!(chain["fully_verified_at"].is_string());
    // An edited entry after the checkpoint is caught by the export.
    app.exec(&format!(
        "UPDATE evidence_entry SET entry_hash = 'x' || substr(entry_hash, 2) WHERE seq = {}",
        cp.seq + 1
    ))
    .await;
    assert_eq!(exported_chain(&app, &auditor).await["intact"], false);
}

#[tokio::test]
async fn an_edit_before_the_checkpoint_is_caught_at_the_checkpoint_or_by_the_next_full_pass() {
    use app::evidence::repo::{check_chain, checkpoint, FULL_VERIFICATION_HOURS};
    let app = sealed_app().await;
    let auditor = app.logged_in(AUDITOR).await;
    let now = chrono::Utc::now();
    check_chain(&app.db, now).await.unwrap();
    let cp = checkpoint(&app.db).await.unwrap().unwrap();
    // The checkpoint's own entry changed: the link to it no longer holds.
    app.exec(&format!(
        "UPDATE evidence_entry SET entry_hash = 'x' || substr(entry_hash, 2) WHERE seq = {}",
        cp.seq
    ))
    .await;
    assert_eq!(exported_chain(&app, &auditor).await["intact"], false);
    app.exec(&format!(
        "UPDATE evidence_entry SET entry_hash = '{}' WHERE seq = {}",
        cp.entry_hash, cp.seq
    ))
    .await;
    assert_eq!(exported_chain(&app, &auditor).await["intact"], true);
    // A record sealed long before the checkpoint changed. An export that holds it finds
    // it at once (each entry is checked against its seal as it is written); the job's
    // checkpoint only with the next full pass, and from then on every export says so.
    let version = app.demo_version().await;
    let id: i64 = app
        .scalar(&format!(
            "SELECT MIN(id) FROM acknowledgment WHERE version_id = {version}"
        ))
        .await;
    app.exec(&format!(
        "UPDATE acknowledgment SET acknowledged_at = '2020-01-01T00:00:00+00:00' WHERE id = {id}"
    ))
    .await;
    assert_eq!(exported_chain(&app, &auditor).await["intact"], false);
    check_chain(&app.db, now + chrono::Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        checkpoint(&app.db).await.unwrap().unwrap().broken_seq,
        None,
        "between full passes only the new entries are verified"
    );
    check_chain(
        &app.db,
        now + chrono::Duration::hours(FULL_VERIFICATION_HOURS),
    )
    .await
    .unwrap();
    assert!(checkpoint(&app.db)
        .await
        .unwrap()
        .unwrap()
        .broken_seq
        .is_some());
    let chain = exported_chain(&app, &auditor).await;
    assert_eq!(chain["intact"], false);
    assert!(chain["entries"].as_i64().unwrap() < cp.seq);
}

#[tokio::test]
async fn an_entry_numbered_zero_or_below_is_a_gap_at_the_start_of_the_chain() {
    let app = sealed_app().await;
    app.exec(
        "INSERT INTO evidence_entry (seq, kind, ref_id, content_sha256, prev_hash, entry_hash, sealed_at)
         VALUES (0, 'ack', 999999, 'x', 'x', 'x', '2026-01-01T00:00:00Z')",
    )
    .await;
    assert_eq!(
        broken_reason(&app).await,
        "entry 1 is missing (chain has a gap)"
    );
}
