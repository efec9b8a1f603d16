//! Server functions of the compliance views. Owners see their own devices, heads their
//! subtrees, admins everything plus exemptions, dry runs and the device import.
use super::{DryRunRow, Overview, Standing};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

#[cfg(feature = "ssr")]
mod prelude {
    pub use crate::auth::guard::{ctx, require_role, require_user};
    pub use crate::auth::Role;
    pub use crate::compliance::{engine, repo};
    pub use crate::db::begin_write;
    pub use crate::error::respond;
    pub use crate::state::app_state;
}

/// The signed-in person's devices that are not compliant, with what to do.
#[server(prefix = "/fn", endpoint = "compliance/mine")]
pub async fn my_compliance() -> Result<Vec<Standing>, AppError> {
    use prelude::*;
    respond(async move {
        let user = require_user()?;
        let filter = repo::StandingFilter {
            scopes: None,
            state: None,
            circular_id: None,
            owner: Some(user.id),
            limit: 100,
        };
        Ok(repo::standings(&app_state().db, &filter).await?)
    })
    .await
}

/// The compliance overview: admins see the whole city and may filter; heads see their
/// subtrees only (counts per unit and the warned/blocked devices).
#[server(prefix = "/fn", endpoint = "compliance/overview")]
pub async fn compliance_overview(
    #[server(default)] state: String,
    #[server(default)] circular: String,
) -> Result<Overview, AppError> {
    use prelude::*;
    respond(async move {
        let user = require_user()?;
        let db = app_state().db;
        let is_admin = user.is_admin();
        let scopes = crate::tracking::rules::head_scopes(&user);
        if !is_admin && scopes.is_empty() {
            return Err(AppError::Forbidden);
        }
        let scope = (!is_admin).then_some(scopes.as_slice());
        let state = super::ComplianceState::parse(&state);
        let circular_id = circular.trim().parse::<i64>().ok();
        let mut standings = repo::standings(
            &db,
            &repo::StandingFilter {
                scopes: scope,
                state,
                circular_id,
                owner: None,
                limit: 500,
            },
        )
        .await?;
        if !is_admin {
            standings.retain(|s| super::rules::shown_to_heads(s.state));
        }
        let now = chrono::Utc::now();
        Ok(Overview {
            is_admin,
            units: repo::unit_counts(&db, scope).await?,
            standings,
            exemptions: if is_admin {
                repo::exemptions(&db, crate::time::today_berlin(now)).await?
            } else {
                vec![]
            },
            circulars: repo::in_force(&db)
                .await?
                .into_iter()
                .map(|c| (c.circular_id, format!("{} – {}", c.number, c.title)))
                .collect(),
        })
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
pub async fn grant_exemption(form: ExemptionForm) -> Result<i64, AppError> {
    use crate::i18n::Problem;
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        let locale = ctx().locale;
        let state = app_state();
        let now = chrono::Utc::now();
        let mut problems = vec![];
        let reason = form.reason.split_whitespace().collect::<Vec<_>>().join(" ");
        if reason.chars().count() < 5 {
            problems.push(("reason", Problem::TooShort(5)));
        } else if reason.chars().count() > 500 {
            problems.push(("reason", Problem::TooLong(500)));
        }
        let until = chrono::NaiveDate::parse_from_str(form.valid_until.trim(), "%Y-%m-%d");
        match until {
            Err(_) => problems.push(("valid_until", Problem::InvalidDate)),
            Ok(d) if d < crate::time::today_berlin(now) => {
                problems.push(("valid_until", Problem::DateInPast));
            }
            Ok(_) => {}
        }
        let circulars = repo::in_force(&state.db).await?;
        let circular = form
            .circular
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|c| circulars.iter().any(|f| f.circular_id == *c));
        if circular.is_none() {
            problems.push(("circular", Problem::Required));
        }
        let mut tx = begin_write(&state.db).await?;
        let device = repo::device_by_mdm(&mut tx, form.mdm_id.trim()).await?;
        if device.as_ref().is_none_or(|d| d.retired_at.is_some()) {
            problems.push(("mdm_id", Problem::UnknownDevice));
        }
        if !problems.is_empty() {
            return Err(crate::org::rules::into_error(problems, locale));
        }
        let (device, circular, until) = (
            device.expect("checked"),
            circular.expect("checked"),
            until.expect("checked"),
        );
        let id = repo::insert_exemption(&mut tx, device.id, circular, &reason, until, admin.id, now)
            .await?;
        crate::org::repo::audit(
            &mut tx,
            Some(admin.id),
            "exemption.grant",
            &format!("device:{}", device.id.0),
            serde_json::json!({ "exemption": id, "circular": circular, "valid_until": until, "reason": reason }),
            now,
        )
        .await?;
        engine::reevaluate(&mut tx, device.id, &state.settings.compliance, &state.links(), now, "exemption").await?;
        tx.commit().await?;
        Ok(id)
    })
    .await
}

/// Ends an exemption early (admins); the device is re-evaluated at once.
#[server(prefix = "/fn", endpoint = "compliance/revoke_exemption")]
pub async fn revoke_exemption(id: i64) -> Result<(), AppError> {
    use prelude::*;
    respond(async move {
        let admin = require_role(Role::Admin)?;
        let state = app_state();
        let now = chrono::Utc::now();
        let mut tx = begin_write(&state.db).await?;
        let device = repo::revoke_exemption(&mut tx, id, now)
            .await?
            .ok_or(AppError::NotFound)?;
        crate::org::repo::audit(
            &mut tx,
            Some(admin.id),
            "exemption.revoke",
            &format!("device:{}", device.0),
            serde_json::json!({ "exemption": id }),
            now,
        )
        .await?;
        engine::reevaluate(
            &mut tx,
            device,
            &state.settings.compliance,
            &state.links(),
            now,
            "exemption",
        )
        .await?;
        tx.commit().await?;
        Ok(())
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
        let locale = ctx().locale;
        let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::field("date", Problem::InvalidDate.message(locale)))?;
        let circular = circular
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::field("circular", Problem::Required.message(locale)))?;
        let state = app_state();
        engine::dry_run(
            &state.db,
            &state.settings.compliance,
            circular,
            day,
            chrono::Utc::now(),
        )
        .await?
        .ok_or_else(|| AppError::field("circular", Problem::Required.message(locale)))
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
        let locale = ctx().locale;
        let bytes =
            crate::upload::read_file(data, crate::upload::DEVICE_IMPORT_MAX_MB, locale).await?;
        let rows = crate::devices::import::parse_csv(&bytes, locale)?;
        let line = if locale == crate::i18n::Locale::De {
            "Zeile"
        } else {
            "line"
        };
        let s = crate::devices::import::import(
            &app_state().db,
            rows,
            line,
            Some(admin.id),
            locale,
            chrono::Utc::now(),
        )
        .await?;
        Ok(crate::compliance::ImportCounts {
            created: s.created,
            updated: s.updated,
        })
    })
    .await
}
