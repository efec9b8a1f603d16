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
        let db = crate::state::app_state().db;
        let now = chrono::Utc::now();
        super::service::issue_checked(&db, &name, &scopes, Some(admin.id), now).await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "tokens/revoke")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    crate::error::respond(async move {
        let admin = crate::auth::guard::require_role(crate::auth::Role::Admin)?;
        let state = crate::state::app_state();
        super::service::revoke(&state.db, id, Some(admin.id), chrono::Utc::now()).await?;
        // This node forgets the token at once; other nodes within the cache TTL.
        state.tokens.clear();
        Ok(())
    })
    .await
}
