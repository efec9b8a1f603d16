//! The mail outbox against a real SMTP server process (aiosmtpd from PyPI) that the test
//! stops and restarts: retries with back-off, once-only delivery, permanent refusals.
mod common;
use app::notifications::outbox::{enqueue, send_due, Mailer, SmtpSettings};
use app::notifications::templates::Mail;
use common::*;
use reqwest::StatusCode;
use std::process::{Child, Command, Stdio};

struct SmtpServer {
    child: Child,
}

impl SmtpServer {
    fn start(port: u16, dir: &std::path::Path) -> SmtpServer {
        let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "smtp_sink.Sink",
                dir.to_str().unwrap(),
            ])
            .env("PYTHONPATH", tests)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (installed by .ci/install-tools)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return SmtpServer { child };
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start");
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn delivered(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(std::result::Result::ok)
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

fn mail(subject: &str) -> Mail {
    Mail {
        subject: subject.into(),
        text: "Text".into(),
        html: "<p>Text</p>".into(),
    }
}

async fn enqueue_one(app: &TestApp, key: &str, to: &str, subject: &str) -> bool {
    let mut tx = app::db::begin_write(&app.db).await.unwrap();
    let new = enqueue(&mut tx, key, to, &mail(subject), chrono::Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    new
}

#[tokio::test]
async fn mail_survives_a_relay_outage_is_sent_once_and_refusals_are_recorded() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: "none".into(),
        user: None,
        password: None,
    };
    let mailer = Mailer::new(
        Some(smtp),
        "Rundschreiben-Portal <portal@musterstadt.de>",
        dir.path().join("unused"),
    )
    .unwrap();
    let server = SmtpServer::start(port, dir.path());

    assert!(enqueue_one(&app, "test:1", "max.mustermann@musterstadt.de", "Erste").await);
    assert!(
        !enqueue_one(
            &app,
            "test:1",
            "max.mustermann@musterstadt.de",
            "Erste nochmal"
        )
        .await,
        "same key: not twice"
    );
    assert!(enqueue_one(&app, "test:2", "anna@musterstadt.de", "Zweite").await);
    assert!(enqueue_one(&app, "test:3", "reject-me@musterstadt.de", "Abgelehnt").await);
    // Two workers (as on two nodes) at the same time.
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(
        send_due(&app.db, &mailer, now, 10),
        send_due(&app.db, &mailer, now, 10)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.0 + b.0, 2, "each mail is sent by exactly one worker");
    let got = delivered(dir.path());
    assert_eq!(got.len(), 2);
    assert!(got.iter().any(|m| m.contains("Subject: Erste")));
    let (failed_at, error): (Option<String>, String) =
        sqlx::query_as("SELECT failed_at, last_error FROM mail_outbox WHERE dedupe_key = 'test:3'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(failed_at.is_some(), "a permanent refusal is given up");
    assert!(
        error.contains("550") || error.contains("No such user"),
        "{error}"
    );

    // The relay goes down: the attempt fails, is retried later with back-off.
    drop(server);
    assert!(
        enqueue_one(
            &app,
            "test:4",
            "max.mustermann@musterstadt.de",
            "Während der Störung"
        )
        .await
    );
    let (sent, failed) = send_due(&app.db, &mailer, chrono::Utc::now(), 10)
        .await
        .unwrap();
    assert_eq!((sent, failed), (0, 1));
    let (attempts, failed_at, next): (i64, Option<String>, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT attempts, failed_at, next_attempt_at FROM mail_outbox WHERE dedupe_key = 'test:4'").fetch_one(&app.db).await.unwrap();
    assert_eq!(attempts, 1);
    assert!(failed_at.is_none(), "a temporary failure is retried");
    assert!(next > chrono::Utc::now());
    // Not due yet: nothing happens.
    assert_eq!(
        send_due(&app.db, &mailer, chrono::Utc::now(), 10)
            .await
            .unwrap(),
        (0, 0)
    );
    // The relay is back; after the back-off the mail goes out, once.
    let _server = SmtpServer::start(port, dir.path());
    let later = chrono::Utc::now() + chrono::Duration::minutes(10);
    assert_eq!(send_due(&app.db, &mailer, later, 10).await.unwrap(), (1, 0));
    assert_eq!(send_due(&app.db, &mailer, later, 10).await.unwrap(), (0, 0));
    let got = delivered(dir.path());
    assert_eq!(got.len(), 3);
    // The subject is encoded (RFC 2047); count the recipient instead: "Erste" and the retried one.
    assert_eq!(
        got.iter()
            .filter(|m| m.contains("To: max.mustermann@musterstadt.de"))
            .count(),
        2
    );
}

#[tokio::test]
async fn without_a_relay_mails_are_written_to_the_mail_folder() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::new(None, "portal@musterstadt.de", dir.path().to_path_buf()).unwrap();
    assert!(
        enqueue_one(
            &app,
            "test:folder",
            "max.mustermann@musterstadt.de",
            "Ordner"
        )
        .await
    );
    assert_eq!(
        send_due(&app.db, &mailer, chrono::Utc::now(), 10)
            .await
            .unwrap(),
        (1, 0)
    );
    let files = delivered(dir.path());
    assert_eq!(files.len(), 1);
    assert!(
        files[0].contains("To: max.mustermann@musterstadt.de")
            && files[0].contains("multipart/alternative")
    );
}

fn reminder_settings() -> app::notifications::reminders::ReminderSettings {
    app::state::Settings::default().reminders("https://portal.musterstadt.de")
}

#[tokio::test]
async fn the_reminder_schedule_goes_through_each_circular_once_a_day() {
    use app::notifications::reminders::schedule;
    let app = TestApp::spawn().await;
    let s = reminder_settings();
    let deadline: chrono::NaiveDate = app
        .scalar("SELECT ack_deadline FROM circular_version WHERE status = 'published'")
        .await;
    let day = deadline - chrono::Duration::days(5);
    let at = |day: chrono::NaiveDate, hour: u32| day.and_hms_opt(hour, 0, 0).unwrap().and_utc();
    // Ten days before the deadline nothing can be due: the circular's people are not even
    // read (no pass is noted).
    let early = deadline - chrono::Duration::days(10);
    assert_eq!(schedule(&app.db, &s, at(early, 7)).await.unwrap(), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM reminder_run").await, 0);
    let first = schedule(&app.db, &s, at(day, 7)).await.unwrap();
    assert!(first > 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM reminder_run").await, 1);
    // The reminders vanish from the outbox (as if never enqueued): the job's later ticks that
    // day do not go through the circular's open people again ...
    app.exec("DELETE FROM mail_outbox WHERE dedupe_key LIKE 'reminder:%'")
        .await;
    assert_eq!(schedule(&app.db, &s, at(day, 15)).await.unwrap(), 0);
    // ... until something changes who is open (here: someone leaves and comes back), which
    // sends the job through the circular again.
    app.exec("UPDATE users SET active = FALSE WHERE id = (SELECT MIN(id) FROM users)")
        .await;
    app.exec("UPDATE users SET active = TRUE WHERE id = (SELECT MIN(id) FROM users)")
        .await;
    assert_eq!(schedule(&app.db, &s, at(day, 16)).await.unwrap(), first);
    app.exec("DELETE FROM mail_outbox WHERE dedupe_key LIKE 'reminder:%'")
        .await;
    // ... and the next day's pass does too (the 7-day reminder is still the one due).
    assert_eq!(
        schedule(&app.db, &s, at(day + chrono::Duration::days(1), 7))
            .await
            .unwrap(),
        first
    );
}

#[tokio::test]
async fn reminders_follow_the_schedule_with_a_moved_clock_and_are_never_doubled() {
    use app::notifications::reminders::schedule;
    let app = TestApp::spawn().await;
    let s = reminder_settings();
    let deadline: chrono::NaiveDate = app
        .scalar("SELECT ack_deadline FROM circular_version WHERE status = 'published'")
        .await;
    let at = |day: chrono::NaiveDate| day.and_hms_opt(9, 0, 0).unwrap().and_utc();
    let open = app.count("SELECT COUNT(*) FROM users u WHERE u.active AND NOT EXISTS (SELECT 1 FROM acknowledgment k WHERE k.user_id = u.id)").await;
    // Ten days before the deadline: nothing is due.
    assert_eq!(
        schedule(&app.db, &s, at(deadline - chrono::Duration::days(10)))
            .await
            .unwrap(),
        0
    );
    // Five days before: the 7-day reminder for everybody open; running again adds nothing.
    assert_eq!(
        schedule(&app.db, &s, at(deadline - chrono::Duration::days(5)))
            .await
            .unwrap() as i64,
        open
    );
    assert_eq!(
        schedule(&app.db, &s, at(deadline - chrono::Duration::days(5)))
            .await
            .unwrap(),
        0
    );
    // The day before: the 1-day reminder.
    assert_eq!(
        schedule(&app.db, &s, at(deadline - chrono::Duration::days(1)))
            .await
            .unwrap() as i64,
        open
    );
    // Overdue: the first overdue reminder; Max's is in German with the link.
    assert_eq!(
        schedule(&app.db, &s, at(deadline + chrono::Duration::days(1)))
            .await
            .unwrap() as i64,
        open
    );
    let (subject, text): (String, String) = sqlx::query_as(
        "SELECT subject, body_text FROM mail_outbox WHERE to_addr = 'max.mustermann@musterstadt.de' AND dedupe_key LIKE 'reminder:%:overdue1'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(subject.starts_with("Erinnerung: Rundschreiben RS 2026/17"));
    assert!(text.contains("https://portal.musterstadt.de/read/"));
    // More than 7 days overdue: each head gets one digest naming their overdue people.
    schedule(&app.db, &s, at(deadline + chrono::Duration::days(8)))
        .await
        .unwrap();
    let digest: String = app.scalar("SELECT body_text FROM mail_outbox WHERE dedupe_key LIKE 'escalation:%' AND to_addr = 'buergeramt@musterstadt.de'").await;
    assert!(digest.contains("- Max Mustermann"));
    schedule(&app.db, &s, at(deadline + chrono::Duration::days(9)))
        .await
        .unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_outbox WHERE dedupe_key LIKE 'escalation:%' AND to_addr = 'buergeramt@musterstadt.de'").await, 1);
    // After the last overdue reminder nothing more is sent.
    let before = app.count("SELECT COUNT(*) FROM mail_outbox").await;
    schedule(&app.db, &s, at(deadline + chrono::Duration::days(30)))
        .await
        .unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_outbox").await, before);
}

#[tokio::test]
async fn a_head_reminds_their_unit_once_a_day_and_nobody_outside_it() {
    let app = TestApp::spawn().await;
    let head = app.logged_in(HEAD).await;
    let version = app.demo_version().await;
    let unit = app.unit_id("A32.1").await;
    let (status, n) = app
        .call(
            &head,
            "tracking/remind",
            &[
                ("version_id", &version.to_string()),
                ("unit_id", &unit.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{n}");
    let open = app.count(&format!("SELECT COUNT(*) FROM users u WHERE u.org_unit_id = {unit} AND u.active AND NOT EXISTS (SELECT 1 FROM acknowledgment k WHERE k.user_id = u.id)")).await;
    assert_eq!(n.as_i64().unwrap(), open);
    let (_, again) = app
        .call(
            &head,
            "tracking/remind",
            &[
                ("version_id", &version.to_string()),
                ("unit_id", &unit.to_string()),
            ],
        )
        .await;
    assert_eq!(
        again.as_i64().unwrap(),
        0,
        "a second click the same day sends nothing new"
    );
    let other = app.unit_id("A20.1").await;
    let (status, _) = app
        .call(
            &head,
            "tracking/remind",
            &[
                ("version_id", &version.to_string()),
                ("unit_id", &other.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'tracking.remind'")
            .await,
        2
    );
}

#[tokio::test]
async fn admins_see_why_a_mail_was_not_delivered_and_heads_see_reminders_sent() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: "none".into(),
        user: None,
        password: None,
    };
    let mailer = Mailer::new(Some(smtp), "portal@musterstadt.de", dir.path().join("x")).unwrap();
    let _server = SmtpServer::start(port, dir.path());
    assert!(
        enqueue_one(
            &app,
            "test:refused",
            "reject-this@musterstadt.de",
            "Geht nicht"
        )
        .await
    );
    // A reminder for Max through the head's button, then delivered.
    let head = app.logged_in(HEAD).await;
    let version = app.demo_version().await;
    let unit = app.unit_id("A32.1").await;
    app.call(
        &head,
        "tracking/remind",
        &[
            ("version_id", &version.to_string()),
            ("unit_id", &unit.to_string()),
        ],
    )
    .await;
    send_due(&app.db, &mailer, chrono::Utc::now(), 100)
        .await
        .unwrap();
    let admin = app.logged_in(ADMIN).await;
    let (status, rows) = app.call(&admin, "mail/outbox", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let refused = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["to_addr"] == "reject-this@musterstadt.de")
        .unwrap();
    assert_eq!(refused["state"], "failed");
    assert!(refused["last_error"]
        .as_str()
        .unwrap()
        .contains("No such user"));
    assert_eq!(
        app.call(&head, "mail/outbox", &[]).await.0,
        StatusCode::FORBIDDEN
    );
    sqlx::query("UPDATE circular_version SET ack_deadline = $1 WHERE status = 'published'")
        .bind(day_in(-2))
        .execute(app.db.writer())
        .await
        .unwrap();
    let (_, d) = app.call(&head, "tracking/dashboard", &[]).await;
    let max = d["open_people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Max Mustermann")
        .unwrap()
        .clone();
    assert_eq!(max["reminders_sent"], 1);
}
