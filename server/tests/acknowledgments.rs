//! Reading and acknowledging circulars, the audience rules and receipts, over real HTTP.
mod common;
use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn an_employee_acknowledges_for_each_device_and_gets_a_receipt() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let version = app.demo_version().await;
    let (_, inbox) = app.call(&max, "ack/inbox", &[]).await;
    assert_eq!(inbox["due"][0]["number"], "RS 2026/17");
    let form = app.ack_form(&max, version, "none_installed").await;
    assert_eq!(
        form.iter()
            .filter(|(k, _)| k.contains("attestations"))
            .count(),
        2,
        "Max has a phone and a laptop"
    );
    let (status, ack) = app.call_owned(&max, "ack/acknowledge", &form).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    let ack_id = ack.as_i64().unwrap().to_string();
    let (status, receipt) = app.call(&max, "ack/receipt", &[("id", &ack_id)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(receipt["number"], "RS 2026/17");
    assert_eq!(receipt["devices"].as_array().unwrap().len(), 2);
    assert_eq!(receipt["locale"], "de");
    assert_eq!(receipt["auth_method"], "password");
    let sha: String =
        sqlx::query_scalar("SELECT content_sha256 FROM circular_version WHERE id = $1")
            .bind(version)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(receipt["content_sha256"], sha);
    let (_, inbox) = app.call(&max, "ack/inbox", &[]).await;
    assert!(inbox["due"].as_array().unwrap().is_empty());
    assert_eq!(inbox["history"][0]["number"], "RS 2026/17");
    // The receipt page renders on the server for printing.
    let (status, html) = app.get_html(&max, &format!("/receipts/{ack_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&sha) && html.contains("Diensthandy"));
}

#[tokio::test]
async fn double_clicks_and_parallel_tabs_never_create_two_acknowledgments() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let version = app.demo_version().await;
    let form = app.ack_form(&max, version, "will_remove").await;
    let calls = (0..8).map(|_| app.call_owned(&max, "ack/acknowledge", &form));
    let results = futures_util::future::join_all(calls).await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::OK, "{body}");
            body.to_string()
        })
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "every request answers with the same acknowledgment"
    );
    let uid = app.user_id(EMPLOYEE.0).await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM acknowledgment WHERE user_id = {uid}"
        ))
        .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM acknowledgment_device d JOIN acknowledgment k ON k.id = d.ack_id WHERE k.user_id = (SELECT id FROM users WHERE email = 'max.mustermann@musterstadt.de')").await, 2);
}

#[tokio::test]
async fn incomplete_or_foreign_acknowledgments_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let version = app.demo_version().await;
    let full = app.ack_form(&max, version, "none_installed").await;
    // One device left out.
    let mut missing = full.clone();
    let dropped = missing
        .iter()
        .position(|(k, _)| k.contains("attestations"))
        .unwrap();
    missing.remove(dropped);
    let (status, body) = app.call_owned(&max, "ack/acknowledge", &missing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_message(&body, "attestations").unwrap(),
        "Bitte geben Sie für jedes Ihrer Geräte eine Erklärung ab."
    );
    // Reading not confirmed.
    let (status, body) = app
        .call_owned(
            &max,
            "ack/acknowledge",
            &with(full.clone(), "form[read_confirmed]", ""),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "read_confirmed").is_some());
    // Someone else's device.
    let other: i64 = sqlx::query_scalar(
        "SELECT d.id FROM device d JOIN users u ON u.id = d.owner_id WHERE u.email <> $1 LIMIT 1",
    )
    .bind(EMPLOYEE.0)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (status, _) = app
        .call_owned(
            &max,
            "ack/acknowledge",
            &with(
                full.clone(),
                &format!("form[attestations][{other}]"),
                "none_installed",
            ),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A form that does not decode (one of their devices under two keys, `7` and `07`):
    // the client's mistake, 400 with the reason.
    let key = full
        .iter()
        .map(|(k, _)| k.clone())
        .find(|k| k.contains("attestations"))
        .unwrap();
    let mut twice = full.clone();
    twice.push((
        key.replace("[attestations][", "[attestations][0"),
        "none_installed".to_owned(),
    ));
    let (status, body) = app.call_owned(&max, "ack/acknowledge", &twice).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["Transport"].is_string(), "{body}");
    // A text that is not the published one.
    let (status, body) = app
        .call_owned(
            &max,
            "ack/acknowledge",
            &with(full.clone(), "form[content_sha256]", &"0".repeat(64)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "content_sha256").is_some());
    let uid = app.user_id(EMPLOYEE.0).await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM acknowledgment WHERE user_id = {uid}"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn a_circular_outside_my_audience_cannot_be_read_or_acknowledged() {
    let app = TestApp::spawn().await;
    let a321 = app.unit_id("A20.1").await.to_string();
    let version = app
        .publish(with(
            with(circular_form("RS 2026/93"), "form[whole_city]", ""),
            "form[audience_subtree][]",
            &a321,
        ))
        .await;
    let max = app.logged_in(EMPLOYEE).await; // Bürgeramt, not Kämmerei
    assert_eq!(
        app.call(&max, "ack/read", &[("id", &version.to_string())])
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let form = vec![
        ("form[version_id]".to_string(), version.to_string()),
        ("form[content_sha256]".to_string(), "a".repeat(64)),
        ("form[read_confirmed]".to_string(), "on".to_string()),
    ];
    assert_eq!(
        app.call_owned(&max, "ack/acknowledge", &form).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, inbox) = app.call(&max, "ack/inbox", &[]).await;
    assert!(!inbox.to_string().contains("RS 2026/93"));
}

