//! Email to staff: what a new-lead notification says ([`message`]) and how it leaves ([`ses`], Amazon SES v2
//! over the same rustls + ring client as Secrets Manager). The [`Mailer`] trait is the seam the outbox
//! worker sends through, so tests can stand in a mailer that fails on cue.

pub mod message;
pub mod ses;

use futures_util::future::BoxFuture;

pub use message::{Email, LeadSummary, Recipient};
pub use ses::SesMailer;

/// Why a send failed, and whether trying again later may help (throttling, an outage, a timeout) or not
/// (the message or the sender was refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub retryable: bool,
    pub message: String,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Sends one email; `Ok` once the mail service has accepted it.
pub trait Mailer: Send + Sync {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>>;
}
