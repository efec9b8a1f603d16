//! Authoring, the four-eyes workflow, versions and their validation, over real HTTP.
mod common;
use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn publishing_needs_a_second_publisher_and_freezes_the_text_with_its_hash() {
    let app = TestApp::spawn().await;
    let author = app.logged_in(PUBLISHER).await;
    let approver = app.logged_in(PUBLISHER2).await;
    let (status, body) = app
        .call_owned(&author, "circulars/save", &circular_form("RS 2026/90"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body.as_i64().unwrap().to_string();
    // Publishing straight from draft is not a transition.
    let (status, body) = app
        .call(
            &approver,
            "circulars/workflow",
            &[("id", &id), ("action", "publish")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "status").is_some());
    assert_eq!(
        app.call(
            &author,
            "circulars/workflow",
            &[("id", &id), ("action", "submit")]
        )
        .await
        .0,
        StatusCode::OK
    );
    // The author cannot approve their own version.
    let (status, body) = app
        .call(
            &author,
            "circulars/workflow",
            &[("id", &id), ("action", "publish")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "status")
        .unwrap()
        .contains("Vier-Augen"));
    let (status, _) = app
        .call(
            &approver,
            "circulars/workflow",
            &[("id", &id), ("action", "publish")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, view) = app.call(&approver, "circulars/get", &[("id", &id)]).await;
    let v = &view[0];
    assert_eq!(v["status"], "published");
    assert_eq!(v["content_sha256"].as_str().unwrap().len(), 64);
    assert!(v["body_html"]
        .as_str()
        .unwrap()
        .contains("<strong>beachten</strong>"));
    assert_eq!(v["approver_name"], "Claudia Neumann");
    // Published text is frozen.
    let (status, _) = app
        .call_owned(
            &author,
            "circulars/save",
            &with(circular_form("RS 2026/90"), "form[version_id]", &id),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('circular.create', 'circular.submit', 'circular.publish')").await, 3 + 3);
}

#[tokio::test]
async fn only_publishers_author_circulars() {
    let app = TestApp::spawn().await;
    for who in [EMPLOYEE, HEAD, ADMIN] {
        let c = app.logged_in(who).await;
        let (status, _) = app
            .call_owned(&c, "circulars/save", &circular_form("RS 2026/91"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", who.0);
        assert_eq!(
            app.call(&c, "circulars/list", &[]).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        app.call_owned(
            &app.client(),
            "circulars/save",
            &circular_form("RS 2026/91")
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM circular WHERE number = 'RS 2026/91'")
            .await,
        0
    );
}

#[tokio::test]
async fn bad_circular_input_gets_a_clear_message_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let author = app.logged_in(PUBLISHER).await;
    let before = app.count("SELECT COUNT(*) FROM circular_version").await;
    // (form, field with the problem, expected message)
    type Case = (Vec<(String, String)>, &'static str, &'static str);
    let cases: Vec<Case> = vec![
        (
            with(circular_form("RS 1"), "form[title]", "  "),
            "title",
            "Pflichtfeld.",
        ),
        (
            with(circular_form("RS 1"), "form[ack_deadline]", &day_in(-1)),
            "ack_deadline",
            "Die Frist liegt vor dem Veröffentlichungstag.",
        ),
        (
            with(circular_form("RS 1"), "form[effective_on]", &day_in(-3)),
            "effective_on",
            "Das Datum liegt in der Vergangenheit.",
        ),
        (
            with(circular_form("RS 1"), "form[whole_city]", ""),
            "audience",
            "Bitte mindestens eine Organisationseinheit",
        ),
        (
            with(circular_form("RS 2026/17"), "form[title]", "Doppelt"),
            "number",
            "Diese Rundschreiben-Nummer ist schon vergeben.",
        ),
        (
            with(
                circular_form("RS 1"),
                "form[apps]",
                "android; com.whatsapp; WhatsApp\nandroid; whats app; X",
            ),
            "apps",
            "Zeile 2",
        ),
        (
            with(
                circular_form("RS 1"),
                "form[body_md]",
                "Hallo <script>alert(1)</script>",
            ),
            "body_md",
            "HTML ist im Text nicht erlaubt",
        ),
        (
            with(
                circular_form("RS 1"),
                "form[body_md]",
                "[klick](javascript:alert(1))",
            ),
            "body_md",
            "Nur Links mit",
        ),
    ];
    for (form, field, message) in cases {
        let (status, body) = app.call_owned(&author, "circulars/save", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        let got =
            field_message(&body, field).unwrap_or_else(|| panic!("no message for {field}: {body}"));
        assert!(got.contains(message), "{field}: {got}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM circular_version").await,
        before
    );
}

#[tokio::test]
async fn a_publisher_scoped_to_a_unit_cannot_address_the_whole_city() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let a321 = app.unit_id("A32.1").await.to_string();
    let (status, _) = app
        .change_role(&admin, HEAD.0, "publisher", Some("A32.1"), true)
        .await;
    assert_eq!(status, StatusCode::OK);
    let scoped = app.logged_in(HEAD).await;
    let (status, body) = app
        .call_owned(&scoped, "circulars/save", &circular_form("RS 2026/92"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "audience")
        .unwrap()
        .contains("außerhalb Ihres Bereichs"));
    let own_unit = with(
        with(circular_form("RS 2026/92"), "form[whole_city]", ""),
        "form[audience_subtree][]",
        &a321,
    );
    let (status, body) = app.call_owned(&scoped, "circulars/save", &own_unit).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_live_preview_renders_exactly_like_the_published_text() {
    let app = TestApp::spawn().await;
    let author = app.logged_in(PUBLISHER).await;
    let (status, html) = app
        .call(
            &author,
            "circulars/preview",
            &[("body_md", "# Hallo\n\n* a\n* b")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.as_str().unwrap(),
        "<h1>Hallo</h1>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
    );
    let (status, body) = app
        .call(
            &author,
            "circulars/preview",
            &[("body_md", "<b onclick=x>fett</b>")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "body_md").is_some());
}

async fn attach(
    app: &TestApp,
    client: &reqwest::Client,
    version: &str,
    name: &str,
    data: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let part = reqwest::multipart::Part::bytes(data)
        .file_name(name.to_string())
        .mime_str("application/pdf")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("version_id", version.to_string())
        .part("file", part);
    let res = client
        .post(app.url("/fn/circulars/attach"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn pdf_attachments_are_checked_frozen_on_publish_and_served_to_the_audience_only() {
    let settings = app::state::Settings {
        attachment_max_bytes: 1024 * 1024,
        ..Default::default()
    };
    let app = TestApp::spawn_with(settings).await;
    let author = app.logged_in(PUBLISHER).await;
    let approver = app.logged_in(PUBLISHER2).await;
    let a201 = app.unit_id("A20.1").await.to_string();
    let form = with(
        with(circular_form("RS 2026/95"), "form[whole_city]", ""),
        "form[audience_subtree][]",
        &a201,
    );
    let (_, body) = app.call_owned(&author, "circulars/save", &form).await;
    let id = body.as_i64().unwrap().to_string();

    let (status, body) = attach(
        &app,
        &author,
        &id,
        "virus.pdf",
        b"MZ\x90\x00 not a pdf".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_message(&body, "file").unwrap(),
        "Nur PDF-Dateien sind als Anlage erlaubt."
    );
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(1024 * 1024 + 10, b'x');
    let (status, body) = attach(&app, &author, &id, "gross.pdf", big).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_message(&body, "file").unwrap(),
        "Die Datei ist größer als 1 MB."
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM circular_attachment").await,
        0
    );

    let pdf = b"%PDF-1.4\n% Dienstanweisung\n".to_vec();
    let (status, body) = attach(
        &app,
        &author,
        &id,
        "Dienstanweisung Messenger.pdf",
        pdf.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let attachment = body.as_i64().unwrap();
    assert_eq!(
        app.call(
            &author,
            "circulars/workflow",
            &[("id", &id), ("action", "submit")]
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        app.call(
            &approver,
            "circulars/workflow",
            &[("id", &id), ("action", "publish")]
        )
        .await
        .0,
        StatusCode::OK
    );
    // Frozen: no more uploads or removals.
    assert_eq!(
        attach(&app, &author, &id, "spaeter.pdf", pdf.clone())
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.call(
            &author,
            "circulars/detach",
            &[("id", &attachment.to_string())]
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Someone in the Kämmerei downloads it; Max (Bürgeramt) is not in the audience.
    let reader_email: String =
        sqlx::query_scalar("SELECT email FROM users WHERE org_unit_id = $1 ORDER BY id LIMIT 1")
            .bind(a201.parse::<i64>().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
    let reader = app.logged_in((&reader_email, EMPLOYEE.1)).await;
    let res = reader
        .get(app.url(&format!("/attachments/{attachment}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("Dienstanweisung Messenger.pdf"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);
    let max = app.logged_in(EMPLOYEE).await;
    assert_eq!(
        max.get(app.url(&format!("/attachments/{attachment}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client()
            .get(app.url(&format!("/attachments/{attachment}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_withdrawn_circular_leaves_the_inbox_and_cannot_be_acknowledged() {
    let app = TestApp::spawn().await;
    let version = app.publish(circular_form("RS 2026/96")).await;
    let max = app.logged_in(EMPLOYEE).await;
    let (_, inbox) = app.call(&max, "ack/inbox", &[]).await;
    assert!(inbox.to_string().contains("RS 2026/96"));
    let form = app.ack_form(&max, version, "none_installed").await;
    let approver = app.logged_in(PUBLISHER2).await;
    assert_eq!(
        app.call(
            &approver,
            "circulars/workflow",
            &[("id", &version.to_string()), ("action", "withdraw")]
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, inbox) = app.call(&max, "ack/inbox", &[]).await;
    assert!(!inbox.to_string().contains("RS 2026/96"));
    assert_eq!(
        app.call_owned(&max, "ack/acknowledge", &form).await.0,
        StatusCode::FORBIDDEN
    );
    // Withdrawing twice is not a transition.
    assert_eq!(
        app.call(
            &approver,
            "circulars/workflow",
            &[("id", &version.to_string()), ("action", "withdraw")]
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
