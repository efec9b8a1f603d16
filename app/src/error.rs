//! The one error type of the application. Server functions return it, the REST API maps it
//! to JSON, and its serialised form never contains internals: database or I/O errors are
//! logged on the server and reach the client only as `Internal`.
//!
//! Invalid input is `Validation` with (field, [`Problem`]) pairs, for files and batches with
//! the row. Nothing below the edge translates: pages put problems into words in the page's
//! language, the API, the exports and the CLI in English.
use crate::i18n::{Locale, Problem};
use serde::{Deserialize, Serialize};

/// Which record of a file or batch a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Row {
    /// A line of an uploaded CSV file (1 is the header).
    Line(usize),
    /// The n-th device (from 1) of a JSON import.
    Device(usize),
}

impl Row {
    fn label(self, locale: Locale) -> String {
        match (self, locale) {
            (Row::Line(n), Locale::De) => format!("Zeile {n}"),
            (Row::Line(n), Locale::En) => format!("line {n}"),
            (Row::Device(n), Locale::De) => format!("Gerät {n}"),
            (Row::Device(n), Locale::En) => format!("device {n}"),
        }
    }
}

/// What is wrong with one input field (of one record, for files and batches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<Row>,
    pub problem: Problem,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self {
            field: field.into(),
            row: None,
            problem,
        }
    }

    pub fn in_row(row: Row, field: impl Into<String>, problem: Problem) -> Self {
        Self {
            field: field.into(),
            row: Some(row),
            problem,
        }
    }

    /// Where the problem is, e.g. `line 3001: imei` (or just `imei`).
    pub fn place(&self, locale: Locale) -> String {
        match self.row {
            Some(row) if self.field.is_empty() => row.label(locale),
            Some(row) => format!("{}: {}", row.label(locale), self.field),
            None => self.field.clone(),
        }
    }

    /// The problem in words.
    pub fn message(&self, locale: Locale) -> String {
        self.problem.message(locale)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("internal error")]
    Internal,
    /// The request never reached the function (network, bad encoding).
    #[error("request failed")]
    Transport(String),
}

/// How many problems a page shows of one failed import. A browser's form post without
/// JavaScript carries its error in the URL it is redirected to, which browsers and the
/// server limit to some tens of kilobytes; a person fixes the first hundred lines first
/// anyway. (The REST API reports every problem.)
pub const PAGE_PROBLEMS: usize = 100;

/// The first [`PAGE_PROBLEMS`] of `problems`, followed by `more(n)` naming how many were left
/// out (any kind of problem list: field errors, import rows).
pub fn first_problems<T>(mut problems: Vec<T>, more: impl FnOnce(usize) -> T) -> Vec<T> {
    if problems.len() > PAGE_PROBLEMS {
        let left_out = problems.len() - PAGE_PROBLEMS;
        problems.truncate(PAGE_PROBLEMS);
        problems.push(more(left_out));
    }
    problems
}

impl AppError {
    /// The first [`PAGE_PROBLEMS`] problems of a validation error, and how many more there
    /// are.
    pub fn capped(self) -> Self {
        match self {
            AppError::Validation(problems) => {
                AppError::Validation(first_problems(problems, |more| {
                    FieldError::new("file", Problem::MoreProblems(more))
                }))
            }
            other => other,
        }
    }

    /// Invalid input in one field.
    pub fn field(field: &str, problem: Problem) -> Self {
        AppError::Validation(vec![FieldError::new(field, problem)])
    }

