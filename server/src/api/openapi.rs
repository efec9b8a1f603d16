//! The OpenAPI 3 document, generated from the handlers and types above.
use super::error::{ErrorBody, FieldProblem};
use super::handlers;
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rundschreiben-Portal API",
        description = "Inventory reports from MDM systems, bulk device import and access decisions for the mail gateway. Authenticate with `Authorization: Bearer <token>`; tokens are issued by admins with scopes."
    ),
    paths(handlers::report_inventory, handlers::import_devices, handlers::access_decision),
    components(schemas(ErrorBody, FieldProblem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
