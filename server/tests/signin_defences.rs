//! Sign-in defences from issue #10 over real HTTP: redirects that stay on this origin,
//! throttling per account and client, bounded password work, sessions that end with a
//! password change, security headers, body limits and the API's token-first check.
mod common;
use app::state::Settings;
use common::*;
use reqwest::StatusCode;

async fn login_with_next(app: &TestApp, next: &str) -> String {
    let res = app
        .client()
        .post(app.url("/auth/login"))
        .form(&[
            ("email", EMPLOYEE.0),
            ("password", EMPLOYEE.1),
            ("next", next),
        ])
        .send()
        .await
        .unwrap();
    location(&res)
}

/// The same for an account with a second factor: `next` is kept through the second step.
async fn two_step_login_with_next(app: &TestApp, next: &str) -> String {
    let c = app.client();
    let res = c
        .post(app.url("/auth/login"))
        .form(&[("email", ADMIN.0), ("password", ADMIN.1), ("next", next)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), SECOND_STEP);
    let code = app.totp_code(ADMIN.0).await;
    location(&app.second_factor(&c, &code).await)
}

#[tokio::test]
async fn next_after_sign_in_never_leaves_the_site_whatever_browsers_strip() {
    let app = TestApp::spawn().await;
    assert_eq!(login_with_next(&app, "/devices").await, "/devices");
    assert_eq!(
        two_step_login_with_next(&app, "/admin/users").await,
        "/admin/users"
    );
    assert_eq!(
        two_step_login_with_next(&app, "/\t/evil.example").await,
        "/"
    );
    for evil in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "//evil.example",
        "/%2F/evil.example",
        "https://evil.example/",
    ] {
        assert_eq!(login_with_next(&app, evil).await, "/", "{evil:?}");
    }
    // A signed-in user opening the sign-in page with a bad target stays here too.
    let admin = app.logged_in(ADMIN).await;
    let res = app.page(&admin, "/login?next=/%09/evil.example").await;
    let target = location(&res);
    assert!(
        target == "/" || target.is_empty(),
        "redirected to {target:?}"
    );
    let (_, html) = app.get_html(&admin, "/login?next=/%09/evil.example").await;
    assert!(!html.contains("evil.example\""), "{html}");
}

#[tokio::test]
async fn repeated_failures_throttle_the_account_with_a_clear_429_but_not_other_accounts() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let mut statuses = vec![];
    for _ in 0..8 {
        let res = app.login(&c, (EMPLOYEE.0, "falsch-falsch-falsch")).await;
        statuses.push(res.status());
    }
    // Five free failures, the sixth locks: from the seventh on the answer is 429.
    assert!(
        statuses[..6].iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
    assert!(
        statuses[6..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Even the right password waits, told in German when to retry.
    let res = app.login(&c, EMPLOYEE).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Zu viele fehlgeschlagene Anmeldeversuche"),
        "{html}"
    );
    assert!(html.contains(&format!("{retry} Sekunden")));
    // In English for an English browser.
    let res = c
        .post(app.url("/auth/login"))
        .header("accept-language", "en")
        .form(&[("email", EMPLOYEE.0), ("password", EMPLOYEE.1)])
        .send()
        .await
        .unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Too many failed sign-in attempts"));
    // Another account from the same client signs in.
    assert_eq!(location(&app.sign_in(&c, ADMIN).await), "/");
    // When the lock has run out, the owner signs in and the counter is cleared.
    sqlx::query("UPDATE login_throttle SET locked_until = 0 WHERE key = $1")
        .bind(format!("account:{}", EMPLOYEE.0))
        .execute(app.db.writer())
        .await
        .unwrap();
    assert_eq!(location(&app.login(&app.client(), EMPLOYEE).await), "/");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM login_throttle WHERE key LIKE 'account:%'")
            .await,
        0
    );
}

