//! The session store on the split database: sessions are read on the read pool (every
//! request loads one) and written through the single writer, like every other write.
//!
//! Records read from the database are kept in memory, so that a signed-in request does not
//! pay a round trip to a read connection for its session (at the morning peak that is one
//! of the three statements of an acknowledgment). This is only sound because one process
//! owns the embedded SQLite file and every write of a record goes through this store: the
//! cache holds nothing but values read from the database with no write in between (see
//! [`Cache`]). Several nodes on one database (PostgreSQL) must not use it.
use app::db::Db;
use std::collections::HashMap;
use std::sync::Mutex;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::SqliteStore;

/// At most this many records are kept (a few hundred bytes each). When full, an arbitrary
/// one makes room: a miss costs one read, as without the cache.
const CACHED_RECORDS: usize = 20_000;

#[derive(Debug, Clone)]
pub struct Sessions {
    read: SqliteStore,
    write: SqliteStore,
    cache: std::sync::Arc<Mutex<Cache>>,
}

/// Records as last read from the database. Every write (create, save, delete) drops the id
/// from the cache and counts a generation before it starts and again when it has ended (or
/// was abandoned, see [`Writing`]); a read stores what it read only if no write started or
/// ended since it began. So a record in the cache is never older than the database's.
#[derive(Debug, Default)]
struct Cache {
    records: HashMap<Id, Record>,
    generation: u64,
}

impl Cache {
    fn get(&mut self, id: &Id, now: time::OffsetDateTime) -> Option<Record> {
        match self.records.get(id) {
            Some(r) if r.expiry_date > now => Some(r.clone()),
            Some(_) => {
                self.records.remove(id);
                None
            }
            None => None,
        }
    }

    fn store(&mut self, record: Record, read_at_generation: u64) {
        if self.generation != read_at_generation {
            return;
        }
        if self.records.len() >= CACHED_RECORDS {
            if let Some(any) = self.records.keys().next().copied() {
                self.records.remove(&any);
            }
        }
        self.records.insert(record.id, record);
    }

    fn written(&mut self, id: &Id) {
        self.generation += 1;
        self.records.remove(id);
    }
}

impl Sessions {
    pub fn new(db: &Db) -> Sessions {
        Sessions {
            read: SqliteStore::new(db.reader().clone()),
            write: SqliteStore::new(db.writer().clone()),
            cache: Default::default(),
        }
    }

    /// Creates the session table if it is missing (on the writer).
    pub async fn migrate(&self) -> sqlx::Result<()> {
        self.write.migrate().await
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic while holding the lock cannot leave the map inconsistent (single calls).
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Marks a record written when dropped: after the write returns, and also when the request
/// is abandoned while the write waits for the writer (the write may still commit then).
struct Writing<'a> {
    cache: &'a Mutex<Cache>,
    id: Id,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .written(&self.id);
    }
}

impl Sessions {
    fn writing(&self, id: Id) -> Writing<'_> {
        // Counted before the write starts as well, so that a read overlapping it is not kept.
        self.cache().written(&id);
        Writing {
            cache: &self.cache,
            id,
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let _asked = self.writing(record.id);
        let result = self.write.create(record).await;
        // The store may have drawn another id (on a collision).
        let _made = self.writing(record.id);
        result
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let _writing = self.writing(record.id);
        self.write.save(record).await
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let generation = {
            let mut cache = self.cache();
            if let Some(record) = cache.get(session_id, time::OffsetDateTime::now_utc()) {
                return Ok(Some(record));
            }
            cache.generation
        };
        let record = self.read.load(session_id).await?;
        if let Some(r) = &record {
            self.cache().store(r.clone(), generation);
        }
        Ok(record)
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        let _writing = self.writing(*session_id);
        self.write.delete(session_id).await
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for Sessions {
    /// Expired records are never served from the cache either ([`Cache::get`]).
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.write.delete_expired().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::{Duration, OffsetDateTime};

    fn record(id: i128, expires_in: Duration) -> Record {
        Record {
            id: Id(id),
            data: Default::default(),
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[test]
    fn a_read_that_overlapped_a_write_is_not_kept() {
        let mut cache = Cache::default();
        let started_at = cache.generation;
        cache.written(&Id(1));
        cache.store(record(1, Duration::hours(1)), started_at);
        assert!(cache.get(&Id(1), OffsetDateTime::now_utc()).is_none());
        cache.store(record(1, Duration::hours(1)), cache.generation);
        assert!(cache.get(&Id(1), OffsetDateTime::now_utc()).is_some());
        cache.written(&Id(1));
        assert!(
            cache.get(&Id(1), OffsetDateTime::now_utc()).is_none(),
            "a write drops it"
        );
    }

    #[test]
    fn expired_records_are_not_served_and_the_cache_stays_bounded() {
        let mut cache = Cache::default();
        cache.store(record(1, Duration::seconds(-1)), 0);
        assert!(cache.get(&Id(1), OffsetDateTime::now_utc()).is_none());
        for n in 0..(CACHED_RECORDS as i128 + 10) {
            cache.store(record(n, Duration::hours(1)), 0);
        }
        assert_eq!(cache.records.len(), CACHED_RECORDS);
    }
}
