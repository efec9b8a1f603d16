//! The outbox and its worker.
use super::repo;
use super::rules::{backoff, MAX_ATTEMPTS};
use crate::db::Db;
use chrono::{DateTime, Utc};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Enqueues a mail in the caller's transaction (see [`super::repo::enqueue`]).
pub use super::repo::enqueue;

/// SMTP relay settings (environment `SMTP_*`, `MAIL_FROM`).
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none` (only for a relay on the same host or in tests).
    pub tls: String,
    pub user: Option<String>,
    pub password: Option<String>,
}

/// Where mail goes: an SMTP relay, or `.eml` files in a folder when none is configured.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Folder {
        dir: std::path::PathBuf,
        from: Mailbox,
    },
}

/// A mail configuration the portal cannot start with.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("MAIL_FROM is not a mail address: {0}")]
    From(String),
    #[error("SMTP relay {host:?} cannot be used: {reason}")]
    Relay { host: String, reason: String },
}

/// Why one delivery failed, and whether trying again can help (a 5xx answer, e.g. an
/// unknown recipient, cannot).
#[derive(Debug)]
struct DeliveryError {
    permanent: bool,
    reason: String,
}

impl DeliveryError {
    fn permanent(reason: impl std::fmt::Display) -> Self {
        DeliveryError {
            permanent: true,
            reason: reason.to_string(),
        }
    }

    fn transient(reason: impl std::fmt::Display) -> Self {
        DeliveryError {
            permanent: false,
            reason: reason.to_string(),
        }
    }
}

impl Mailer {
    pub fn new(
        smtp: Option<SmtpSettings>,
        from: &str,
        dir: std::path::PathBuf,
    ) -> Result<Mailer, MailConfigError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailConfigError::From(e.to_string()))?;
        let Some(s) = smtp else {
            return Ok(Mailer::Folder { dir, from });
        };
        let relay_error = |e: lettre::transport::smtp::Error| MailConfigError::Relay {
            host: s.host.clone(),
            reason: e.to_string(),
        };
        let builder = match s.tls.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(relay_error)?,
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(relay_error)?,
        };
        let mut builder = builder
            .port(s.port)
            .timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(u), Some(p)) = (s.user, s.password) {
            builder = builder.credentials(Credentials::new(u, p));
        }
        Ok(Mailer::Smtp {
            transport: builder.build(),
            from,
        })
    }

    fn from(&self) -> &Mailbox {
        match self {
            Mailer::Smtp { from, .. } | Mailer::Folder { from, .. } => from,
        }
    }

    /// Sends one mail.
    async fn send(
        &self,
        id: i64,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
    ) -> Result<(), DeliveryError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| DeliveryError::permanent(format!("invalid recipient: {e}")))?;
        let message = Message::builder()
            .from(self.from().clone())
            .to(to)
            .subject(subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text.to_owned()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html.to_owned()),
                    ),
            )
            .map_err(|e| DeliveryError::permanent(format!("cannot build message: {e}")))?;
        match self {
            // 5xx answers are permanent (e.g. an unknown recipient): retrying cannot help.
            Mailer::Smtp { transport, .. } => {
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| DeliveryError {
                        permanent: e.is_permanent(),
                        reason: e.to_string(),
                    })
            }
            Mailer::Folder { dir, .. } => {
                std::fs::create_dir_all(dir).map_err(DeliveryError::transient)?;
                std::fs::write(dir.join(format!("{id:08}.eml")), message.formatted())
                    .map_err(DeliveryError::transient)?;
                tracing::info!(
                    mail_id = id,
                    "mail written to the mail folder (no SMTP relay configured)"
                );
                Ok(())
            }
        }
    }
}

/// Sends due mails (at most `batch`). Each row is claimed first by moving its
/// `next_attempt_at` forward in a conditional update: of several workers on several nodes,
/// exactly one wins the row, so each mail goes out once. Returns (sent, failed attempts).
pub async fn send_due(
    db: &Db,
    mailer: &Mailer,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<(usize, usize), sqlx::Error> {
    let due = repo::due_mails(db, now, batch).await?;
    let (mut sent, mut failed) = (0, 0);
    for mail in due {
        let id = mail.id;
        // Claim: lease the row for five minutes (a crashed worker's claim simply expires).
        let lease = now + chrono::Duration::minutes(5);
        if !repo::claim(db, id, &mail.next_attempt_at, lease).await? {
            continue;
        }
        match mailer
            .send(
                id,
                &mail.to_addr,
                &mail.subject,
                &mail.body_text,
                &mail.body_html,
            )
            .await
        {
            Ok(()) => {
                repo::mark_sent(db, id, Utc::now()).await?;
                sent += 1;
            }
            Err(DeliveryError { permanent, reason }) => {
                failed += 1;
                let attempts = mail.attempts + 1;
                let give_up = permanent || attempts >= MAX_ATTEMPTS;
                tracing::warn!(mail_id = id, attempts, give_up, reason = %reason, "mail delivery failed");
                repo::mark_failed(
                    db,
                    id,
                    &reason,
                    Utc::now() + backoff(attempts),
                    give_up.then(Utc::now),
                )
                .await?;
            }
        }
    }
    Ok((sent, failed))
}
