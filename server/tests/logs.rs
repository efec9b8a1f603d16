//! No password, password hash or session id may ever reach a log line. Runs the real server
//! binary with debug logging, signs in, changes a password and creates a user, and searches
//! everything the process printed.
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// Drains a pipe into a shared buffer on its own thread, so the server never blocks on a full
/// pipe while the test talks to it.
fn drain(
    mut pipe: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
}

#[test]
fn secrets_never_reach_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logs.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["serve", "--demo"])
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "debug,tower_http=trace")
        .env("EVIDENCE_SEAL_SECONDS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let addr = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "server exited early"
        );
        printed.push_str(&line);
        if let Some(rest) = line.split("running at http://").nth(1) {
            break rest.trim().trim_end_matches('/').to_owned();
        }
    };
    let base = format!("http://{addr}");
    let logs = Arc::new(Mutex::new(String::new()));
    let out_thread = drain(stdout, logs.clone());
    let err_thread = drain(child.stderr.take().unwrap(), logs.clone());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (cookie, new_hash) = rt.block_on(async {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = client
            .post(format!("{base}/auth/login"))
            .header("origin", &base)
            .form(&[
                ("email", "admin@musterstadt.de"),
                ("password", "Admin#2026"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["location"], "/login/zweiter-faktor");
        // The second step with the code of the demo admin's app (never logged either).
        let code = app::auth::second_factor::code_at(
            server::demo::ADMIN_TOTP_SECRET,
            app::auth::second_factor::step_of(chrono::Utc::now().timestamp()),
        )
        .unwrap();
        let res = client
            .post(format!("{base}/auth/second-factor"))
            .header("origin", &base)
            .form(&[("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["location"], "/");
        let cookie = res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .split('=')
            .nth(1)
            .unwrap()
            .to_owned();
        // A wrong password too (logged as a refusal, never with the password).
        client
            .post(format!("{base}/auth/login"))
            .header("origin", &base)
            .form(&[
                ("email", "max.mustermann@musterstadt.de"),
                ("password", "Geheim-Falsch-123"),
            ])
            .send()
            .await
            .unwrap();
        let res = client
            .post(format!("{base}/fn/org/save_user"))
            .header("origin", &base)
            .form(&[
                ("form[email]", "neu@musterstadt.de"),
                ("form[display_name]", "Neu"),
                ("form[org_unit_id]", "1"),
                ("form[password]", "Start-Passwort-4711"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        client
            .post(format!("{base}/fn/auth/change_password"))
            .header("origin", &base)
            .form(&[
                ("form[current_password]", "Admin#2026"),
                ("form[new_password]", "Neues-Admin-PW-2026"),
                ("form[confirm_password]", "Neues-Admin-PW-2026"),
            ])
            .send()
            .await
            .unwrap();
        let pool = app::db::connect(&format!("sqlite://{}", db.display()), 1)
            .await
            .unwrap();
        // The seal job (every second here) logs too: wait until it has sealed the audit
        // entries of the steps above, so its lines are searched as well.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let unsealed: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE id NOT IN (SELECT ref_id FROM evidence_entry WHERE kind = 'audit')",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            if unsealed == 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the seal job never ran"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let hash: String = sqlx::query_scalar(
            "SELECT password_hash FROM users WHERE email = 'neu@musterstadt.de'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        (cookie, hash)
    });
    child.kill().unwrap();
    let _ = child.wait();
    out_thread.join().unwrap();
    err_thread.join().unwrap();
    printed.push_str(&logs.lock().unwrap());
    assert!(printed.contains("signed in"), "debug logs were captured");
    for secret in [
        "Admin#2026\n",
        "Geheim-Falsch-123",
        "Start-Passwort-4711",
        "Neues-Admin-PW-2026",
        cookie.as_str(),
        new_hash.as_str(),
    ] {
        // The demo password table is printed on purpose at start; only look at log lines.
        let in_logs = printed
            .lines()
            .filter(|l| !l.starts_with("  "))
            .any(|l| l.contains(secret.trim_end()));
        assert!(!in_logs, "a secret reached the logs: {secret}");
    }
}
