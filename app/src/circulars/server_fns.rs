//! Server functions for publishers. Every one requires the publisher role on the server;
//! the service checks scope, four eyes and the workflow.
use super::{CircularForm, CircularSummary, VersionId, VersionView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn publisher() -> Result<crate::auth::SessionUser, AppError> {
    crate::auth::guard::require_role(crate::auth::Role::Publisher)
}

/// Circulars with their newest version and, once published, acknowledgment counts.
#[server(prefix = "/fn", endpoint = "circulars/list")]
pub async fn list_circulars() -> Result<Vec<CircularSummary>, AppError> {
    crate::error::respond(async move {
        let user = publisher()?;
        let state = crate::state::app_state();
        super::service::list_for_publisher(&state.db, &user, state.settings.late_joiner_days).await
    })
    .await
}

/// A version with its counts, for the publisher's detail and edit pages.
#[server(prefix = "/fn", endpoint = "circulars/get")]
pub async fn get_version(
    id: VersionId,
) -> Result<(VersionView, Option<super::AckCounts>), AppError> {
    crate::error::respond(async move {
        let user = publisher()?;
        let state = crate::state::app_state();
        let view = super::service::view_for_publisher(&state.db, &user, id).await?;
        let counts = super::service::counts_if_published(
            &state.db,
            view.id,
            view.status,
            state.settings.late_joiner_days,
        )
        .await?;
        Ok((view, counts))
    })
    .await
}

#[server(prefix = "/fn", endpoint = "circulars/save")]
pub async fn save_circular(form: CircularForm) -> Result<VersionId, AppError> {
    crate::error::respond(async move {
        let user = publisher()?;
        let today = crate::time::today_berlin(chrono::Utc::now());
        let valid = super::rules::parse_circular(&form, today).map_err(AppError::fields)?;
        let version = match form.version_id.trim() {
            "" => None,
            s => Some(VersionId(s.parse().map_err(|_| AppError::NotFound)?)),
        };
        let id = super::service::save_draft(&crate::state::app_state().db, &user, version, valid)
            .await?;
        // The saved draft's page follows, for the editor's form post and for a script alike.
        leptos_axum::redirect(&format!("/circulars/{}", id.0));
        Ok(id)
    })
    .await
}

/// Renders Markdown exactly as readers will see it (the editor's live preview), or says why
/// the text cannot be saved.
#[server(prefix = "/fn", endpoint = "circulars/preview")]
pub async fn preview_markdown(body_md: String) -> Result<String, AppError> {
    crate::error::respond(async move {
        publisher()?;
        super::markdown::check(&body_md).map_err(|p| AppError::field("body_md", p))?;
        Ok(super::markdown::render(&body_md))
    })
    .await
}

/// `action`: submit, return, publish or withdraw.
#[server(prefix = "/fn", endpoint = "circulars/workflow")]
pub async fn workflow(id: VersionId, action: String) -> Result<super::VersionStatus, AppError> {
    use super::rules::WorkflowAction;
    crate::error::respond(async move {
        let user = publisher()?;
        let action = match action.as_str() {
            "submit" => WorkflowAction::Submit,
            "return" => WorkflowAction::ReturnToDraft,
            "publish" => WorkflowAction::Publish,
            "withdraw" => WorkflowAction::Withdraw,
            _ => return Err(AppError::NotFound),
        };
        super::service::transition(&crate::state::app_state().db, &user, id, action).await
    })
    .await
}

/// `kind`: material (everyone acknowledges again) or editorial (no new acknowledgment).
#[server(prefix = "/fn", endpoint = "circulars/new_version")]
pub async fn new_version(id: VersionId, kind: String) -> Result<VersionId, AppError> {
    crate::error::respond(async move {
        let user = publisher()?;
        let kind = super::ChangeKind::parse(&kind).ok_or(AppError::NotFound)?;
        let id =
            super::service::new_version(&crate::state::app_state().db, &user, id, kind).await?;
        leptos_axum::redirect(&format!("/circulars/{}/edit", id.0));
        Ok(id)
    })
    .await
}

/// Org units publishers can choose as audience.
#[server(prefix = "/fn", endpoint = "circulars/units")]
pub async fn audience_units() -> Result<Vec<crate::org::OrgUnit>, AppError> {
    crate::error::respond(async move {
        publisher()?;
        Ok(crate::org::repo::list_units(&crate::state::app_state().db)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect())
    })
    .await
}

/// Uploads a PDF attachment to a draft (multipart fields `version_id` and `file`).
#[server(prefix = "/fn", endpoint = "circulars/attach", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn upload_attachment(
    data: leptos::server_fn::codec::MultipartData,
) -> Result<i64, AppError> {
    use crate::i18n::Problem;
    crate::error::respond(async move {
        let user = publisher()?;
        let state = crate::state::app_state();
        let max = state.settings.attachment_max_bytes;
        let mut data = data.into_inner().ok_or(AppError::Internal)?;
        let (mut version, mut filename, mut bytes) = (None, String::new(), Vec::new());
        while let Ok(Some(mut field)) = data.next_field().await {
            match field.name() {
                Some("version_id") => {
                    version = field
                        .text()
                        .await
                        .ok()
                        .and_then(|t| t.trim().parse::<i64>().ok());
                }
                Some("file") => {
                    filename = field.file_name().unwrap_or_default().to_owned();
                    while let Ok(Some(chunk)) = field.chunk().await {
                        bytes.extend_from_slice(&chunk);
                        if bytes.len() > max {
                            return Err(AppError::field(
                                "file",
                                Problem::FileTooLarge(max / (1024 * 1024)),
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        let version = VersionId(version.ok_or(AppError::NotFound)?);
        let filename = super::rules::check_attachment(&filename, &bytes, max)
            .map_err(|p| AppError::field("file", p))?;
        super::service::attach(&state.db, &user, version, &filename, &bytes).await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "circulars/detach")]
pub async fn remove_attachment(id: i64) -> Result<(), AppError> {
    crate::error::respond(async move {
        let user = publisher()?;
        super::service::detach(&crate::state::app_state().db, &user, id).await
    })
    .await
}
