//! Database access shared by server functions, the REST API, jobs and the CLI.
//!
//! SQLite is the embedded default, with one writer per process: [`Db`] holds a pool of
//! read-only connections for reads and a single writer connection for writes. Writers wait
//! for that connection in the pool's first-come-first-served queue instead of sleeping in
//! SQLite's busy handler (which wakes at fixed intervals, so under load a writer could wait
//! behind others that came later, and a short acknowledgment behind a long job). Every write
//! transaction starts with `BEGIN IMMEDIATE` (see [`begin_write`]): other processes on the
//! same file (the CLI) still meet at SQLite's lock and wait up to the busy timeout. Reads see
//! the last committed state (WAL) and never wait for the writer.
//!
//! `&Db` is an `sqlx::Executor` that runs on the read pool, so repository reads take `db`
//! like a pool; a write on it fails loudly (the read connections are read-only). Single
//! statements that write take [`Db::writer`]. The PostgreSQL backend will put its own pool
//! behind the same type. SQL uses `$n` placeholders; the SQLite-only parts that backend must
//! translate are listed in the PostgreSQL issue.
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// The database: readers and the one writer (see the module documentation).
#[derive(Clone, Debug)]
pub struct Db {
    read: SqlitePool,
    write: SqlitePool,
}

impl Db {
    /// The pool of read-only connections (also what `&Db` executes on).
    pub fn reader(&self) -> &SqlitePool {
        &self.read
    }

    /// The writer: one connection, handed out first come, first served. For a single
    /// statement that writes; several statements belong in [`begin_write`].
    pub fn writer(&self) -> &SqlitePool {
        &self.write
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

impl<'c> sqlx::Executor<'c> for &'c Db {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<
        'e,
        Result<sqlx::Either<sqlx::sqlite::SqliteQueryResult, sqlx::sqlite::SqliteRow>, sqlx::Error>,
    >
    where
        'c: 'e,
        E: 'q + sqlx::Execute<'q, Sqlite>,
    {
        (&self.read).fetch_many(query)
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<sqlx::sqlite::SqliteRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + sqlx::Execute<'q, Sqlite>,
    {
        (&self.read).fetch_optional(query)
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [sqlx::sqlite::SqliteTypeInfo],
    ) -> BoxFuture<'e, Result<sqlx::sqlite::SqliteStatement<'q>, sqlx::Error>>
    where
        'c: 'e,
    {
        (&self.read).prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<sqlx::Describe<Sqlite>, sqlx::Error>>
    where
        'c: 'e,
    {
        (&self.read).describe(sql)
    }
}

/// A transaction; queries run on it through `&mut *tx` like on a connection.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Sqlite>,
    /// For a write transaction: when it took the write lock, and where it was begun.
    write: Option<(std::time::Instant, &'static std::panic::Location<'static>)>,
}

/// A write transaction that holds the write lock longer than this is logged (a warning with
/// where it began): every other writer, acknowledgments included, waits behind it.
pub const SLOW_WRITE: Duration = Duration::from_millis(100);

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
        let write = self.write;
        let result = self.inner.commit().await;
        if let Some((since, at)) = write {
            let held = since.elapsed();
            if held > SLOW_WRITE {
                tracing::warn!(held_ms = held.as_millis() as u64, begun_at = %at, "slow write transaction");
            }
        }
        result
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

/// Default location of the embedded database, relative to the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/rundschreiben.db";

/// Opens the database: the writer first (it creates the file and switches it to WAL), then
/// `readers` read-only connections.
pub async fn connect(url: &str, readers: u32) -> Result<Db, sqlx::Error> {
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
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        // Writers queue here; a write that cannot start within this time fails instead of
        // piling up requests without end.
        .acquire_timeout(Duration::from_secs(30))
        // An in-process SQLite connection cannot have gone away: the default ping before
        // every acquisition is one more round trip to the connection's thread per query.
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await?;
    let read = SqlitePoolOptions::new()
        .max_connections(readers.max(1))
        .test_before_acquire(false)
        .connect_with(options.read_only(true))
        .await?;
    Ok(Db { read, write })
}

/// Starts a write transaction on the writer connection, taking SQLite's write lock up front.
/// (Not an `async fn`, so that it can note its caller for the slow-transaction warning.)
#[track_caller]
pub fn begin_write(
    db: &Db,
) -> impl std::future::Future<Output = Result<Tx, sqlx::Error>> + Send + '_ {
    let at = std::panic::Location::caller();
    async move {
        let inner = db.write.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Tx {
            inner,
            write: Some((std::time::Instant::now(), at)),
        })
    }
}

