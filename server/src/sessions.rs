//! The session store on the split database: sessions are read on the read pool (every
//! request loads one) and written through the single writer, like every other write.
use app::db::Db;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::SqliteStore;

#[derive(Debug, Clone)]
pub struct Sessions {
    read: SqliteStore,
    write: SqliteStore,
}

impl Sessions {
    pub fn new(db: &Db) -> Sessions {
        Sessions {
            read: SqliteStore::new(db.reader().clone()),
            write: SqliteStore::new(db.writer().clone()),
        }
    }

    /// Creates the session table if it is missing (on the writer).
    pub async fn migrate(&self) -> sqlx::Result<()> {
        self.write.migrate().await
    }
}

#[async_trait::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.write.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write.save(record).await
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        self.read.load(session_id).await
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.write.delete(session_id).await
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for Sessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.write.delete_expired().await
    }
}
