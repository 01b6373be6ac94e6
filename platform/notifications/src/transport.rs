//! Handing a rendered message to SMTP (lettre), or to the log when no server is configured.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::templates::Rendered;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Log,
}

/// Why a message was not handed over.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth another attempt later (the server is down, refused for now, timed out).
    #[error("{0}")]
    Transient(String),
    /// Will never work (an address that does not parse, a message that cannot be built).
    #[error("{0}")]
    Permanent(String),
}

/// The envelope and headers of a message.
pub struct Envelope<'a> {
    pub from_address: &'a str,
    pub from_name: &'a str,
    pub reply_to: Option<&'a str>,
    pub to_address: &'a str,
    pub to_name: &'a str,
}

impl Transport {
    /// From `ATRIUM_SMTP_URL`'s value (`None`: the log).
    pub fn new(smtp_url: Option<&str>) -> Result<Self, String> {
        match smtp_url {
            None => Ok(Self::Log),
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Self::Smtp(b.timeout(Some(Duration::from_secs(20))).build()))
                .map_err(|e| format!("ATRIUM_SMTP_URL: {e}")),
        }
    }

    pub async fn send(&self, env: &Envelope<'_>, msg: &Rendered) -> Result<(), SendError> {
        match self {
            Self::Log => {
                tracing::info!(
                    to = env.to_address,
                    subject = %msg.subject,
                    body = %msg.text,
                    calendar = msg.calendar.is_some(),
                    "e-mail (no SMTP server configured: ATRIUM_SMTP_URL)"
                );
                Ok(())
            }
            Self::Smtp(smtp) => {
                let message = build(env, msg)?;
                match smtp.send(message).await {
                    Ok(_) => Ok(()),
                    Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                    Err(e) => Err(SendError::Transient(e.to_string())),
                }
            }
        }
    }
}

fn mailbox(name: &str, address: &str) -> Result<Mailbox, SendError> {
    let address: Address = address.parse().map_err(|e| SendError::Permanent(format!("address `{address}`: {e}")))?;
    Ok(Mailbox::new(Some(name.to_owned()).filter(|n| !n.is_empty()), address))
}

/// The MIME message: `multipart/alternative` (text, HTML), inside `multipart/mixed` with the
/// `.ics` (`text/calendar; method=…`) when there is one.
pub fn build(env: &Envelope<'_>, msg: &Rendered) -> Result<Message, SendError> {
    let mut builder = Message::builder()
        .from(mailbox(env.from_name, env.from_address)?)
        .to(mailbox(env.to_name, env.to_address)?)
        .subject(msg.subject.clone());
    if let Some(r) = env.reply_to {
        builder = builder.reply_to(mailbox(env.from_name, r)?);
    }
    let alternative = MultiPart::alternative_plain_html(msg.text.clone(), msg.html.clone());
    let body = match &msg.calendar {
        None => alternative,
        Some((method, ics)) => {
            let content_type = ContentType::parse(&format!("text/calendar; charset=utf-8; method={}", method.as_str()))
                .map_err(|e| SendError::Permanent(e.to_string()))?;
            let name = if *method == atrium_core::ics::Method::Cancel { "cancel.ics" } else { "invite.ics" };
            MultiPart::mixed()
                .multipart(alternative)
                .singlepart(Attachment::new(name.to_owned()).body(ics.clone(), content_type))
        }
    };
    builder.multipart(body).map_err(|e| SendError::Permanent(e.to_string()))
}
