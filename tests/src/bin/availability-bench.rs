//! Availability search benchmark (run it release: `tests/load/availability.sh`).
//!
//! One tenant, 50 providers in three time zones (weekly hours with a lunch break, 30-minute
//! slots, a date override and a blocked day each), one template that any of them can serve,
//! and 1,000 existing bookings. Measures `GET /v1/availability` over 30 days × 50 bookables
//! end to end over HTTP, one request at a time, against an authenticated one-row read
//! (`GET /v1/bookables/{id}`) measured in the same run as the baseline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use atrium_server::{Application, Config, PluginRegistry};
use chrono::{DurationRound, Utc};
use serde_json::{Value, json};

const BOOKABLES: usize = 50;
const BOOKINGS: usize = 1_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn timed(client: &reqwest::Client, url: &str, token: &str, runs: usize) -> (Vec<Duration>, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let t0 = Instant::now();
        let res = client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        size = res.bytes().await.unwrap().len();
        times.push(t0.elapsed());
    }
    times.sort();
    (times, size)
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let pg = atrium_tests::PgDatabase::from_env().await;
    let (database, database_url, migration_url) = match &pg {
        Some(pg) => ("PostgreSQL", pg.runtime_url(), Some(atrium_core::secret::Secret::new(pg.owner_url()))),
        None => ("SQLite", format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display()), None),
    };
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: atrium_core::secret::Secret::new(database_url),
        migration_database_url: migration_url,
        jwt_secret: Some(atrium_core::secret::Secret::new(atrium_tests::TEST_JWT_SECRET)),
        signup_rate_limit_per_minute: 1_000_000,
        log_level: "error".into(),
        ..Config::default()
    };
    let app = Application::build(config, PluginRegistry::compiled().unwrap()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
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
    let plugins = json!({"enabled_plugins": ["households", "bookables", "service-templates", "bookings"]});
    let res = client.patch(format!("{base}/v1/tenant")).bearer_auth(&token).json(&plugins).send().await.unwrap();
    assert_eq!(res.status(), 200);

    let zones = ["Europe/Lisbon", "America/New_York", "Asia/Tokyo"];
    let day = json!([{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}]);
    let start = (Utc::now() + chrono::Duration::days(2)).duration_trunc(chrono::Duration::days(1)).unwrap();
    let mut providers = Vec::new();
    for i in 0..BOOKABLES {
        let body = json!({"type": "provider", "name": format!("Provider {i}"), "email": format!("p{i}@bench.example"),
            "tags": ["bench"], "min_rest_between_bookings_minutes": 10, "max_daily_bookings": 12,
            "calendar": {"timezone": zones[i % 3], "slot_duration_minutes": 30, "slot_interval_minutes": 30,
                "pre_buffer_minutes": 5, "max_advance_days": 120,
                "weekly_schedule": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day,
                    "saturday": [{"start": "10:00", "end": "14:00"}]}},
            "date_overrides": [{"date": (start + chrono::Duration::days(10)).date_naive(), "type": "closed"}],
            "blocked_times": [{"start_at": start + chrono::Duration::days(5), "end_at": start + chrono::Duration::days(6),
                "type": "time_off"}]});
        providers.push(post("/v1/bookables", &token, body).await["id"].as_str().unwrap().to_owned());
    }
    let template = post(
        "/v1/service-templates",
        &token,
        json!({"name": "Bench", "type": "appointment", "duration": {"type": "fixed", "fixed_minutes": 30},
            "required_bookables": [{"bookable_type": "provider", "criteria": {"tags": ["bench"]}}],
            "pricing": {"base_price": "50.00", "currency": "USD", "timezone": "UTC"}, "status": "active"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let from = start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (start + chrono::Duration::days(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let search = format!("{base}/v1/availability?service_template_id={template}&from={from}&to={to}");
    // 1,000 bookings on slots the search itself offers, spread over bookables and days.
    eprintln!("{database}: {BOOKABLES} bookables made; booking {BOOKINGS} slots…");
    let offered: Value = client.get(&search).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let slots = offered["slots"].as_array().unwrap();
    let mut booked = 0;
    for (i, slot) in slots.iter().enumerate().step_by((slots.len() / BOOKINGS).max(1)) {
        let options = slot["options"][0].as_array().unwrap();
        let choice = &options[i % options.len()];
        let body = json!({"service_template_id": template, "start": slot["start"], "bookable_ids": [[choice]]});
        let res = client.post(format!("{base}/v1/bookings")).bearer_auth(&token).json(&body).send().await.unwrap();
        if res.status() == 201 {
            booked += 1;
        }
        if booked == BOOKINGS {
            break;
        }
    }

    eprintln!("{database}: {booked} booked; timing {runs} searches…");
    let (search_times, size) = timed(&client, &search, &token, runs).await;
    let read = format!("{base}/v1/bookables/{}", providers[0]);
    let (read_times, _) = timed(&client, &read, &token, runs).await;
    let offered: Value = client.get(&search).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let count = offered["slots"].as_array().unwrap().len();
    let options: usize =
        offered["slots"].as_array().unwrap().iter().map(|s| s["options"][0].as_array().unwrap().len()).sum();
    println!(
        "{database}: availability over {BOOKABLES} bookables × 30 days with {booked} bookings — {count} start times, \
         {options} (start, bookable) options, {size} bytes"
    );
    println!(
        "  search p50 {:.1} ms, p99 {:.1} ms; one-row authenticated read p50 {:.2} ms, p99 {:.2} ms; \
         search/read at p50 = {:.1}×",
        ms(percentile(&search_times, 0.5)),
        ms(percentile(&search_times, 0.99)),
        ms(percentile(&read_times, 0.5)),
        ms(percentile(&read_times, 0.99)),
        ms(percentile(&search_times, 0.5)) / ms(percentile(&read_times, 0.5)),
    );
}
