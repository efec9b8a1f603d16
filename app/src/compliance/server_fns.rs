//! Server functions of the compliance views. Owners see their own devices, heads their
//! subtrees, admins everything plus exemptions, dry runs and the device import.
use super::{DryRunRow, ExemptionId, Finding, Overview};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

#[cfg(feature = "ssr")]
mod prelude {
    pub use crate::auth::guard::{require_role, require_user};
    pub use crate::auth::Role;
    pub use crate::circulars::CircularId;
    pub use crate::compliance::{engine, service};
    pub use crate::error::respond;
    pub use crate::state::app_state;
}

/// The signed-in person's devices that are not compliant, with what to do.
#[server(prefix = "/fn", endpoint = "compliance/mine")]
pub async fn my_compliance() -> Result<Vec<Finding>, AppError> {
    use prelude::*;
    respond(async move {
        let user = require_user()?;
        service::own_findings(&app_state().db, &user).await
    })
    .await
}

/// The compliance overview: admins see the whole city and may filter; heads see their
/// subtrees only (counts per unit and the warned/blocked devices). The filters come from a
/// GET form, so an empty or unknown value means "all"; `after` (a findings key from the
/// page's "next" link) and `units_page` choose the pages, from the first when unreadable.
#[server(prefix = "/fn", endpoint = "compliance/overview")]
pub async fn compliance_overview(
    #[server(default)] state: String,
    #[server(default)] circular: String,
    #[server(default)] after: String,
    #[server(default)] units_page: String,
) -> Result<Overview, AppError> {
    use prelude::*;
    respond(async move {
        let user = require_user()?;
        let state = super::ComplianceState::parse(&state);
        let circular = circular.trim().parse().ok().map(CircularId);
        let page = service::OverviewPage {
            after: super::rules::FindingCursor::parse(&after),
            units_page: units_page.trim().parse().unwrap_or(0),
        };
        service::overview(
            &app_state().db,
            &user,
            state,
            circular,
            &page,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

/// Raw exemption form.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExemptionForm {
    #[serde(default)]
    pub mdm_id: String,
    #[serde(default)]
    pub circular: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub valid_until: String,
}

/// Grants a time-limited exemption (admins); the device is re-evaluated at once.
#[server(prefix = "/fn", endpoint = "compliance/exempt")]
pub async fn grant_exemption(form: ExemptionForm) -> Result<ExemptionId, AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        let ctx = service::Exempting::by(&app_state(), admin.id);
        service::grant_exemption(&ctx, &form).await
    })
    .await
}

/// Ends an exemption early (admins); the device is re-evaluated at once.
#[server(prefix = "/fn", endpoint = "compliance/revoke_exemption")]
pub async fn revoke_exemption(id: ExemptionId) -> Result<(), AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        let ctx = service::Exempting::by(&app_state(), admin.id);
        service::revoke_exemption(&ctx, id).await
    })
    .await
}

/// Who would be warned or blocked on `date` under a circular (admins).
#[server(prefix = "/fn", endpoint = "compliance/dry_run")]
pub async fn dry_run(circular: String, date: String) -> Result<Vec<DryRunRow>, AppError> {
    use crate::i18n::Problem;
    use prelude::*;
    respond(async move {
        require_role(Role::Admin)?;
        let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::field("date", Problem::InvalidDate))?;
        let no_ban = || AppError::field("circular", Problem::Required);
        let circular = CircularId(circular.trim().parse().map_err(|_| no_ban())?);
        let state = app_state();
        let settings = &state.settings.compliance;
        engine::dry_run(&state.db, settings, circular, day, chrono::Utc::now())
            .await?
            .ok_or_else(no_ban)
    })
    .await
}

/// Upload of a device CSV (admins): upsert by MDM id, all or nothing.
#[server(prefix = "/fn", endpoint = "compliance/import_devices", input = MultipartFormData)]
pub async fn import_devices(
    data: MultipartData,
) -> Result<crate::compliance::ImportCounts, AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        let bytes = crate::upload::read_file(data, crate::upload::DEVICE_IMPORT_MAX_MB).await?;
        let cap = AppError::capped;
        let rows = crate::devices::import::parse_csv(&bytes).map_err(cap)?;
        let s = crate::devices::import::import(
            &app_state().db,
            rows,
            Some(admin.id),
            chrono::Utc::now(),
        )
        .await
        .map_err(cap)?;
        Ok(crate::compliance::ImportCounts {
            created: s.created,
            updated: s.updated,
        })
    })
    .await
}
