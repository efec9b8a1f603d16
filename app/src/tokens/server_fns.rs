//! Admin server functions for API tokens.
use super::{IssuedToken, TokenSummary};
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, AppError> {
    crate::error::respond(async move {
        crate::auth::guard::require_role(crate::auth::Role::Admin)?;
        Ok(super::repo::list(&crate::state::app_state().db).await?)
    })
    .await
}

/// Issues a token; the answer carries the secret, which is never shown again.
#[server(prefix = "/fn", endpoint = "tokens/create")]
pub async fn create_token(
    name: String,
    #[server(default)] scopes: Vec<String>,
) -> Result<IssuedToken, AppError> {
    crate::error::respond(async move {
        let admin = crate::auth::guard::require_role(crate::auth::Role::Admin)?;
        let mut problems = vec![];
        let name = super::rules::parse_name(&name)
            .map_err(|p| problems.push(("name", p)))
            .ok();
        let scopes = super::rules::parse_scopes(&scopes.join(" "))
            .map_err(|p| problems.push(("scopes", p)))
            .ok();
        let (Some(name), Some(scopes)) = (name, scopes) else {
            return Err(AppError::fields(problems));
        };
        let db = crate::state::app_state().db;
        let mut tx = crate::db::begin_write(&db).await?;
        let issued =
            super::repo::issue(&mut tx, &name, &scopes, Some(admin.id), chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok(issued)
    })
    .await
}

#[server(prefix = "/fn", endpoint = "tokens/revoke")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    crate::error::respond(async move {
        let admin = crate::auth::guard::require_role(crate::auth::Role::Admin)?;
        let state = crate::state::app_state();
        let mut tx = crate::db::begin_write(&state.db).await?;
        if !super::repo::revoke(&mut tx, id, Some(admin.id), chrono::Utc::now()).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        // This node forgets the token at once; other nodes within the cache TTL.
        state.tokens.clear();
        Ok(())
    })
    .await
}