/// Starts a read transaction (one consistent snapshot for several queries).
pub async fn begin_read(db: &Db) -> Result<Tx, sqlx::Error> {
    Ok(Tx {
        inner: db.read.begin().await?,
        write: None,
    })
}

/// `%query%` for a case-insensitive `LIKE … ESCAPE '\'` search, with the user's `%`, `_` and
/// `\` taken literally.
pub fn like_pattern(query: &str) -> String {
    like_pattern_as_typed(&query.to_lowercase())
}

/// [`like_pattern`] without lowering the case: SQLite's `lower()` and `LIKE` fold ASCII
/// only, so a capital umlaut in the data ("Özdemir") is matched by the query as typed.
pub fn like_pattern_as_typed(query: &str) -> String {
    let escaped = query
        .trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn scratch(name: &str) -> Db {
        let path = std::env::temp_dir().join(format!(
            "rundschreiben-db-{name}-{}-{}.db",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        let db = connect(&format!("sqlite://{}", path.display()), 4)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT NOT NULL)")
            .execute(db.writer())
            .await
            .unwrap();
        db
    }

    #[tokio::test]
    async fn a_search_finds_capital_umlauts_as_typed_and_takes_wildcards_literally() {
        let db = scratch("like").await;
        for who in ["Özdemir", "Müller", "50%_rabatt"] {
            sqlx::query("INSERT INTO t (who) VALUES ($1)")
                .bind(who)
                .execute(db.writer())
                .await
                .unwrap();
        }
        let find = |q: &'static str| {
            let db = db.clone();
            async move {
                sqlx::query_scalar::<_, String>(
                    "SELECT who FROM t WHERE lower(who) LIKE $1 ESCAPE '\\' OR who LIKE $2 ESCAPE '\\' ORDER BY id",
                )
                .bind(like_pattern(q))
                .bind(like_pattern_as_typed(q))
                .fetch_all(&db)
                .await
                .unwrap()
            }
        };
        assert_eq!(find("Özdemir").await, ["Özdemir"]);
        assert_eq!(find("MÜLLER").await, ["Müller"]);
        // The known limit: SQLite folds ASCII only, so a capital umlaut needs to be typed.
        assert_eq!(find("özdemir").await, Vec::<String>::new());
        assert_eq!(find("müller").await, ["Müller"]);
        assert_eq!(find("%_").await, ["50%_rabatt"]);
    }

    #[tokio::test]
    async fn readers_cannot_write() {
        let db = scratch("readonly").await;
        let err = sqlx::query("INSERT INTO t (who) VALUES ('reader')")
            .execute(&db)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
        sqlx::query("INSERT INTO t (who) VALUES ('writer')")
            .execute(db.writer())
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_are_served_in_the_order_they_came() {
        let db = scratch("fifo").await;
        // A long write transaction holds the writer, as a background job would.
        let mut long = begin_write(&db).await.unwrap();
        sqlx::query("INSERT INTO t (who) VALUES ('job')")
            .execute(&mut *long)
            .await
            .unwrap();
        let mut waiting = vec![];
        for n in 0..20 {
            let request_db = db.clone();
            waiting.push(tokio::spawn(async move {
                let mut tx = begin_write(&request_db).await.unwrap();
                sqlx::query("INSERT INTO t (who) VALUES ($1)")
                    .bind(format!("request {n:02}"))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }));
            // Requests arrive one after the other (the pool does not tell how many wait, so
            // arrivals are spaced rather than awaited).
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Meanwhile reads go on: they never wait for the writer.
        let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(seen, 0, "the job's insert is not committed yet");
        long.commit().await.unwrap();
        for w in waiting {
            w.await.unwrap();
        }
        let order: Vec<String> = sqlx::query_scalar("SELECT who FROM t ORDER BY id")
            .fetch_all(&db)
            .await
            .unwrap();
        let mut expected = vec!["job".to_owned()];
        expected.extend((0..20).map(|n| format!("request {n:02}")));
        assert_eq!(order, expected);
    }
}
