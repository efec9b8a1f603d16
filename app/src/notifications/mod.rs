//! Mail: a database outbox (enqueue in the caller's transaction, dedupe key per logical mail),
//! a worker that sends through an SMTP relay with retries and back-off (or writes `.eml` files
//! when no relay is configured), and the texts of the mails in German and English.
pub mod pages;
pub mod rules;
mod server_fns;
pub use server_fns::*;
pub mod templates;

#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod reminders;
#[cfg(feature = "ssr")]
pub mod repo;

crate::str_enum! {
    /// Where a mail of the outbox stands.
    pub enum OutboxState {
        Pending => "pending",
        Failed => "failed",
        Sent => "sent",
    }
}

/// One outbox row as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboxRow {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub created_at: String,
    pub attempts: i64,
    pub state: OutboxState,
    pub last_error: Option<String>,
}
