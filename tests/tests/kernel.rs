//! The kernel's HTTP contract: operational routes, request ids, problem responses for
//! every kind of bad request, body limit, timeout, metrics.

use atrium_tests::{assert_problem, registry_with_echo, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn health_and_ready_answer_200() {
    let app = spawn_app().await;
    let res = app.get("/health").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");

    let res = app.get("/ready").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["pending_migrations"], 0);
    assert_eq!(body["database"], if app.is_postgres() { "postgres" } else { "sqlite" });
}

#[tokio::test]
async fn ready_is_503_while_migrations_are_pending() {
    use sea_orm_migration::MigratorTraitSelf;
    let app = spawn_app().await;
    let migrator = atrium_server::PluginRegistry::compiled().unwrap().migrator();
    let owner = sea_orm::Database::connect(app.owner_database_url.as_str()).await.unwrap();
    migrator.down(&owner, Some(1)).await.unwrap();
    let body = assert_problem(app.get("/ready").await, 503, "unavailable").await;
    assert!(body["detail"].as_str().unwrap().contains("pending"), "{body}");
    migrator.up(&owner, None).await.unwrap();
    assert_eq!(app.get("/ready").await.status(), 200);
}

#[tokio::test]
async fn request_ids_are_echoed_or_minted() {
    let app = spawn_app().await;
    let res = app.request(Method::GET, "/health").header("x-request-id", "trace-42").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-42");

    let res = app.request(Method::GET, "/health").header("x-request-id", "bad id with spaces").send().await.unwrap();
    let minted = res.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(minted, "bad id with spaces");
    assert!(uuid::Uuid::parse_str(minted).is_ok(), "{minted}");
}

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    assert_problem(app.get("/v1/does-not-exist").await, 404, "route_not_found").await;
    assert_problem(app.get("/nowhere").await, 404, "route_not_found").await;
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app_with(|_| {}, registry_with_echo()).await;
    let res = app.request(Method::DELETE, "/health").send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    assert_problem(res, 405, "method_not_allowed").await;

    let res = app.request(Method::GET, "/v1/echo").send().await.unwrap();
    assert_eq!(res.headers()["allow"], "POST");
    assert_problem(res, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app_with(|_| {}, registry_with_echo()).await;
    for body in ["{\"name\": ", "not json", "", "{} {}"] {
        let res = app
            .request(Method::POST, "/v1/echo")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "malformed_json").await;
    }
}

#[tokio::test]
async fn wrong_content_type_is_a_415_problem() {
    let app = spawn_app_with(|_| {}, registry_with_echo()).await;
    let valid = r#"{"name": "a", "count": 1, "nested": {"flag": true}}"#;
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded")] {
        let mut req = app.request(Method::POST, "/v1/echo").body(valid);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        assert_problem(req.send().await.unwrap(), 415, "unsupported_media_type").await;
    }
    let res = app
        .request(Method::POST, "/v1/echo")
        .header("content-type", "application/json; charset=utf-8")
        .body(valid)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn wrong_shape_is_a_422_with_the_field_path() {
    let app = spawn_app_with(|_| {}, registry_with_echo()).await;
    let cases = [
        (json!({"name": "a", "count": "one", "nested": {"flag": true}}), "count"),
        (json!({"name": "a", "count": 300, "nested": {"flag": true}}), "count"),
        (json!({"name": "a", "count": 1, "nested": {"flag": "yes"}}), "nested.flag"),
        (json!({"name": "a", "count": 1}), ""),
        (json!({"name": "a", "count": 1, "nested": {"flag": true}, "tenant_id": "x"}), "tenant_id"),
        (json!([1, 2]), "[0]"),
    ];
    for (body, field) in cases {
        let problem = assert_problem(app.post_json("/v1/echo", &body).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body} → {problem}");
    }
    let ok = json!({"name": "a", "count": 1, "nested": {"flag": true}});
    assert_eq!(app.post_json("/v1/echo", &ok).await.json::<Value>().await.unwrap(), ok);
}

#[tokio::test]
async fn oversized_body_is_a_413_problem() {
    let app = spawn_app_with(|c| c.body_limit_bytes = 1024, registry_with_echo()).await;
    let big = json!({"name": "x".repeat(4096), "count": 1, "nested": {"flag": true}});
    assert_problem(app.post_json("/v1/echo", &big).await, 413, "payload_too_large").await;
}

#[tokio::test]
async fn bad_path_and_query_values_are_400_problems() {
    let app = spawn_app_with(|_| {}, registry_with_echo()).await;
    assert_problem(app.get("/v1/echo/not-a-uuid?ms=0").await, 400, "invalid_parameter").await;
    let id = uuid::Uuid::now_v7();
    assert_problem(app.get(&format!("/v1/echo/{id}?ms=soon")).await, 400, "invalid_parameter").await;
    assert_problem(app.get(&format!("/v1/echo/{id}")).await, 400, "invalid_parameter").await;
    assert_eq!(app.get(&format!("/v1/echo/{id}?ms=0")).await.status(), 200);
}

#[tokio::test]
async fn slow_requests_time_out_with_a_problem() {
    let app = spawn_app_with(|c| c.request_timeout_seconds = 1, registry_with_echo()).await;
    let id = uuid::Uuid::now_v7();
    assert_problem(app.get(&format!("/v1/echo/{id}?ms=3000")).await, 504, "timeout").await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = spawn_app_with(|_| {}, registry_with_echo()).await;
    let id = uuid::Uuid::now_v7();
    app.get(&format!("/v1/echo/{id}?ms=0")).await;
    app.get("/nowhere").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(r#"atrium_http_requests_total{method="GET",route="/v1/echo/{id}",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404"} 1"#), "{text}");
    assert!(text.contains("atrium_http_request_duration_seconds_bucket"), "{text}");
    assert!(!text.contains(&id.to_string()), "raw ids never become labels");
}
