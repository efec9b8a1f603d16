//! The heads' dashboard over real HTTP: scope checks, roll-up numbers, names policy,
//! acknowledging on behalf, CSV export.
mod common;
use common::*;
use reqwest::StatusCode;

const DEZERNAT_HEAD: (&str, &str) = ("dezernentin2@musterstadt.de", "Leitung#2026");

#[tokio::test]
async fn a_head_sees_only_their_subtree_however_the_request_is_changed() {
    let app = TestApp::spawn().await;
    let head = app.logged_in(HEAD).await; // head of the Bürgeramt
    let (status, d) = app.call(&head, "tracking/dashboard", &[]).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["unit_name"], "Bürgeramt");
    for code in ["FB32", "D2", "A32.2", "STADT"] {
        let unit = app.unit_id(code).await.to_string();
        let (status, _) = app
            .call(&head, "tracking/dashboard", &[("unit", &unit)])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{code}");
        let res = head
            .get(app.url(&format!("/dashboard/export.csv?unit={unit}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(
        app.call(&head, "tracking/dashboard", &[("unit", "999999")])
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(&head, "tracking/dashboard", &[("version", "999999")])
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let employee = app.logged_in(EMPLOYEE).await;
    assert_eq!(
        app.call(&employee, "tracking/dashboard", &[]).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_roll_up_per_child_unit_matches_an_independent_count() {
    let app = TestApp::spawn().await;
    let head = app.logged_in(DEZERNAT_HEAD).await;
    let v = app.demo_version().await.to_string();
    let (status, d) = app
        .call(&head, "tracking/dashboard", &[("version", &v)])
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        d["unit_name"],
        "Dezernat II – Bürgerdienste, Ordnung und Soziales"
    );
    let rows = d["rows"].as_array().unwrap();
    let mut total = 0;
    for code in ["FB32", "FB50", "FB51"] {
        let path: String = sqlx::query_scalar("SELECT path FROM org_unit WHERE code = $1")
            .bind(code)
            .fetch_one(&app.db)
            .await
            .unwrap();
        let sub = format!("(SELECT u.id FROM users u JOIN org_unit o ON o.id = u.org_unit_id WHERE u.active AND o.path LIKE '{path}%')");
        let audience = app.count(&format!("SELECT COUNT(*) FROM {sub} x")).await;
        let acknowledged = app.count(&format!("SELECT COUNT(DISTINCT user_id) FROM acknowledgment WHERE version_id = {v} AND user_id IN {sub}")).await;
        let id = app.unit_id(code).await;
        let row = rows
            .iter()
            .find(|r| r["unit_id"] == id)
            .unwrap_or_else(|| panic!("no row for {code}"));
        assert_eq!(row["audience"], audience, "{code}");
        assert_eq!(row["acknowledged"], acknowledged, "{code}");
        assert_eq!(row["overdue"], 0);
        assert!(row["has_children"].as_bool().unwrap());
        total += audience;
    }
    // The head of the Dezernat works directly in it: a row of its own.
    let direct = rows
        .iter()
        .find(|r| r["unit_id"].is_null())
        .expect("direct row");
    assert_eq!(direct["audience"], 1);
    assert_eq!(d["total"]["audience"], total + 1);
    // Devices without a clean statement: everybody who has not acknowledged has all of theirs.
    assert!(d["total"]["devices_unclean"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn names_of_open_people_follow_the_privacy_setting_and_are_audited() {
    let app = TestApp::spawn().await;
    let head = app.logged_in(HEAD).await;
    let (_, d) = app.call(&head, "tracking/dashboard", &[]).await;
    let open = d["open_people"].as_array().unwrap();
    assert!(!open.is_empty());
    assert!(
        open.iter().all(|p| p["name"].is_null()),
        "nobody is overdue yet: no names by default"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'tracking.view_names'")
            .await,
        0
    );
    // The deadline passes.
    sqlx::query("UPDATE circular_version SET ack_deadline = $1 WHERE status = 'published'")
        .bind(day_in(-3))
        .execute(app.db.writer())
        .await
        .unwrap();
    let (_, d) = app.call(&head, "tracking/dashboard", &[]).await;
    let open = d["open_people"].as_array().unwrap();
    assert!(open.iter().any(|p| p["name"] == "Max Mustermann"));
    assert!(open
        .iter()
        .all(|p| p["days_overdue"].as_i64().unwrap() >= 3));
    assert_eq!(d["total"]["overdue"].as_i64().unwrap(), open.len() as i64);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'tracking.view_names'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_head_records_a_paper_acknowledgment_with_a_remark_and_the_person_sees_it() {
    let app = TestApp::spawn().await;
    let head = app.logged_in(HEAD).await;
    let v = app.demo_version().await.to_string();
    let max = app.user_id(EMPLOYEE.0).await.to_string();
    let (status, body) = app
        .call(
            &head,
            "tracking/on_behalf",
            &[("version_id", &v), ("user_id", &max), ("remark", "  ")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "remark").is_some());
    // Someone outside the Bürgeramt.
    let outsider: i64 = app.scalar("SELECT u.id FROM users u JOIN org_unit o ON o.id = u.org_unit_id WHERE o.code = 'A20.1' LIMIT 1").await;
    let (status, _) = app
        .call(
            &head,
            "tracking/on_behalf",
            &[
                ("version_id", &v),
                ("user_id", &outsider.to_string()),
                ("remark", "Papier"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let on_behalf = |user: String| {
        let (app, head, v) = (&app, &head, v.clone());
        async move {
            app.call(
                head,
                "tracking/on_behalf",
                &[
                    ("version_id", &v),
                    ("user_id", &user),
                    ("remark", "Papierformular vom 3. März"),
                ],
            )
            .await
        }
    };
    // Max is not overdue: under the default names policy the head does not see him, so the
    // head cannot act for him either (nor learn whether he has acknowledged).
    assert_eq!(on_behalf(max.clone()).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM acknowledgment WHERE on_behalf_by IS NOT NULL")
            .await,
        0
    );
    // The deadline passes: Max is overdue and named, and the head records his paper form.
    sqlx::query("UPDATE circular_version SET ack_deadline = $1 WHERE status = 'published'")
        .bind(day_in(-3))
        .execute(app.db.writer())
        .await
        .unwrap();
    let (status, body) = on_behalf(max.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (by, remark, method): (String, String, String) = sqlx::query_as(
        "SELECT b.email, k.remark, k.auth_method FROM acknowledgment k JOIN users b ON b.id = k.on_behalf_by WHERE k.user_id = $1",
    )
    .bind(max.parse::<i64>().unwrap())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (by.as_str(), remark.as_str(), method.as_str()),
        (HEAD.0, "Papierformular vom 3. März", "paper")
    );
    let employee = app.logged_in(EMPLOYEE).await;
    let (_, inbox) = app.call(&employee, "ack/inbox", &[]).await;
    assert_eq!(inbox["history"][0]["on_behalf_by"], "Petra Hoffmann");
    // The receipt names how it was given.
    let ack: i64 = app
        .scalar("SELECT id FROM acknowledgment WHERE on_behalf_by IS NOT NULL")
        .await;
    let (_, html) = app.get_html(&employee, &format!("/receipts/{ack}")).await;
    assert!(
        html.contains("Papierformular, erfasst von der Leitung"),
        "{html}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'ack.on_behalf'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_csv_export_has_german_headers_and_is_audited() {
    let app = TestApp::spawn().await;
    let head = app.logged_in(DEZERNAT_HEAD).await;
    let res = head
        .get(app.url("/dashboard/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let text = res.text().await.unwrap();
    assert!(text.starts_with("\u{feff}Einheit;Empfänger;Zur Kenntnis genommen;Offen;Überfällig;Quote %;Geräte ohne Entwarnung"));
    assert!(text.contains("Fachbereich Bürgerdienste und Ordnung;"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'tracking.export'")
            .await,
        1
    );
    assert_eq!(
        app.client()
            .get(app.url("/dashboard/export.csv"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_xlsx_export_is_a_real_workbook() {
    let app = TestApp::spawn().await;
    let head = app.logged_in(HEAD).await;
    let res = head
        .get(app.url("/dashboard/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip archive");
    assert!(bytes.len() > 1000);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'tracking.export'")
            .await,
        1
    );
}

/// City-wide totals of the dashboard for `version` (admins see the root).
async fn totals(app: &TestApp, admin: &reqwest::Client, v: &str) -> (i64, i64, i64) {
    let (status, d) = app
        .call(admin, "tracking/dashboard", &[("version", v)])
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let t = &d["total"];
    (
        t["audience"].as_i64().unwrap(),
        t["acknowledged"].as_i64().unwrap(),
        t["devices_unclean"].as_i64().unwrap(),
    )
}

/// The same numbers counted directly from the base tables (the demo ban goes to the whole city).
async fn counted(app: &TestApp, v: &str) -> (i64, i64, i64) {
    let audience = app.count("SELECT COUNT(*) FROM users WHERE active").await;
    let acknowledged = app
        .count(&format!("SELECT COUNT(DISTINCT k.user_id) FROM acknowledgment k JOIN users u ON u.id = k.user_id WHERE u.active AND k.version_id = {v}"))
        .await;
    let unclean = app
        .count(&format!(
            "SELECT COUNT(*) FROM device d JOIN users u ON u.id = d.owner_id WHERE u.active AND d.retired_at IS NULL
               AND d.id NOT IN (SELECT ad.device_id FROM acknowledgment_device ad JOIN acknowledgment k ON k.id = ad.ack_id
                                 WHERE k.version_id = {v} AND ad.attestation IN ('none_installed', 'not_used_for_work'))"
        ))
        .await;
    (audience, acknowledged, unclean)
}

/// The stored count rows of `v` that hold anything, per unit and personal deadline.
async fn stored_rows(app: &TestApp, v: &str) -> Vec<(i64, String, i64, i64, i64)> {
    sqlx::query_as(&format!(
        "SELECT unit_id, deadline, audience, acknowledged, unclean FROM rollup_count
          WHERE version_id = {v} AND (audience <> 0 OR acknowledged <> 0 OR unclean <> 0)
          ORDER BY unit_id, deadline"
    ))
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// How often the counts of `v` were rebuilt.
async fn builds(app: &TestApp, v: &str) -> i64 {
    app.count(&format!(
        "SELECT build FROM rollup_state WHERE version_id = {v}"
    ))
    .await
}

#[tokio::test]
async fn the_pre_aggregated_counts_follow_every_change_at_once_without_a_recount() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let v = app.demo_version().await.to_string();
    let before = totals(&app, &admin, &v).await;
    assert_eq!(before, counted(&app, &v).await);
    let built = builds(&app, &v).await;

    // An acknowledgment with clean statements for both of Max's devices.
    let max = app.logged_in(EMPLOYEE).await;
    let form = app
        .ack_form(&max, v.parse().unwrap(), "none_installed")
        .await;
    let (status, body) = app.call_owned(&max, "ack/acknowledge", &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after_ack = totals(&app, &admin, &v).await;
    assert_eq!(after_ack, counted(&app, &v).await);
    assert_eq!(after_ack.1, before.1 + 1);
    assert_eq!(after_ack.2, before.2 - 2);

    // A person leaves (deactivated): out of the audience at once.
    let leaver: i64 = sqlx::query_scalar(
        "SELECT id FROM users WHERE email LIKE '%.%@musterstadt.de' AND email <> $1 AND active ORDER BY id DESC LIMIT 1",
    )
    .bind(EMPLOYEE.0)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (status, body) = app
        .call(
            &admin,
            "org/set_user_active",
            &[("id", &leaver.to_string()), ("active", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after_leave = totals(&app, &admin, &v).await;
    assert_eq!(after_leave, counted(&app, &v).await);
    assert_eq!(after_leave.0, before.0 - 1);

    // A device retired by its owner no longer counts as unclean.
    let (device, owner): (i64, String) = sqlx::query_as(
        "SELECT d.id, u.email FROM device d JOIN users u ON u.id = d.owner_id
          WHERE u.active AND d.retired_at IS NULL AND u.email LIKE '%.%@musterstadt.de' AND u.email <> $1
            AND u.id NOT IN (SELECT user_id FROM acknowledgment) ORDER BY d.id LIMIT 1",
    )
    .bind(EMPLOYEE.0)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let owner_client = app.logged_in((&owner, "Mitarbeiter#2026")).await;
    let (status, body) = app
        .call(
            &owner_client,
            "devices/retire",
            &[("id", &device.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after_retire = totals(&app, &admin, &v).await;
    assert_eq!(after_retire, counted(&app, &v).await);
    assert_eq!(after_retire.2, after_leave.2 - 1);

    // A new device of someone who has not acknowledged is unclean at once; one of Max's
    // (who acknowledged) too, as his statement did not cover it.
    for client in [&owner_client, &max] {
        let form: Vec<(String, String)> = [
            ("form[label]", "Neues Diensthandy"),
            ("form[kind]", "phone"),
            ("form[ownership]", "service"),
            ("form[platform]", "android"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (status, body) = app.call_owned(client, "devices/save", &form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let after_devices = totals(&app, &admin, &v).await;
    assert_eq!(after_devices, counted(&app, &v).await);
    assert_eq!(after_devices.2, after_retire.2 + 2);

    // Max moves to another unit, and a new colleague joins there.
    let (max_id, target): (i64, i64) = sqlx::query_as(
        "SELECT u.id, (SELECT o.id FROM org_unit o WHERE o.code = 'FB50') FROM users u WHERE u.email = $1",
    )
    .bind(EMPLOYEE.0)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (name, personnel_no): (String, String) =
        sqlx::query_as("SELECT display_name, personnel_no FROM users WHERE id = $1")
            .bind(max_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    for (id, email, name, no) in [
        (
            max_id.to_string(),
            EMPLOYEE.0.to_string(),
            name,
            personnel_no,
        ),
        (
            String::new(),
            "neu.kollegin@musterstadt.de".to_string(),
            "Neu Kollegin".to_string(),
            "P-NEU-1".to_string(),
        ),
    ] {
        let (status, body) = app
            .call(
                &admin,
                "org/save_user",
                &[
                    ("form[id]", &id),
                    ("form[email]", &email),
                    ("form[display_name]", &name),
                    ("form[personnel_no]", &no),
                    ("form[org_unit_id]", &target.to_string()),
                    ("form[locale]", "de"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let after_people = totals(&app, &admin, &v).await;
    assert_eq!(after_people, counted(&app, &v).await);
    assert_eq!(after_people.0, after_devices.0 + 1);

    // Another circular is published: the demo ban's counts are not touched by it. Neither is
    // an update that sets a device's owner to the same person again.
    app.publish(circular_form("RS 2026/77")).await;
    let epoch = app.count("SELECT n FROM tracking_epoch").await;
    app.exec("UPDATE device SET owner_id = owner_id").await;
    app.exec("UPDATE org_unit SET parent_id = parent_id, path = path")
        .await;
    assert_eq!(app.count("SELECT n FROM tracking_epoch").await, epoch);

    // Every change above reached the stored counts as a delta: no recount happened, and a
    // recount from scratch yields exactly the rows the deltas produced, unit by unit.
    assert_eq!(builds(&app, &v).await, built, "no recount");
    let by_deltas = stored_rows(&app, &v).await;
    app.exec(&format!(
        "UPDATE rollup_state SET complete = FALSE WHERE version_id = {v}"
    ))
    .await;
    assert_eq!(totals(&app, &admin, &v).await, after_people);
    assert_eq!(builds(&app, &v).await, built + 1);
    assert_eq!(stored_rows(&app, &v).await, by_deltas);
}

/// The row of `version` in the publishers' list.
async fn listed(app: &TestApp, publisher: &reqwest::Client, version: i64) -> serde_json::Value {
    let (status, list) = app.call(publisher, "circulars/list", &[]).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["version_id"] == version)
        .unwrap_or_else(|| panic!("version {version} is not listed: {list}"))
        .clone()
}

#[tokio::test]
async fn the_publishers_list_shows_the_counts_of_every_published_circular() {
    let app = TestApp::spawn().await;
    let publisher = app.logged_in(PUBLISHER).await;
    let v = app.demo_version().await.to_string();
    let row = listed(&app, &publisher, v.parse().unwrap()).await;
    let (audience, acknowledged, _) = counted(&app, &v).await;
    assert_eq!(row["counts"]["audience"], audience);
    assert_eq!(row["counts"]["acknowledged"], acknowledged);
    assert_eq!(row["counts"]["open"], audience - acknowledged);
    assert_eq!(row["counting"], false);

    // A circular to a unit nobody works in (yet) counts 0, not "being counted".
    let admin = app.logged_in(ADMIN).await;
    let (status, unit) = app
        .call(
            &admin,
            "org/save_unit",
            &[
                ("form[code]", "LEER"),
                ("form[name]", "Neues Amt"),
                ("form[kind]", "amt"),
                ("form[parent_id]", &app.unit_id("FB11").await.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{unit}");
    let empty = app
        .publish(with(
            with(circular_form("RS 2026/78"), "form[whole_city]", ""),
            "form[audience_unit][]",
            &unit.to_string(),
        ))
        .await;
    let row = listed(&app, &publisher, empty).await;
    assert_eq!(row["counting"], false, "{row}");
    assert_eq!(row["counts"]["audience"], 0, "{row}");

    // A bulk import of the org (more rows than one delta each is worth) makes every
    // version's counts stale; the list recounts what fits in its time budget (in a city of
    // this size: everything) and says "being counted" for the rest, never stale numbers.
    let mut csv = String::from("code,name,kind,parent_code\n");
    for i in 0..201 {
        csv.push_str(&format!("IMP{i},Importamt {i},amt,FB11\n"));
    }
    let part = reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("units.csv");
    let res = admin
        .post(app.url("/fn/org/import"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM org_unit WHERE code LIKE 'IMP%'")
            .await,
        201
    );
    assert_eq!(
        app.count(&format!("SELECT complete AND epoch = (SELECT n FROM tracking_epoch) FROM rollup_state WHERE version_id = {v}")).await,
        0,
        "stale after the bulk import"
    );
    let row = listed(&app, &publisher, v.parse().unwrap()).await;
    assert!(
        row["counts"]["audience"] == audience
            || (row["counting"] == true && row["counts"].is_null()),
        "{row}"
    );
    app.eventually_count(
        &format!("SELECT COUNT(*) FROM rollup_state WHERE version_id = {v} AND complete AND epoch = (SELECT n FROM tracking_epoch)"),
        1,
    )
    .await;
    let row = listed(&app, &publisher, v.parse().unwrap()).await;
    assert_eq!(row["counting"], false);
    assert_eq!(row["counts"]["audience"], audience);
}
