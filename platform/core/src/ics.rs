//! RFC 5545 iCalendar objects for one booking: what the confirmation e-mail attaches and what
//! the booking page offers as "Add to calendar".
//!
//! A pure function of its input: times are written in UTC (`…Z`, RFC 5545 §3.3.5 form #2), so
//! no VTIMEZONE is needed and every client converts to its own zone; lines end in CRLF and are
//! folded at 75 octets without splitting a UTF-8 character (§3.1); TEXT values are escaped
//! (§3.3.11).

use chrono::{DateTime, Utc};

/// The iTIP method of the calendar object (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// An invitation the recipient's client adds to their calendar (confirmations).
    Request,
    /// Removes the event with the same UID (cancellations).
    Cancel,
    /// A plain published event, for a file downloaded from a web page.
    Publish,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
            Self::Publish => "PUBLISH",
        }
    }
}

/// The event's STATUS property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Confirmed,
    Tentative,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "CONFIRMED",
            Self::Tentative => "TENTATIVE",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// A person named by a calendar address (ORGANIZER, ATTENDEE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: Option<String>,
    pub email: String,
}

/// One event. `uid` must be stable across the confirmation and the cancellation of the same
/// booking (use [`uid`]), and `sequence` must grow with each revision sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub uid: String,
    pub dtstamp: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub organizer: Person,
    pub attendees: Vec<Person>,
    pub sequence: u32,
    pub status: Status,
}

/// The UID of a booking's event: `<booking id>@<deployment host>`.
pub fn uid(booking_id: impl std::fmt::Display, host: &str) -> String {
    format!("{booking_id}@{host}")
}

/// The VCALENDAR text (CRLF line endings, folded) for one event.
/// `prodid` is the product identifier, e.g. `-//Atrium//Bookings//EN`.
pub fn calendar(prodid: &str, method: Method, event: &Event) -> String {
    let mut out = String::with_capacity(1024);
    let mut line = |l: String| push_folded(&mut out, &l);
    line("BEGIN:VCALENDAR".into());
    line(format!("PRODID:{}", escape_text(prodid)));
    line("VERSION:2.0".into());
    line("CALSCALE:GREGORIAN".into());
    line(format!("METHOD:{}", method.as_str()));
    line("BEGIN:VEVENT".into());
    line(format!("UID:{}", escape_text(&event.uid)));
    line(format!("DTSTAMP:{}", utc(event.dtstamp)));
    line(format!("DTSTART:{}", utc(event.start)));
    line(format!("DTEND:{}", utc(event.end)));
    line(format!("SUMMARY:{}", escape_text(&event.summary)));
    if let Some(d) = &event.description {
        line(format!("DESCRIPTION:{}", escape_text(d)));
    }
    if let Some(l) = &event.location {
        line(format!("LOCATION:{}", escape_text(l)));
    }
    line(format!("ORGANIZER{}", address(&event.organizer)));
    for a in &event.attendees {
        line(format!("ATTENDEE;ROLE=REQ-PARTICIPANT{}", address(a)));
    }
    line(format!("SEQUENCE:{}", event.sequence));
    line(format!("STATUS:{}", event.status.as_str()));
    line("TRANSP:OPAQUE".into());
    line("END:VEVENT".into());
    line("END:VCALENDAR".into());
    out
}

/// A DATE-TIME in UTC form: `19980119T070000Z`.
pub fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// `;CN="Name":mailto:addr` — the parameter (if any) and the value of a CAL-ADDRESS property.
fn address(p: &Person) -> String {
    let mut s = String::new();
    if let Some(name) = p.name.as_deref().map(param_value).filter(|n| !n.is_empty()) {
        s.push_str(";CN=\"");
        s.push_str(&name);
        s.push('"');
    }
    s.push_str(":mailto:");
    // A CAL-ADDRESS is a URI: no control characters or spaces belong in it.
    s.extend(p.email.chars().filter(|c| !c.is_control() && *c != ' '));
    s
}

/// A quoted parameter value may hold anything but DQUOTE and control characters (§3.1).
fn param_value(v: &str) -> String {
    v.chars().filter(|c| *c != '"' && !c.is_control()).collect()
}

