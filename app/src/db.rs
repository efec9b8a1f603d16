//! Database access shared by server functions, the REST API, jobs and the CLI.
//!
//! SQLite is the embedded default. Every write transaction that reads before it writes
//! starts with `BEGIN IMMEDIATE` (see [`begin_write`]) so that two writers never both hold a
//! read snapshot and then fail with SQLITE_BUSY on upgrade; the busy timeout makes the second
//! writer wait instead. SQL uses `$n` placeholders; the SQLite-only parts that a PostgreSQL
//! backend must translate are listed in the PostgreSQL issue.
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub type Db = sqlx::SqlitePool;

/// A transaction; queries run on it through `&mut *tx` like on a connection.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Sqlite>,
}

impl std::ops::Deref for Tx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

/// Default location of the embedded database, relative to the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/rundschreiben.db";

pub async fn connect(url: &str, max_connections: u32) -> Result<Db, sqlx::Error> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
            }
        }
    }
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    SqlitePoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await
}

/// Starts a write transaction that takes the write lock up front; writers of all nodes meet
/// at SQLite's lock and wait up to the busy timeout. (Inventory reports, the one write path
/// under heavy load, are funnelled through one writer task per node, see
/// `compliance::engine::ReportQueue`.)
pub async fn begin_write(db: &Db) -> Result<Tx, sqlx::Error> {
    Ok(Tx {
        inner: db.begin_with("BEGIN IMMEDIATE").await?,
    })
}

/// Starts a read transaction (one consistent snapshot for several queries).
pub async fn begin_read(db: &Db) -> Result<Tx, sqlx::Error> {
    Ok(Tx {
        inner: db.begin().await?,
    })
}

/// `%query%` for a case-insensitive `LIKE … ESCAPE '\'` search, with the user's `%`, `_` and
/// `\` taken literally.
pub fn like_pattern(query: &str) -> String {
    let escaped = query
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
