//! A short-lived in-process cache of token lookups, so that the access-decision path (tens
//! of thousands of requests per second) does not query the token table on every call.
//!
//! Entries live `TTL`; a revocation on this node clears the cache at once, on other nodes it
//! takes effect within `TTL`. Unknown tokens are remembered for `NEGATIVE_TTL` in a map of
//! at most `NEGATIVE_MAX` entries (cleared when full, so a flood of random tokens cannot grow
//! it), so that retries with a wrong token do not reach the database. `last_used_at` is
//! written at most once per `TOUCH_EVERY` per token.
use super::repo::{self, ActiveToken};
use crate::db::Db;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub const TTL: Duration = Duration::from_secs(10);
const TOUCH_EVERY: Duration = Duration::from_secs(60);
pub const NEGATIVE_TTL: Duration = Duration::from_secs(5);
const NEGATIVE_MAX: usize = 10_000;

#[derive(Clone, Default)]
pub struct TokenCache {
    inner: Arc<RwLock<HashMap<String, Entry>>>,
    /// Hashes of secrets that matched no active token, with when they were looked up.
    unknown: Arc<RwLock<HashMap<String, Instant>>>,
}

#[derive(Clone)]
struct Entry {
    token: ActiveToken,
    loaded: Instant,
    touched: Option<Instant>,
}

impl TokenCache {
    /// The active token with this secret, from the cache or the database.
    pub async fn lookup(&self, db: &Db, secret: &str) -> Result<Option<ActiveToken>, sqlx::Error> {
        let hash = repo::hash(secret);
        if self
            .unknown
            .read()
            .expect("token cache lock")
            .get(&hash)
            .is_some_and(|at| at.elapsed() < NEGATIVE_TTL)
        {
            return Ok(None);
        }
        let cached = self
            .inner
            .read()
            .expect("token cache lock")
            .get(&hash)
            .filter(|e| e.loaded.elapsed() < TTL)
            .cloned();
        let entry = match cached {
            Some(e) => e,
            None => {
                let Some(token) = repo::find_active(db, &hash).await? else {
                    self.inner.write().expect("token cache lock").remove(&hash);
                    let mut unknown = self.unknown.write().expect("token cache lock");
                    if unknown.len() >= NEGATIVE_MAX {
                        unknown.clear();
                    }
                    unknown.insert(hash, Instant::now());
                    return Ok(None);
                };
                let touched = self
                    .inner
                    .read()
                    .expect("token cache lock")
                    .get(&hash)
                    .and_then(|e| e.touched);
                let e = Entry {
                    token,
                    loaded: Instant::now(),
                    touched,
                };
                self.inner
                    .write()
                    .expect("token cache lock")
                    .insert(hash.clone(), e.clone());
                e
            }
        };
        if entry.touched.is_none_or(|t| t.elapsed() >= TOUCH_EVERY) {
            if let Some(e) = self.inner.write().expect("token cache lock").get_mut(&hash) {
                e.touched = Some(Instant::now());
            }
            // Off the request path: a failed write only delays the "last used" display.
            let (db, id) = (db.clone(), entry.token.id);
            tokio::spawn(async move {
                if let Err(err) = repo::touch(&db, id, chrono::Utc::now()).await {
                    tracing::warn!(error = %err, "recording token use failed");
                }
            });
        }
        Ok(Some(entry.token))
    }

    /// Forgets every cached token (after a revocation on this node).
    pub fn clear(&self) {
        self.inner.write().expect("token cache lock").clear();
    }
}
