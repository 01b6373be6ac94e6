//! A real DNS server on 127.0.0.1 (UDP) that answers TXT questions from records a test
//! publishes, and NXDOMAIN for names it has none of — the zone a tenant edits to prove a
//! custom domain.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::UdpSocket;

type Zone = Arc<Mutex<HashMap<String, Vec<String>>>>;

pub struct DnsServer {
    pub addr: SocketAddr,
    zone: Zone,
    task: tokio::task::JoinHandle<()>,
}

impl DnsServer {
    pub async fn start() -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let zone: Zone = Arc::default();
        let served = zone.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 512];
            while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                if let Some(answer) = answer(&buf[..n], &served) {
                    let _ = socket.send_to(&answer, from).await;
                }
            }
        });
        DnsServer { addr, zone, task }
    }

    /// Adds a TXT record (a name may have several).
    pub fn publish(&self, name: &str, value: &str) {
        self.zone.lock().unwrap().entry(name.to_lowercase()).or_default().push(value.to_owned());
    }

    pub fn clear(&self, name: &str) {
        self.zone.lock().unwrap().remove(&name.to_lowercase());
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The answer to one question: its TXT records, or NXDOMAIN.
fn answer(query: &[u8], zone: &Zone) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*query.get(pos)?);
        pos += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(pos..pos + len)?).to_lowercase());
        pos += len;
    }
    let question = query.get(12..pos + 4)?;
    let qtype = u16::from_be_bytes([query[pos], query[pos + 1]]);
    let records = zone.lock().unwrap().get(&labels.join(".")).cloned();
    let mut m = Vec::new();
    m.extend_from_slice(&query[..2]);
    let rcode = if records.is_some() { 0 } else { 3 };
    m.extend_from_slice(&(0x8180u16 | rcode).to_be_bytes()); // response, recursion desired and available
    let answers: Vec<String> = if qtype == 16 { records.unwrap_or_default() } else { Vec::new() };
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(&(answers.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    m.extend_from_slice(question);
    for value in answers {
        m.extend_from_slice(&[0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60]);
        // Long values are split into strings of at most 255 bytes, as zone files do.
        let data: Vec<u8> = value.as_bytes().chunks(255).flat_map(|c| [&[c.len() as u8][..], c].concat()).collect();
        m.extend_from_slice(&(data.len() as u16).to_be_bytes());
        m.extend_from_slice(&data);
    }
    Some(m)
}