/// TEXT escaping (§3.3.11): backslash, semicolon, comma, and line breaks as `\n`.
pub fn escape_text(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => s.push_str("\\\\"),
            ';' => s.push_str("\\;"),
            ',' => s.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                s.push_str("\\n");
            }
            '\n' => s.push_str("\\n"),
            c if c.is_control() => {}
            c => s.push(c),
        }
    }
    s
}

/// Appends `line` + CRLF, folded so that no physical line exceeds 75 octets; continuation
/// lines start with one space (which counts towards their 75).
fn push_folded(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event() -> Event {
        Event {
            uid: uid("0190f0a0-0000-7000-8000-000000000001", "atrium.example"),
            dtstamp: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
            start: Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap(),
            summary: "Haircut, wash; dry".into(),
            description: Some("Line one\nLine two".into()),
            location: Some("Main St. 1, Berlin".into()),
            organizer: Person { name: Some("Salon \"Nice\"".into()), email: "hi@salon.example".into() },
            attendees: vec![Person { name: None, email: "ana@example.com".into() }],
            sequence: 0,
            status: Status::Confirmed,
        }
    }

    fn unfold(s: &str) -> String {
        s.replace("\r\n ", "")
    }

    #[test]
    fn a_request_has_the_required_properties_in_utc() {
        let ics = calendar("-//Atrium//Bookings//EN", Method::Request, &event());
        let text = unfold(&ics);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines.first(), Some(&"BEGIN:VCALENDAR"));
        assert_eq!(lines.last(), Some(&""), "ends with CRLF");
        for want in [
            "PRODID:-//Atrium//Bookings//EN",
            "VERSION:2.0",
            "METHOD:REQUEST",
            "UID:0190f0a0-0000-7000-8000-000000000001@atrium.example",
            "DTSTAMP:20260301T090000Z",
            "DTSTART:20260329T003000Z",
            "DTEND:20260329T013000Z",
            "SUMMARY:Haircut\\, wash\\; dry",
            "DESCRIPTION:Line one\\nLine two",
            "LOCATION:Main St. 1\\, Berlin",
            "ORGANIZER;CN=\"Salon Nice\":mailto:hi@salon.example",
            "ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:ana@example.com",
            "SEQUENCE:0",
            "STATUS:CONFIRMED",
            "END:VEVENT",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in\n{ics}");
        }
    }

    #[test]
    fn a_cancellation_says_cancel_and_cancelled() {
        let mut e = event();
        e.status = Status::Cancelled;
        e.sequence = 1;
        let ics = calendar("-//A//B//EN", Method::Cancel, &e);
        assert!(ics.contains("\r\nMETHOD:CANCEL\r\n"));
        assert!(ics.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(ics.contains("\r\nSEQUENCE:1\r\n"));
    }

    #[test]
    fn every_line_ends_in_crlf_and_has_at_most_75_octets() {
        let mut e = event();
        e.summary = "Ünïcödé ".repeat(40);
        e.description = Some("x".repeat(300));
        let ics = calendar("-//A//B//EN", Method::Request, &e);
        assert!(!ics.replace("\r\n", "").contains('\n'), "bare LF");
        assert!(!ics.replace("\r\n", "").contains('\r'), "bare CR");
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l:?}", l.len());
        }
        // Folding loses nothing and splits no character.
        assert!(unfold(&ics).contains(&format!("SUMMARY:{}", e.summary)));
        assert!(unfold(&ics).contains(&format!("DESCRIPTION:{}", "x".repeat(300))));
    }

    #[test]
    fn escaping_covers_backslash_and_crlf() {
        assert_eq!(escape_text("a\\b\r\nc\rd,e;f"), "a\\\\b\\nc\\nd\\,e\\;f");
        assert_eq!(escape_text("bell\u{7}"), "bell");
    }

    #[test]
    fn no_line_starts_an_injected_property() {
        let mut e = event();
        e.summary = "x\r\nATTENDEE:mailto:evil@example.com".into();
        e.organizer.email = "a@b.c\r\nX-EVIL:1".into();
        let ics = calendar("-//A//B//EN", Method::Request, &e);
        assert!(!unfold(&ics).split("\r\n").any(|l| l.starts_with("ATTENDEE:") || l.starts_with("X-EVIL")));
    }
}
