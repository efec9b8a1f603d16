//! Org units, users, roles and the CSV import over real HTTP, as an admin would use them.
mod common;
use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn only_admins_may_call_the_org_functions() {
    let app = TestApp::spawn().await;
    let anon = app.client();
    let head = app.logged_in(HEAD).await;
    for endpoint in ["org/list_units", "org/search_users"] {
        let form: &[(&str, &str)] = if endpoint == "org/search_users" {
            &[("q", ""), ("page", "1")]
        } else {
            &[]
        };
        assert_eq!(
            app.call(&anon, endpoint, form).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.call(&head, endpoint, form).await.0,
            StatusCode::FORBIDDEN
        );
    }
    let (status, _) = app
        .call(
            &head,
            "org/save_unit",
            &[
                ("form[code]", "X1"),
                ("form[name]", "X"),
                ("form[kind]", "amt"),
                ("form[parent_id]", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.change_role(&head, HEAD.0, "admin", None, true).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM user_role r JOIN users u ON u.id = r.user_id WHERE u.email = 'buergeramt@musterstadt.de' AND r.role = 'admin'").await, 0);
}

#[tokio::test]
async fn an_admin_creates_edits_and_moves_units_with_their_subtree() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let fb32 = app.unit_id("FB32").await.to_string();
    let (status, body) = app
        .call(
            &admin,
            "org/save_unit",
            &[
                ("form[code]", "A32.9"),
                ("form[name]", "Amt für Fundsachen"),
                ("form[kind]", "amt"),
                ("form[parent_id]", &fb32),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body.as_i64().unwrap();
    let path: String = sqlx::query_scalar("SELECT path FROM org_unit WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(path.ends_with(&format!("/{fb32}/{id}/")));

    // Move Fachbereich 32 (with its Ämter) from Dezernat II to Dezernat III.
    let d3 = app.unit_id("D3").await.to_string();
    let (status, _) = app
        .call(
            &admin,
            "org/save_unit",
            &[
                ("form[id]", &fb32),
                ("form[code]", "FB32"),
                ("form[name]", "Fachbereich Bürgerdienste und Ordnung"),
                ("form[kind]", "fachbereich"),
                ("form[parent_id]", &d3),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let moved: String = sqlx::query_scalar("SELECT path FROM org_unit WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(moved.contains(&format!("/{d3}/{fb32}/{id}/")), "{moved}");
    let d3_path: String = app
        .scalar("SELECT path FROM org_unit WHERE code = 'D3'")
        .await;
    let in_d3 = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM org_unit WHERE path >= $1 AND path < $2",
    )
    .bind(&d3_path)
    .bind(format!("{}0", d3_path.trim_end_matches('/')))
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        in_d3,
        1 + 3 + 8 + 1 + 4,
        "D3 + 3 FB + their 8 units + FB32 + its 4 Ämter"
    );
}

#[tokio::test]
async fn bad_unit_input_gets_a_message_per_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let before = app.count("SELECT COUNT(*) FROM org_unit").await;
    let (status, body) = app
        .call(
            &admin,
            "org/save_unit",
            &[
                ("form[code]", ""),
                ("form[name]", &"x".repeat(200)),
                ("form[kind]", "burg"),
                ("form[parent_id]", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_message(&body, "code").unwrap(), "Pflichtfeld.");
    assert_eq!(
        field_message(&body, "name").unwrap(),
        "Höchstens 120 Zeichen."
    );
    assert!(field_message(&body, "kind").is_some());
    // Duplicate code.
    let root = app.unit_id("STADT").await.to_string();
    let (status, body) = app
        .call(
            &admin,
            "org/save_unit",
            &[
                ("form[code]", "FB11"),
                ("form[name]", "Doppelt"),
                ("form[kind]", "fachbereich"),
                ("form[parent_id]", &root),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_message(&body, "code").unwrap(),
        "Dieses Kürzel ist schon vergeben."
    );
    // A unit moved under its own descendant.
    let d2 = app.unit_id("D2").await.to_string();
    let a321 = app.unit_id("A32.1").await.to_string();
    let old_path: String = app
        .scalar("SELECT path FROM org_unit WHERE code = 'D2'")
        .await;
    let (status, body) = app
        .call(
            &admin,
            "org/save_unit",
            &[
                ("form[id]", &d2),
                ("form[code]", "D2"),
                ("form[name]", "Dezernat II"),
                ("form[kind]", "dezernat"),
                ("form[parent_id]", &a321),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "parent_id")
        .unwrap()
        .contains("unter sich selbst"));
    let path_after: String = app
        .scalar("SELECT path FROM org_unit WHERE code = 'D2'")
        .await;
    assert_eq!(path_after, old_path);
    assert_eq!(app.count("SELECT COUNT(*) FROM org_unit").await, before);
    // A unit with active members cannot be deactivated.
    let (status, body) = app
        .call(
            &admin,
            "org/set_unit_active",
            &[("id", &a321), ("active", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "active").is_some());
}

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_sign_in_and_duplicates_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let unit = app.unit_id("A32.2").await.to_string();
    let form = |email: &'static str, pno: &'static str| {
        vec![
            ("form[display_name]", "Erika Musterfrau"),
            ("form[email]", email),
            ("form[personnel_no]", pno),
            (
                "form[org_unit_id]",
                Box::leak(unit.clone().into_boxed_str()) as &str,
            ),
            ("form[locale]", "en"),
            ("form[password]", "Erika-Start-2026"),
        ]
    };
    let (status, body) = app
        .call(
            &admin,
            "org/save_user",
            &form("Erika.Musterfrau@Musterstadt.de", "P-77"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        location(
            &app.login(
                &app.client(),
                ("erika.musterfrau@musterstadt.de", "Erika-Start-2026")
            )
            .await
        ),
        "/"
    );
    let roles = app.count("SELECT COUNT(*) FROM user_role r JOIN users u ON u.id = r.user_id WHERE u.email = 'erika.musterfrau@musterstadt.de' AND r.role = 'employee'").await;
    assert_eq!(roles, 1);

    let before = app.count("SELECT COUNT(*) FROM users").await;
    let (status, body) = app
        .call(
            &admin,
            "org/save_user",
            &form("erika.musterfrau@musterstadt.de", "P-78"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_message(&body, "email").unwrap(),
        "Diese E-Mail-Adresse ist schon vergeben."
    );
    let (status, body) = app
        .call(
            &admin,
            "org/save_user",
            &form("erika2@musterstadt.de", "P-77"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "personnel_no").is_some());
    let (status, body) = app
        .call(
            &admin,
            "org/save_user",
            &[
                ("form[display_name]", ""),
                ("form[email]", "kein-at"),
                ("form[org_unit_id]", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["display_name", "email", "org_unit_id"] {
        assert!(field_message(&body, f).is_some(), "{f}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, before);
}

#[tokio::test]
async fn roles_are_granted_with_scopes_and_head_roles_need_one() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let uid = app.user_id(EMPLOYEE.0).await.to_string();
    let (status, body) = app
        .change_role(&admin, EMPLOYEE.0, "head", None, true)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "scope_unit_id").is_some());
    let (status, _) = app
        .change_role(&admin, EMPLOYEE.0, "head", Some("A32.1"), true)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, detail) = app.call(&admin, "org/get_user", &[("id", &uid)]).await;
    let roles: Vec<&str> = detail["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["employee", "head"]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.role_grant'")
            .await,
        1
    );
    let (status, _) = app
        .change_role(&admin, EMPLOYEE.0, "head", Some("A32.1"), false)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.role_revoke'")
            .await,
        1
    );
    // An admin cannot lock themselves out by deactivating their own account.
    let me = app.user_id(ADMIN.0).await.to_string();
    let (status, _) = app
        .call(
            &admin,
            "org/set_user_active",
            &[("id", &me), ("active", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    csv: &str,
) -> (StatusCode, serde_json::Value) {
    let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
        .file_name("org.csv")
        .mime_str("text/csv")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let res = client
        .post(app.url("/fn/org/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn a_csv_with_bad_rows_imports_nothing_and_names_each_bad_line() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let units_before = app.count("SELECT COUNT(*) FROM org_unit").await;
    let csv = "code,name,kind,parent_code\nA99.1,Neues Amt,amt,FB11\nA99.2,,amt,FB11\nA99.3,Amt drei,amt,GIBTESNICHT\nA99.4,Zu wenig Spalten\n";
    let (status, body) = upload(&app, &admin, csv).await;
    assert_eq!(status, StatusCode::OK);
    let errors = body["Rejected"].as_array().expect("rejected");
    let lines: Vec<i64> = errors.iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![3, 5], "row-level problems first: {body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM org_unit").await,
        units_before
    );

    // With the parse errors fixed, the unknown parent (checked against the database) is reported.
    let csv =
        "code,name,kind,parent_code\nA99.1,Neues Amt,amt,FB11\nA99.3,Amt drei,amt,GIBTESNICHT\n";
    let (_, body) = upload(&app, &admin, csv).await;
    assert_eq!(body["Rejected"][0]["line"], 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM org_unit").await,
        units_before
    );

    let csv = "code,name,kind,parent_code\nA99.2,Unteramt,amt,FB99\nFB99,Neuer Fachbereich,fachbereich,D1\n";
    let (_, body) = upload(&app, &admin, csv).await;
    assert_eq!(body["Imported"]["created"], 2, "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM org_unit").await,
        units_before + 2
    );
}

#[tokio::test]
async fn users_are_imported_with_roles_and_duplicates_in_the_file_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let csv = "email,display_name,personnel_no,unit_code,locale,roles\n\
               neu.eins@musterstadt.de,Neu Eins,N-1,A20.1,de,employee;head@A20.1\n\
               neu.zwei@musterstadt.de,Neu Zwei,N-1,A20.1,en,\n\
               neu.drei@musterstadt.de,Neu Drei,N-3,A20.1,fr,king\n";
    let (_, body) = upload(&app, &admin, csv).await;
    let errors = body["Rejected"].as_array().expect("rejected");
    let lines: Vec<i64> = errors.iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![3, 4, 4]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email LIKE 'neu.%'")
            .await,
        0
    );

    let csv = "email,display_name,personnel_no,unit_code,locale,roles\n\
               neu.eins@musterstadt.de,Neu Eins,N-1,A20.1,de,employee;head@A20.1\n\
               max.mustermann@musterstadt.de,Max Mustermann,P10008,A20.2,de,\n";
    let (_, body) = upload(&app, &admin, csv).await;
    assert_eq!(body["Imported"]["created"], 1, "{body}");
    assert_eq!(body["Imported"]["updated"], 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM user_role r JOIN users u ON u.id = r.user_id WHERE u.email = 'neu.eins@musterstadt.de' AND r.role = 'head'").await, 1);
    let unit: String = app.scalar("SELECT o.code FROM users u JOIN org_unit o ON o.id = u.org_unit_id WHERE u.email = 'max.mustermann@musterstadt.de'").await;
    assert_eq!(unit, "A20.2");
}

#[tokio::test]
async fn an_oversized_upload_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let before = app.count("SELECT COUNT(*) FROM org_unit").await;
    let mut csv = String::from("code,name,kind,parent_code\n");
    let mut i = 0;
    while csv.len() < 5 * 1024 * 1024 + 10 {
        csv.push_str(&format!(
            "X{i},Amt Nummer {i} mit einem recht langen Namen zum Auffüllen,amt,FB11\n"
        ));
        i += 1;
    }
    let (status, body) = upload(&app, &admin, &csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        field_message(&body, "file").unwrap(),
        "Die Datei ist größer als 5 MB."
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM org_unit").await, before);
}

#[tokio::test]
async fn the_user_search_finds_a_capital_umlaut_as_typed() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    app.exec("UPDATE users SET display_name = 'Özlem Özdemir' WHERE email = 'max.mustermann@musterstadt.de'")
        .await;
    for q in ["Özdemir", "zdemir", "özlem özdemir"] {
        let (status, page) = app
            .call(&admin, "org/search_users", &[("q", q), ("page", "1")])
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let found = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["display_name"] == "Özlem Özdemir");
        // SQLite folds ASCII only: the lower-case umlaut does not find the capital one.
        assert_eq!(found, q != "özlem özdemir", "{q}: {page}");
    }
}

#[tokio::test]
async fn without_a_search_the_user_list_pages_through_everybody_by_name() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let everybody = app.count("SELECT COUNT(*) FROM users").await;
    let mut names = vec![];
    for page in 1.. {
        let (status, body) = app
            .call(
                &admin,
                "org/search_users",
                &[("q", "  "), ("page", &page.to_string())],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"], everybody);
        let items = body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        names.extend(
            items
                .iter()
                .map(|u| u["display_name"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(names.len() as i64, everybody);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "ordered by name");
}
