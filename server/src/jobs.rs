//! The background jobs of `serve` and the one loop that runs each of them.
//!
//! A job is a name, an interval from the configuration and an async step that returns how
//! much it did. Every job is safe on several nodes at once (each takes the write lock or
//! claims its rows), so every node runs all of them. Every failed step is logged (the first
//! of an outage as an error, the following ones as warnings with their count, so a long
//! outage stays visible without flooding); the next tick tries again. Ticks that a long
//! step overran are not made up in a burst (`MissedTickBehavior::Delay`). Jobs start a few
//! seconds after the server, so that start-up belongs to the people signing in.
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

type Step = Box<
    dyn FnMut(
            chrono::DateTime<chrono::Utc>,
        ) -> Pin<Box<dyn Future<Output = anyhow::Result<usize>> + Send>>
        + Send,
>;

/// How long after start the jobs run for the first time (at the latest).
pub const START_DELAY: Duration = Duration::from_secs(20);

/// One background job.
pub struct Job {
    name: &'static str,
    every: Duration,
    step: Step,
}

impl Job {
    /// A job that runs `step` at start and then every `every`; `step` gets the current time
    /// and returns the number of things it did (sealed entries, sent mails, transitions …).
    pub fn every<F, Fut>(name: &'static str, every: Duration, mut step: F) -> Job
    where
        F: FnMut(chrono::DateTime<chrono::Utc>) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<usize>> + Send + 'static,
    {
        Job {
            name,
            every,
            step: Box::new(move |now| Box::pin(step(now))),
        }
    }

    /// Runs the job for as long as the process runs. The first run comes after
    /// [`START_DELAY`] (or the interval, if shorter): a server that starts answers sign-ins
    /// and pages first, the jobs' first passes over a large city follow.
    pub fn spawn(mut self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let first = tokio::time::Instant::now() + self.every.min(START_DELAY);
            let mut tick = tokio::time::interval_at(first, self.every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failures: u64 = 0;
            loop {
                tick.tick().await;
                match (self.step)(chrono::Utc::now()).await {
                    Ok(done) => {
                        if failures > 0 {
                            tracing::info!(job = self.name, failures, "background job recovered");
                        }
                        failures = 0;
                        if done > 0 {
                            tracing::debug!(job = self.name, done, "background job");
                        }
                    }
                    Err(err) => {
                        failures += 1;
                        if failures == 1 {
                            tracing::error!(job = self.name, error = %err, "background job failed");
                        } else {
                            tracing::warn!(job = self.name, error = %err, failures, "background job still failing");
                        }
                    }
                }
            }
        })
    }
}

/// How often each job runs (environment variables, see the README).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intervals {
    /// `EVIDENCE_SEAL_SECONDS` (default 5).
    pub seal: Duration,
    /// `RETENTION_JOB_SECONDS` (default 3600).
    pub retention: Duration,
    /// `COMPLIANCE_JOB_SECONDS` (default 300); the access change log is pruned with it.
    pub compliance: Duration,
    /// `MAIL_WORKER_SECONDS` (default 5).
    pub mail: Duration,
    /// `REMINDER_JOB_SECONDS` (default 3600).
    pub reminders: Duration,
    /// `COUNTS_JOB_SECONDS` (default 30): rebuilding stale acknowledgment counts.
    pub counts: Duration,
    /// `EVIDENCE_VERIFY_SECONDS` (default 60): verifying what was sealed since the last run.
    pub verify: Duration,
}

impl Default for Intervals {
    fn default() -> Self {
        Intervals {
            seal: Duration::from_secs(5),
            retention: Duration::from_secs(3600),
            compliance: Duration::from_secs(300),
            mail: Duration::from_secs(5),
            reminders: Duration::from_secs(3600),
            counts: Duration::from_secs(30),
            verify: Duration::from_secs(60),
        }
    }
}

/// Everything the jobs need.
pub struct Context {
    pub db: app::db::Db,
    pub intervals: Intervals,
    pub compliance: app::compliance::ComplianceSettings,
    pub links: app::compliance::engine::Links,
    pub mailer: app::notifications::outbox::Mailer,
    pub reminders: app::notifications::reminders::ReminderSettings,
}

/// The jobs of `serve`.
pub fn all(ctx: Context) -> Vec<Job> {
    let Context {
        db,
        intervals: every,
        compliance,
        links,
        mailer,
        reminders,
    } = ctx;
    let mailer = std::sync::Arc::new(mailer);
    let reminders = std::sync::Arc::new(reminders);
    let (compliance, links) = (std::sync::Arc::new(compliance), std::sync::Arc::new(links));
    let late_days = reminders.late_joiner_days;
    vec![
        // After a rare change (a version published or changed, the tree restructured), the
        // acknowledgment counts are rebuilt here in short chunks, so that the dashboard and
        // the publishers' list find them current; with nothing stale a tick is one query.
        Job::every("acknowledgment counts", every.counts, {
            let db = db.clone();
            move |_| {
                let db = db.clone();
                async move { Ok(app::tracking::counts::sweep(&db, late_days).await?) }
            }
        }),
        Job::every("evidence sealing", every.seal, {
            let db = db.clone();
            move |_| {
                let db = db.clone();
                async move { Ok(app::evidence::repo::seal_pending(&db).await?) }
            }
        }),
        // Keeps the chain's verification checkpoint (see `evidence::repo::check_chain`):
        // a few reads when nothing was sealed, a full pass once a day.
        Job::every("evidence verification", every.verify, {
            let db = db.clone();
            move |now| {
                let db = db.clone();
                async move { Ok(app::evidence::repo::check_chain(&db, now).await?) }
            }
        }),
        Job::every("retention", every.retention, {
            let db = db.clone();
            move |now| {
                let db = db.clone();
                async move {
                    let report = app::evidence::retention::apply(&db, now, None).await?;
                    Ok(report.pseudonymised)
                }
            }
        }),
        Job::every("compliance", every.compliance, {
            let db = db.clone();
            move |now| {
                let (db, compliance, links) = (db.clone(), compliance.clone(), links.clone());
                async move {
                    // The access change log only needs to cover the nodes' polling delay; a
                    // node that fell further behind reloads its whole snapshot.
                    // A failed pruning must not hold up the state changes.
                    let horizon = now - chrono::Duration::hours(1);
                    if let Err(err) =
                        app::compliance::repo::prune_access_changes(&db, horizon).await
                    {
                        tracing::error!(error = %err, "pruning the access change log failed");
                    }
                    let run =
                        app::compliance::engine::run_job(&db, &compliance, &links, now).await?;
                    if run.transitions > 0 {
                        tracing::info!(
                            devices = run.devices,
                            transitions = run.transitions,
                            "compliance job"
                        );
                    }
                    Ok(run.transitions)
                }
            }
        }),
        Job::every("mail delivery", every.mail, {
            let db = db.clone();
            move |now| {
                let (db, mailer) = (db.clone(), mailer.clone());
                async move {
                    let (sent, failed) =
                        app::notifications::outbox::send_due(&db, &mailer, now, 50).await?;
                    Ok(sent + failed)
                }
            }
        }),
        Job::every("reminders", every.reminders, move |now| {
            let (db, reminders) = (db.clone(), reminders.clone());
            async move {
                let enqueued =
                    app::notifications::reminders::schedule(&db, &reminders, now).await?;
                if enqueued > 0 {
                    tracing::info!(enqueued, "reminders enqueued");
                }
                Ok(enqueued)
            }
        }),
    ]
}
