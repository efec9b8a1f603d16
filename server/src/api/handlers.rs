//! API handlers: token and scope check, body decoding, then one call into the domain.
use super::error::{ApiError, ErrorBody};
use app::auth::client_ip::ClientIp;
use app::compliance::engine::{AccessDecision, InventoryReport, ReportOutcome};
use app::devices::import::{self, DeviceImport, ImportSummary};
use app::state::AppState;
use app::tokens::{rules::bearer, Scope};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Extension;
use axum::Json;

fn too_many_requests(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests {what}; slow down and retry in a second"),
    )
}

/// Checks rate limits and the token of the request: it must be active and have `scope`.
/// Requests without a valid token get a much lower rate per client address, so guessing
/// tokens is cut off early.
pub async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    ip: ClientIp,
    scope: Scope,
) -> Result<(), ApiError> {
    let rates = &state.settings.api_rates;
    if !state.api_limits.allow(&format!("ip:{ip}"), rates.per_ip) {
        tracing::warn!(client_ip = %ip, "API rate limit per address");
        return Err(too_many_requests("from this address"));
    }
    let unauthorized = |m: &str| {
        if state
            .api_limits
            .allow(&format!("unauth:{ip}"), rates.unauthenticated_per_ip)
        {
            tracing::warn!(client_ip = %ip, reason = m, "API request without a valid token");
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m)
        } else {
            too_many_requests("without a valid token from this address")
        }
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized("missing Authorization: Bearer <token> header"));
    };
    let Some(secret) = value.to_str().ok().and_then(bearer) else {
        return Err(unauthorized("malformed bearer token"));
    };
    let Some(token) = state.tokens.lookup(&state.db, secret).await? else {
        return Err(unauthorized("unknown or revoked token"));
    };
    if !state
        .api_limits
        .allow(&format!("token:{}", token.id), rates.per_token)
    {
        tracing::warn!(token_id = token.id, "API rate limit per token");
        return Err(too_many_requests("with this token"));
    }
    if !token.scopes.contains(&scope) {
        tracing::warn!(
            token_id = token.id,
            scope = scope.as_str(),
            "API token lacks a scope"
        );
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this token lacks the scope {}", scope.as_str()),
        ));
    }
    Ok(())
}

/// The client address the security layer recorded for the request.
fn client_ip_of(request: &Request) -> ClientIp {
    request
        .extensions()
        .get::<ClientIp>()
        .copied()
        .unwrap_or(ClientIp(std::net::IpAddr::from([0, 0, 0, 0])))
}

/// A JSON body or a clear error about why it is not one.
fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    match body {
        Ok(Json(v)) => Ok(v),
        Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send Content-Type: application/json",
        )),
        Err(rej) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
        Err(rej) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            rej.body_text(),
        )),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "request body is too large",
    )
}

/// Report a device's inventory.
#[utoipa::path(
    post, path = "/api/v1/inventory", tag = "compliance",
    request_body = InventoryReport,
    responses(
        (status = 200, description = "Report applied; the device's standings and access decision", body = ReportOutcome),
        (status = 400, description = "Body is not valid JSON of this shape", body = ErrorBody),
        (status = 401, description = "Missing, malformed, unknown or revoked token", body = ErrorBody),
        (status = 403, description = "Token lacks `inventory:write`", body = ErrorBody),
        (status = 413, description = "Body larger than 1 MB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Unknown device without owner, bad platform, too many apps", body = ErrorBody),
        (status = 429, description = "Rate limit of the token, the client address, or of requests without a valid token (`rate_limited`)", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    ),
    security(("bearer" = ["inventory:write"]))
)]
pub async fn report_inventory(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<ReportOutcome>, ApiError> {
    // The token is checked before a byte of the body is read.
    authorize(
        &state,
        request.headers(),
        client_ip_of(&request),
        Scope::InventoryWrite,
    )
    .await?;
    let report = json_body(Json::<InventoryReport>::from_request(request, &state).await)?;
    Ok(Json(state.reports.report(report, None).await?))
}

/// Import or update devices (upsert by `mdm_id`), all or nothing.
#[utoipa::path(
    post, path = "/api/v1/devices/import", tag = "devices",
    request_body(content(
        (DeviceImport = "application/json"),
        (String = "text/csv", example = "mdm_id,owner,platform,kind,label\nMDM-1,max.mustermann@musterstadt.de,android,phone,Diensthandy")
    )),
    responses(
        (status = 200, description = "All rows imported", body = ImportSummary),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing or bad token", body = ErrorBody),
        (status = 403, description = "Token lacks `devices:write`", body = ErrorBody),
        (status = 413, description = "Body larger than 32 MB", body = ErrorBody),
        (status = 415, description = "Neither JSON nor CSV", body = ErrorBody),
        (status = 422, description = "Rows with errors (nothing was written); `fields` names each", body = ErrorBody),
        (status = 429, description = "Rate limit of the token, the client address, or of requests without a valid token (`rate_limited`)", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    ),
    security(("bearer" = ["devices:write"]))
)]
pub async fn import_devices(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<ImportSummary>, ApiError> {
    // The token is checked before a byte of the body is read.
    authorize(
        &state,
        request.headers(),
        client_ip_of(&request),
        Scope::DevicesWrite,
    )
    .await?;
    let headers = request.headers().clone();
    let body = axum::body::Bytes::from_request(request, &state)
        .await
        .map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", rej.body_text())
            }
        })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let rows = if content_type.starts_with("application/json") {
        let parsed: DeviceImport = serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.to_string()))?;
        // JSON rows are named by their position, counted from 1 ("device 2").
        parsed
            .devices
            .into_iter()
            .enumerate()
            .map(|(i, d)| (app::error::Row::Device(i + 1), d))
            .collect()
    } else if content_type.starts_with("text/csv") {
        import::parse_csv(&body)?
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/json or text/csv",
        ));
    };
    let summary = import::import(&state.db, rows, None, chrono::Utc::now()).await?;
    Ok(Json(summary))
}

/// May this device sync mail, contacts and calendar now?
#[utoipa::path(
    get, path = "/api/v1/devices/{mdm_id}/access", tag = "compliance",
    params(("mdm_id" = String, Path, description = "The device's MDM id")),
    responses(
        (status = 200, description = "`allow` or `deny` with the reasons", body = AccessDecision),
        (status = 401, description = "Missing or bad token", body = ErrorBody),
        (status = 403, description = "Token lacks `access:read`", body = ErrorBody),
        (status = 404, description = "No device with this MDM id (`unknown_device`)", body = ErrorBody),
        (status = 429, description = "Rate limit of the token, the client address, or of requests without a valid token (`rate_limited`)", body = ErrorBody),
        (status = 503, description = "The portal cannot decide now; never an `allow`", body = ErrorBody),
    ),
    security(("bearer" = ["access:read"]))
)]
pub async fn access_decision(
    State(state): State<AppState>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    Path(mdm_id): Path<String>,
) -> Result<Json<AccessDecision>, ApiError> {
    authorize(&state, &headers, ip, Scope::AccessRead).await?;
    match state.access.decide(&mdm_id, chrono::Utc::now()) {
        Ok(Some(decision)) => Ok(Json(decision)),
        Ok(None) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_device",
            "no device with this mdm_id is registered",
        )),
        // The snapshot could not be refreshed recently: no answer rather than an old one.
        Err(_) => Err(ApiError::unavailable()),
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not support the method",
    )
}