    /// Invalid input in several fields.
    pub fn fields(problems: impl IntoIterator<Item = (&'static str, Problem)>) -> Self {
        AppError::Validation(
            problems
                .into_iter()
                .map(|(field, p)| FieldError::new(field, p))
                .collect(),
        )
    }

    /// The message for `field` in `locale`, if the error is a validation error naming it.
    pub fn message_for(&self, field: &str, locale: Locale) -> Option<String> {
        match self {
            AppError::Validation(errors) => errors
                .iter()
                .find(|e| e.field == field && e.row.is_none())
                .map(|e| e.message(locale)),
            _ => None,
        }
    }

    /// Stable machine-readable code, used by the JSON API and in tests.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Validation(_) => "validation",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }

    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Transport(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::migrate::MigrateError> for AppError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        tracing::error!(error = %err, "migration error");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        tracing::error!(error = %err, "session store error");
        AppError::Internal
    }
}

/// Runs the body of a server function and, on error, sets the HTTP status that matches the
/// error, so that plain HTTP clients (tests, scripts, the hydrated page) see
/// 401/403/404/422 instead of 500.
#[cfg(feature = "ssr")]
pub async fn respond<T>(
    body: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let result = body.await;
    if let Err(err) = &result {
        // A browser's form post without JavaScript (it accepts HTML) is redirected back to
        // the form with the error in the query, where the page shows it; a status here
        // would replace that redirect and show the person the raw error.
        let from_a_page = leptos::prelude::use_context::<http::request::Parts>()
            .is_some_and(|p| crate::flash::accepts_html(&p.headers));
        if let (false, Some(opts)) = (
            from_a_page,
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        ) {
            opts.set_status(err.status());
        }
        if matches!(err, AppError::Forbidden | AppError::Unauthorized) {
            log_refusal(err);
        }
    }
    result
}

/// Every refused authorization is logged with who, what and from where (the time is the
/// log line's, UTC). Fields are logged with `?`, so control characters a client put into a
/// path cannot forge log lines.
#[cfg(feature = "ssr")]
fn log_refusal(err: &AppError) {
    let parts = leptos::prelude::use_context::<http::request::Parts>();
    let path = parts.as_ref().map(|p| p.uri.path().to_owned());
    let ip = parts
        .as_ref()
        .and_then(|p| p.extensions.get::<crate::auth::client_ip::ClientIp>())
        .map(|ip| ip.to_string());
    let user = crate::context::RequestCtx::current().user.map(|u| u.id.0);
    tracing::warn!(code = err.code(), user_id = ?user, path = ?path, client_ip = ?ip, "authorization refused");
}

pub type AppResult<T> = Result<T, AppError>;

/// One problem of a `validation` error in a JSON answer.
#[cfg(feature = "ssr")]
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// The field, e.g. `platform`, `apps[3].id`, `line 3001: imei` or `device 2: mdm_id`.
    pub field: String,
    pub message: String,
}

/// The JSON error body of every machine interface (REST API and exports):
/// `{ "error": "<code>", "message": "<text>", "fields": [...] }`, in English.
#[cfg(feature = "ssr")]
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code: `unauthorized`, `forbidden`, `not_found`, `validation`, `unavailable`,
    /// and the protocol codes of the API (`malformed_json`, `rate_limited`, …).
    pub error: String,
    pub message: String,
    /// Per-field (or per-row) problems of a `validation` error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

#[cfg(feature = "ssr")]
impl ErrorBody {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ErrorBody {
            error: code.to_owned(),
            message: message.into(),
            fields: vec![],
        }
    }

    /// The status and body for an application error. Internal errors were logged where
    /// they happened; the caller learns only that the portal cannot answer now (503).
    pub fn of(err: &AppError) -> (http::StatusCode, ErrorBody) {
        use http::StatusCode;
        match err {
            AppError::Validation(fields) => {
                let en = Locale::En;
                let summary: Vec<String> = fields
                    .iter()
                    .take(3)
                    .map(|f| format!("{}: {}", f.place(en), f.message(en)))
                    .collect();
                let message = match fields.len() {
                    0..=3 => summary.join("; "),
                    n => format!("{}; and {} more", summary.join("; "), n - 3),
                };
                let body = ErrorBody {
                    error: err.code().to_owned(),
                    message,
                    fields: fields
                        .iter()
                        .map(|f| FieldProblem {
                            field: f.place(en),
                            message: f.message(en),
                        })
                        .collect(),
                };
                (StatusCode::UNPROCESSABLE_ENTITY, body)
            }
            AppError::Unauthorized | AppError::Forbidden | AppError::NotFound => {
                let message = match err {
                    AppError::Unauthorized => "unauthorized",
                    AppError::Forbidden => "forbidden",
                    _ => "not found",
                };
                (err.status(), ErrorBody::new(err.code(), message))
            }
            AppError::Internal | AppError::Transport(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorBody::new(
                    "unavailable",
                    "the portal cannot answer right now; retry later",
                ),
            ),
        }
    }
}

/// An application error as a JSON answer (exports and other machine interfaces).
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let (status, body) = ErrorBody::of(&self);
        (status, axum::Json(body)).into_response()
    }
}
