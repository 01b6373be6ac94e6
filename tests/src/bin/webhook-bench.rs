//! Webhook delivery benchmark (run it release: `tests/load/webhooks.sh`).
//!
//! 1. Fan-out latency: one event to 100 local endpoints, from the commit (the 201 of the
//!    change that emits it) to the arrival of its last delivery; p50/p99 over many events.
//! 2. Throughput: signed deliveries per second through the worker, against the rate at
//!    which a plain HTTP client POSTs the same bodies to the same receiver with the same
//!    concurrency, measured in the same run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use atrium_server::{Application, Config, PluginRegistry};
use serde_json::{Value, json};

const ENDPOINTS: usize = 100;

type Arrivals = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

async fn receiver(arrivals: Arrivals) -> u16 {
    let server = HttpServer::new(move || {
        let arrivals = arrivals.clone();
        App::new().default_service(web::to(move |req: HttpRequest, _body: web::Bytes| {
            let arrivals = arrivals.clone();
            async move {
                let id = req.headers().get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("raw").to_owned();
                arrivals.lock().unwrap().entry(id).or_default().push(Instant::now());
                HttpResponse::Ok().finish()
            }
        }))
    })
    .workers(2)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    port
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let events: usize = std::env::var("EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    // With ATRIUM_TEST_POSTGRES_URL set, a fresh PostgreSQL database (runtime/owner roles).
    let pg = atrium_tests::PgDatabase::from_env().await;
    let (database, database_url, migration_url) = match &pg {
        Some(pg) => ("PostgreSQL", pg.runtime_url(), Some(atrium_core::secret::Secret::new(pg.owner_url()))),
        None => ("SQLite", format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display()), None),
    };
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: atrium_core::secret::Secret::new(database_url),
        migration_database_url: migration_url,
        jwt_secret: Some(atrium_core::secret::Secret::new(atrium_tests::TEST_JWT_SECRET)),
        webhooks_allow_private: true,
        webhook_poll_interval_ms: 5,
        signup_rate_limit_per_minute: 1_000_000,
        log_level: "error".into(),
        ..Config::default()
    };
    let app = Application::build(config, PluginRegistry::compiled().unwrap()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let arrivals: Arrivals = Arc::default();
    let port = receiver(arrivals.clone()).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();

    let signup: Value = client
        .post(format!("{base}/v1/signup"))
        .json(&json!({
            "tenant": {"slug": "bench", "name": "Bench", "type": "enterprise", "timezone": "UTC", "currency": "USD"},
            "owner": {"email": "b@bench.example", "password": atrium_tests::PASSWORD, "name": "B"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signup["access_token"].as_str().unwrap().to_owned();
    for i in 0..ENDPOINTS {
        let res = client
            .post(format!("{base}/v1/webhook-endpoints"))
            .bearer_auth(&token)
            .json(&json!({"url": format!("http://127.0.0.1:{port}/hook/{i}"), "event_types": ["location.created"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }

    // 1. Fan-out latency, one event at a time.
    let mut latencies = Vec::new();
    for i in 0..events {
        arrivals.lock().unwrap().clear();
        let res = client
            .post(format!("{base}/v1/locations"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("L{i}"), "type": "virtual", "timezone": "UTC"}))
            .send()
            .await
            .unwrap();
        let committed = Instant::now();
        assert_eq!(res.status(), 201);
        let last = loop {
            let done = arrivals
                .lock()
                .unwrap()
                .values()
                .next()
                .filter(|v| v.len() >= ENDPOINTS)
                .and_then(|v| v.iter().max().copied());
            if let Some(last) = done {
                break last;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        latencies.push(last.saturating_duration_since(committed));
    }
    latencies.sort();

    // 2. Throughput: 20 events × 100 endpoints through the worker…
    arrivals.lock().unwrap().clear();
    let started = Instant::now();
    for i in 0..20 {
        client
            .post(format!("{base}/v1/locations"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("T{i}"), "type": "virtual", "timezone": "UTC"}))
            .send()
            .await
            .unwrap();
    }
    let total = 20 * ENDPOINTS;
    while arrivals.lock().unwrap().values().map(Vec::len).sum::<usize>() < total {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let signed_rate = total as f64 / started.elapsed().as_secs_f64();

    // …and the same number of plain POSTs, 32 at a time like the worker's batches.
    arrivals.lock().unwrap().clear();
    let body = json!({"id": "evt_x", "type": "location.created", "data": {"object": {"name": "x"}}}).to_string();
    let started = Instant::now();
    let url = format!("http://127.0.0.1:{port}/hook/raw");
    for _ in 0..(total / 32 + 1) {
        let batch =
            (0..32).map(|_| client.post(&url).header("content-type", "application/json").body(body.clone()).send());
        futures_util::future::join_all(batch).await;
    }
    let raw_rate = (total / 32 + 1) as f64 * 32.0 / started.elapsed().as_secs_f64();

    println!(
        "== webhook delivery ({} cores, {events} events × {ENDPOINTS} endpoints, {database})",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "commit → last of {ENDPOINTS} deliveries  p50 {:?}  p99 {:?}  max {:?}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1]
    );
    println!("signed deliveries/s through the worker   {signed_rate:.0}");
    println!("raw POSTs/s, same receiver, 32 at a time {raw_rate:.0}");
    println!("ratio signed / raw                       {:.2}", signed_rate / raw_rate);
}
