//! TOTP second factor over HTTP: the two-step sign-in, codes that are good once, recovery
//! codes, throttling of wrong codes, setting it up and turning it off on the profile, admin
//! rights that need it, an admin's reset, and the sign-in method in the evidence.
mod common;
use app::auth::second_factor::{code_at, step_of};
use common::*;
use reqwest::StatusCode;

/// A six-digit input that is not the code of any step the portal would accept now.
fn wrong_code(secret: &str) -> String {
    let now = step_of(chrono::Utc::now().timestamp());
    let valid: Vec<String> = (now - 1..=now + 2)
        .map(|s| code_at(secret, s).unwrap())
        .collect();
    (0..10)
        .map(|i| format!("00000{i}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

/// Grants `email` the admin role; returns their user id.
async fn make_admin(app: &TestApp, admin: &reqwest::Client, email: &str) -> String {
    let (status, body) = app.change_role(admin, email, "admin", None, true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.user_id(email).await.to_string()
}

async fn secret_of(app: &TestApp, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT totp_secret FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_needs_the_code_after_the_password_and_each_code_is_good_once() {
    let app = TestApp::spawn().await;
    let secret = secret_of(&app, ADMIN.0).await.expect("demo admin has TOTP");
    let c = app.client();
    assert_eq!(location(&app.login(&c, ADMIN).await), SECOND_STEP);
    // Half-way is not signed in.
    let (status, _) = app.call(&c, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, html) = app.get_html(&c, SECOND_STEP).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Code oder Wiederherstellungscode"));
    // A wrong code is refused with the step's page again.
    let res = app.second_factor(&c, &wrong_code(&secret)).await;
    assert_eq!(location(&res), format!("{SECOND_STEP}?error=invalid"));
    let (status, _) = app.call(&c, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The right one signs in and the admin's functions answer.
    let code = app.totp_code(ADMIN.0).await;
    assert_eq!(location(&app.second_factor(&c, &code).await), "/");
    let (status, _) = app.call(&c, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::OK);
    // The same code observed (shoulder-surfed, phished) is worthless a second time.
    let thief = app.client();
    assert_eq!(location(&app.login(&thief, ADMIN).await), SECOND_STEP);
    let res = app.second_factor(&thief, &code).await;
    assert_eq!(location(&res), format!("{SECOND_STEP}?error=invalid"));
    let (status, _) = app.call(&thief, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_recovery_code_works_once_and_is_recorded() {
    let app = TestApp::spawn().await;
    let c = app.client();
    assert_eq!(location(&app.login(&c, ADMIN).await), SECOND_STEP);
    // Case, spaces and the dash do not matter.
    let res = app.second_factor(&c, " MUSTR STDT2 ").await;
    assert_eq!(location(&res), "/");
    let (status, _) = app.call(&c, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.recovery_code_used'")
            .await,
        1
    );
    let (_, status_now) = app.call(&c, "auth/second_factor", &[]).await;
    assert_eq!(status_now["recovery_codes_left"], 9);
    assert_eq!(status_now["required"], true);
    let again = app.client();
    assert_eq!(location(&app.login(&again, ADMIN).await), SECOND_STEP);
    let res = app.second_factor(&again, "mustr-stdt2").await;
    assert_eq!(location(&res), format!("{SECOND_STEP}?error=invalid"));
}

#[tokio::test]
async fn the_second_step_without_a_correct_password_first_is_refused() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let code = app.totp_code(ADMIN.0).await;
    let res = app.second_factor(&c, &code).await;
    assert_eq!(location(&res), "/login?error=expired");
    let (status, _) = app.call(&c, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A wrong password does not open the second step either.
    let res = app.login(&c, (ADMIN.0, "falsch-falsch-falsch")).await;
    assert!(location(&res).starts_with("/login?error=invalid"));
    assert_eq!(
        location(&app.second_factor(&c, &code).await),
        "/login?error=expired"
    );
}

#[tokio::test]
async fn wrong_codes_are_throttled_and_a_correct_password_does_not_reset_the_count() {
    let app = TestApp::spawn().await;
    let secret = secret_of(&app, ADMIN.0).await.unwrap();
    let c = app.client();
    assert_eq!(location(&app.login(&c, ADMIN).await), SECOND_STEP);
    for _ in 0..3 {
        let res = app.second_factor(&c, &wrong_code(&secret)).await;
        assert_eq!(location(&res), format!("{SECOND_STEP}?error=invalid"));
    }
    // The password again (it is known to the attacker in this story) ...
    assert_eq!(location(&app.login(&c, ADMIN).await), SECOND_STEP);
    for _ in 0..3 {
        app.second_factor(&c, &wrong_code(&secret)).await;
    }
    // Six wrong codes in all lock the account: even the right code waits now.
    let code = app.totp_code(ADMIN.0).await;
    let res = app.second_factor(&c, &code).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Zu viele fehlgeschlagene Anmeldeversuche"));
    let (status, _) = app.call(&c, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_employee_sets_up_a_second_factor_and_acknowledgments_record_it() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    let (status, st) = app.call(&max, "auth/second_factor", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(st["enabled_since"].is_null());
    assert_eq!(st["required"], false);

    // Confirming before starting, or with a wrong code, changes nothing.
    let (status, body) = app
        .call(&max, "auth/second_factor_confirm", &[("code", "123456")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "code")
        .unwrap()
        .contains("Einrichtung ist abgelaufen"));
    let (_, setup) = app.call(&max, "auth/second_factor_begin", &[]).await;
    let secret = setup["secret_grouped"].as_str().unwrap().replace(' ', "");
    let (status, body) = app
        .call(
            &max,
            "auth/second_factor_confirm",
            &[("code", &wrong_code(&secret))],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "code")
        .unwrap()
        .contains("Code ist falsch"));
    assert_eq!(secret_of(&app, EMPLOYEE.0).await, None);

    let codes = app.enrol_second_factor(&max).await;
    assert_eq!(codes.len(), 10);
    let (_, st) = app.call(&max, "auth/second_factor", &[]).await;
    assert!(st["enabled_since"].is_string());
    assert_eq!(st["recovery_codes_left"], 10);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.second_factor_enabled'")
            .await,
        1
    );
    // Only hashes are stored.
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_sha256 FROM totp_recovery_code")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(codes.iter().all(|c| !stored.contains(c)));

    // From now on the password alone does not sign in.
    let phone = app.client();
    assert_eq!(location(&app.login(&phone, EMPLOYEE).await), SECOND_STEP);
    let code = app.totp_code(EMPLOYEE.0).await;
    assert_eq!(location(&app.second_factor(&phone, &code).await), "/");

    // The acknowledgment says that a second factor was used.
    let version = app.demo_version().await;
    let form = app.ack_form(&phone, version, "none_installed").await;
    let (status, ack) = app.call_owned(&phone, "ack/acknowledge", &form).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    let (_, receipt) = app
        .call(&phone, "ack/receipt", &[("id", &ack.to_string())])
        .await;
    assert_eq!(receipt["auth_method"], "password+totp");
    let (_, html) = app.get_html(&phone, &format!("/receipts/{ack}")).await;
    assert!(
        html.contains("Passwort und Einmalcode (zweiter Faktor)"),
        "the receipt names the method"
    );
}

#[tokio::test]
async fn turning_the_second_factor_off_needs_a_current_code_and_is_refused_to_admins() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    // Nothing to turn off yet.
    let (status, body) = app
        .call(&max, "auth/second_factor_disable", &[("code", "123456")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "disable_code").is_some(), "{body}");
    let codes = app.enrol_second_factor(&max).await;
    let secret = secret_of(&app, EMPLOYEE.0).await.unwrap();
    let (status, _) = app
        .call(
            &max,
            "auth/second_factor_disable",
            &[("code", &wrong_code(&secret))],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(secret_of(&app, EMPLOYEE.0).await.is_some());
    // A recovery code proves it too.
    let (status, body) = app
        .call(&max, "auth/second_factor_disable", &[("code", &codes[3])])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(secret_of(&app, EMPLOYEE.0).await, None);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM totp_recovery_code").await,
        10,
        "only the demo admin's codes are left"
    );
    assert_eq!(location(&app.login(&app.client(), EMPLOYEE).await), "/");

    // Admins keep theirs.
    let admin = app.logged_in(ADMIN).await;
    let code = app.totp_code(ADMIN.0).await;
    let (status, body) = app
        .call(&admin, "auth/second_factor_disable", &[("code", &code)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "disable_code")
        .unwrap()
        .contains("vorgeschrieben"));
    assert!(secret_of(&app, ADMIN.0).await.is_some());
}

#[tokio::test]
async fn admin_rights_apply_only_in_a_session_with_a_second_factor() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    make_admin(&app, &admin, HEAD.0).await;
    // The new admin signs in with the password only: no admin rights yet, and a notice.
    let head = app.logged_in(HEAD).await;
    let (status, _) = app.call(&head, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, html) = app.get_html(&head, "/").await;
    assert!(html.contains("Administrationsrechte gelten erst"));
    assert!(
        !html.contains("href=\"/admin/users\""),
        "no admin navigation"
    );
    // Setting one up in this session proves it: the rights apply at once.
    app.enrol_second_factor(&head).await;
    let (status, _) = app.call(&head, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = app.get_html(&head, "/").await;
    assert!(!html.contains("Administrationsrechte gelten erst"));
    assert!(html.contains("href=\"/admin/users\""));
    // A later sign-in needs the code.
    assert_eq!(location(&app.login(&app.client(), HEAD).await), SECOND_STEP);
}

#[tokio::test]
async fn an_admin_resets_a_lost_second_factor_and_nobody_else_can() {
    let app = TestApp::spawn().await;
    let max = app.logged_in(EMPLOYEE).await;
    app.enrol_second_factor(&max).await;
    let max_id = app.user_id(EMPLOYEE.0).await.to_string();
    // Not for non-admins.
    let head = app.logged_in(HEAD).await;
    let (status, _) = app
        .call(&head, "org/reset_second_factor", &[("id", &max_id)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(secret_of(&app, EMPLOYEE.0).await.is_some());

    let admin = app.logged_in(ADMIN).await;
    let (status, body) = app
        .call(&admin, "org/reset_second_factor", &[("id", &max_id)])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(secret_of(&app, EMPLOYEE.0).await, None);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.second_factor_reset'")
            .await,
        1
    );
    // Max's sessions ended (the phone may be in the wrong hands); the password signs in.
    let (status, _) = app.call(&max, "auth/second_factor", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(location(&app.login(&app.client(), EMPLOYEE).await), "/");
    // Twice, or an unknown person, or oneself: refused with a reason.
    let (status, body) = app
        .call(&admin, "org/reset_second_factor", &[("id", &max_id)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "second_factor").is_some(), "{body}");
    let (status, _) = app
        .call(&admin, "org/reset_second_factor", &[("id", "999999")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let own = app.user_id(ADMIN.0).await.to_string();
    let (status, _) = app
        .call(&admin, "org/reset_second_factor", &[("id", &own)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(secret_of(&app, ADMIN.0).await.is_some());
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_under_the_lock_and_each_password_step_allows_five_codes() {
    let app = TestApp::spawn().await;
    let secret = secret_of(&app, ADMIN.0).await.unwrap();
    // Five wrong codes in one password step: the password is needed again.
    let c = app.client();
    assert_eq!(location(&app.login(&c, ADMIN).await), SECOND_STEP);
    for i in 1..=5 {
        let res = app.second_factor(&c, &wrong_code(&secret)).await;
        let expected = if i < 5 {
            format!("{SECOND_STEP}?error=invalid")
        } else {
            "/login?error=expired".to_string()
        };
        assert_eq!(location(&res), expected, "try {i}");
    }
    let code = app.totp_code(ADMIN.0).await;
    assert_eq!(
        location(&app.second_factor(&c, &code).await),
        "/login?error=expired"
    );
    // The account has five failures now. Ten guessers, each past the password step, fire
    // at once: one more is answered (it locks the account), the others are refused.
    let mut clients = vec![];
    for _ in 0..10 {
        let g = app.client();
        assert_eq!(location(&app.login(&g, ADMIN).await), SECOND_STEP);
        clients.push(g);
    }
    let guess = wrong_code(&secret);
    let answers =
        futures_util::future::join_all(clients.iter().map(|g| app.second_factor(g, &guess))).await;
    let answered = answers
        .iter()
        .filter(|r| r.status() != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(answered, 1, "only one guess got through the lock");
}

#[tokio::test]
async fn a_pending_sign_in_ends_with_the_accounts_sessions_and_signs_out_the_previous_user() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let admin_id = app.user_id(ADMIN.0).await.to_string();
    // Someone else is half-way with the admin's password ...
    let other = app.logged_in(EMPLOYEE).await;
    assert_eq!(location(&app.login(&other, ADMIN).await), SECOND_STEP);
    // ... which signed Max out of that browser.
    let (status, _) = app.call(&other, "auth/second_factor", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The admin ends all their sessions: the half-way sign-in ends too.
    let (status, _) = app
        .call(&admin, "org/end_user_sessions", &[("id", &admin_id)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let code = app.totp_code(ADMIN.0).await;
    assert_eq!(
        location(&app.second_factor(&other, &code).await),
        "/login?error=expired"
    );
    let (status, _) = app.call(&other, "org/list_units", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn setting_up_ends_other_sessions_and_a_password_only_session_cannot_replace_a_factor() {
    let app = TestApp::spawn().await;
    let laptop = app.logged_in(EMPLOYEE).await;
    let phone = app.logged_in(EMPLOYEE).await;
    app.enrol_second_factor(&laptop).await;
    // Like a password change: the other session ended, this one goes on.
    let (status, _) = app.call(&phone, "auth/second_factor", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(&laptop, "auth/second_factor", &[]).await;
    assert_eq!(status, StatusCode::OK);
    // A session signed in with the password alone while a factor exists (one from before
    // this version, say) cannot swap in another app.
    let head = app.logged_in(HEAD).await;
    sqlx::query(
        "UPDATE users SET totp_secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' WHERE email = $1",
    )
    .bind(HEAD.0)
    .execute(app.db.writer())
    .await
    .unwrap();
    let (status, body) = app.call(&head, "auth/second_factor_begin", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "code")
        .unwrap()
        .contains("melden Sie sich bitte mit ihm an"));
    assert_eq!(
        secret_of(&app, HEAD.0).await.as_deref(),
        Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    );
}

#[tokio::test]
async fn the_second_factor_of_an_admin_is_not_reset_on_the_web() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in(ADMIN).await;
    let uid = make_admin(&app, &admin, HEAD.0).await;
    let head = app.logged_in(HEAD).await;
    app.enrol_second_factor(&head).await;
    let (status, body) = app
        .call(&admin, "org/reset_second_factor", &[("id", &uid)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_message(&body, "second_factor")
        .unwrap()
        .contains("server reset-second-factor"));
    assert!(secret_of(&app, HEAD.0).await.is_some());
}

#[tokio::test]
async fn the_second_factor_functions_need_a_signed_in_person() {
    let app = TestApp::spawn().await;
    let anonymous = app.client();
    for (endpoint, form) in [
        ("auth/second_factor", vec![]),
        ("auth/second_factor_begin", vec![]),
        ("auth/second_factor_confirm", vec![("code", "123456")]),
        ("auth/second_factor_disable", vec![("code", "123456")]),
        ("org/reset_second_factor", vec![("id", "1")]),
    ] {
        let (status, _) = app.call(&anonymous, endpoint, &form).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{endpoint}");
    }
    // Half-way through the sign-in is not signed in either.
    assert_eq!(location(&app.login(&anonymous, ADMIN).await), SECOND_STEP);
    let (status, _) = app.call(&anonymous, "auth/second_factor_begin", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'user.second_factor%'")
            .await,
        0
    );
}
