//! The one error type of the application. Server functions return it, the REST API maps it
//! to JSON, and its serialised form never contains internals: database or I/O errors are
//! logged on the server and reach the client only as `Internal`.
use serde::{Deserialize, Serialize};

/// A problem with one input field; `message` is already in the request's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
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

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    /// Message for `field`, if the error is a validation error that names it.
    pub fn message_for(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
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
/// error, so that plain HTTP clients (tests, scripts) see 401/403/404/422 instead of 500.
#[cfg(feature = "ssr")]
pub async fn respond<T>(
    body: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let result = body.await;
    if let Err(err) = &result {
        if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
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
