//! The server: configuration, database start-up, router and layers. The binary in
//! `main.rs` adds the admin CLI; integration tests call [`Application::build`] directly.
pub mod api;
pub mod assets;
pub mod cli;
pub mod config;
pub mod csrf;
pub mod demo;
pub mod jobs;
pub mod large;
pub mod repo;
pub mod security;
pub mod sessions;

use anyhow::Context;
use app::auth::{handlers, password::PasswordService, session};
use app::db::{self, Db};
use app::state::AppState;
use app::{shell, App};
use axum::routing::{get, post};
use axum::Router;
use config::Config;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_sessions::cookie::SameSite;
use tower_sessions::{ExpiredDeletion, Expiry, SessionManagerLayer};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "rs_session";

/// Opens the database, applies migrations and prepares the session table.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let db = db::connect(&config.database_url, config.db_max_connections)
        .await
        .with_context(|| format!("cannot open database {}", config.database_url))?;
    MIGRATOR
        .run(db.writer())
        .await
        .context("applying migrations failed")?;
    sessions::Sessions::new(&db)
        .migrate()
        .await
        .context("creating the session table failed")?;
    Ok(db)
}

pub struct Application {
    pub addr: SocketAddr,
    /// Where links in mails point (`PUBLIC_URL`, else the listening address).
    pub public_url: String,
    /// This node's access snapshot (tests wait on it instead of sleeping).
    pub access: app::compliance::access::AccessCache,
    /// This node's inventory report queue (tests report through it, like the REST API).
    pub reports: app::compliance::engine::ReportQueue,
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Application {
    pub async fn build(config: Config, db: Db) -> anyhow::Result<Application> {
        let listener = tokio::net::TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind_addr))?;
        let addr = listener.local_addr()?;
        let leptos_options = LeptosOptions::builder()
            .output_name(app::shell::OUTPUT_NAME)
            .site_root(config.site_root.clone())
            .site_pkg_dir("pkg")
            // Content-hashed file names (cargo-leptos `hash-files`), read from `hash.txt`
            // next to the binary that `cargo leptos build` wrote; a binary built otherwise
            // (tests, `cargo build`) has none and uses the plain names.
            .hash_files(assets::hash_file_present())
            .site_addr(addr)
            .build();
        let public_url = config.settings.base_url(addr);
        let reports = app::compliance::engine::ReportQueue::start(
            db.clone(),
            config.settings.compliance.clone(),
            app::compliance::engine::Links {
                base_url: public_url.clone(),
            },
        );
        let state = AppState {
            leptos_options,
            db: db.clone(),
            passwords: PasswordService::new(config.hash_concurrency),
            settings: Arc::new(config.settings.clone()),
            tokens: Default::default(),
            api_limits: Default::default(),
            access: Default::default(),
            reports: reports.clone(),
            acks: app::acknowledgments::queue::AckQueue::start(db.clone()),
            flashes: Default::default(),
        };
        // Every node answers access decisions from memory, kept current from the change log.
        // The first load runs in the background (it reads every managed device), so the
        // server listens at once; until it is done the access API answers 503, which the
        // mail gateway treats as it is configured to (fail open or closed).
        state.access.spawn_refresher(db.clone());
        let access = state.access.clone();
        let router = router(state, &config);
        Ok(Application {
            access,
            reports,
            public_url,
            addr,
            listener,
            router,
        })
    }

    pub async fn run(self) -> anyhow::Result<()> {
        // The peer address feeds the sign-in throttle (see `security`).
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await?;
        Ok(())
    }
}

