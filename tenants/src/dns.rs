//! The TXT records of one name, asked of one recursive resolver: a question over UDP,
//! again over TCP when the answer comes back truncated (RFC 1035 §4.2, RFC 7766).
//!
//! This is all custom-domain verification needs, so it is written here rather than
//! pulled in as a resolver library: one question, no cache (a record the tenant just
//! published must be seen at once), and a parser that skips what it does not read.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

const TYPE_TXT: u16 = 16;
const CLASS_IN: u16 = 1;
const FLAG_RESPONSE: u16 = 0x8000;
const FLAG_TRUNCATED: u16 = 0x0200;
const FLAG_RECURSION_DESIRED: u16 = 0x0100;
const RCODE_NXDOMAIN: u16 = 3;

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("the resolver {0} did not answer in time")]
    Timeout(SocketAddr),
    #[error("the resolver {0} could not be reached: {1}")]
    Io(SocketAddr, std::io::Error),
    #[error("the resolver answered with error code {0}")]
    Rcode(u16),
    #[error("the resolver's answer does not parse")]
    Malformed,
    #[error("`{0}` is not a name that can be asked")]
    BadName(String),
}

/// The resolver this host uses: the first `nameserver` of `/etc/resolv.conf`.
pub fn system_resolver() -> Option<SocketAddr> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    conf.lines()
        .filter_map(|line| line.trim().strip_prefix("nameserver"))
        .find_map(|addr| addr.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
}

/// The TXT records of `name`, each one's strings joined (RFC 7208 §3.3). A name that
/// does not exist has none.
pub async fn txt_records(resolver: SocketAddr, name: &str, timeout: Duration) -> Result<Vec<String>, DnsError> {
    let id = u16::from_be_bytes(*uuid::Uuid::new_v4().as_bytes().first_chunk().unwrap_or(&[0, 0]));
    let query = query(id, name)?;
    let answer = tokio::time::timeout(timeout, async {
        let answer = over_udp(resolver, id, &query).await?;
        if header_flags(&answer) & FLAG_TRUNCATED != 0 { over_tcp(resolver, id, &query).await } else { Ok(answer) }
    })
    .await
    .map_err(|_| DnsError::Timeout(resolver))??;
    parse_txt(&answer)
}

