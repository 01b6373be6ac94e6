//! Stock reservation benchmark (run it release: `tests/load/products.sh`).
//!
//! One tenant, 100 products with a million units each. 64 clients reserve one unit at a
//! time over HTTP (`POST /v1/products/{id}/inventory/reserve`, each with its own
//! idempotency key: a movement, a reservation and the conditional balance update in one
//! transaction): first all on one hot SKU, then spread over the 100 SKUs. The baseline,
//! measured in the same run on the same database: 64 connections running the bare
//! conditional update (`UPDATE … SET reserved = reserved + 1 WHERE id = ? AND on_hand -
//! reserved >= 1`, one per transaction, no HTTP) on one row, then on 100 rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use atrium_server::{Application, Config, PluginRegistry};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

const SKUS: usize = 100;
const CLIENTS: usize = 64;
const RESERVATIONS: usize = 3000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `jobs` run by `CLIENTS` workers; returns the wall time and each job's latency.
async fn run<F, Fut>(jobs: usize, work: F) -> (Duration, Vec<Duration>)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CLIENTS {
        let (next, work) = (next.clone(), work.clone());
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    return times;
                }
                let t0 = Instant::now();
                work(i).await;
                times.push(t0.elapsed());
            }
        }));
    }
    let mut times = Vec::new();
    for w in workers {
        times.extend(w.await.unwrap());
    }
    times.sort();
    (started.elapsed(), times)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let pg = atrium_tests::PgDatabase::from_env().await;
    let (database, database_url, migration_url) = match &pg {
        Some(pg) => ("PostgreSQL", pg.runtime_url(), Some(atrium_core::secret::Secret::new(pg.owner_url()))),
        None => ("SQLite", format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display()), None),
    };
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: atrium_core::secret::Secret::new(database_url.clone()),
        migration_database_url: migration_url.clone(),
        jwt_secret: Some(atrium_core::secret::Secret::new(atrium_tests::TEST_JWT_SECRET)),
        signup_rate_limit_per_minute: 1_000_000,
        database_max_connections: CLIENTS as u32,
        log_level: "error".into(),
        ..Config::default()
    };
    let app = Application::build(config, PluginRegistry::compiled().unwrap()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(CLIENTS).build().unwrap();
    let post = |path: &str, token: &str, body: Value| {
        let req = client.post(format!("{base}{path}")).bearer_auth(token).json(&body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            assert!(status.is_success(), "{status} {body}");
            body
        }
    };
    let signup = post(
        "/v1/signup",
        "",
        json!({
            "tenant": {"slug": "bench", "name": "Bench", "type": "enterprise", "timezone": "UTC", "currency": "USD"},
            "owner": {"email": "b@bench.example", "password": atrium_tests::PASSWORD, "name": "B"}}),
    )
    .await;
    let token = signup["access_token"].as_str().unwrap().to_owned();
    let plugins = json!({"enabled_plugins": ["products"]});
    let res = client.patch(format!("{base}/v1/tenant")).bearer_auth(&token).json(&plugins).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut skus = Vec::new();
    for i in 0..SKUS {
        let body = json!({"sku": format!("SKU-{i}"), "name": format!("Product {i}"), "type": "physical",
            "price": "10.00", "fulfillment": ["pickup"]});
        let id = post("/v1/products", &token, body).await["id"].as_str().unwrap().to_owned();
        let body = json!({"quantity": 1_000_000, "idempotency_key": format!("seed-{i}")});
        post(&format!("/v1/products/{id}/inventory/receive"), &token, body).await;
        skus.push(id);
    }
    let skus = Arc::new(skus);

    let mut rates = Vec::new();
    for (label, spread) in [("one hot SKU", 1usize), ("100 SKUs", SKUS)] {
        let failed = Arc::new(AtomicUsize::new(0));
        let (client, base, token, skus, failed2) =
            (client.clone(), base.clone(), token.clone(), skus.clone(), failed.clone());
        let tag = spread;
        let (wall, times) = run(RESERVATIONS, move |i| {
            let id = skus[i % spread].clone();
            let body = json!({"quantity": 1, "idempotency_key": format!("r-{tag}-{i}")});
            let req = client.post(format!("{base}/v1/products/{id}/inventory/reserve")).bearer_auth(&token).json(&body);
            let failed = failed2.clone();
            async move {
                let res = req.send().await.unwrap();
                if res.status() != 201 {
                    failed.fetch_add(1, Ordering::Relaxed);
                    eprintln!("{} {}", res.status(), res.text().await.unwrap_or_default());
                }
            }
        })
        .await;
        let rate = RESERVATIONS as f64 / wall.as_secs_f64();
        rates.push((label, spread, rate, times, failed.load(Ordering::Relaxed)));
    }

    // The baseline: the bare conditional update on the same database, as its owner.
    let admin_url = migration_url.map_or(database_url, |u| u.expose().to_owned());
    let db = Arc::new(Database::connect(admin_url.as_str()).await.unwrap());
    let backend = db.get_database_backend();
    let sql = |s: &str| Statement::from_string(backend, s.to_owned());
    db.execute_raw(sql(
        "CREATE TABLE bench_stock (id INTEGER PRIMARY KEY, on_hand BIGINT NOT NULL, reserved BIGINT NOT NULL)",
    ))
    .await
    .unwrap();
    for i in 0..SKUS {
        db.execute_raw(sql(&format!("INSERT INTO bench_stock (id, on_hand, reserved) VALUES ({i}, 1000000, 0)")))
            .await
            .unwrap();
    }
    for (label, spread, rate, times, failed) in rates {
        let db = db.clone();
        let (update_wall, update_times) = run(RESERVATIONS, move |i| {
            let db = db.clone();
            async move {
                let stmt = Statement::from_sql_and_values(
                    backend,
                    match backend {
                        sea_orm::DbBackend::Postgres => {
                            "UPDATE bench_stock SET reserved = reserved + 1 WHERE id = $1 AND on_hand - reserved >= 1"
                        }
                        _ => "UPDATE bench_stock SET reserved = reserved + 1 WHERE id = ? AND on_hand - reserved >= 1",
                    },
                    [((i % spread) as i64).into()],
                );
                let done = db.execute_raw(stmt).await.unwrap();
                assert_eq!(done.rows_affected(), 1);
            }
        })
        .await;
        let update_rate = RESERVATIONS as f64 / update_wall.as_secs_f64();
        println!(
            "{database}, {label}: {RESERVATIONS} reservations by {CLIENTS} clients, {failed} refused — {rate:.0}/s, \
             p50 {:.1} ms, p99 {:.1} ms; bare UPDATE … WHERE {update_rate:.0}/s (p50 {:.2} ms); \
             reservations/updates = {:.3}×",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(percentile(&update_times, 0.5)),
            rate / update_rate
        );
    }
}
