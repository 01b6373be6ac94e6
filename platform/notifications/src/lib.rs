//! atrium-notifications: e-mail, sent from the mail outbox (`atrium_core::mail`) after the
//! change that wrote it committed.
//!
//! - [`templates`] renders a message of each kind — plain text and HTML, in the tenant's
//!   branding (display name, colour, support address), with the `.ics` of a booking;
//! - [`transport`] sends it over SMTP (lettre; `ATRIUM_SMTP_URL`) or, when no SMTP server
//!   is configured, writes it to the log so the default set-up works;
//! - [`sender`] is the worker in every instance: it claims due messages (a lease; on
//!   PostgreSQL `FOR UPDATE SKIP LOCKED`), sends each, and records the outcome; a failure
//!   is retried on a schedule, every attempt counted. A send never runs inside a request's
//!   transaction, and its failure never reaches the change that enqueued it.

pub mod sender;
pub mod templates;
pub mod transport;

use std::time::Duration;

/// How this instance sends mail.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `smtp://host:port`, `smtps://…`, `smtp://…?tls=required`; `None`: to the log.
    pub smtp_url: Option<String>,
    /// The envelope and `From:` address; the tenant's display name is its name part.
    pub from: String,
    /// The deployment's public URL, for links and the `.ics` UID's host.
    pub base_url: String,
    /// Delay before each retry; when exhausted the message is given up.
    pub retry_schedule: Vec<Duration>,
    pub poll_interval: Duration,
    /// How long a sender's claim on a message lasts.
    pub lease: Duration,
}

impl MailSettings {
    /// The host of [`Self::base_url`] (`atrium.example`), for `.ics` UIDs.
    pub fn host(&self) -> String {
        let rest = self.base_url.split_once("://").map_or(self.base_url.as_str(), |(_, r)| r);
        let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        // Without the port: `[::1]:8080` → `[::1]`, `a.example:8080` → `a.example`.
        match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && (!h.contains(':') || h.ends_with(']')) => {
                h.to_owned()
            }
            _ => host.to_owned(),
        }
    }
}