fn query(id: u16, name: &str) -> Result<Vec<u8>, DnsError> {
    let bad = || DnsError::BadName(name.to_owned());
    let name = name.trim_end_matches('.');
    if name.is_empty() || name.len() > 253 {
        return Err(bad());
    }
    let mut q = Vec::with_capacity(18 + name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&FLAG_RECURSION_DESIRED.to_be_bytes());
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question, no other records
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 || !label.is_ascii() {
            return Err(bad());
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&TYPE_TXT.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(q)
}

async fn over_udp(resolver: SocketAddr, id: u16, query: &[u8]) -> Result<Vec<u8>, DnsError> {
    let io = |e| DnsError::Io(resolver, e);
    let local: SocketAddr = match resolver {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).await.map_err(io)?;
    // Connected: datagrams from any other address are dropped by the kernel.
    socket.connect(resolver).await.map_err(io)?;
    socket.send(query).await.map_err(io)?;
    let mut buf = vec![0u8; 65_535];
    loop {
        let n = socket.recv(&mut buf).await.map_err(io)?;
        let answer = &buf[..n];
        // A stray or late answer to another question is not this one's.
        if answer.len() >= 12 && answer[..2] == id.to_be_bytes() && header_flags(answer) & FLAG_RESPONSE != 0 {
            return Ok(answer.to_vec());
        }
    }
}

async fn over_tcp(resolver: SocketAddr, id: u16, query: &[u8]) -> Result<Vec<u8>, DnsError> {
    let io = |e| DnsError::Io(resolver, e);
    let mut stream = TcpStream::connect(resolver).await.map_err(io)?;
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    stream.write_all(&framed).await.map_err(io)?;
    let len = stream.read_u16().await.map_err(io)?;
    let mut answer = vec![0u8; usize::from(len)];
    stream.read_exact(&mut answer).await.map_err(io)?;
    if answer.len() < 12 || answer[..2] != id.to_be_bytes() {
        return Err(DnsError::Malformed);
    }
    Ok(answer)
}

fn header_flags(message: &[u8]) -> u16 {
    message.get(2..4).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
}

/// The TXT records of the answer section; what else it holds (a CNAME the resolver
/// followed) is skipped.
fn parse_txt(message: &[u8]) -> Result<Vec<String>, DnsError> {
    let mut r = Reader { buf: message, pos: 0 };
    let _id = r.u16()?;
    let flags = r.u16()?;
    let (questions, answers) = (r.u16()?, r.u16()?);
    r.skip(4)?; // authority and additional counts
    match flags & 0x000f {
        0 => {}
        RCODE_NXDOMAIN => return Ok(Vec::new()),
        rcode => return Err(DnsError::Rcode(rcode)),
    }
    for _ in 0..questions {
        r.skip_name()?;
        r.skip(4)?;
    }
    let mut records = Vec::new();
    for _ in 0..answers {
        r.skip_name()?;
        let (rtype, class) = (r.u16()?, r.u16()?);
        r.skip(4)?; // ttl
        let len = usize::from(r.u16()?);
        let data = r.take(len)?;
        if rtype == TYPE_TXT && class == CLASS_IN {
            let mut text = Vec::with_capacity(len);
            let mut strings = Reader { buf: data, pos: 0 };
            while strings.pos < data.len() {
                let n = usize::from(strings.take(1)?[0]);
                text.extend_from_slice(strings.take(n)?);
            }
            records.push(String::from_utf8_lossy(&text).into_owned());
        }
    }
    Ok(records)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DnsError> {
        let bytes = self.buf.get(self.pos..self.pos + n).ok_or(DnsError::Malformed)?;
        self.pos += n;
        Ok(bytes)
    }

    fn skip(&mut self, n: usize) -> Result<(), DnsError> {
        self.take(n).map(drop)
    }

    fn u16(&mut self) -> Result<u16, DnsError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Past a name: labels up to the root, or up to a compression pointer (which ends
    /// the name where it stands; it is never followed, so it cannot loop).
    fn skip_name(&mut self) -> Result<(), DnsError> {
        loop {
            let len = self.take(1)?[0];
            match len & 0xc0 {
                0xc0 => return self.skip(1),
                0x00 if len == 0 => return Ok(()),
                0x00 => self.skip(usize::from(len))?,
                _ => return Err(DnsError::Malformed),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: u16, flags: u16, records: &[&[&str]]) -> Vec<u8> {
        let mut m = query(id, "_atrium-challenge.book.example").unwrap();
        m[2..4].copy_from_slice(&(flags | FLAG_RESPONSE).to_be_bytes());
        m[6..8].copy_from_slice(&(records.len() as u16).to_be_bytes());
        for strings in records {
            m.extend_from_slice(&[0xc0, 12]); // the question's name
            m.extend_from_slice(&TYPE_TXT.to_be_bytes());
            m.extend_from_slice(&CLASS_IN.to_be_bytes());
            m.extend_from_slice(&300u32.to_be_bytes());
            let data: Vec<u8> = strings.iter().flat_map(|s| [&[s.len() as u8][..], s.as_bytes()].concat()).collect();
            m.extend_from_slice(&(data.len() as u16).to_be_bytes());
            m.extend_from_slice(&data);
        }
        m
    }

    #[test]
    fn reads_each_record_with_its_strings_joined() {
        let m = answer(7, 0, &[&["atrium-domain-verification=", "abc"], &["v=spf1 -all"]]);
        assert_eq!(parse_txt(&m).unwrap(), vec!["atrium-domain-verification=abc", "v=spf1 -all"]);
    }

    #[test]
    fn a_name_that_does_not_exist_has_no_records_and_a_failure_is_an_error() {
        assert!(parse_txt(&answer(7, RCODE_NXDOMAIN, &[])).unwrap().is_empty());
        assert!(matches!(parse_txt(&answer(7, 2, &[])), Err(DnsError::Rcode(2))));
    }

    #[test]
    fn a_cut_or_garbled_answer_is_malformed_never_a_panic() {
        let m = answer(7, 0, &[&["atrium-domain-verification=abc"]]);
        for cut in 0..m.len() {
            assert!(parse_txt(&m[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = m.clone();
        bad[12] = 0x80; // a label type that does not exist
        assert!(matches!(parse_txt(&bad), Err(DnsError::Malformed)));
    }

    #[test]
    fn names_that_cannot_be_asked_are_refused() {
        assert!(query(1, "").is_err());
        assert!(query(1, "a..b").is_err());
        assert!(query(1, &format!("{}.example", "a".repeat(64))).is_err());
    }
}