#[tokio::test]
async fn one_client_trying_many_accounts_is_throttled_by_its_address() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let mut last = StatusCode::OK;
    for i in 0..32 {
        let res = app
            .login(&c, (&format!("niemand{i}@musterstadt.de"), "falsch-falsch"))
            .await;
        last = res.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // A client-chosen X-Forwarded-For does not get around it (no trusted proxy configured).
    let res = c
        .post(app.url("/auth/login"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[("email", ADMIN.0), ("password", ADMIN.1)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_flood_of_sign_ins_is_refused_fast_instead_of_queueing() {
    let app = TestApp::spawn().await;
    // 60 attempts at once for 60 different accounts (no throttle applies to any of them).
    let attempts = (0..60).map(|i| {
        let app_url = app.url("/auth/login");
        let origin = app.base.clone();
        async move {
            let res = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(app_url)
                .header("origin", origin)
                .form(&[
                    ("email", format!("flut{i}@musterstadt.de")),
                    ("password", "falsch-falsch".into()),
                ])
                .send()
                .await
                .unwrap();
            (res.status(), res.headers().get("retry-after").cloned())
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let busy: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "{results:?}");
    assert!(busy.iter().all(|(_, retry)| retry.is_some()));
    // The server still answers everything else, and a real user signs in afterwards.
    assert_eq!(location(&app.login(&app.client(), EMPLOYEE).await), "/");
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_and_keeps_this_one_under_a_new_id() {
    let app = TestApp::spawn().await;
    let here = app.logged_in(EMPLOYEE).await;
    let elsewhere = app.logged_in(EMPLOYEE).await;
    let new_password = "Sonnenblumen-Wiese-1987!";
    let (status, body) = app
        .call(
            &here,
            "auth/change_password",
            &[
                ("form[current_password]", EMPLOYEE.1),
                ("form[new_password]", new_password),
                ("form[confirm_password]", new_password),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.call(&elsewhere, "devices/mine", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.call(&here, "devices/mine", &[]).await.0, StatusCode::OK);
    // An admin reset ends the remaining one too.
    let admin = app.logged_in(ADMIN).await;
    let max = app.user_id(EMPLOYEE.0).await.to_string();
    let (status, body) = app
        .call(
            &admin,
            "org/set_user_password",
            &[
                ("id", &max),
                ("new_password", "Ein-ganz-anderes-Passwort-42"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.call(&here, "devices/mine", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(&admin, "devices/mine", &[]).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_a_csp_naming_their_scripts_nonce() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let res = app.page(&c, "/login").await;
    let h = res.headers().clone();
    let html = res.text().await.unwrap();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["x-frame-options"], "DENY");
    let csp = h["content-security-policy"].to_str().unwrap().to_owned();
    for part in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "img-src 'self'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .expect("a nonce in the CSP");
    assert!(nonce.len() >= 16);
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    // Another response gets another nonce.
    let again = app.page(&c, "/login").await;
    assert!(!again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains(nonce));
    // Signed-in pages and personal answers are never stored by caches; no HSTS over http.
    let admin = app.logged_in(ADMIN).await;
    let res = app.page(&admin, "/devices").await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers().get("strict-transport-security").is_none());
    let res = admin
        .post(app.url("/fn/devices/mine"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn hsts_is_sent_when_the_portal_is_served_over_https() {
    let app = TestApp::spawn_with(Settings {
        cookie_secure: true,
        ..Settings::default()
    })
    .await;
    let res = app.page(&app.client(), "/login").await;
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
}

#[tokio::test]
async fn uploads_follow_their_configured_maximum_with_a_clear_message() {
    let app = TestApp::spawn_with(Settings {
        attachment_max_bytes: 12 * 1024 * 1024,
        ..Settings::default()
    })
    .await;
    let author = app.logged_in(PUBLISHER).await;
    let (_, body) = app
        .call_owned(&author, "circulars/save", &circular_form("RS 2026/70"))
        .await;
    let version = body.as_i64().unwrap().to_string();
    let upload = |size: usize| {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.resize(size, b' ');
        reqwest::multipart::Form::new()
            .text("version_id", version.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(pdf)
                    .file_name("gross.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            )
    };
    // 8 MB: more than the old fixed 6 MB limit, within ATTACHMENT_MAX_MB = 12.
    let res = author
        .post(app.url("/fn/circulars/attach"))
        .multipart(upload(8 * 1024 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    // 13 MB: refused with the limit named, in German.
    let res = author
        .post(app.url("/fn/circulars/attach"))
        .multipart(upload(13 * 1024 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        field_message(&body, "file").unwrap().contains("12"),
        "{body}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM circular_attachment WHERE version_id = {version}"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn the_api_checks_the_token_before_reading_the_body() {
    let app = TestApp::spawn().await;
    // 5 MB, far above the report limit of 1 MB: without a valid token the answer is 401,
    // so the body was never read.
    let body = vec![b' '; 5 * 1024 * 1024];
    for auth in [None, Some("Bearer rs_unbekannt")] {
        let mut req = reqwest::Client::new()
            .post(app.url("/api/v1/inventory"))
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(json["error"], "unauthorized");
    }
}

#[tokio::test]
async fn the_accessibility_statement_is_public_and_linked_from_every_page() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let (status, html) = app.get_html(&c, "/barrierefreiheit").await;
    assert_eq!(status, StatusCode::OK);
    for part in [
        "Erklärung zur Barrierefreiheit",
        "teilweise vereinbar",
        "Nicht barrierefreie Inhalte",
        "Feedback und Kontakt",
        "Schlichtungs",
        app::accessibility::REVIEWED_ON,
    ] {
        assert!(html.contains(part), "{part}");
    }
    let res = c
        .get(app.url("/barrierefreiheit"))
        .header("accept-language", "en")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Accessibility statement"));
    for path in ["/login", "/privacy"] {
        let (_, html) = app.get_html(&c, path).await;
        assert!(html.contains(r#"href="/barrierefreiheit""#), "{path}");
    }
}

#[tokio::test]
async fn guessing_the_current_password_on_the_profile_is_throttled_like_sign_in() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(EMPLOYEE).await;
    let attempt = |current: &'static str| {
        let (app, c) = (&app, &c);
        async move {
            app.call(
                c,
                "auth/change_password",
                &[
                    ("form[current_password]", current),
                    ("form[new_password]", "Sonnenblumen-Wiese-1987!"),
                    ("form[confirm_password]", "Sonnenblumen-Wiese-1987!"),
                ],
            )
            .await
        }
    };
    for _ in 0..6 {
        let (status, body) = attempt("geraten-geraten").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            field_message(&body, "current_password").unwrap(),
            "Das aktuelle Passwort ist falsch."
        );
    }
    // Locked now: even the right password is not checked.
    let (status, body) = attempt(EMPLOYEE.1).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "current_password")
        .unwrap()
        .contains("Zu viele fehlgeschlagene"));
    // Nothing changed: the old password still signs in once the lock is lifted.
    app.exec("UPDATE login_throttle SET locked_until = 0").await;
    assert_eq!(location(&app.login(&app.client(), EMPLOYEE).await), "/");
}

#[tokio::test]
async fn the_api_is_rate_limited_per_token_and_for_guessed_tokens() {
    use app::tokens::ratelimit::{ApiRates, Rate};
    let slow = Rate {
        per_second: 0.01,
        burst: 5.0,
    };
    let app = TestApp::spawn_with(Settings {
        api_rates: ApiRates {
            per_token: slow,
            per_ip: Rate::per_second(100_000),
            unauthenticated_per_ip: slow,
        },
        ..Settings::default()
    })
    .await;
    let client = reqwest::Client::new();
    let get = |token: String| {
        let req = client
            .get(app.url("/api/v1/devices/MDM-00001/access"))
            .bearer_auth(token);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, body)
        }
    };
    // Guessing: five wrong tokens are answered 401, then the address is cut off.
    for i in 0..5 {
        assert_eq!(
            get(format!("rs_falsch{i}")).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, body) = get("rs_falsch9".into()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"], "rate_limited");
    // A valid token has its own budget, and past it gets 429 too.
    let token = api_token(&app.db, &[app::tokens::Scope::AccessRead]).await;
    for _ in 0..5 {
        assert_eq!(get(token.clone()).await.0, StatusCode::OK);
    }
    let (status, body) = get(token).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[tokio::test]
async fn people_see_their_sessions_and_end_them_and_admins_end_all_of_a_persons() {
    let app = TestApp::spawn().await;
    let here = app.logged_in(EMPLOYEE).await;
    let laptop = app.client();
    let res = laptop
        .post(app.url("/auth/login"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        )
        .form(&[("email", EMPLOYEE.0), ("password", EMPLOYEE.1)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/");
    let (status, list) = app.call(&here, "auth/sessions", &[]).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    let other = list.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["browser"], "Firefox");
    assert_eq!(other["system"], "Linux");
    // Nobody else can end it, and the current session cannot be ended this way.
    let admin = app.logged_in(ADMIN).await;
    let other_id = other["id"].as_str().unwrap();
    assert_eq!(
        app.call(&admin, "auth/end_session", &[("id", other_id)])
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let current_id = list.iter().find(|s| s["current"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.call(&here, "auth/end_session", &[("id", &current_id)])
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(&laptop, "devices/mine", &[]).await.0,
        StatusCode::OK
    );
    // The owner ends the laptop's session: it is signed out at once.
    let (status, _) = app
        .call(&here, "auth/end_session", &[("id", other_id)])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.call(&laptop, "devices/mine", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.call(&here, "devices/mine", &[]).await.0, StatusCode::OK);
    // Signing out removes the session from the list.
    let kiosk = app.logged_in(EMPLOYEE).await;
    let (_, list) = app.call(&here, "auth/sessions", &[]).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    kiosk.post(app.url("/auth/logout")).send().await.unwrap();
    let (_, list) = app.call(&here, "auth/sessions", &[]).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    // "End all other sessions" leaves the current one.
    let phone = app.logged_in(EMPLOYEE).await;
    let (status, n) = app.call(&here, "auth/end_other_sessions", &[]).await;
    assert_eq!((status, n.as_i64()), (StatusCode::OK, Some(1)));
    assert_eq!(
        app.call(&phone, "devices/mine", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Only admins end all sessions of someone else; then every one of them is gone.
    let max = app.user_id(EMPLOYEE.0).await.to_string();
    assert_eq!(
        app.call(&here, "org/end_user_sessions", &[("id", &max)])
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = app
        .call(&admin, "org/end_user_sessions", &[("id", &max)])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.call(&here, "devices/mine", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.sessions_ended'")
            .await,
        1
    );
    assert_eq!(
        app.call(&admin, "org/end_user_sessions", &[("id", "999999")])
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}
