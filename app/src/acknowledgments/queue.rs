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

/// An acknowledgment that passed every check on the read side, ready to be written. `at` is
/// when the person sent it (the request's time), so a later id can carry a time a few
/// milliseconds earlier; the evidence chain orders by id within a kind and does not depend
/// on that. What was checked (the version still published, the devices still active) can
/// change in the milliseconds until the write, as it could before the write lock.
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
    pub const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

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
    /// A request waits at most [`AckQueue::WAIT`] (as long as for the writer itself);
    /// one that gives up may still be written, and a retry then gets that acknowledgment.
    pub async fn record(&self, ack: PendingAck) -> Result<AckId, AppError> {
        let (answer, result) = oneshot::channel();
        let queued = async {
            self.tx
                .send(Job { ack, answer })
                .await
                .map_err(|_| AppError::Internal)?;
            result.await.map_err(|_| AppError::Internal)?
        };
        tokio::time::timeout(Self::WAIT, queued)
            .await
            .unwrap_or_else(|_| {
                tracing::error!("an acknowledgment waited too long for the writer");
                Err(AppError::Internal)
            })
    }
}

/// One transaction for the batch. A database error leaves that transaction unusable: then
/// each acknowledgment of the batch is tried again in a transaction of its own, so that one
/// that cannot be written (whatever the cause) fails alone and the others are stored.
/// Nothing is ever half-written.
async fn write_batch(db: &Db, jobs: &[Job]) -> Vec<Result<AckId, AppError>> {
    let all: Vec<&Job> = jobs.iter().collect();
    match try_write_batch(db, &all).await {
        Ok(ids) => ids.into_iter().map(Ok).collect(),
        Err(err) if jobs.len() == 1 => {
            tracing::error!(error = %err, "writing an acknowledgment failed");
            vec![Err(AppError::Internal)]
        }
        Err(err) => {
            tracing::warn!(error = %err, batch = jobs.len(), "batch failed; writing its acknowledgments one by one");
            let mut results = Vec::with_capacity(jobs.len());
            for job in jobs {
                results.push(match try_write_batch(db, &[job]).await {
                    Ok(ids) => Ok(ids[0]),
                    Err(err) => {
                        tracing::error!(error = %err, "writing an acknowledgment failed");
                        Err(AppError::Internal)
                    }
                });
            }
            results
        }
    }
}

async fn try_write_batch(db: &Db, jobs: &[&Job]) -> Result<Vec<AckId>, sqlx::Error> {
    let mut tx = begin_write(db).await?;
    let mut ids: Vec<Option<AckId>> = vec![None; jobs.len()];
    // Rounds of distinct people, in the order the requests came: within a round no
    // acknowledgment can make another one redundant, and each round's check sees what the
    // rounds before it wrote (a double click queued twice gets the first one's id). A
    // round costs three statements however many acknowledgments it holds.
    for round in super::rules::rounds_of_distinct(jobs.iter().map(|j| j.ack.user)) {
        let pairs: Vec<_> = round
            .iter()
            .map(|&n| (jobs[n].ack.user, jobs[n].ack.version))
            .collect();
        // Written since the request's check (another tab, or earlier in this batch)?
        let existing = repo::valid_acks(&mut tx, &pairs).await?;
        let mut new = Vec::with_capacity(round.len());
        let mut slots = Vec::with_capacity(round.len());
        for (&n, found) in round.iter().zip(existing) {
            match found {
                Some(id) => ids[n] = Some(id),
                None => {
                    let ack = &jobs[n].ack;
                    new.push(repo::NewAcknowledgment {
                        user: ack.user,
                        version: ack.version,
                        content_sha256: &ack.content_sha256,
                        locale: ack.locale,
                        auth_method: ack.auth_method,
                        on_behalf: None,
                        devices: &ack.devices,
                        at: ack.at,
                    });
                    slots.push(n);
                }
            }
        }
        for (n, id) in slots
            .into_iter()
            .zip(repo::insert_many(&mut tx, &new).await?)
        {
            ids[n] = Some(id);
        }
    }
    tx.commit().await?;
    ids.into_iter()
        .map(|id| id.ok_or(sqlx::Error::RowNotFound))
        .collect()
}
