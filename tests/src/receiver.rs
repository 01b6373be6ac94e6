//! A real local webhook receiver: an HTTP server on 127.0.0.1 that records every request
//! and answers with scripted statuses (then 200).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<u16>>,
    /// How long each answer takes.
    delay: std::time::Duration,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

pub struct Receiver {
    pub url: String,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// Answers the first requests with `script` (in order), later ones with 200.
    pub async fn start(script: &[u16]) -> Receiver {
        Self::start_with(script, std::time::Duration::ZERO).await
    }

    /// Answers 200, each request only after `delay` (it is recorded on arrival).
    pub async fn slow(delay: std::time::Duration) -> Receiver {
        Self::start_with(&[], delay).await
    }

    async fn start_with(script: &[u16], delay: std::time::Duration) -> Receiver {
        let state = Arc::new(State { script: Mutex::new(script.iter().copied().collect()), delay, ..State::default() });
        let shared = state.clone();
        let server = HttpServer::new(move || {
            let state = shared.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let state = state.clone();
                async move {
                    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                        .collect();
                    state
                        .received
                        .lock()
                        .unwrap()
                        .push(Received { headers, body: String::from_utf8_lossy(&body).into() });
                    let status = state.script.lock().unwrap().pop_front().unwrap_or(200);
                    tokio::time::sleep(state.delay).await;
                    state.in_flight.fetch_sub(1, Ordering::SeqCst);
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .body(format!("answered {status}"))
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver { url: format!("http://127.0.0.1:{port}/hook"), state, handle }
    }

    /// The most requests this receiver was answering at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until `n` requests arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the receiver got {} of {n} requests", self.received().len());
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// Verifies deliveries with the `standardwebhooks` Python library (`tests/webhook_verify.py`).
/// Returns `None` when no Python with that library is available (and it is not required).
pub fn verify_with_standardwebhooks(items: &[(String, Received)]) -> Option<Vec<String>> {
    use std::io::Write;
    let python = std::env::var("ATRIUM_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let available = std::process::Command::new(&python)
        .args(["-c", "import standardwebhooks"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("ATRIUM_REQUIRE_WEBHOOK_VERIFIER").is_none(),
            "{python} cannot import standardwebhooks (pip install standardwebhooks)"
        );
        eprintln!("skipped: {python} has no standardwebhooks (set ATRIUM_TEST_PYTHON)");
        return None;
    }
    let input: Vec<serde_json::Value> = items
        .iter()
        .map(|(secret, r)| {
            let headers: serde_json::Map<String, serde_json::Value> =
                r.headers.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
            serde_json::json!({"secret": secret, "body": r.body, "headers": headers})
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/webhook_verify.py");
    let mut child = std::process::Command::new(&python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(serde_json::to_string(&input).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect())
}
