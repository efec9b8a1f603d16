//! SQL of the server itself rather than of a domain: what the readiness check reads.
use app::db::Db;

/// How many migrations have been applied successfully.
pub async fn applied_migrations(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(db)
        .await
}
