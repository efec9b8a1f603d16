//! Forms work as plain HTML forms: pages are rendered on the server (only a few islands run
//! in the browser), so a form posts to its server function, which redirects back; the
//! result of a success and, after a failure, what was typed reach the page it returns to.
mod common;
use common::compliance::{clean_phone, get_access};
use common::*;
use reqwest::StatusCode;

/// A browser's plain form post to `endpoint` from the page `page`.
async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    page: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(&format!("/fn/{endpoint}")))
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", app.url(page))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A browser's plain upload form (multipart, field `file`) posting `bytes` to `endpoint`
/// from the page `page`.
async fn upload_form(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    page: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("datei.csv");
    client
        .post(app.url(&format!("/fn/{endpoint}")))
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", app.url(page))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// The text of the element with `data-testid="{id}"` in `html`.
fn test_id_text(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!(r#"data-testid="{id}""#))?;
    let rest = &html[start..];
    let open = rest.find('>')? + 1;
    let close = rest[open..].find('<')?;
    Some(rest[open..open + close].to_owned())
}

#[tokio::test]
async fn a_form_result_is_shown_once_on_the_page_the_post_returns_to() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let res = post_form(
        &app,
        &admin,
        "tokens/create",
        "/admin/tokens",
        &[("name", "Mail-Gateway"), ("scopes[]", "access:read")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert!(
        res.headers().get("set-cookie").is_none(),
        "the session record is not written for it (another tab's newer session stays)"
    );
    let back = location(&res);
    // (Leptos leaves an empty query where it removed an earlier error.)
    assert!(
        back.trim_end_matches('?').ends_with("/admin/tokens"),
        "{back}"
    );

    // The page it returns to shows the new token's secret, and the secret works.
    let (status, html) = app.get_html(&admin, "/admin/tokens").await;
    assert_eq!(status, StatusCode::OK);
    let secret = test_id_text(&html, "token-secret").expect("the secret is shown");
    let (status, _) = get_access(&app, &secret, &clean_phone(&app).await).await;
    assert_eq!(status, StatusCode::OK, "the shown secret is the token's");

    // Once: a reload no longer shows it.
    let (_, again) = app.get_html(&admin, "/admin/tokens").await;
    assert!(test_id_text(&again, "token-secret").is_none());
    assert!(!again.contains(&secret));
}

#[tokio::test]
async fn a_failed_form_shows_what_was_typed_except_the_password() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let unit = app.unit_id("A20.1").await.to_string();
    // The e-mail address is taken.
    let res = post_form(
        &app,
        &admin,
        "org/save_user",
        "/admin/users",
        &[
            ("form[display_name]", "Erika Musterfrau-Nachtrag"),
            ("form[email]", EMPLOYEE.0),
            ("form[personnel_no]", "P-4711"),
            ("form[org_unit_id]", &unit),
            ("form[locale]", "en"),
            ("form[password]", "Erika-Start-2026-geheim"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = location(&res);
    assert!(back.contains("__err="), "{back}");
    let path = back.trim_start_matches(&app.base);
    let (status, html) = app.get_html(&admin, path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Diese E-Mail-Adresse ist schon vergeben."));
    assert!(
        html.contains(r#"value="Erika Musterfrau-Nachtrag""#),
        "the name is kept"
    );
    assert!(
        html.contains(r#"value="P-4711""#),
        "the personnel number is kept"
    );
    assert!(
        html.contains(&format!(r#"value="{unit}" selected"#)),
        "the chosen unit stays chosen"
    );
    assert!(
        !html.contains("Erika-Start-2026-geheim"),
        "a password is never kept or shown"
    );
    let stored = app
        .count("SELECT COUNT(*) FROM users WHERE display_name = 'Erika Musterfrau-Nachtrag'")
        .await;
    assert_eq!(stored, 0, "nothing was written");

    // The kept input is for the next page only.
    let (_, again) = app.get_html(&admin, "/admin/users").await;
    assert!(!again.contains("Erika Musterfrau-Nachtrag"));
}

#[tokio::test]
async fn a_signed_out_post_keeps_nothing_and_a_script_call_is_unchanged() {
    let app = TestApp::spawn().await;
    // Signed out: refused, and no session is created for the outcome.
    let anonymous = app.client();
    let res = post_form(
        &app,
        &anonymous,
        "tokens/create",
        "/admin/tokens",
        &[("name", "x"), ("scopes[]", "access:read")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_token").await, 0);
    assert!(
        res.headers().get("set-cookie").is_none(),
        "no session for a signed-out post"
    );

    // A script (no HTML accepted) gets the JSON answer as before, and no flash lingers for
    // the next page.
    let admin = app.logged_in(ADMIN).await;
    let (status, issued) = app
        .call(
            &admin,
            "tokens/create",
            &[("name", "Skript"), ("scopes[]", "access:read")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let secret = issued["secret"].as_str().unwrap().to_owned();
    let (_, html) = app.get_html(&admin, "/admin/tokens").await;
    assert!(!html.contains(&secret));
}

#[tokio::test]
async fn a_large_failed_upload_without_javascript_lists_the_first_problems_and_counts_the_rest() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    // 1,000 devices of people who do not exist: 1,000 problems.
    let mut csv = String::from("mdm_id,owner,platform\n");
    for n in 0..1000 {
        csv.push_str(&format!("UP-{n},niemand-{n}@musterstadt.de,ios\n"));
    }
    let res = upload_form(
        &app,
        &admin,
        "compliance/import_devices",
        "/compliance",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = location(&res);
    // The error travels in the URL: it must stay well below what browsers and servers take.
    assert!(back.len() < 32 * 1024, "{} bytes", back.len());
    let (status, html) = app
        .get_html(&admin, back.trim_start_matches(&app.base))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Zeile 2: owner"),
        "the first problem is listed"
    );
    assert!(html.contains("Zeile 101: owner"), "the hundredth too");
    assert!(!html.contains("Zeile 102: owner"), "the rest is counted");
    assert!(html.contains("… und 900 weitere Probleme."));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM device WHERE mdm_id LIKE 'UP-%'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_oversized_upload_without_javascript_returns_to_the_form_with_the_message() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let too_big = vec![b'x'; (app::org::MAX_UPLOAD_MB + 1) * 1024 * 1024];
    let res = upload_form(&app, &admin, "org/import", "/admin/import", too_big).await;
    // Not the raw JSON of the 413: back to the form, which names the problem.
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = location(&res);
    assert!(
        back.contains("/admin/import?") && back.contains("__err="),
        "{back}"
    );
    let (status, html) = app
        .get_html(&admin, back.trim_start_matches(&app.base))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!(
            "Die Datei ist größer als {} MB.",
            app::org::MAX_UPLOAD_MB
        )),
        "the page names the limit"
    );
}

#[tokio::test]
async fn signing_in_over_another_persons_session_inherits_nothing_of_it() {
    let app = TestApp::spawn().await;
    // Someone starts setting up a second factor and walks away from the browser.
    let browser = app.logged_in(EMPLOYEE).await;
    let (status, _) = app.call(&browser, "auth/second_factor_begin", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, before) = app.call(&browser, "auth/second_factor", &[]).await;
    assert!(!before["pending"].is_null(), "{before}");
    // The next person signs in in the same browser.
    let res = app.sign_in(&browser, HEAD).await;
    assert_eq!(location(&res), "/");
    let (status, after) = app.call(&browser, "auth/second_factor", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        after["pending"].is_null(),
        "the earlier person's setup secret is gone: {after}"
    );
}

#[tokio::test]
async fn a_large_failed_org_import_lists_the_first_problems_and_counts_the_rest() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    // 150 units under a parent that does not exist: 150 problems.
    let mut csv = String::from("code,name,kind,parent_code\n");
    for n in 0..150 {
        csv.push_str(&format!("X{n},Amt {n},amt,GIBTESNICHT\n"));
    }
    let res = upload_form(
        &app,
        &admin,
        "org/import",
        "/admin/import",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let (status, html) = app.get_html(&admin, "/admin/import").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("… und 50 weitere Probleme."), "{html}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM org_unit WHERE code LIKE 'X%'")
            .await,
        0
    );
}
