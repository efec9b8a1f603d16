//! The API's error answer: the application's one error type rendered as JSON with a stable
//! code, plus the protocol errors (token, body) that only the API has.
use app::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// `{ "error": "<code>", "message": "<text>", "fields": [...] }`
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code: `unauthorized`, `forbidden`, `not_found`, `validation`,
    /// `malformed_json`, `unsupported_media_type`, `payload_too_large`, `unavailable`, …
    pub error: String,
    pub message: String,
    /// Per-field (or per-row) problems of a `validation` error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                error: code.to_owned(),
                message: message.into(),
                fields: vec![],
            },
        }
    }

    pub fn unavailable() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the portal cannot answer right now; retry later (treat as configured: fail-open or fail-closed)",
        )
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Validation(fields) => {
                let message = fields
                    .iter()
                    .take(3)
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                let message = match fields.len() {
                    0..=3 => message,
                    n => format!("{message}; and {} more", n - 3),
                };
                ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    body: ErrorBody {
                        error: "validation".into(),
                        message,
                        fields: fields
                            .into_iter()
                            .map(|f| FieldProblem {
                                field: f.field,
                                message: f.message,
                            })
                            .collect(),
                    },
                }
            }
            AppError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "not found"),
            AppError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "forbidden"),
            AppError::Unauthorized => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "unauthorized")
            }
            // Internal errors were logged where they happened; the caller learns only that
            // the portal cannot answer now.
            AppError::Internal | AppError::Transport(_) => ApiError::unavailable(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error in the API");
        ApiError::unavailable()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}