fn router(state: AppState, config: &Config) -> Router {
    let store = sessions::Sessions::new(&state.db);
    // Expired sessions are deleted in the background; every node may run this.
    tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(tokio::time::Duration::from_secs(600)),
    );
    // The stored session (and its cookie) lives for the absolute lifetime from its last
    // save; the idle timeout is enforced by the session middleware from the session row's
    // "last seen", which requests renew without saving the session (see
    // `app::auth::session::renew_if_due`).
    let lifetime = time::Duration::seconds(config.settings.session_absolute.num_seconds());
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.settings.cookie_secure)
        .with_expiry(Expiry::OnInactivity(lifetime));
    let security = security::SecurityPolicy {
        settings: state.settings.clone(),
        trusted_proxies: config.trusted_proxies.clone().into(),
    };
    let csrf_policy = csrf::CsrfPolicy {
        public_origin: config.settings.public_origin.clone().map(Into::into),
    };

    // Generated once per process. Generating renders the app with resource loading
    // suppressed by a process-wide flag (leptos_server's `SuppressResourceLoad`); a second
    // server built in the same process (tests, restarts) would otherwise stall resources
    // that another server's page creates at that moment, and that page would never finish.
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let ctx_state = state.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/auth/login", post(handlers::login))
        .route("/auth/second-factor", post(handlers::second_factor))
        .route("/auth/logout", post(handlers::logout))
        .route("/lang", post(handlers::set_language))
        .route(
            "/attachments/{id}",
            get(app::circulars::attachments::download),
        )
        .route(
            "/audit/export/version/{id}",
            get(app::evidence::export::version_export),
        )
        .route(
            "/audit/export/person/{id}",
            get(app::evidence::export::person_export),
        )
        .route(
            "/privacy/export/{id}",
            get(app::evidence::export::subject_export),
        )
        .route("/dashboard/export.csv", get(app::tracking::export::csv))
        .route("/dashboard/export.xlsx", get(app::tracking::export::xlsx))
        .route("/compliance/export.csv", get(app::compliance::export::csv))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ctx_state.clone()),
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(
            undecodable_arguments_are_bad_requests,
        ))
        // A plain form post's outcome is kept for the page it is redirected to.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            app::flash::capture,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::load_request_ctx,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            csrf_policy,
            csrf::csrf_guard,
        ))
        // Pages and server-function answers are compressed as they are sent; the built
        // browser files below come precompressed.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http().on_failure(log_failure))
        // The built browser files need no session, CSRF check or request context.
        .merge(assets::router(&config.site_root))
        // The API gets none of the portal's layers (sessions, CSRF, compression, request
        // tracing): it is called by machines with bearer tokens, on the hot path of mail sync.
        .nest("/api/v1", api::router())
        // Outermost: client address, per-endpoint body limits and security headers for
        // every response, the API's included.
        .layer(axum::middleware::from_fn_with_state(
            security,
            security::guard,
        ))
        .with_state(state)
}

/// A server-function call whose arguments do not decode (a crafted or broken form) fails
/// inside leptos before the function runs, which answers 500 with the `Transport` error.
/// That is the client's mistake: 400, like every other `Transport` error (see
/// `AppError::status`). Only 500 answers of server functions are looked at.
async fn undecodable_arguments_are_bad_requests(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let server_fn = req.uri().path().starts_with("/fn/");
    let res = next.run(req).await;
    if !server_fn || res.status() != http::StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if bytes.starts_with(br#"{"Transport":"#) {
        parts.status = http::StatusCode::BAD_REQUEST;
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Logs a failed response. A 503 is the portal shedding load on purpose (sign-in when every
/// password check is busy, access decisions while the snapshot is stale): it is answered
/// with a retry time and counted, not an error to page anyone about, and in a flood it
/// would write thousands of lines a second. Other server errors are logged where they
/// happen as well (with their cause); this line adds the request's latency.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass::StatusCode;
    match class {
        StatusCode(code) if code == http::StatusCode::SERVICE_UNAVAILABLE => {
            tracing::debug!(latency_ms = latency.as_millis() as u64, "load shed (503)");
        }
        class => {
            tracing::error!(classification = %class, latency_ms = latency.as_millis() as u64, "response failed");
        }
    }
}

/// Liveness: the process answers; no database access.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers and every migration is applied.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, &'static str) {
    use axum::http::StatusCode;
    let applied = repo::applied_migrations(&state.db).await;
    match applied {
        Ok(n) if n as usize >= MIGRATOR.iter().count() => (StatusCode::OK, "ready"),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending"),
        Err(err) => {
            tracing::error!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
