//! The compliance engine with an injected clock: every state transition with its mails and
//! evidence, exemptions, stale devices, heads' view, the dry run and the job on several nodes.
mod common;
use app::compliance::engine;
use app::compliance::{ComplianceSettings, StalePolicy};
use app::tokens::Scope;
use chrono::{Duration, Utc};
use common::compliance::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn a_device_is_warned_blocked_and_restored_with_mails_and_evidence() {
    let app = TestApp::spawn().await;
    let mdm = clean_phone(&app).await;
    // Other demo devices never reported; keep them out of this test.
    let settings = quiet();
    let start = effective_at(&app).await + Duration::hours(9);
    let out = report_at(&app, &mdm, &[WHATSAPP], start).await;
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
    run_job_at(&app, &settings, start + Duration::days(6)).await;
    assert_eq!(
        state_of(&app, &mdm, "circular:%").await.as_deref(),
        Some("warned")
    );
    let decision = decision_at(&app, &mdm, start + Duration::days(6)).await;
    assert_eq!(decision.decision, engine::Decision::Allow);
    assert_eq!(decision.pending.len(), 1);
    run_job_at(&app, &settings, start + Duration::days(7)).await;
    assert_eq!(
        state_of(&app, &mdm, "circular:%").await.as_deref(),
        Some("blocked")
    );

    // The gateway, asking over HTTP now, is denied with the reason.
    let token = api_token(&app.db, &[Scope::AccessRead]).await;
    settle(&app).await;
    let (status, d) = get_access(&app, &token, &mdm).await;
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
    let (_, clean) = get_access(&app, &token, &other).await;
    assert_eq!(clean["decision"], "allow");
    let (status, unknown) = get_access(&app, &token, "NOPE").await;
    assert_eq!(
        (status, unknown["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_device"))
    );

    // App removed: compliant at once, with a mail.
    let out = report_at(&app, &mdm, &[], start + Duration::days(8)).await;
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
    app.exec("UPDATE compliance_transition SET to_state = 'compliant' WHERE to_state = 'blocked'")
        .await;
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
    post_inventory(&app, Some(&token), report(&mdm, &[WHATSAPP])).await;
    assert_eq!(
        state_of(&app, &mdm, "circular:%").await.as_deref(),
        Some("violating")
    );
    let circular = app.demo_circular().await;
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
    run_job_at(&app, &settings, later).await;
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
    // An exemption that has ended cannot be ended again (nothing more is written).
    let (status, _) = app
        .call(
            &admin,
            "compliance/revoke_exemption",
            &[("id", &id.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('exemption.grant', 'exemption.revoke')").await, 2);
}

#[tokio::test]
async fn stale_devices_follow_the_configured_policy() {
    let app = TestApp::spawn().await;
    let token = api_token(&app.db, &[Scope::InventoryWrite, Scope::AccessRead]).await;
    post_inventory(&app, Some(&token), report("MDM-00002", &[])).await;
    let in_20_days = Utc::now() + Duration::days(20);
    let mut settings = ComplianceSettings {
        stale_policy: StalePolicy::Ignore,
        ..Default::default()
    };
    let run = run_job_at(&app, &settings, in_20_days).await;
    assert_eq!(run.transitions, 0, "ignore: nothing happens");
    settings.stale_policy = StalePolicy::Warn;
    run_job_at(&app, &settings, in_20_days).await;
    assert_eq!(
        state_of(&app, "MDM-00002", "stale").await.as_deref(),
        Some("stale")
    );
    assert_eq!(
        decision_at(&app, "MDM-00002", in_20_days).await.decision,
        engine::Decision::Allow
    );
    settings.stale_policy = StalePolicy::Block;
    run_job_at(&app, &settings, in_20_days).await;
    let d = decision_at(&app, "MDM-00002", in_20_days).await;
    assert_eq!(d.decision, engine::Decision::Deny);
    assert_eq!(d.reasons[0].rule.to_string(), "stale");
    // Devices without an MDM id are never stale.
    assert_eq!(app.count("SELECT COUNT(*) FROM device_compliance s JOIN device d ON d.id = s.device_id WHERE d.mdm_id IS NULL").await, 0);
    // A fresh report clears it.
    report_at(&app, "MDM-00002", &[], in_20_days).await;
    assert_eq!(
        state_of(&app, "MDM-00002", "stale").await.as_deref(),
        Some("compliant")
    );
}

#[tokio::test]
async fn heads_see_counts_and_warned_devices_of_their_units_only() {
    let app = TestApp::spawn().await;
    // After the effective date the job warns every phone the demo MDM reported with an app.
    run_job_at(
        &app,
        &quiet(),
        effective_at(&app).await + Duration::hours(10),
    )
    .await;
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
    let (path, inside) = head_scope(&app).await;
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
    let findings = o["findings"].as_array().unwrap();
    assert!(expected > 0, "the demo Bürgeramt has warned phones");
    assert_eq!(findings.len() as i64, expected);
    assert!(findings.iter().all(|s| s["state"] == "warned"));
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
    assert_eq!(filtered["findings"], json!([]));
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
    let circular = app.demo_circular().await;
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
async fn the_overview_pages_through_every_finding_and_unit_once() {
    let app = TestApp::spawn().await;
    // Many findings: every active device of the city blocked under the demo ban.
    let expected = block_every_device(&app).await;
    assert!(expected > 100, "{expected} findings: more than two pages");
    let admin = app.logged_in(ADMIN).await;
    let mut seen = std::collections::HashSet::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let (status, o) = app
            .call(&admin, "compliance/overview", &[("after", &after)])
            .await;
        assert_eq!(status, StatusCode::OK, "{o}");
        let findings = o["findings"].as_array().unwrap();
        assert!(findings.len() <= 50);
        for f in findings {
            assert!(
                seen.insert((f["device_id"].to_string(), f["rule"].to_string())),
                "{f} twice"
            );
        }
        pages += 1;
        match o["next_after"].as_str() {
            Some(next) => after = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, expected);
    assert_eq!(pages, (expected + 49) / 50);
    // A cursor that is not one starts at the beginning; it never errs or skips.
    let (status, first) = app.call(&admin, "compliance/overview", &[]).await;
    assert_eq!(status, StatusCode::OK);
    for bad in [
        "x",
        "0|1|circular:1|'; DROP TABLE device;--",
        "9999999999999999999999|1|a|b",
    ] {
        let (status, o) = app
            .call(&admin, "compliance/overview", &[("after", bad)])
            .await;
        assert_eq!(status, StatusCode::OK, "{bad}: {o}");
        if bad.starts_with('x') || bad.starts_with('9') {
            assert_eq!(o["findings"], first["findings"], "{bad}");
        }
    }

    // The units with findings, a page of 50 at a time, each once, with their device counts.
    let with_findings = app
        .count(
            "SELECT COUNT(DISTINCT u.org_unit_id) FROM device_compliance s JOIN device d ON d.id = s.device_id
               JOIN users u ON u.id = d.owner_id
              WHERE s.state <> 'compliant' AND d.retired_at IS NULL AND d.ownership = 'service'",
        )
        .await;
    let mut units = vec![];
    for page in 0.. {
        let (_, o) = app
            .call(
                &admin,
                "compliance/overview",
                &[("units_page", &page.to_string())],
            )
            .await;
        let rows = o["units"].as_array().unwrap();
        assert!(rows.len() <= 50);
        for r in rows {
            assert!(r["devices"].as_i64().unwrap() >= r["blocked"].as_i64().unwrap());
            units.push(r["unit"].as_str().unwrap().to_string());
        }
        if o["more_units"] == false {
            break;
        }
    }
    assert_eq!(units.len() as i64, with_findings);

    // The page links to the next page of findings, which links back to the first.
    let (status, html) = app.get_html(&admin, "/compliance").await;
    assert_eq!(status, StatusCode::OK);
    let next = html
        .split("rel=\"next\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .expect("a next link")
        .replace("&amp;", "&");
    assert!(
        next.starts_with("/compliance?") && next.contains("after="),
        "{next}"
    );
    let (status, second) = app.get_html(&admin, &next).await;
    assert_eq!(status, StatusCode::OK);
    assert!(second.contains("Erste Seite"), "{second}");

    // Paging never widens a head's view: with the admin's key into the city-wide list and on
    // any page of units, a head sees their subtree only; an employee gets nothing.
    let head = app.logged_in(HEAD).await;
    let (_, inside) = head_scope(&app).await;
    let admin_key = after_first_page(&app, &admin).await;
    for (after, units_page) in [("", "0"), (admin_key.as_str(), "0"), ("", "1"), ("", "7")] {
        let (status, o) = app
            .call(
                &head,
                "compliance/overview",
                &[("after", after), ("units_page", units_page)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{o}");
        for unit in o["units"].as_array().unwrap() {
            assert!(inside.iter().any(|i| *i == unit["unit"]), "{unit} outside");
        }
        for f in o["findings"].as_array().unwrap() {
            assert!(inside.iter().any(|i| *i == f["unit"]), "{f} outside");
        }
    }
    let employee = app.logged_in(EMPLOYEE).await;
    let (status, _) = app
        .call(&employee, "compliance/overview", &[("after", &admin_key)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Many findings: every active device of the city blocked under the demo ban. Returns the
/// number of findings (non-compliant standings of active devices).
async fn block_every_device(app: &TestApp) -> i64 {
    app.exec(
        "INSERT INTO device_compliance (device_id, rule, circular_id, state, since, apps)
         SELECT d.id, 'circular:' || c.id, c.id, 'blocked', '2026-11-0' || (d.id % 9 + 1) || 'T08:00:00+00:00', 'com.whatsapp'
           FROM device d, (SELECT MIN(id) AS id FROM circular) c
          WHERE d.retired_at IS NULL
         ON CONFLICT (device_id, rule) DO UPDATE SET state = 'blocked'",
    )
    .await;
    app.count(
        "SELECT COUNT(*) FROM device_compliance s JOIN device d ON d.id = s.device_id
          WHERE s.state <> 'compliant' AND d.retired_at IS NULL",
    )
    .await
}

/// The key the admin's second page of findings starts after.
async fn after_first_page(app: &TestApp, admin: &reqwest::Client) -> String {
    let (_, o) = app.call(admin, "compliance/overview", &[]).await;
    o["next_after"].as_str().expect("a second page").to_string()
}

/// The path of the demo head's scope and the names of the units inside it.
async fn head_scope(app: &TestApp) -> (String, Vec<String>) {
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
    (path, inside)
}

async fn compliance_csv(
    app: &TestApp,
    client: &reqwest::Client,
    query: &str,
) -> (StatusCode, String) {
    let res = client
        .get(app.url(&format!("/compliance/export.csv{query}")))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.text().await.unwrap())
}

#[tokio::test]
async fn the_compliance_list_exports_as_csv_with_the_viewers_scope_and_filters() {
    let app = TestApp::spawn().await;
    // Every active device of the city blocked under the demo ban (more than one chunk of
    // the export is not needed: the keyset is the overview's, tested above), one with a
    // label that a spreadsheet would run as a formula.
    let expected = block_every_device(&app).await;
    app.exec("UPDATE device SET label = '=HYPERLINK(\"http://evil\")' WHERE id = (SELECT MIN(device_id) FROM device_compliance)")
        .await;
    let admin = app.logged_in(ADMIN).await;
    let (status, csv) = compliance_csv(&app, &admin, "").await;
    assert_eq!(status, StatusCode::OK);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "\u{feff}Gerät;Besitzer/in;Einheit;MDM-ID;Status;Rundschreiben;Apps;Seit;Gesperrt ab;Wirksam ab"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as i64, expected, "every finding once");
    let blocked = app
        .count(
            "SELECT COUNT(*) FROM device_compliance s JOIN device d ON d.id = s.device_id
              WHERE s.state = 'blocked' AND d.retired_at IS NULL",
        )
        .await;
    assert_eq!(
        rows.iter().filter(|r| r.contains(";gesperrt;")).count() as i64,
        blocked
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("\"'=HYPERLINK(\"\"http://evil\"\")\";")),
        "a formula is neutralised"
    );
    // The same as the overview's pages, in the same order.
    let (_, first_page) = app.call(&admin, "compliance/overview", &[]).await;
    let first = &first_page["findings"][0];
    assert!(
        rows[0].contains(first["owner"].as_str().unwrap()),
        "{} vs {first}",
        rows[0]
    );
    // A filter for another state: nothing but the header.
    let (_, warned) = compliance_csv(&app, &admin, "?state=warned&circular=").await;
    assert_eq!(warned.lines().count(), 1, "{warned}");

    // A head gets their subtree only, whatever the filters ask for.
    let head = app.logged_in(HEAD).await;
    let (_, inside) = head_scope(&app).await;
    let (status, csv) = compliance_csv(&app, &head, "?state=blocked").await;
    assert_eq!(status, StatusCode::OK);
    let head_rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(!head_rows.is_empty());
    assert!(head_rows.len() < rows.len());
    for r in &head_rows {
        let unit = r.split(';').nth(2).unwrap();
        assert!(
            inside.iter().any(|i| i == unit),
            "{r} outside the head's units"
        );
    }
    // A state heads do not see: the admin's list has such a device in the head's units,
    // the head's has the header only.
    let (scope_path, _) = head_scope(&app).await;
    app.exec(&format!(
        "UPDATE device_compliance SET state = 'violating' WHERE device_id = (
            SELECT MIN(d.id) FROM device d JOIN users u ON u.id = d.owner_id JOIN org_unit o ON o.id = u.org_unit_id
             WHERE o.path LIKE '{scope_path}%' AND d.id IN (SELECT device_id FROM device_compliance))"
    ))
    .await;
    let (_, admin_violating) = compliance_csv(&app, &admin, "?state=violating").await;
    assert!(admin_violating.lines().count() > 1, "{admin_violating}");
    let (_, hidden) = compliance_csv(&app, &head, "?state=violating").await;
    assert_eq!(hidden.lines().count(), 1, "{hidden}");
    // Every export is audited; an employee and a stranger get nothing, and write nothing.
    let audited = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'compliance.export'")
        .await;
    assert_eq!(audited, 5);
    let employee = app.logged_in(EMPLOYEE).await;
    assert_eq!(
        compliance_csv(&app, &employee, "").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        compliance_csv(&app, &app.client(), "").await.0,
        StatusCode::UNAUTHORIZED
    );
    // A link from another site does not start an export.
    let res = admin
        .get(app.url("/compliance/export.csv"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'compliance.export'")
            .await,
        audited
    );
}

#[tokio::test]
async fn a_retired_device_is_denied_by_the_snapshot_and_a_clean_one_allowed() {
    let app = TestApp::spawn().await;
    let (id, mdm): (i64, String) = sqlx::query_as(
        "SELECT id, mdm_id FROM device WHERE mdm_id IS NOT NULL AND retired_at IS NULL
            AND id NOT IN (SELECT device_id FROM device_compliance WHERE state <> 'compliant')
          ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let now = Utc::now();
    let clean = decision_at(&app, &mdm, now).await;
    assert!(
        matches!(clean.decision, engine::Decision::Allow),
        "{clean:?}"
    );
    assert!(clean.reasons.is_empty() && clean.pending.is_empty());
    let admin = app.logged_in(ADMIN).await;
    let (status, body) = app
        .call(&admin, "devices/retire", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let retired = decision_at(&app, &mdm, now).await;
    assert!(
        matches!(retired.decision, engine::Decision::Deny),
        "{retired:?}"
    );
    assert!(matches!(
        retired.reasons.as_slice(),
        [engine::Reason {
            rule: app::compliance::Ground::Retired,
            ..
        }]
    ));
}
