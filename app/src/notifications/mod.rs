//! Mail: a database outbox (enqueue in the caller's transaction, dedupe key per logical mail),
//! a worker that sends through an SMTP relay with retries and back-off (or writes `.eml` files
//! when no relay is configured), and the texts of the mails in German and English.
pub mod rules;
pub mod templates;

#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod reminders;
