//! Booking creation benchmark (run it release: `tests/load/bookings.sh`).
//!
//! One tenant, 50 providers open 08:00–20:00 UTC every day, one one-hour template any of
//! them can serve. 8 clients create 3 bookings per provider per day over 30 days (4,500),
//! each naming its provider, end to end over HTTP. The baseline, measured in the same run
//! on the same database: 8 connections inserting 4,500 single rows into a scratch table
//! (one `INSERT` per transaction, no HTTP).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use atrium_server::{Application, Config, PluginRegistry};
use chrono::{DurationRound, Utc};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

const PROVIDERS: usize = 50;
const DAYS: i64 = 30;
const HOURS: [i64; 3] = [9, 12, 15];
const CLIENTS: usize = 8;

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
    let plugins = json!({"enabled_plugins": ["households", "bookables", "service-templates", "bookings"]});
    let res = client.patch(format!("{base}/v1/tenant")).bearer_auth(&token).json(&plugins).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let day = json!([{"start": "08:00", "end": "20:00"}]);
    let mut providers = Vec::new();
    for i in 0..PROVIDERS {
        let body = json!({"type": "provider", "name": format!("Provider {i}"), "email": format!("p{i}@bench.example"),
            "tags": ["bench"],
            "calendar": {"timezone": "UTC", "slot_duration_minutes": 60, "slot_interval_minutes": 60, "max_advance_days": 120,
                "weekly_schedule": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day,
                    "saturday": day, "sunday": day}}});
        providers.push(post("/v1/bookables", &token, body).await["id"].as_str().unwrap().to_owned());
    }
    let template = post(
        "/v1/service-templates",
        &token,
        json!({"name": "Bench", "type": "appointment", "duration": {"type": "fixed", "fixed_minutes": 60},
            "required_bookables": [{"bookable_type": "provider", "criteria": {"tags": ["bench"]}}],
            "pricing": {"base_price": "50.00", "currency": "USD", "timezone": "UTC"}, "status": "active"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Bookings, in an order that spreads neighbours over providers and days.
    let first = (Utc::now() + chrono::Duration::days(2)).duration_trunc(chrono::Duration::days(1)).unwrap();
    let mut jobs = Vec::new();
    for d in 0..DAYS {
        for h in HOURS {
            for p in &providers {
                jobs.push((first + chrono::Duration::days(d) + chrono::Duration::hours(h), p.clone()));
            }
        }
    }
    let total = jobs.len();
    eprintln!("{database}: {PROVIDERS} providers; {CLIENTS} clients booking {total} slots…");
    let jobs = Arc::new(jobs);
    let failed = Arc::new(AtomicUsize::new(0));
    let (wall, times) = {
        let (client, base, token, template, jobs, failed) =
            (client.clone(), base.clone(), token.clone(), template.clone(), jobs.clone(), failed.clone());
        run(total, move |i| {
            let (start, provider) = jobs[i].clone();
            let body = json!({"service_template_id": template, "start": start, "bookable_ids": [[provider]]});
            let req = client.post(format!("{base}/v1/bookings")).bearer_auth(&token).json(&body);
            let failed = failed.clone();
            async move {
                let res = req.send().await.unwrap();
                if res.status() != 201 {
                    failed.fetch_add(1, Ordering::Relaxed);
                    eprintln!("{} {}", res.status(), res.text().await.unwrap_or_default());
                }
            }
        })
        .await
    };
    let rate = total as f64 / wall.as_secs_f64();

    // The baseline: single-row inserts on the same database, as its owner.
    let admin_url = migration_url.map_or(database_url, |u| u.expose().to_owned());
    let db = Arc::new(Database::connect(admin_url.as_str()).await.unwrap());
    let backend = db.get_database_backend();
    let sql = |s: &str| Statement::from_string(backend, s.to_owned());
    db.execute_raw(sql("CREATE TABLE bench_inserts (id TEXT PRIMARY KEY, at TEXT NOT NULL)")).await.unwrap();
    let (insert_wall, insert_times) = {
        let db = db.clone();
        run(total, move |i| {
            let db = db.clone();
            async move {
                let stmt = Statement::from_sql_and_values(
                    backend,
                    match backend {
                        sea_orm::DbBackend::Postgres => "INSERT INTO bench_inserts (id, at) VALUES ($1, $2)",
                        _ => "INSERT INTO bench_inserts (id, at) VALUES (?, ?)",
                    },
                    [uuid::Uuid::now_v7().to_string().into(), format!("{i}").into()],
                );
                db.execute_raw(stmt).await.unwrap();
            }
        })
        .await
    };
    let insert_rate = total as f64 / insert_wall.as_secs_f64();
    println!(
        "{database}: {total} bookings by {CLIENTS} clients on {PROVIDERS} providers (named), {} refused — \
         {rate:.0}/s, p50 {:.1} ms, p99 {:.1} ms (p99/p50 {:.1}×)",
        failed.load(Ordering::Relaxed),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(percentile(&times, 0.99)) / ms(percentile(&times, 0.5)),
    );
    println!(
        "  baseline: single-row INSERTs by {CLIENTS} connections {insert_rate:.0}/s (p50 {:.2} ms); \
         bookings/inserts = {:.2}×",
        ms(percentile(&insert_times, 0.5)),
        rate / insert_rate
    );
}
