//! Group commit for acknowledgments. When a circular goes out to a whole city, thousands of
//! people acknowledge within minutes; written one transaction each, every acknowledgment
//! would queue for the one writer connection, and each would pay for its own lock and
//! commit. Requests instead hand their checked acknowledgment to one writer task per
//! process, which writes whatever has queued up (up to [`AckQueue::BATCH`]) in one
//! transaction and answers each request on its own. A lone acknowledgment is written at
//! once, so nobody waits for a batch to fill.
//!
//! The checks that need no lock (audience, devices, the text's hash) run before, on the read
//! side; under the write lock only the idempotency check remains, so two tabs, a double
//! click or a retry still get the one existing acknowledgment.
use super::{repo, AckId, Attestation};
use crate::auth::AuthMethod;
use crate::circulars::VersionId;
use crate::db::{begin_write, Db};
use crate::devices::DeviceId;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::org::UserId;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

/// An acknowledgment that passed every check on the read side, ready to be written.
pub struct PendingAck {
    pub user: UserId,
    pub version: VersionId,
    pub content_sha256: String,
    pub locale: Locale,
    pub auth_method: AuthMethod,
    pub devices: Vec<(DeviceId, Attestation)>,
    pub at: DateTime<Utc>,
}

struct Job {
    ack: PendingAck,
    answer: oneshot::Sender<Result<AckId, AppError>>,
}

#[derive(Clone)]
pub struct AckQueue {
    tx: mpsc::Sender<Job>,
}

impl AckQueue {
    /// At most this many acknowledgments share a transaction: enough to carry the morning
    /// peak, few enough that the writer is held only for milliseconds.
    pub const BATCH: usize = 128;

    pub fn start(db: Db) -> AckQueue {
        let (tx, mut rx) = mpsc::channel::<Job>(4 * Self::BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(Self::BATCH);
            while rx.recv_many(&mut batch, Self::BATCH).await > 0 {
                let jobs = std::mem::take(&mut batch);
                let results = write_batch(&db, &jobs).await;
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.answer.send(result);
                }
            }
        });
        AckQueue { tx }
    }

    /// Writes the acknowledgment, or returns the one that already counts for the version.
    pub async fn record(&self, ack: PendingAck) -> Result<AckId, AppError> {
        let (answer, result) = oneshot::channel();
        self.tx
            .send(Job { ack, answer })
            .await
            .map_err(|_| AppError::Internal)?;
        result.await.map_err(|_| AppError::Internal)?
    }
}

/// One transaction for the batch. A database error leaves the transaction unusable, so then
/// every request of the batch gets the error and none of them is stored (nothing half-written).
async fn write_batch(db: &Db, jobs: &[Job]) -> Vec<Result<AckId, AppError>> {
    match try_write_batch(db, jobs).await {
        Ok(ids) => ids.into_iter().map(Ok).collect(),
        Err(err) => {
            tracing::error!(error = %err, batch = jobs.len(), "writing acknowledgments failed");
            jobs.iter().map(|_| Err(AppError::Internal)).collect()
        }
    }
}

async fn try_write_batch(db: &Db, jobs: &[Job]) -> Result<Vec<AckId>, sqlx::Error> {
    let mut tx = begin_write(db).await?;
    let mut ids = Vec::with_capacity(jobs.len());
    for Job { ack, .. } in jobs {
        // Written since the request's check (another tab, or earlier in this batch)?
        let id = match repo::valid_ack(&mut tx, ack.user, ack.version).await? {
            Some(existing) => existing,
            None => {
                repo::insert(
                    &mut tx,
                    &repo::NewAcknowledgment {
                        user: ack.user,
                        version: ack.version,
                        content_sha256: &ack.content_sha256,
                        locale: ack.locale,
                        auth_method: ack.auth_method,
                        on_behalf: None,
                        devices: &ack.devices,
                        at: ack.at,
                    },
                )
                .await?
            }
        };
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}
