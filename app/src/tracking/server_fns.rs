//! Server functions of tracking; the service checks the viewer's scope on the server.
use super::Dashboard;
use crate::circulars::VersionId;
use crate::error::AppError;
use crate::org::{OrgUnitId, UserId};
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "tracking/dashboard")]
pub async fn load_dashboard(
    #[server(default)] version: Option<VersionId>,
    #[server(default)] unit: Option<OrgUnitId>,
) -> Result<Dashboard, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let state = crate::state::app_state();
        super::service::dashboard(
            &state.db,
            &state.settings,
            &user,
            version,
            unit,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

/// A head records a paper acknowledgment for a person in their scope; the remark is
/// mandatory and the record names the head.
#[server(prefix = "/fn", endpoint = "tracking/on_behalf")]
pub async fn acknowledge_on_behalf(
    version_id: VersionId,
    user_id: UserId,
    remark: String,
) -> Result<i64, AppError> {
    crate::error::respond(async move {
        let head = crate::auth::guard::require_user()?;
        let locale = crate::auth::guard::ctx().locale;
        let remark =
            super::rules::parse_remark(&remark).map_err(|p| AppError::field("remark", p))?;
        let state = crate::state::app_state();
        let id = super::service::acknowledge_on_behalf(
            &state.db,
            &state.settings,
            &head,
            &super::service::PaperAck {
                version: version_id,
                person: user_id,
                remark: &remark,
            },
            locale,
            chrono::Utc::now(),
        )
        .await?;
        Ok(id.0)
    })
    .await
}

/// A head (or publisher/admin) reminds everybody open in a unit's subtree by mail; a second
/// click the same day sends nothing new. Returns the number of mails enqueued.
#[server(prefix = "/fn", endpoint = "tracking/remind")]
pub async fn remind_unit(version_id: VersionId, unit_id: OrgUnitId) -> Result<usize, AppError> {
    crate::error::respond(async move {
        let user = crate::auth::guard::require_user()?;
        let state = crate::state::app_state();
        super::service::remind_unit(
            &state.db,
            &state.settings,
            &state.base_url(),
            &user,
            version_id,
            unit_id,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}
