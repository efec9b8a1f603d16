//! The REST API for other systems under `/api/v1`: MDM inventory reports, bulk device
//! import and the access decision for the mail gateway. Bearer tokens with scopes; JSON in
//! and out; errors as `{ "error": code, "message": text }`. Handlers are thin: they check
//! the token and call the compliance domain in the app crate.
mod error;
mod handlers;
pub mod openapi;

use app::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
pub use error::ApiError;

/// Largest inventory report body (5,000 apps with names and versions fit easily).
pub const REPORT_MAX_BYTES: usize = 1024 * 1024;
/// Largest device import body (200,000 CSV rows fit).
pub const IMPORT_MAX_BYTES: usize = 32 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route(
            "/inventory",
            post(handlers::report_inventory).layer(DefaultBodyLimit::max(REPORT_MAX_BYTES)),
        )
        .route(
            "/devices/import",
            post(handlers::import_devices).layer(DefaultBodyLimit::max(IMPORT_MAX_BYTES)),
        )
        .route("/devices/{mdm_id}/access", get(handlers::access_decision))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
}
