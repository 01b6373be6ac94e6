//! A database made by the previous release (commit e9a42f8, before plugins owned their
//! migrations) migrates forward: the snapshots in `tests/fixtures/previous-release/` were
//! made by that release's binary (`migrate up`, then `populate.py` through its API, then
//! `sqlite3 .dump` / `pg_dump --inserts`). After this release migrates it, its schema is
//! the schema of a fresh database, and its data serves as before.

use std::collections::BTreeSet;

use atrium_tests::{Seed, TestApp, spawn_app, spawn_app_seeded};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

const SQLITE: &str = include_str!("../fixtures/previous-release/sqlite.sql");
const POSTGRES: &str = include_str!("../fixtures/previous-release/postgres.sql");

/// The migrations the previous release had applied.
const PREVIOUS: [&str; 11] = [
    "m20261122_000001_platform_signing_keys",
    "m20261122_000100_tenants_core",
    "m20261122_000200_integrations_api_keys",
    "m20261122_000300_integrations_idempotency_keys",
    "m20261122_000400_integrations_webhooks",
    "m20261122_001000_households_core",
    "m20261122_002000_bookables_core",
    "m20261122_003000_service_templates_core",
    "m20261122_004000_bookings_core",
    "m20261122_004100_bookings_waitlist",
    "m20261123_000100_integrations_event_leases",
];

async fn rows(app: &TestApp, sql_sqlite: &str, sql_pg: &str) -> BTreeSet<String> {
    let db = Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres { sql_pg } else { sql_sqlite };
    let out = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "r").unwrap())
        .collect();
    db.close().await.ok();
    out
}

/// Tables with their columns (type, nullability), indexes and row-level security policies.
async fn schema(app: &TestApp) -> BTreeSet<String> {
    let mut all = rows(
        app,
        "SELECT m.name || '.' || p.name || ' ' || p.type || ' ' || p.\"notnull\" || ' ' || p.pk AS r
           FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'",
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS r
           FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .await;
    all.extend(
        rows(
            app,
            "SELECT 'index ' || name || ' ' || coalesce(sql, '') AS r FROM sqlite_master WHERE type = 'index'",
            "SELECT 'index ' || indexname || ' ' || indexdef AS r FROM pg_indexes WHERE schemaname = 'public'",
        )
        .await,
    );
    all.extend(
        rows(
            app,
            "SELECT 'no policies' AS r",
            "SELECT 'policy ' || tablename || ' ' || policyname || ' ' || cmd AS r FROM pg_policies
             UNION SELECT 'rls ' || relname || ' ' || relrowsecurity || relforcerowsecurity FROM pg_class
              WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'",
        )
        .await,
    );
    all
}

#[tokio::test]
async fn a_database_of_the_previous_release_migrates_forward() {
    let seed = Seed { sqlite: SQLITE, postgres: POSTGRES };
    let app = spawn_app_seeded(Some(seed), |_| {}, atrium_server::PluginRegistry::compiled().unwrap()).await;

    let ready: Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["pending_migrations"], 0);
    let applied =
        rows(&app, "SELECT version AS r FROM seaql_migrations", "SELECT version AS r FROM seaql_migrations").await;
    for name in PREVIOUS {
        assert!(applied.contains(name), "{name} is still recognised as applied");
    }
    let fresh = spawn_app().await;
    assert_eq!(schema(&app).await, schema(&fresh).await, "the migrated schema is a fresh database's schema");

    // The previous release's data serves as before.
    let sign_in =
        json!({"email": "owner@legacy.example", "password": "correct horse battery staple", "tenant": "legacy-salon"});
    let res = app.post_json("/v1/auth/token", &sign_in).await;
    assert_eq!(res.status(), 200, "the previous release's owner signs in");
    let token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let bookings: Value = app.get_as(&token, "/v1/bookings").await.json().await.unwrap();
    let list = bookings["data"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{bookings}");
    assert!(list.iter().any(|b| b["status"] == "cancelled"), "{bookings}");
    let id = list[0]["id"].as_str().unwrap();
    assert_eq!(app.get_as(&token, &format!("/v1/bookings/{id}/history")).await.status(), 200);
    assert_eq!(app.get_as(&token, "/v1/webhook-endpoints").await.status(), 200);

    // …and takes new bookings (allocations, the exclusion constraint, RLS all in place).
    let templates: Value = app.get_as(&token, "/v1/service-templates").await.json().await.unwrap();
    let template = templates["data"][0]["id"].as_str().unwrap();
    let now = chrono::Utc::now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let found: Value = app
        .get_as(
            &token,
            &format!(
                "/v1/availability?service_template_id={template}&from={}&to={}",
                fmt(now + chrono::Duration::days(31)),
                fmt(now + chrono::Duration::days(40))
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    let slot = &found["slots"][0]["start"];
    assert!(slot.is_string(), "{found}");
    let res = app
        .send_as(&token, Method::POST, "/v1/bookings", &json!({"service_template_id": template, "start": slot}))
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    // The new job runner runs over the old data: the legacy hold, long expired, is swept.
    let mut swept = false;
    for _ in 0..100 {
        let holds: Value = app.get_as(&token, "/v1/reservations").await.json().await.unwrap();
        if holds["data"].as_array().unwrap().iter().all(|h| h["status"] == "expired") {
            swept = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(swept, "the hold sweeper ended the previous release's expired hold");
}
