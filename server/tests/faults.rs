//! Faults: the real server binary is killed with SIGKILL while employees acknowledge. Every
//! acknowledgment the portal confirmed survives, none is doubled, and the evidence chain
//! verifies after the restart.
mod common;
use reqwest::header::{HeaderMap, HeaderValue, ORIGIN};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
}

fn binary(db: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("RUST_LOG", "error")
        .env("MAIL_DIR", db.with_extension("mail"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

async fn start(db: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = binary(db)
        .arg("serve")
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(res) = reqwest::get(format!("{base}/readyz")).await {
            if res.status() == StatusCode::OK {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the server never became ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Server { child, base }
}

fn browser(base: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ORIGIN, HeaderValue::from_str(base).unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Signs an employee in and prepares their acknowledgment form of `version`.
async fn ready_to_acknowledge(
    base: &str,
    email: &str,
    version: i64,
) -> (reqwest::Client, Vec<(String, String)>) {
    let client = browser(base);
    let res = client
        .post(format!("{base}/auth/login"))
        .form(&[("email", email), ("password", app_password())])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{email} signs in");
    let view: Value = client
        .post(format!("{base}/fn/ack/read"))
        .form(&[("id", version.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let form = common::ack_form_of(version, &view, "none_installed");
    (client, form)
}

fn app_password() -> &'static str {
    server::demo::EMPLOYEE_PASSWORD
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_confirmed_acknowledgment_and_the_chain_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("faults.db");
    assert!(binary(&db_path)
        .arg("seed-demo")
        .status()
        .unwrap()
        .success());
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", db_path.display()))
        .await
        .unwrap();
    let version: i64 = sqlx::query_scalar(
        "SELECT v.id FROM circular_version v JOIN circular c ON c.id = v.circular_id
          WHERE c.number = 'RS 2026/17' AND v.status = 'published'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    // Employees (the generated ones share a password) who have not acknowledged yet.
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT u.email FROM users u WHERE u.active AND u.email NOT IN
            (SELECT email FROM users WHERE id IN (SELECT user_id FROM user_role WHERE role <> 'employee'))
           AND u.id NOT IN (SELECT user_id FROM acknowledgment WHERE version_id = $1)
           AND u.totp_secret IS NULL
         ORDER BY u.id LIMIT 40",
    )
    .bind(version)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(emails.len(), 40);

    let mut server = start(&db_path).await;
    let mut prepared = vec![];
    for email in &emails {
        prepared.push(ready_to_acknowledge(&server.base, email, version).await);
    }
    // Everybody presses the button at once, twice (a double click); the server is killed
    // as soon as the first answers have come back.
    let (confirmed_tx, mut confirmed_rx) = tokio::sync::mpsc::unbounded_channel::<(String, i64)>();
    for ((client, form), email) in prepared.into_iter().zip(&emails) {
        for _ in 0..2 {
            let (client, form, email, url) = (
                client.clone(),
                form.clone(),
                email.clone(),
                format!("{}/fn/ack/acknowledge", server.base),
            );
            let confirmed = confirmed_tx.clone();
            tokio::spawn(async move {
                let Ok(res) = client.post(url).form(&form).send().await else {
                    return; // cut off by the kill: not confirmed
                };
                if res.status() == StatusCode::OK {
                    if let Ok(Value::Number(id)) = res.json::<Value>().await {
                        let _ = confirmed.send((email, id.as_i64().unwrap()));
                    }
                }
            });
        }
    }
    drop(confirmed_tx);
    let mut confirmed = vec![];
    while confirmed.len() < 10 {
        confirmed.push(confirmed_rx.recv().await.expect("answers come back"));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    while let Some(c) = confirmed_rx.recv().await {
        confirmed.push(c);
    }

    // After the restart: every confirmed acknowledgment is there, for its person, once.
    let mut server = start(&db_path).await;
    for (email, id) in &confirmed {
        let owner: Option<String> = sqlx::query_scalar(
            "SELECT u.email FROM acknowledgment k JOIN users u ON u.id = k.user_id WHERE k.id = $1",
        )
        .bind(id)
        .fetch_optional(&db)
        .await
        .unwrap();
        assert_eq!(
            owner.as_deref(),
            Some(email.as_str()),
            "acknowledgment {id}"
        );
    }
    let doubled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT user_id FROM acknowledgment WHERE version_id = $1
           GROUP BY user_id HAVING COUNT(*) > 1)",
    )
    .bind(version)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(doubled, 0, "no double acknowledgments");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let out = binary(&db_path)
        .args(["verify-evidence", "--seal"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("OK: the evidence chain is intact."),
        "{report}"
    );
}
