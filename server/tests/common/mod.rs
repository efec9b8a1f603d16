//! Test harness: starts the real server on port 0 against a fresh SQLite file seeded with the
//! demo city, and talks HTTP to it with a cookie-keeping client, like a browser would.
#![allow(dead_code)]
pub mod compliance;
use app::state::Settings;
use reqwest::header::{HeaderMap, HeaderValue, LOCATION, ORIGIN};
use reqwest::{redirect, Client, Response, StatusCode};
use serde_json::Value;
use server::config::Config;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub const ADMIN: (&str, &str) = ("admin@musterstadt.de", "Admin#2026");
pub const EMPLOYEE: (&str, &str) = ("max.mustermann@musterstadt.de", "Mitarbeiter#2026");
pub const HEAD: (&str, &str) = ("buergeramt@musterstadt.de", "Leitung#2026");
/// Where a correct password leads when the account has a second factor.
pub const SECOND_STEP: &str = "/login/zweiter-faktor";

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub db_path: PathBuf,
    pub db: app::db::Db,
    /// The server's access snapshot.
    pub access: app::compliance::access::AccessCache,
    /// The server's inventory report queue.
    pub reports: app::compliance::engine::ReportQueue,
    _dir: Arc<tempfile::TempDir>,
    server: tokio::task::JoinHandle<()>,
}

pub fn test_config(db_path: &std::path::Path, settings: Settings) -> Config {
    Config {
        database_url: format!("sqlite://{}", db_path.display()),
        db_max_connections: 4,
        bind_addr: "127.0.0.1:0".parse().unwrap(),
        site_root: "target/site".into(),
        hash_concurrency: 2,
        // The tests run jobs themselves, with the clock they need.
        jobs: server::jobs::Intervals::default(),
        smtp: None,
        mail_from: "portal@musterstadt.de".into(),
        mail_dir: db_path.with_extension("mail"),
        trusted_proxies: vec![],
        settings,
    }
}

