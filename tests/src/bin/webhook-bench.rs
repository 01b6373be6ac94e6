//! Webhook delivery benchmark (run it release: `tests/load/webhooks.sh`).
//!
//! 1. Fan-out latency: one event to 100 local endpoints, from the commit (the 201 of the
//!    change that emits it) to the arrival of its last delivery; p50/p99 over many events.
//! 2. Throughput: signed deliveries per second through the worker, against the rate at
//!    which a plain HTTP client POSTs the same bodies to the same receiver with the same
//!    concurrency, measured in the same run. The backlog is committed to the outbox in one
//!    transaction (through `atrium_core::events::emit`, as every change writes it), and the
//!    clock runs from that commit until the database records every delivery as succeeded:
//!    the worker's whole rate — fan-out, signing, sending, recording — not the rate at
//!    which the API creates events one request at a time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use atrium_server::{Application, Config, PluginRegistry};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const ENDPOINTS: usize = 100;
/// Requests in flight: what the delivery worker allows per batch.
const IN_FLIGHT: usize = 128;

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
    let batch_events: usize = std::env::var("THROUGHPUT_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    // With ATRIUM_TEST_POSTGRES_URL set, a fresh PostgreSQL database (runtime/owner roles).
    let pg = atrium_tests::PgDatabase::from_env().await;
    let (database, database_url, migration_url) = match &pg {
        Some(pg) => ("PostgreSQL", pg.runtime_url(), Some(atrium_core::secret::Secret::new(pg.owner_url()))),
        None => ("SQLite", format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display()), None),
    };
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: atrium_core::secret::Secret::new(database_url.clone()),
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

    // Fan-out latency, one event at a time, the worker running.
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

    // Throughput: `batch_events` × 100 endpoints committed at once to the outbox.
    let tenant = atrium_core::ids::TenantId(signup["tenant"]["id"].as_str().unwrap().parse().unwrap());
    let db = sea_orm::Database::connect(database_url.as_str()).await.unwrap();
    let total = batch_events * ENDPOINTS;
    arrivals.lock().unwrap().clear();
    let tx = atrium_core::db::TenantTx::begin(&db, tenant, true).await.unwrap();
    for i in 0..batch_events {
        let data = json!({"object": {"name": format!("T{i}"), "type": "virtual", "timezone": "UTC"}});
        atrium_core::events::emit(&tx, atrium_tenants::events::TenantsEvent::LocationCreated, &data).await.unwrap();
    }
    tx.commit().await.unwrap();
    let started = Instant::now();
    let succeeded = sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'succeeded'",
    );
    let before = latencies.len() * ENDPOINTS;
    // Every request has arrived (watched in memory, not to load the database meanwhile)…
    while arrivals.lock().unwrap().values().map(Vec::len).sum::<usize>() < total {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // …and the worker has recorded every outcome.
    loop {
        let tx = atrium_core::db::TenantTx::begin(&db, tenant, false).await.unwrap();
        let row = tx.conn().query_one_raw(succeeded.clone()).await.unwrap().unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        if n as usize >= before + total {
            break;
        }
        drop(tx);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let signed_rate = total as f64 / started.elapsed().as_secs_f64();
    assert_eq!(arrivals.lock().unwrap().values().map(Vec::len).sum::<usize>(), total);

    // …and the same number of plain POSTs, as many in flight as the worker sends at once.
    use futures_util::StreamExt;
    arrivals.lock().unwrap().clear();
    let body = json!({"id": "evt_x", "type": "location.created", "data": {"object": {"name": "x"}}}).to_string();
    let started = Instant::now();
    let url = format!("http://127.0.0.1:{port}/hook/raw");
    let posts =
        (0..total).map(|_| client.post(&url).header("content-type", "application/json").body(body.clone()).send());
    let answered: Vec<_> = futures_util::stream::iter(posts).buffer_unordered(IN_FLIGHT).collect().await;
    assert!(answered.iter().all(|r| r.as_ref().is_ok_and(|r| r.status() == 200)));
    let raw_rate = total as f64 / started.elapsed().as_secs_f64();

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
    println!("raw POSTs/s, same receiver, {IN_FLIGHT} in flight {raw_rate:.0}");
    println!("ratio signed / raw                       {:.2}", signed_rate / raw_rate);
}
