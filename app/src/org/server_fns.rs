//! Server functions of the organisation domain. Each one checks the admin role on the
//! server, parses its raw input with the pure rules, and calls the service.
use super::{ImportOutcome, OrgUnit, OrgUnitId, UnitForm, UserDetail, UserForm, UserId, UserPage};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

#[cfg(feature = "ssr")]
mod prelude {
    pub use crate::auth::guard::require_role;
    pub use crate::auth::Role;
    pub use crate::error::respond;
    pub use crate::org::{repo, rules, service};
    pub use crate::state::app_state;
}

pub const USERS_PER_PAGE: i64 = 25;
/// Largest CSV accepted by the upload form (the CLI has no limit).
pub const MAX_UPLOAD_MB: usize = 5;

#[server(prefix = "/fn", endpoint = "org/list_units")]
pub async fn list_units() -> Result<Vec<OrgUnit>, AppError> {
    use prelude::*;
    respond(async move {
        require_role(Role::Admin)?;
        Ok(repo::list_units(&app_state().db).await?)
    })
    .await
}

#[server(prefix = "/fn", endpoint = "org/get_unit")]
pub async fn get_unit(id: OrgUnitId) -> Result<OrgUnit, AppError> {
    use prelude::*;
    respond(async move {
        require_role(Role::Admin)?;
        repo::get_unit(&app_state().db, id)
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

#[server(prefix = "/fn", endpoint = "org/save_unit")]
pub async fn save_unit(form: UnitForm) -> Result<OrgUnitId, AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        let unit = rules::parse_unit(&form).map_err(AppError::fields)?;
        service::save_unit(&app_state().db, Some(admin.id), unit).await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "org/set_unit_active")]
pub async fn set_unit_active(id: OrgUnitId, active: bool) -> Result<(), AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        service::set_unit_active(&app_state().db, Some(admin.id), id, active).await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "org/search_users")]
pub async fn search_users(q: String, page: i64) -> Result<UserPage, AppError> {
    use prelude::*;
    respond(async move {
        require_role(Role::Admin)?;
        let q: String = q.chars().take(100).collect();
        Ok(repo::search_users(&app_state().db, &q, page, USERS_PER_PAGE).await?)
    })
    .await
}

#[server(prefix = "/fn", endpoint = "org/get_user")]
pub async fn get_user(id: UserId) -> Result<UserDetail, AppError> {
    use prelude::*;
    respond(async move {
        require_role(Role::Admin)?;
        repo::get_user(&app_state().db, id)
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

#[server(prefix = "/fn", endpoint = "org/save_user")]
pub async fn save_user(form: UserForm) -> Result<UserId, AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        let user = rules::parse_user(&form).map_err(AppError::fields)?;
        let state = app_state();
        service::save_user(&state.db, &state.passwords, Some(admin.id), user).await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "org/set_user_active")]
pub async fn set_user_active(id: UserId, active: bool) -> Result<(), AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        service::set_user_active(&app_state().db, admin.id, id, active).await
    })
    .await
}

/// Grants (`grant = true`) or revokes a role; `scope_unit_id` is empty for city-wide roles.
#[server(prefix = "/fn", endpoint = "org/change_role")]
pub async fn change_role(
    user_id: UserId,
    role: String,
    scope_unit_id: String,
    grant: bool,
) -> Result<(), AppError> {
    use crate::i18n::Problem;
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        let role =
            Role::parse(&role).ok_or_else(|| AppError::field("role", Problem::UnknownRole))?;
        let scope = match scope_unit_id.trim() {
            "" => None,
            s => Some(OrgUnitId(s.parse().map_err(|_| {
                AppError::field("scope_unit_id", Problem::UnknownUnit)
            })?)),
        };
        service::change_role(&app_state().db, Some(admin.id), user_id, role, scope, grant).await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "org/set_user_password")]
pub async fn set_user_password(id: UserId, new_password: String) -> Result<(), AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        let state = app_state();
        service::set_password(
            &state.db,
            &state.passwords,
            Some(admin.id),
            id,
            &new_password,
        )
        .await?;
        // The reset ended every session of the account; an admin resetting their own
        // password keeps this one (under a new id).
        if id == admin.id {
            crate::auth::session::keep_current_session(admin.id).await?;
        }
        Ok(())
    })
    .await
}

/// Ends every session of a user (e.g. a lost laptop); an admin ending their own keeps the
/// current one.
#[server(prefix = "/fn", endpoint = "org/end_user_sessions")]
pub async fn end_user_sessions(id: UserId) -> Result<(), AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        service::end_all_sessions(&app_state().db, admin.id, id).await?;
        if id == admin.id {
            crate::auth::session::keep_current_session(admin.id).await?;
        }
        Ok(())
    })
    .await
}

/// Removes a person's second factor (phone and recovery codes lost) and ends their
/// sessions; audited. Admins reset their own on their profile by setting it up again.
#[server(prefix = "/fn", endpoint = "org/reset_second_factor")]
pub async fn reset_second_factor(id: UserId) -> Result<(), AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        crate::auth::service::reset_by_admin(&app_state().db, admin.id, id, chrono::Utc::now())
            .await?;
        tracing::info!(admin_id = admin.id.0, user_id = id.0, "second factor reset");
        Ok(())
    })
    .await
}

/// Upload of a units or users CSV (multipart field `file`).
#[server(prefix = "/fn", endpoint = "org/import", input = MultipartFormData)]
pub async fn import_org(data: MultipartData) -> Result<ImportOutcome, AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        let bytes = crate::upload::read_file(data, MAX_UPLOAD_MB).await?;
        Ok(
            match super::import::import(&app_state().db, Some(admin.id), &bytes).await? {
                // A page lists the first problems (see `error::PAGE_PROBLEMS`).
                ImportOutcome::Rejected(errors) => {
                    ImportOutcome::Rejected(crate::error::first_problems(errors, |more| {
                        super::RowError {
                            line: 1,
                            field: "file".into(),
                            problem: crate::i18n::Problem::MoreProblems(more),
                        }
                    }))
                }
                outcome => outcome,
            },
        )
    })
    .await
}
