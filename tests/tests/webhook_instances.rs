//! Two server processes on one PostgreSQL database share the webhook queue: every event
//! is delivered exactly once while both run, and none is lost when one is killed with
//! SIGKILL in the middle (at least once: its claimed deliveries are retried after their
//! lease lapses).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use atrium_tests::receiver::Receiver;
use atrium_tests::{PASSWORD, PgDatabase, TEST_JWT_SECRET};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

/// A server process, killed when dropped (also when the test fails).
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn start(pg: &PgDatabase) -> (Proc, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_atrium-proc"))
        .arg("serve")
        .env("ATRIUM_BIND", "127.0.0.1:0")
        .env("ATRIUM_DATABASE_URL", pg.runtime_url())
        .env("ATRIUM_MIGRATION_DATABASE_URL", pg.owner_url())
        .env("ATRIUM_JWT_SECRET", TEST_JWT_SECRET)
        .env("ATRIUM_WEBHOOKS_ALLOW_PRIVATE", "true")
        .env("ATRIUM_WEBHOOK_POLL_INTERVAL_MS", "20")
        .env("ATRIUM_WEBHOOK_LEASE_SECONDS", "2")
        .env("ATRIUM_LOG_LEVEL", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("server exited").unwrap();
        if let Some(url) = line.strip_prefix("Atrium is listening on ") {
            break url.trim().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (Proc(child), base)
}

async fn insert_events(pg: &PgDatabase, tenant: &str, n: usize) {
    let admin = Database::connect(pg.admin_url_for_db().as_str()).await.unwrap();
    admin
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO events (tenant_id, id, event_type, data, occurred_at)
             SELECT $1::uuid, gen_random_uuid(), 'location.created', jsonb_build_object('n', g), now()
               FROM generate_series(1, $2) g",
            [tenant.into(), (n as i32).into()],
        ))
        .await
        .unwrap();
    admin.close().await.ok();
}

async fn wait_distinct(receiver: &Receiver, n: usize) -> (usize, usize) {
    for _ in 0..1200 {
        let got = receiver.received();
        let distinct: HashSet<String> = got.iter().filter_map(|r| r.header("webhook-id").map(str::to_owned)).collect();
        if distinct.len() >= n {
            return (got.len(), distinct.len());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let got = receiver.received();
    let distinct: HashSet<String> = got.iter().filter_map(|r| r.header("webhook-id").map(str::to_owned)).collect();
    (got.len(), distinct.len())
}

#[tokio::test]
async fn two_instances_share_the_queue_and_a_killed_one_loses_nothing() {
    let Some(pg) = PgDatabase::from_env().await else {
        eprintln!("skipped: needs PostgreSQL (ATRIUM_TEST_POSTGRES_URL)");
        return;
    };
    let (a, base_a) = start(&pg);
    let (mut b, _base_b) = start(&pg);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let signup: Value = client
        .post(format!("{base_a}/v1/signup"))
        .json(&json!({
            "tenant": {"slug": "queue", "name": "Queue", "type": "enterprise", "timezone": "UTC", "currency": "USD"},
            "owner": {"email": "q@queue.example", "password": PASSWORD, "name": "Q"}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signup["access_token"].as_str().unwrap();
    let tenant = signup["tenant"]["id"].as_str().unwrap().to_owned();
    let receiver = Receiver::start(&[]).await;
    let res = client
        .post(format!("{base_a}/v1/webhook-endpoints"))
        .bearer_auth(token)
        .json(&json!({"url": receiver.url, "event_types": ["location.created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // Both instances running: exactly once.
    insert_events(&pg, &tenant, 1000).await;
    let (total, distinct) = wait_distinct(&receiver, 1000).await;
    assert_eq!(distinct, 1000, "every event arrived");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1000, "and none twice ({total} seen at first count)");

    // One instance killed mid-run: nothing lost.
    insert_events(&pg, &tenant, 1000).await;
    while receiver.received().len() < 1200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    b.0.kill().unwrap(); // SIGKILL
    b.0.wait().unwrap();
    let (total, distinct) = wait_distinct(&receiver, 2000).await;
    assert_eq!(distinct, 2000, "no event was lost when an instance died ({total} deliveries in all)");
    drop(a);
}
