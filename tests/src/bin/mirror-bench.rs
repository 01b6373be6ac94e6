//! Liquidity-mirror ingestion benchmark (run it release: `tests/load/mirror.sh`).
//!
//! One tenant, one chain: `MIRROR_BENCH_BATCHES` batches (default 50) of one block with
//! 1,000 transfer events each, posted one after another over HTTP with the ingest
//! permission, each batch checked (parent hash), folded and written all or nothing. The
//! baseline, measured in the same run on the same database: the same rows inserted into a
//! scratch copy of the event table with one bulk `INSERT` of 1,000 rows per transaction (no
//! HTTP, no fold). Then a reorg of depth 10 at the head, with the rows it touched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use atrium_server::{Application, Config, PluginRegistry};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, Value as DbValue};
use serde_json::{Value, json};

const EVENTS_PER_BATCH: usize = 1_000;
const TOKEN: &str = "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913";
const ZERO: &str = "0x0000000000000000000000000000000000000000";

fn h(kind: u64, n: u64) -> String {
    format!("0x{kind:032x}{n:032x}")
}

fn wallet(i: usize) -> String {
    format!("0x{:040x}", 0x1000 + i)
}

/// Block `n`: 1,000 transfers; every 4th mints, the others move 1 unit between wallets
/// that the mints funded.
fn block(n: u64) -> Value {
    let events: Vec<Value> = (0..EVENTS_PER_BATCH)
        .map(|i| {
            let tx = h(2, n * 10_000 + i as u64);
            let w = wallet(i % 200);
            let (from, to, amount) = if i % 4 == 0 {
                (ZERO.to_owned(), w, "1000000000000000000000")
            } else {
                (wallet((i - i % 4) % 200), wallet((i + 7) % 200), "1")
            };
            json!({"tx_hash": tx, "log_index": i, "kind": "transfer", "token": TOKEN, "wallet": from, "to": to,
                "amount": amount})
        })
        .collect();
    json!({"number": n, "hash": h(1, n + 1), "parent_hash": h(1, n), "events": events})
}

#[tokio::main]
async fn main() {
    let batches: u64 = std::env::var("MIRROR_BENCH_BATCHES").ok().and_then(|s| s.parse().ok()).unwrap_or(50);
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
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let send = |method: reqwest::Method, path: &str, token: &str, body: Value| {
        let req = client.request(method, format!("{base}{path}")).bearer_auth(token).json(&body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            assert!(status.is_success(), "{status} {body}");
            body
        }
    };
    let signup = send(
        reqwest::Method::POST,
        "/v1/signup",
        "",
        json!({
            "tenant": {"slug": "bench", "name": "Bench", "type": "enterprise", "timezone": "UTC", "currency": "USD"},
            "owner": {"email": "b@bench.example", "password": atrium_tests::PASSWORD, "name": "B"}}),
    )
    .await;
    let token = signup["access_token"].as_str().unwrap().to_owned();
    send(reqwest::Method::PATCH, "/v1/tenant", &token, json!({"enabled_plugins": ["liquidity-mirror"]})).await;
    let chain = send(
        reqwest::Method::POST,
        "/v1/chains",
        &token,
        json!({"chain_id": 8453, "name": "Base", "finality_depth": 64}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let blocks: Vec<Value> = (0..batches).map(block).collect();
    let total = batches as usize * EVENTS_PER_BATCH;
    eprintln!("{database}: ingesting {batches} batches of {EVENTS_PER_BATCH} events…");
    let t0 = Instant::now();
    for b in &blocks {
        let body =
            send(reqwest::Method::POST, &format!("/v1/chains/{chain}/blocks"), &token, json!({"blocks": [b]})).await;
        assert_eq!(body["accepted"], 1);
    }
    let wall = t0.elapsed();
    let rate = total as f64 / wall.as_secs_f64();

    // The baseline: the same rows, bulk-inserted into a scratch copy of the event table.
    let admin_url = migration_url.map_or(database_url, |u| u.expose().to_owned());
    let db = Database::connect(admin_url.as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let pg = backend == DbBackend::Postgres;
    db.execute_raw(Statement::from_string(
        backend,
        "CREATE TABLE bench_events AS SELECT * FROM mirror_events WHERE 1 = 0",
    ))
    .await
    .unwrap();
    let tenant = uuid::Uuid::parse_str(signup["tenant"]["id"].as_str().unwrap()).unwrap();
    let chain_ref = uuid::Uuid::parse_str(&chain).unwrap();
    let t0 = Instant::now();
    for b in &blocks {
        let mut sql = String::from(
            "INSERT INTO bench_events (tenant_id, id, chain_ref, block_number, block_hash, tx_hash, log_index, kind, \
             token, wallet, counterparty, amount, shares) VALUES ",
        );
        let mut values: Vec<DbValue> = Vec::with_capacity(EVENTS_PER_BATCH * 13);
        for (i, e) in b["events"].as_array().unwrap().iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let p = |k: usize| if pg { format!("${}", i * 13 + k) } else { "?".to_owned() };
            let num = |k: usize| if pg { format!("CAST(${} AS numeric)", i * 13 + k) } else { "?".to_owned() };
            sql.push_str(&format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7),
                p(8),
                p(9),
                p(10),
                p(11),
                num(12),
                num(13)
            ));
            values.extend([
                tenant.into(),
                uuid::Uuid::now_v7().into(),
                chain_ref.into(),
                b["number"].as_i64().unwrap().into(),
                b["hash"].as_str().unwrap().into(),
                e["tx_hash"].as_str().unwrap().into(),
                e["log_index"].as_i64().unwrap().into(),
                "transfer".into(),
                TOKEN.into(),
                e["wallet"].as_str().unwrap().into(),
                e["to"].as_str().unwrap().into(),
                e["amount"].as_str().unwrap().into(),
                "0".into(),
            ]);
        }
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap();
    }
    let insert_wall = t0.elapsed();
    let insert_rate = total as f64 / insert_wall.as_secs_f64();

    // A reorg of depth 10 at the head: orphaning, then the replay of the canonical log.
    let ancestor = batches - 11;
    let t0 = Instant::now();
    let reorg = send(
        reqwest::Method::POST,
        &format!("/v1/chains/{chain}/reorgs"),
        &token,
        json!({"ancestor": {"number": ancestor, "hash": h(1, ancestor + 1)}}),
    )
    .await;
    let reorg_wall = t0.elapsed();
    println!(
        "{database}: {total} events in {batches} batches of {EVENTS_PER_BATCH} — {rate:.0} events/s; \
         bulk INSERT of the same rows {insert_rate:.0} rows/s; ingestion/bulk = {:.2}×",
        rate / insert_rate
    );
    println!(
        "  reorg of depth 10 over {total} events: {:.0} ms; {} blocks and {} events marked orphaned, \
         the projection replayed from {} canonical events",
        reorg_wall.as_secs_f64() * 1000.0,
        reorg["blocks_orphaned"],
        reorg["events_orphaned"],
        total - 10 * EVENTS_PER_BATCH
    );
}
