//! The messages, one per [`MailKind`]: a subject, a plain-text part, an HTML part in the
//! tenant's colours, and for bookings the `.ics`. Plain Rust formatting: every value from
//! the data or the branding is HTML-escaped in the HTML part.

use atrium_core::context::MailIdentity;
use atrium_core::ics::{self, Method, Person, Status};
use atrium_core::mail::{BookingMail, MailKind, TokenMail};
use chrono::Utc;

use crate::MailSettings;

/// A rendered message.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `(method, calendar text)` for booking messages.
    pub calendar: Option<(Method, String)>,
}

#[derive(Debug, thiserror::Error)]
#[error("the message's data does not fit its kind: {0}")]
pub struct BadData(String);

/// Renders a message of `kind` to `to_name` from `data`.
pub fn render(
    kind: MailKind,
    data: &serde_json::Value,
    brand: &MailIdentity,
    settings: &MailSettings,
    to: (&str, &str),
) -> Result<Rendered, BadData> {
    let name = &brand.display_name;
    match kind {
        MailKind::BookingConfirmation | MailKind::BookingCancellation | MailKind::BookingReminder => {
            let b: BookingMail = serde_json::from_value(data.clone()).map_err(|e| BadData(e.to_string()))?;
            Ok(booking(kind, &b, brand, settings, to))
        }
        MailKind::EmailVerification => {
            let t: TokenMail = serde_json::from_value(data.clone()).map_err(|e| BadData(e.to_string()))?;
            let link = format!("{}/book/{}/verify-email?token={}", settings.base_url, brand.slug, t.token);
            let lines = vec![
                format!("Hello {},", to.1),
                format!("please confirm that {} is your e-mail address at {name}.", to.0),
                format!("Your confirmation code: {}", t.token),
                format!("It works once, within {} hours.", t.valid_minutes / 60),
            ];
            Ok(plain(brand, format!("Confirm your e-mail address for {name}"), lines, Some(("Confirm", link))))
        }
        MailKind::PasswordReset => {
            let t: TokenMail = serde_json::from_value(data.clone()).map_err(|e| BadData(e.to_string()))?;
            let lines = vec![
                format!("Hello {},", to.1),
                format!("someone asked to reset the password of {} at {name}.", to.0),
                format!("Your reset code: {}", t.token),
                format!(
                    "It works once, within {} minutes. If you did not ask for it, ignore this message: \
                     your password stays as it is.",
                    t.valid_minutes
                ),
            ];
            Ok(plain(brand, format!("Reset your password at {name}"), lines, None))
        }
    }
}

fn booking(
    kind: MailKind,
    b: &BookingMail,
    brand: &MailIdentity,
    settings: &MailSettings,
    to: (&str, &str),
) -> Rendered {
    let zone: chrono_tz::Tz = b.timezone.parse().or_else(|_| brand.timezone.parse()).unwrap_or(chrono_tz::UTC);
    let when = format!(
        "{} – {} ({})",
        b.start.with_timezone(&zone).format("%A %-d %B %Y, %H:%M"),
        b.end.with_timezone(&zone).format("%H:%M"),
        zone.name()
    );
    let name = &brand.display_name;
    let mut lines = vec![format!("Hello {},", to.1)];
    let (subject, method, status) = match kind {
        MailKind::BookingCancellation => {
            lines.push(format!("your booking of {} at {name} is cancelled.", b.service_name));
            let refund = b.refund_amount.as_deref().unwrap_or("0");
            lines.push(format!(
                "Refund: {refund} {}{}",
                b.currency,
                b.refund_percent.as_deref().map(|p| format!(" ({p} %)")).unwrap_or_default()
            ));
            (format!("Cancelled: {} on {}", b.service_name, when), Method::Cancel, Status::Cancelled)
        }
        MailKind::BookingReminder => {
            lines.push(format!("a reminder of your booking of {} at {name}, tomorrow.", b.service_name));
            (format!("Reminder: {} on {}", b.service_name, when), Method::Request, Status::Confirmed)
        }
        _ => {
            lines.push(format!("your booking of {} at {name} is made.", b.service_name));
            lines.push(format!("Price: {} {}", b.total, b.currency));
            (format!("Booked: {} on {}", b.service_name, when), Method::Request, Status::Confirmed)
        }
    };
    lines.insert(2, format!("When: {when}"));
    if let Some(l) = &b.location {
        lines.insert(3, format!("Where: {l}"));
    }
    lines.push(format!("Booking reference: {}", b.booking_id));
    let organizer_email = brand.support_email.clone().unwrap_or_else(|| settings.from.clone());
    let event = ics::Event {
        uid: ics::uid(b.booking_id, &settings.host()),
        dtstamp: Utc::now(),
        start: b.start,
        end: b.end,
        summary: format!("{} – {name}", b.service_name),
        description: Some(format!("Booking reference: {}", b.booking_id)),
        location: b.location.clone(),
        organizer: Person { name: Some(name.clone()), email: organizer_email },
        attendees: vec![Person { name: Some(to.1.to_owned()), email: to.0.to_owned() }],
        sequence: b.sequence,
        status,
    };
    let calendar = ics::calendar("-//Atrium//Bookings//EN", method, &event);
    let mut r = plain(brand, subject, lines, None);
    r.calendar = Some((method, calendar));
    r
}

