//! Tenant isolation, checked from the outside: every authenticated route with an id in
//! its path answers 404 to another tenant (the cases are built from the served OpenAPI
//! document, so routes added later are covered as they appear); lists show only the
//! caller's rows; pooled connections never carry a tenant over; and on PostgreSQL the
//! database itself confines the runtime role.

use std::collections::HashSet;

use atrium_tests::{spawn_app, spawn_app_with};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::sweep::{METHODS, example_body, first_id, ids_in, is_authenticated, populate};

#[tokio::test]
async fn every_route_answers_404_for_another_tenants_ids() {
    // Private webhook URLs allowed: the spec's example endpoint needs no DNS.
    let app = spawn_app_with(
        |c| {
            c.webhooks_allow_private = true;
            c.webhook_poll_interval_ms = 20;
        },
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await;
    let a = app.signup("alpha").await;
    let b = app.signup("beta").await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    populate(&app, &spec, &a).await;
    populate(&app, &spec, &b).await;

    let mut checked = 0;
    for (template, item) in spec["paths"].as_object().unwrap() {
        if !template.contains('{') {
            continue;
        }
        for method in METHODS {
            let operation = &item[method];
            if operation.is_null() || !is_authenticated(operation) {
                continue;
            }
            // Fill each parameter, left to right, with an id of A's from the list above it.
            let mut path = String::new();
            for segment in template.split('/').skip(1) {
                if segment.starts_with('{') {
                    let id = first_id(&app, &a, &path)
                        .await
                        .unwrap_or_else(|| panic!("tenant A has nothing listed at {path} to fill {template}"));
                    path.push('/');
                    path.push_str(&id);
                } else {
                    path.push('/');
                    path.push_str(segment);
                }
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.send_as(&b.token, m.clone(), &path, &example_body(&spec, operation)).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert_eq!(status, 404, "{m} {template} with A's ids as B → {body}");
            assert_eq!(body["code"], "not_found", "{m} {template}");
            // …and A still sees it.
            if method == "get" {
                assert_eq!(app.get_as(&a.token, &path).await.status(), 200, "GET {path} as A");
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} routes checked");

    // Lists: B sees none of A's ids.
    for (path, item) in spec["paths"].as_object().unwrap() {
        if path.contains('{') || !is_authenticated(&item["get"]) {
            continue;
        }
        let mut a_ids = HashSet::new();
        ids_in(&app.get_as(&a.token, path).await.json().await.unwrap(), &mut a_ids);
        let mut b_ids = HashSet::new();
        ids_in(&app.get_as(&b.token, path).await.json().await.unwrap(), &mut b_ids);
        let leaked: Vec<_> = a_ids.intersection(&b_ids).collect();
        assert!(leaked.is_empty(), "GET {path}: B sees A's {leaked:?}");
    }
}

#[tokio::test]
async fn pooled_connections_never_carry_a_tenant_over() {
    let app = spawn_app_with(
        |c| {
            c.database_max_connections = 4;
            c.signup_rate_limit_per_minute = 100_000;
        },
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await;
    let a = app.signup("alpha").await;
    let b = app.signup("beta").await;
    app.add_member(&a, "only-in-a@alpha.example", &["staff"]).await;
    let requests = (0..1000).map(|i| {
        let (tenant, path) = match (i % 2, i % 4 < 2) {
            (0, true) => (&a, "/v1/tenant"),
            (0, false) => (&a, "/v1/members"),
            (_, true) => (&b, "/v1/tenant"),
            _ => (&b, "/v1/members"),
        };
        let app = &app;
        async move {
            let res = app.get_as(&tenant.token, path).await;
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            if path == "/v1/tenant" {
                assert_eq!(body["id"], tenant.id.as_str());
            } else {
                for m in body["data"].as_array().unwrap() {
                    let email = m["user"]["email"].as_str().unwrap();
                    assert!(email.ends_with(&format!("@{}.example", tenant.slug)), "{} sees {email}", tenant.slug);
                }
            }
        }
    });
    // 100 in flight over 4 connections: every connection serves both tenants many times
    // over, without making the test a load test that a busy machine fails.
    futures_util::stream::iter(requests).buffer_unordered(100).collect::<Vec<_>>().await;
}

mod postgres {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};

    use super::*;

    async fn tenant_tables(owner: &sea_orm::DatabaseConnection) -> Vec<String> {
        owner
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT c.table_name::text AS t FROM information_schema.columns c
                   JOIN information_schema.tables t USING (table_schema, table_name)
                  WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
                  ORDER BY 1",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "t").unwrap())
            .collect()
    }

    #[tokio::test]
    async fn every_tenant_table_forces_row_level_security() {
        let app = spawn_app().await;
        if !app.is_postgres() {
            eprintln!("skipped: runs against PostgreSQL (ATRIUM_TEST_POSTGRES_URL)");
            return;
        }
        let owner = Database::connect(app.owner_database_url.as_str()).await.unwrap();
        let tables = tenant_tables(&owner).await;
        assert!(tables.len() >= 6, "{tables:?}");
        for table in &tables {
            let row = owner
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
                            EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname
                                      AND p.cmd = 'ALL' AND p.qual LIKE '%app.tenant_id%'
                                      AND p.with_check LIKE '%app.tenant_id%') AS policy
                       FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace",
                    [table.clone().into()],
                ))
                .await
                .unwrap()
                .unwrap();
            for flag in ["enabled", "forced", "policy"] {
                assert!(row.try_get::<bool>("", flag).unwrap(), "{table}: row-level security not {flag}");
            }
        }
    }

    #[tokio::test]
    async fn the_runtime_role_sees_only_the_tenant_it_set() {
        let app = spawn_app().await;
        if !app.is_postgres() {
            eprintln!("skipped: runs against PostgreSQL (ATRIUM_TEST_POSTGRES_URL)");
            return;
        }
        let a = app.signup("alpha").await;
        let b = app.signup("beta").await;
        app.add_member(&a, "m@alpha.example", &["staff"]).await;
        app.send_as(
            &b.token,
            Method::POST,
            "/v1/locations",
            &json!({"name": "B", "type": "virtual", "timezone": "UTC"}),
        )
        .await;
        let owner = Database::connect(app.owner_database_url.as_str()).await.unwrap();
        let tables = tenant_tables(&owner).await;
        let runtime = Database::connect(app.database_url.as_str()).await.unwrap();

        let mut seen_rows = 0;
        for table in &tables {
            let tx = runtime.begin().await.unwrap();
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT set_config('app.tenant_id', $1, true)",
                [a.id.clone().into()],
            ))
            .await
            .unwrap();
            let rows = tx
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!("SELECT tenant_id::text AS t FROM \"{table}\""),
                ))
                .await
                .unwrap();
            for row in &rows {
                assert_eq!(row.try_get::<String>("", "t").unwrap(), a.id, "{table} shows another tenant's row");
            }
            seen_rows += rows.len();
            tx.rollback().await.unwrap();

            // No tenant set: nothing at all.
            let tx = runtime.begin().await.unwrap();
            let n = tx
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!("SELECT count(*) AS n FROM \"{table}\""),
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap();
            assert_eq!(n, 0, "{table} without a tenant set");
            tx.rollback().await.unwrap();
        }
        assert!(seen_rows > 0, "tenant A has rows to see");

        // Writing another tenant's id while A is set is refused by the policy.
        let tx = runtime.begin().await.unwrap();
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('app.tenant_id', $1, true)",
            [a.id.clone().into()],
        ))
        .await
        .unwrap();
        let insert = tx
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO roles (tenant_id, id, name, description, permissions, version, created_at, updated_at)
                 VALUES ($1::uuid, gen_random_uuid(), 'sneaky', '', '[]', 1, now(), now())",
                [b.id.clone().into()],
            ))
            .await;
        let err = insert.expect_err("an INSERT with another tenant's id must fail");
        assert!(err.to_string().contains("row-level security"), "{err}");
        tx.rollback().await.unwrap();
    }
}