#[tokio::test]
async fn material_versions_need_a_new_acknowledgment_and_editorial_ones_do_not() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let author = app.logged_in(PUBLISHER).await;
    let approver = app.logged_in(PUBLISHER2).await;
    let v1 = app.demo_version().await;
    let form = app.ack_form(&max, v1, "none_installed").await;
    assert_eq!(
        app.call_owned(&max, "ack/acknowledge", &form).await.0,
        StatusCode::OK
    );

    let publish_new = |kind: &'static str, from: i64| {
        let (app, author, approver) = (&app, &author, &approver);
        async move {
            let (status, body) = app
                .call(
                    author,
                    "circulars/new_version",
                    &[("id", &from.to_string()), ("kind", kind)],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let id = body.as_i64().unwrap().to_string();
            assert_eq!(
                app.call(
                    author,
                    "circulars/workflow",
                    &[("id", &id), ("action", "submit")]
                )
                .await
                .0,
                StatusCode::OK
            );
            assert_eq!(
                app.call(
                    approver,
                    "circulars/workflow",
                    &[("id", &id), ("action", "publish")]
                )
                .await
                .0,
                StatusCode::OK
            );
            id.parse::<i64>().unwrap()
        }
    };
    let v2 = publish_new("editorial", v1).await;
    let (_, inbox) = app.call(&max, "ack/inbox", &[]).await;
    assert!(
        inbox["due"].as_array().unwrap().is_empty(),
        "editorial change: the acknowledgment of v1 still counts"
    );
    let (_, read) = app.call(&max, "ack/read", &[("id", &v2.to_string())]).await;
    assert!(read["acknowledged"].is_number());

    let v3 = publish_new("material", v2).await;
    let (_, inbox) = app.call(&max, "ack/inbox", &[]).await;
    assert_eq!(
        inbox["due"][0]["version_id"], v3,
        "material change: acknowledge again"
    );
    // The old acknowledgment stays on record for v1.
    let uid = app.user_id(EMPLOYEE.0).await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM acknowledgment WHERE user_id = {uid} AND version_id = {v1}"
        ))
        .await,
        1
    );
    let status: String = sqlx::query_scalar("SELECT status FROM circular_version WHERE id = $1")
        .bind(v1)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "superseded");
}

