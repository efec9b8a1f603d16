//! Sign-in, sessions, CSRF and language over real HTTP.
mod common;
use app::state::Settings;
use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let res = c.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = c.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn wrong_password_unknown_user_and_empty_fields_are_refused_without_the_email_in_the_url() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let res = app
        .login(&c, ("admin@musterstadt.de", "falsch-falsch"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?error=invalid");
    let res = app
        .login(&c, ("niemand@musterstadt.de", "irgendwas-123"))
        .await;
    assert_eq!(location(&res), "/login?error=invalid");
    let res = app.login(&c, ("", "")).await;
    assert!(location(&res).starts_with("/login?error=missing"));
    // The page shows the message in German; an address planted in the URL is not echoed.
    let (_, html) = app
        .get_html(&c, "/login?error=invalid&email=admin%40musterstadt.de")
        .await;
    assert!(html.contains("E-Mail-Adresse oder Passwort ist falsch"));
    assert!(!html.contains("admin@musterstadt.de"));
    // Still not signed in.
    let (status, _) = app.call(&c, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_in_issues_a_new_session_id_and_signing_out_destroys_it_on_the_server() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let res = app.sign_in(&c, ADMIN).await;
    assert_eq!(location(&res), "/");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("rs_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "no Secure flag over plain http");
    let session_value = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(app.count("SELECT COUNT(*) FROM tower_sessions").await, 1);

    let (status, units) = app.call(&c, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(units.as_array().unwrap().len() >= 30);

    let res = c.post(app.url("/auth/logout")).send().await.unwrap();
    assert_eq!(location(&res), "/login?notice=signed_out");
    assert_eq!(app.count("SELECT COUNT(*) FROM tower_sessions").await, 0);

    // Replaying the old cookie from another client gets nowhere.
    let thief = reqwest::Client::new();
    let res = thief
        .post(app.url("/fn/org/list_units"))
        .header("cookie", &session_value)
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // A second sign-in gets a different session id.
    let res = app.sign_in(&c, ADMIN).await;
    let cookie2 = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(cookie2, session_value);
}

#[tokio::test]
async fn sessions_survive_a_server_restart() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(ADMIN).await;
    let app = app.restart().await;
    // Same client, new server process (cookies are per host, not per port; the Origin must
    // name the new port).
    let res = c
        .post(app.url("/fn/org/list_units"))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let settings = Settings {
        session_idle: chrono::Duration::seconds(1),
        ..Settings::default()
    };
    let app = TestApp::spawn_with(settings).await;
    let c = app.logged_in(ADMIN).await;
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let (status, _) = app.call(&c, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_active_session_outlives_the_idle_timeout() {
    let settings = Settings {
        session_idle: chrono::Duration::seconds(2),
        ..Settings::default()
    };
    let app = TestApp::spawn_with(settings).await;
    let c = app.logged_in(ADMIN).await;
    // Used every 400 ms for 5 s, well past the idle timeout: the person stays signed in.
    for _ in 0..12 {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let (status, _) = app.call(&c, "org/list_units", &[]).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_session_ends_after_its_absolute_lifetime_however_active() {
    let settings = Settings {
        session_absolute: chrono::Duration::seconds(2),
        ..Settings::default()
    };
    let app = TestApp::spawn_with(settings).await;
    let c = app.logged_in(ADMIN).await;
    for _ in 0..3 {
        let (status, _) = app.call(&c, "org/list_units", &[]).await;
        assert_eq!(status, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (status, _) = app.call(&c, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_with_a_valid_session() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(ADMIN).await;
    let res = c
        .post(app.url("/fn/org/save_unit"))
        .header("origin", "https://evil.example")
        .form(&[
            ("form[code]", "EVIL"),
            ("form[name]", "Evil"),
            ("form[kind]", "amt"),
            ("form[parent_id]", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .post(app.url("/auth/logout"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM org_unit WHERE code = 'EVIL'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_deactivated_user_cannot_sign_in_and_loses_a_running_session() {
    let app = TestApp::spawn().await;
    let employee = app.logged_in(EMPLOYEE).await;
    let admin = app.logged_in(ADMIN).await;
    let id = app.user_id(EMPLOYEE.0).await.to_string();
    let (status, _) = app
        .call(
            &admin,
            "org/set_user_active",
            &[("id", &id), ("active", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = app.get_html(&employee, "/profile").await;
    assert!(!html.contains("Max Mustermann"), "running session must end");
    let res = app.login(&app.client(), EMPLOYEE).await;
    assert!(location(&res).starts_with("/login?error=invalid"));
}

#[tokio::test]
async fn users_change_their_own_password_only_with_the_current_one() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(EMPLOYEE).await;
    let (status, body) = app
        .call(
            &c,
            "auth/change_password",
            &[
                ("form[current_password]", "falsch"),
                ("form[new_password]", "ganz-neu-2026"),
                ("form[confirm_password]", "ganz-neu-2026"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_message(&body, "current_password").unwrap(),
        "Das aktuelle Passwort ist falsch."
    );
    let (status, body) = app
        .call(
            &c,
            "auth/change_password",
            &[
                ("form[current_password]", EMPLOYEE.1),
                ("form[new_password]", "kurz"),
                ("form[confirm_password]", "kurz"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "new_password").is_some());
    let (status, _) = app
        .call(
            &c,
            "auth/change_password",
            &[
                ("form[current_password]", EMPLOYEE.1),
                ("form[new_password]", "ganz-neu-2026"),
                ("form[confirm_password]", "ganz-neu-2026"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(location(&app.login(&app.client(), EMPLOYEE).await).starts_with("/login?error"));
    assert_eq!(
        location(
            &app.login(&app.client(), (EMPLOYEE.0, "ganz-neu-2026"))
                .await
        ),
        "/"
    );
}

#[tokio::test]
async fn german_is_the_default_and_english_is_selectable_per_request_and_per_user() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let (_, html) = app.get_html(&c, "/login").await;
    assert!(html.contains(r#"<html lang="de""#));
    assert!(html.contains("Anmelden"));
    // Browser preference.
    let res = c
        .get(app.url("/login"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Sign in with your work email address."));
    // The switch sets a cookie and returns to the page.
    let res = c
        .post(app.url("/lang"))
        .header("referer", app.url("/login"))
        .form(&[("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login");
    let (_, html) = app.get_html(&c, "/login").await;
    assert!(html.contains(r#"<html lang="en""#));
    // Signed in, the switch is stored on the account (for mails) and follows the user.
    let admin = app.logged_in(ADMIN).await;
    admin
        .post(app.url("/lang"))
        .form(&[("lang", "en")])
        .send()
        .await
        .unwrap();
    let saved: String = sqlx::query_scalar("SELECT locale FROM users WHERE email = $1")
        .bind(ADMIN.0)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(saved, "en");
    let fresh = app.logged_in(ADMIN).await;
    let (_, html) = app.get_html(&fresh, "/").await;
    assert!(html.contains(r#"<html lang="en""#));
}

#[tokio::test]
async fn pages_need_sign_in_and_admin_pages_need_the_admin_role() {
    let app = TestApp::spawn().await;
    let anon = app.client();
    let res = app.page(&anon, "/admin/users").await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/login?next=/admin/users");
    let employee = app.logged_in(EMPLOYEE).await;
    let (status, html) = app.get_html(&employee, "/admin/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!html.contains("admin@musterstadt.de"));
    // Navigation follows the roles.
    let (_, html) = app.get_html(&employee, "/").await;
    assert!(html.contains("Mein Profil") && !html.contains(r#"href="/admin/users""#));
    let admin = app.logged_in(ADMIN).await;
    let (_, html) = app.get_html(&admin, "/").await;
    assert!(html.contains(r#"href="/admin/users""#));
    let (status, html) = app.get_html(&admin, "/admin/users?q=mustermann").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("max.mustermann@musterstadt.de"),
        "server-rendered list works without JS"
    );
}

#[tokio::test]
async fn an_unknown_email_costs_about_as_much_time_as_a_wrong_password() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let time = |email: &'static str| {
        let (app, c) = (&app, &c);
        async move {
            let start = std::time::Instant::now();
            for _ in 0..3 {
                app.login(c, (email, "falsch-falsch-falsch")).await;
            }
            start.elapsed()
        }
    };
    let wrong_password = time("admin@musterstadt.de").await;
    let unknown_user = time("niemand@musterstadt.de").await;
    // Without the dummy hash an unknown user answers ~100x faster; allow generous noise.
    assert!(
        unknown_user * 2 > wrong_password,
        "unknown {unknown_user:?} vs wrong {wrong_password:?}"
    );
}