/// A message of `lines` (the first the greeting), with an optional button.
fn plain(brand: &MailIdentity, subject: String, lines: Vec<String>, button: Option<(&str, String)>) -> Rendered {
    let name = &brand.display_name;
    let mut text = lines.join("\n\n");
    if let Some((label, link)) = &button {
        text.push_str(&format!("\n\n{label}: {link}"));
    }
    let support = brand.support_email.as_deref();
    text.push_str(&format!("\n\n-- \n{name}"));
    if let Some(s) = support {
        text.push_str(&format!("\nQuestions? {s}"));
    }
    text.push('\n');
    let color = brand.primary_color.as_deref().filter(|c| is_color(c)).unwrap_or("#1a56db");
    let mut html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:sans-serif;color:#111\">\
         <div style=\"border-top:6px solid {color};padding:16px\"><h1 style=\"font-size:20px;color:{color}\">{}</h1>",
        escape(&subject),
        escape(name)
    );
    for l in &lines {
        html.push_str(&format!("<p>{}</p>", escape(l)));
    }
    if let Some((label, link)) = &button {
        html.push_str(&format!(
            "<p><a href=\"{}\" style=\"background:{color};color:#fff;padding:8px 16px;text-decoration:none\">{}</a></p>",
            escape(link),
            escape(label)
        ));
    }
    if let Some(s) = support {
        html.push_str(&format!("<p style=\"color:#555\">Questions? <a href=\"mailto:{0}\">{0}</a></p>", escape(s)));
    }
    html.push_str("</div></body></html>");
    Rendered { subject, text, html, calendar: None }
}

fn is_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> MailSettings {
        MailSettings {
            smtp_url: None,
            from: "no-reply@atrium.example".into(),
            base_url: "https://atrium.example:8443/x".into(),
            retry_schedule: vec![],
            poll_interval: std::time::Duration::from_secs(1),
            lease: std::time::Duration::from_secs(60),
        }
    }

    #[test]
    fn a_confirmation_has_both_parts_the_branding_and_an_ics_request() {
        let brand = MailIdentity {
            slug: "acme".into(),
            display_name: "Acme <Salon>".into(),
            primary_color: Some("#aa0000".into()),
            support_email: Some("help@acme.example".into()),
            timezone: "Europe/Berlin".into(),
            ..Default::default()
        };
        let data = serde_json::json!({
            "booking_id": "0190f0a0-0000-7000-8000-000000000001", "service_name": "Cut",
            "start": "2026-03-29T00:30:00Z", "end": "2026-03-29T01:30:00Z", "timezone": "Europe/Berlin",
            "total": "30.00", "currency": "EUR"
        });
        let r = render(MailKind::BookingConfirmation, &data, &brand, &settings(), ("ana@example.com", "Ana")).unwrap();
        assert!(r.text.contains("01:30 – 03:30"), "Berlin summer time after 02:00: {}", r.text);
        assert!(r.html.contains("Acme &lt;Salon&gt;") && r.html.contains("#aa0000"));
        assert!(r.text.contains("help@acme.example"));
        let (method, ics) = r.calendar.unwrap();
        assert_eq!(method, Method::Request);
        assert!(ics.contains("UID:0190f0a0-0000-7000-8000-000000000001@atrium.example\r\n"));
        assert!(ics.contains("DTSTART:20260329T003000Z\r\n"));
    }

    #[test]
    fn data_of_the_wrong_shape_is_an_error_not_a_panic() {
        let r = render(MailKind::PasswordReset, &serde_json::json!({}), &Default::default(), &settings(), ("a", "b"));
        assert!(r.is_err());
    }
}