impl TestApp {
    /// A fresh database with the demo city.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Settings::default()).await
    }

    pub async fn spawn_with(settings: Settings) -> TestApp {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let db_path = dir.path().join("test.db");
        let config = test_config(&db_path, settings.clone());
        let db = server::open_database(&config).await.unwrap();
        // Links in the seed's mails point at the configured address (the port is not known yet).
        server::demo::seed(&db, &config.settings.base_url(config.bind_addr))
            .await
            .unwrap();
        Self::start(dir, db_path, settings).await
    }

    async fn start(dir: Arc<tempfile::TempDir>, db_path: PathBuf, settings: Settings) -> TestApp {
        let config = test_config(&db_path, settings);
        let db = server::open_database(&config).await.unwrap();
        let app = server::Application::build(config, db.clone())
            .await
            .unwrap();
        let addr = app.addr;
        let access = app.access.clone();
        let reports = app.reports.clone();
        let server = tokio::spawn(async move {
            app.run().await.unwrap();
        });
        let app = TestApp {
            addr,
            base: format!("http://{addr}"),
            db_path,
            db,
            access,
            reports,
            _dir: dir,
            server,
        };
        // The access snapshot loads in the background after start (the API answers 503
        // until then); tests start once a gateway would get answers.
        app.access_settled().await;
        app
    }

    /// Stops this server and starts a new one on the same database file (a restart).
    pub async fn restart(self) -> TestApp {
        self.server.abort();
        let _ = self.server.await;
        // Connections still out with the old server's tasks are not waited for forever.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.db.close()).await;
        let dir = self._dir.clone();
        Self::start(dir, self.db_path.clone(), Settings::default()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them),
    /// and sends our own Origin like a browser does on form posts.
    pub fn client(&self) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert(ORIGIN, HeaderValue::from_str(&self.base).unwrap());
        Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .default_headers(headers)
            // A server that never answers fails the test (naming the request) instead of
            // hanging the whole run.
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .unwrap()
    }

    pub async fn login(&self, client: &Client, (email, password): (&str, &str)) -> Response {
        client
            .post(self.url("/auth/login"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// Both steps of a sign-in, like a person with their authenticator app: the password,
    /// then (for accounts with a second factor) the current code. Returns the last answer.
    pub async fn sign_in(&self, client: &Client, who: (&str, &str)) -> Response {
        let res = self.login(client, who).await;
        if location(&res) != SECOND_STEP {
            return res;
        }
        let code = self.totp_code(who.0).await;
        self.second_factor(client, &code).await
    }

    /// Posts the second step of a sign-in.
    pub async fn second_factor(&self, client: &Client, code: &str) -> Response {
        client
            .post(self.url("/auth/second-factor"))
            .form(&[("code", code)])
            .send()
            .await
            .unwrap()
    }

    /// The code `email`'s authenticator app shows, for a time step the portal has not
    /// accepted yet (a code is good once). When the current and next steps are used up, waits
    /// for the clock to reach the next step.
    pub async fn totp_code(&self, email: &str) -> String {
        use app::auth::second_factor::{code_at, step_of, SKEW_STEPS, STEP_SECONDS};
        loop {
            let (secret, last): (String, i64) = sqlx::query_as(
                "SELECT totp_secret, totp_last_step FROM users WHERE email = $1 AND totp_secret IS NOT NULL",
            )
            .bind(email)
            .fetch_one(&self.db)
            .await
            .unwrap_or_else(|e| panic!("{email} has no second factor: {e}"));
            let now = chrono::Utc::now();
            let now_step = step_of(now.timestamp());
            let step = now_step.max(last as u64 + 1);
            if step <= now_step + SKEW_STEPS {
                return code_at(&secret, step).unwrap();
            }
            let next_step_at = (now_step + 1) * STEP_SECONDS;
            let wait_ms = (next_step_at as i64 * 1000 - now.timestamp_millis()).max(0) as u64;
            tokio::time::sleep(std::time::Duration::from_millis(wait_ms + 20)).await;
        }
    }

    /// Sets up a second factor for the signed-in `client` like a person with an app would;
    /// returns the recovery codes.
    pub async fn enrol_second_factor(&self, client: &Client) -> Vec<String> {
        let (status, setup) = self.call(client, "auth/second_factor_begin", &[]).await;
        assert_eq!(status, StatusCode::OK, "{setup}");
        let secret = setup["secret_grouped"].as_str().unwrap().replace(' ', "");
        assert!(setup["otpauth_uri"]
            .as_str()
            .unwrap()
            .contains(&format!("secret={secret}")));
        assert!(setup["qr_svg"].as_str().unwrap().starts_with("<svg"));
        let code = app::auth::second_factor::code_at(
            &secret,
            app::auth::second_factor::step_of(chrono::Utc::now().timestamp()),
        )
        .unwrap();
        let (status, codes) = self
            .call(client, "auth/second_factor_confirm", &[("code", &code)])
            .await;
        assert_eq!(status, StatusCode::OK, "{codes}");
        codes
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn logged_in(&self, who: (&str, &str)) -> Client {
        let client = self.client();
        let res = self.sign_in(&client, who).await;
        assert_eq!(location(&res), "/", "login of {} failed", who.0);
        client
    }

    /// Calls a server function with form-encoded arguments, returning status and JSON body.
    pub async fn call(
        &self,
        client: &Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let res = client
            .post(self.url(&format!("/fn/{endpoint}")))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    pub async fn get_html(&self, client: &Client, path: &str) -> (StatusCode, String) {
        let res = self.page(client, path).await;
        (res.status(), res.text().await.unwrap())
    }

    /// GET a page as a browser navigation does (Accept: text/html).
    pub async fn page(&self, client: &Client, path: &str) -> Response {
        client
            .get(self.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap()
    }

    pub async fn unit_id(&self, code: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM org_unit WHERE code = $1")
            .bind(code)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    pub async fn user_id(&self, email: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    /// The id of the published version of the demo messenger ban ('RS 2026/17', the only
    /// circular the demo seeds).
    pub async fn demo_version(&self) -> i64 {
        self.scalar(
            "SELECT v.id FROM circular_version v JOIN circular c ON c.id = v.circular_id
              WHERE c.number = 'RS 2026/17' AND v.status = 'published'",
        )
        .await
    }

    /// The JSON evidence export of a version, as `client` downloads it (asserting 200).
    pub async fn version_export(&self, client: &Client, version: i64) -> serde_json::Value {
        let res = client
            .get(self.url(&format!("/audit/export/version/{version}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// The id of the demo messenger ban's circular ('RS 2026/17').
    pub async fn demo_circular(&self) -> i64 {
        self.scalar("SELECT id FROM circular WHERE number = 'RS 2026/17'")
            .await
    }

    /// Grants (`grant`) or revokes a role of `email` through the `org/change_role` server
    /// function as `actor`; `unit` is the code of the scope unit (none: an empty scope).
    pub async fn change_role(
        &self,
        actor: &Client,
        email: &str,
        role: &str,
        unit: Option<&str>,
        grant: bool,
    ) -> (StatusCode, Value) {
        let user = self.user_id(email).await.to_string();
        let scope = match unit {
            Some(code) => self.unit_id(code).await.to_string(),
            None => String::new(),
        };
        let grant = if grant { "true" } else { "false" };
        self.call(
            actor,
            "org/change_role",
            &[
                ("user_id", &user),
                ("role", role),
                ("scope_unit_id", &scope),
                ("grant", grant),
            ],
        )
        .await
    }

    /// Waits until `sql` (a `SELECT COUNT(*)`) counts `expected`, for work done off the
    /// request path; fails after 30 s.
    pub async fn eventually_count(&self, sql: &str, expected: i64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let n = self.count(sql).await;
            if n == expected {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{sql}: {n}, expected {expected}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Waits until the server's access snapshot has applied every change logged so far, as
    /// the mail gateway would see it; fails after 30 s.
    pub async fn access_settled(&self) {
        let newest: i64 = self
            .scalar("SELECT COALESCE(MAX(seq), 0) FROM access_change")
            .await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        // Loaded at all (in the background after start), and up to the newest change.
        while self.access.applied_up_to().is_none_or(|seen| seen < newest) {
            assert!(
                std::time::Instant::now() < deadline,
                "the access snapshot never caught up"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.scalar(sql).await
    }

    /// The single value `sql` (a query without parameters) selects; fails if there is no row.
    pub async fn scalar<T>(&self, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send + Unpin,
    {
        sqlx::query_scalar(sql).fetch_one(&self.db).await.unwrap()
    }

    /// Runs `sql` (a statement without parameters), e.g. to set up or tamper with data.
    pub async fn exec(&self, sql: &str) {
        sqlx::query(sql).execute(self.db.writer()).await.unwrap();
    }
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The message a German page shows for `field` of a server function's validation error
/// (the error carries the problem; the page puts it into words).
pub fn field_message(body: &Value, field: &str) -> Option<String> {
    // `field` as the page names it: `email`, or `Zeile 3: owner` for a row of a file.
    let de = app::i18n::Locale::De;
    match serde_json::from_value(body.clone()).ok()? {
        app::error::AppError::Validation(fields) => fields
            .iter()
            .find(|f| f.place(de) == field)
            .map(|f| f.message(de)),
        _ => None,
    }
}

pub const PUBLISHER: (&str, &str) = ("personal@musterstadt.de", "Personal#2026");
pub const PUBLISHER2: (&str, &str) = ("organisation@musterstadt.de", "Personal#2026");
pub const AUDITOR: (&str, &str) = ("revision@musterstadt.de", "Revision#2026");

/// The day `days` from today (the Berlin day, as the portal counts days), as `YYYY-MM-DD`.
pub fn day_in(days: i64) -> String {
    (app::time::today_berlin(chrono::Utc::now()) + chrono::Duration::days(days)).to_string()
}

/// A valid editor form; tests override single fields.
pub fn circular_form(number: &str) -> Vec<(String, String)> {
    [
        ("form[number]", number.to_string()),
        ("form[title]", "Testrundschreiben".to_string()),
        ("form[summary]", "Kurzfassung".to_string()),
        (
            "form[body_md]",
            "## Regel\n\nBitte **beachten**.".to_string(),
        ),
        ("form[effective_on]", day_in(20)),
        ("form[ack_deadline]", day_in(10)),
        ("form[whole_city]", "on".to_string()),
        (
            "form[apps]",
            "android; com.whatsapp; WhatsApp\nios; net.whatsapp.WhatsApp; WhatsApp".to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

pub fn with(mut form: Vec<(String, String)>, key: &str, value: &str) -> Vec<(String, String)> {
    form.retain(|(k, _)| k != key);
    form.push((key.to_string(), value.to_string()));
    form
}

impl TestApp {
    pub async fn call_owned(
        &self,
        client: &Client,
        endpoint: &str,
        form: &[(String, String)],
    ) -> (StatusCode, Value) {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.call(client, endpoint, &pairs).await
    }

    /// Drafts with the first publisher, approves with the second; returns the version id.
    pub async fn publish(&self, form: Vec<(String, String)>) -> i64 {
        let author = self.logged_in(PUBLISHER).await;
        let approver = self.logged_in(PUBLISHER2).await;
        let (status, body) = self.call_owned(&author, "circulars/save", &form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body.as_i64().unwrap().to_string();
        assert_eq!(
            self.call(
                &author,
                "circulars/workflow",
                &[("id", &id), ("action", "submit")]
            )
            .await
            .0,
            StatusCode::OK
        );
        let (status, body) = self
            .call(
                &approver,
                "circulars/workflow",
                &[("id", &id), ("action", "publish")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id.parse().unwrap()
    }

    /// The acknowledgment form for `client`'s user: every active device attested.
    pub async fn ack_form(
        &self,
        client: &Client,
        version: i64,
        attestation: &str,
    ) -> Vec<(String, String)> {
        let (status, view) = self
            .call(client, "ack/read", &[("id", &version.to_string())])
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        ack_form_of(version, &view, attestation)
    }
}

/// The acknowledgment form a reader sends for `version`, from the reading page's data
/// (`ack/read`): the text they read, confirmed, and `attestation` for each of their devices.
pub fn ack_form_of(version: i64, view: &Value, attestation: &str) -> Vec<(String, String)> {
    let mut form = vec![
        ("form[version_id]".to_string(), version.to_string()),
        (
            "form[content_sha256]".to_string(),
            view["version"]["content_sha256"]
                .as_str()
                .unwrap()
                .to_string(),
        ),
        ("form[read_confirmed]".to_string(), "on".to_string()),
    ];
    for d in view["devices"].as_array().unwrap() {
        form.push((
            format!("form[attestations][{}]", d["id"]),
            attestation.to_string(),
        ));
    }
    form
}

/// An API token with these scopes, issued as the operators' CLI does.
pub async fn api_token(db: &app::db::Db, scopes: &[app::tokens::Scope]) -> String {
    app::tokens::service::issue(db, "test", scopes, None, chrono::Utc::now())
        .await
        .unwrap()
        .secret
}
