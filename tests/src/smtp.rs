//! A real SMTP server on 127.0.0.1 (TCP) that accepts every message — the RFC 5321
//! dialogue (greeting, EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT)
//! — and keeps what it received, for tests to read back; with a small MIME reader for the
//! parts of a received message.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as received.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message (headers and body), CRLF line endings, dot-unstuffed.
    pub data: String,
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    /// On a given address (a port a test reserved, to bring the server up late).
    pub async fn start_on(addr: SocketAddr) -> SmtpSink {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let kept = mails.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = session(stream, kept).await;
                });
            }
        });
        SmtpSink { addr, mails, task }
    }

    /// `smtp://127.0.0.1:<port>` for `ATRIUM_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until a received message satisfies `pred`.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Mail) -> bool) -> Mail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self.mails().into_iter().find(|m| pred(m)) {
                return m;
            }
            assert!(tokio::time::Instant::now() < deadline, "no {what} within 20 s; got {:#?}", self.subjects());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn subjects(&self) -> Vec<String> {
        self.mails().iter().map(|m| format!("{:?} → {}", m.to, m.subject())).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: TcpStream, mails: Arc<Mutex<Vec<Mail>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n").await?;
        } else if upper.starts_with("HELO") {
            write.write_all(b"250 sink.test\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&cmd[10..]);
            to.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&cmd[8..]));
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            mails.lock().unwrap().push(Mail { from: from.clone(), to: to.clone(), data });
            write.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 not implemented\r\n").await?;
        }
    }
}

/// `<a@b> SIZE=…` → `a@b`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    let inner = arg.strip_prefix('<').and_then(|a| a.split_once('>')).map_or(arg, |(a, _)| a);
    inner.to_owned()
}

/// A MIME part: its headers (names lower-cased) and its decoded body.
#[derive(Clone, Debug)]
pub struct Part {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Part {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl Mail {
    /// The message's headers (unfolded, names lower-cased) and raw body.
    fn split(text: &str) -> (Vec<(String, String)>, String) {
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for l in head.split("\r\n") {
            if l.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(l.trim());
                }
            } else if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        (headers, body.to_owned())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        Self::split(&self.data).0.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// A header with its RFC 2047 encoded words (`=?utf-8?b?…?=`) decoded.
    pub fn decoded_header(&self, name: &str) -> String {
        let raw = self.header(name).unwrap_or_default();
        raw.split(' ').map(decode_word).collect::<Vec<_>>().join("").trim().to_owned()
    }

    pub fn subject(&self) -> String {
        self.decoded_header("subject")
    }

    /// Every leaf part, bodies decoded (base64, quoted-printable, 7bit/8bit).
    pub fn parts(&self) -> Vec<Part> {
        let mut out = Vec::new();
        leaves(&self.data, &mut out);
        out
    }

    /// The first part whose content type starts with `mime`.
    pub fn part(&self, mime: &str) -> Option<Part> {
        self.parts().into_iter().find(|p| p.header("content-type").is_some_and(|c| c.starts_with(mime)))
    }
}

fn leaves(text: &str, out: &mut Vec<Part>) {
    let (headers, body) = Mail::split(text);
    let content_type = headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.clone()).unwrap_or_default();
    if content_type.starts_with("multipart/") {
        let boundary = content_type
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("boundary="))
            .next()
            .unwrap_or_default()
            .trim_matches('"')
            .to_owned();
        let delimiter = format!("--{boundary}");
        for chunk in body.split(&delimiter).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
            let chunk = chunk.strip_suffix("\r\n").unwrap_or(chunk);
            leaves(chunk, out);
        }
        return;
    }
    let encoding = headers
        .iter()
        .find(|(k, _)| k == "content-transfer-encoding")
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    let body = match encoding.as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(compact).unwrap()).unwrap()
        }
        "quoted-printable" => quoted_printable(&body),
        _ => body,
    };
    out.push(Part { headers, body });
}

fn quoted_printable(s: &str) -> String {
    let mut bytes = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if let Some(hex) = s.get(i + 1..i + 3)
                && let Ok(v) = u8::from_str_radix(hex, 16)
            {
                bytes.push(v);
                i += 3;
                continue;
            }
        }
        bytes.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn decode_word(w: &str) -> String {
    let Some(inner) = w.strip_prefix("=?").and_then(|w| w.strip_suffix("?=")) else { return format!("{w} ") };
    let mut it = inner.splitn(3, '?');
    let (_charset, enc, text) = (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""));
    if enc.eq_ignore_ascii_case("b") {
        String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default())
            .into_owned()
    } else {
        quoted_printable(&text.replace('_', " "))
    }
}

/// Parses `.ics` texts with Python's `icalendar` (`tests/ics_verify.py`): per text,
/// `METHOD UID DTSTART DTEND SEQUENCE STATUS`. `None` when no Python with that library is
/// available and `ATRIUM_REQUIRE_ICS_VERIFIER` is not set.
pub fn parse_with_icalendar(texts: &[String]) -> Option<Vec<String>> {
    use std::io::Write;
    let python = std::env::var("ATRIUM_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let available =
        std::process::Command::new(&python).args(["-c", "import icalendar"]).output().is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("ATRIUM_REQUIRE_ICS_VERIFIER").is_none(),
            "{python} cannot import icalendar (pip install icalendar)"
        );
        eprintln!("skipped: {python} has no icalendar (set ATRIUM_TEST_PYTHON)");
        return None;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/ics_verify.py");
    let mut child = std::process::Command::new(&python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(serde_json::to_string(texts).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect())
}