#[tokio::test]
async fn counts_follow_the_org_tree_and_late_joiners_get_their_own_deadline() {
    let app = TestApp::spawn().await;
    let a321 = app.unit_id("A32.1").await;
    let version = app
        .publish(with(
            with(circular_form("RS 2026/94"), "form[whole_city]", ""),
            "form[audience_unit][]",
            &a321.to_string(),
        ))
        .await;
    let members = app
        .count(&format!(
            "SELECT COUNT(*) FROM users WHERE org_unit_id = {a321} AND active"
        ))
        .await;
    let author = app.logged_in(PUBLISHER).await;
    let (_, view) = app
        .call(&author, "circulars/get", &[("id", &version.to_string())])
        .await;
    assert_eq!(view[1]["audience"], members);
    assert_eq!(view[1]["acknowledged"], 0);
    assert_eq!(view[1]["open"], members);
    assert_eq!(view[1]["overdue"], 0);

    let max = app.logged_in(EMPLOYEE).await;
    let form = app.ack_form(&max, version, "not_used_for_work").await;
    assert_eq!(
        app.call_owned(&max, "ack/acknowledge", &form).await.0,
        StatusCode::OK
    );
    let (_, view) = app
        .call(&author, "circulars/get", &[("id", &version.to_string())])
        .await;
    assert_eq!(view[1]["acknowledged"], 1);
    assert_eq!(view[1]["open"], members - 1);

    // Someone moves into the Bürgeramt after publication: counted, with their own deadline.
    let admin = app.logged_in(ADMIN).await;
    let mover: (i64, String, String, String) = sqlx::query_as("SELECT id, email, display_name, personnel_no FROM users WHERE org_unit_id <> $1 AND email LIKE '%.%@musterstadt.de' ORDER BY id DESC LIMIT 1")
        .bind(a321)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let id = mover.0.to_string();
    let unit = a321.to_string();
    let (status, body) = app
        .call(
            &admin,
            "org/save_user",
            &[
                ("form[id]", &id),
                ("form[email]", &mover.1),
                ("form[display_name]", &mover.2),
                ("form[personnel_no]", &mover.3),
                ("form[org_unit_id]", &unit),
                ("form[locale]", "de"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Pretend the move happened tomorrow (after publication), as a real late join would be.
    sqlx::query("UPDATE users SET unit_since = $1 WHERE id = $2")
        .bind(chrono::Utc::now() + chrono::Duration::days(1))
        .bind(mover.0)
        .execute(app.db.writer())
        .await
        .unwrap();
    let (_, view) = app
        .call(&author, "circulars/get", &[("id", &version.to_string())])
        .await;
    assert_eq!(view[1]["audience"], members + 1);
    let mover_client = app.client();
    sqlx::query("UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email = $1) WHERE id = $2").bind(EMPLOYEE.0).bind(mover.0).execute(app.db.writer()).await.unwrap();
    assert_eq!(
        location(&app.login(&mover_client, (&mover.1, EMPLOYEE.1)).await),
        "/"
    );
    let (_, inbox) = app.call(&mover_client, "ack/inbox", &[]).await;
    let item = inbox["due"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["version_id"] == version)
        .expect("due for the late joiner")
        .clone();
    assert_eq!(
        item["deadline"],
        day_in(15),
        "joined tomorrow + 14 days, later than the circular's own deadline"
    );

    // Max leaves the Bürgeramt: no longer counted.
    let max_id = app.user_id(EMPLOYEE.0).await;
    let other = app.unit_id("A20.1").await;
    sqlx::query("UPDATE users SET org_unit_id = $1 WHERE id = $2")
        .bind(other)
        .bind(max_id)
        .execute(app.db.writer())
        .await
        .unwrap();
    let (_, view) = app
        .call(&author, "circulars/get", &[("id", &version.to_string())])
        .await;
    assert_eq!(view[1]["audience"], members);
    assert_eq!(view[1]["acknowledged"], 0);
}

#[tokio::test]
async fn receipts_are_private_to_their_owner_and_open_to_auditors() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let version = app.demo_version().await;
    let form = app.ack_form(&max, version, "none_installed").await;
    let (_, ack) = app.call_owned(&max, "ack/acknowledge", &form).await;
    let id = ack.as_i64().unwrap().to_string();
    let head = app.logged_in(HEAD).await;
    assert_eq!(
        app.call(&head, "ack/receipt", &[("id", &id)]).await.0,
        StatusCode::NOT_FOUND
    );
    let auditor = app.logged_in(AUDITOR).await;
    assert_eq!(
        app.call(&auditor, "ack/receipt", &[("id", &id)]).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn acknowledging_works_as_a_plain_html_form_post_without_javascript() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let version = app.demo_version().await;
    let (status, page) = app.get_html(&max, &format!("/read/{version}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"action="/fn/ack/acknowledge""#),
        "the form posts to the server without JavaScript"
    );
    let form = app.ack_form(&max, version, "none_installed").await;
    let res = post_from_page(&app, &max, &app.url(&format!("/read/{version}")), &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let target = location(&res);
    assert!(target.starts_with("/receipts/"), "{target}");
    let (status, html) = app.get_html(&max, &target).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Quittung der Kenntnisnahme"));
}

#[tokio::test]
async fn a_form_error_without_javascript_goes_back_to_the_form_with_its_message() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let version = app.demo_version().await;
    let reading = app.url(&format!("/read/{version}"));
    let mut form = app.ack_form(&max, version, "none_installed").await;
    // The "I have read it" box left unticked.
    form.retain(|(k, _)| k != "form[read_confirmed]");
    let res = post_from_page(&app, &max, &reading, &form).await;
    // A browser follows a redirect; a 422 with a JSON body would be shown to the person raw.
    assert_eq!(res.status(), StatusCode::FOUND);
    let target = location(&res);
    assert!(
        target.starts_with(&format!("{reading}?"))
            || target.starts_with(&format!("/read/{version}?")),
        "{target}"
    );
    let path = target.trim_start_matches(&app.base);
    let (status, html) = app.get_html(&max, path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Bitte bestätigen Sie, dass Sie den Text gelesen haben."),
        "the page names the problem"
    );
    // Nothing was written.
    let (_, view) = app
        .call(&max, "ack/read", &[("id", &version.to_string())])
        .await;
    assert!(view["acknowledged"].is_null(), "{view}");
}

/// The acknowledgment form posted as a browser without JavaScript posts it from `page`.
async fn post_from_page(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    client
        .post(app.url("/fn/ack/acknowledge"))
        .header("accept", "text/html")
        .header("referer", page)
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn one_acknowledgment_that_cannot_be_written_fails_alone_in_its_batch() {
    use app::acknowledgments::queue::{AckQueue, PendingAck};
    use app::acknowledgments::Attestation;
    let app = TestApp::spawn().await;
    let version = app::circulars::VersionId(app.demo_version().await);
    let queue = AckQueue::start(app.db.clone());
    let pending = |user: i64, device: i64| PendingAck {
        user: app::org::UserId(user),
        version,
        content_sha256: "a".repeat(64),
        locale: app::i18n::Locale::De,
        auth_method: app::auth::AuthMethod::Password,
        devices: vec![(app::devices::DeviceId(device), Attestation::NoneInstalled)],
        at: chrono::Utc::now(),
    };
    let max = app.user_id(EMPLOYEE.0).await;
    let own: i64 = app
        .scalar(&format!(
            "SELECT MIN(id) FROM device WHERE owner_id = {max}"
        ))
        .await;
    let admin = app.user_id(ADMIN.0).await;
    // Both are queued before the writer task runs (the test's runtime has one thread), so
    // they share a batch; the second names a device that does not exist.
    let (good, bad) = tokio::join!(
        queue.record(pending(max, own)),
        queue.record(pending(admin, 999_999))
    );
    assert!(good.is_ok(), "{good:?}");
    assert!(bad.is_err());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM acknowledgment WHERE version_id = {} AND user_id IN ({max}, {admin})",
            version.0
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_batch_of_many_people_writes_each_acknowledgment_with_its_own_devices_once() {
    use app::acknowledgments::queue::{AckQueue, PendingAck};
    use app::acknowledgments::Attestation;
    let app = TestApp::spawn().await;
    let version = app::circulars::VersionId(app.demo_version().await);
    let queue = AckQueue::start(app.db.clone());
    let owners: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT owner_id, MIN(id) FROM device WHERE retired_at IS NULL
            AND owner_id NOT IN (SELECT user_id FROM acknowledgment WHERE version_id = $1)
          GROUP BY owner_id ORDER BY owner_id LIMIT 12",
    )
    .bind(version)
    .fetch_all(app.db.reader())
    .await
    .unwrap();
    assert!(owners.len() >= 3, "the demo city has people with devices");
    let pending = |(user, device): (i64, i64)| PendingAck {
        user: app::org::UserId(user),
        version,
        content_sha256: "a".repeat(64),
        locale: app::i18n::Locale::En,
        auth_method: app::auth::AuthMethod::Password,
        devices: vec![(app::devices::DeviceId(device), Attestation::NoneInstalled)],
        at: chrono::Utc::now(),
    };
    // Everybody once, then the first three again (a second tab): queued before the writer
    // task runs (one runtime thread), so they share one batch in two rounds.
    let mut all = owners.clone();
    all.extend(owners.iter().take(3).copied());
    let results =
        futures_util::future::join_all(all.iter().map(|&o| queue.record(pending(o)))).await;
    let ids: Vec<i64> = results.into_iter().map(|r| r.unwrap().0).collect();
    for (n, &(user, device)) in owners.iter().enumerate() {
        let (owner, version_id, locale): (i64, i64, String) =
            sqlx::query_as("SELECT user_id, version_id, locale FROM acknowledgment WHERE id = $1")
                .bind(ids[n])
                .fetch_one(app.db.reader())
                .await
                .unwrap();
        assert_eq!(
            (owner, version_id, locale.as_str()),
            (user, version.0, "en")
        );
        let devices: Vec<i64> =
            sqlx::query_scalar("SELECT device_id FROM acknowledgment_device WHERE ack_id = $1")
                .bind(ids[n])
                .fetch_all(app.db.reader())
                .await
                .unwrap();
        assert_eq!(
            devices,
            vec![device],
            "the acknowledgment carries its own device"
        );
    }
    assert_eq!(
        &ids[owners.len()..],
        &ids[..3],
        "the second tab gets the first one's id"
    );
    let people: Vec<String> = owners.iter().map(|(u, _)| u.to_string()).collect();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM acknowledgment WHERE version_id = {} AND user_id IN ({})",
            version.0,
            people.join(",")
        ))
        .await,
        owners.len() as i64,
        "one acknowledgment per person"
    );
}
