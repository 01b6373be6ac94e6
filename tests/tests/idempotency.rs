//! Idempotency keys: one resource however often a POST is retried, replays identical,
//! another body refused, keys scoped to the credential and the tenant.

use atrium_tests::{assert_problem, spawn_app};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

fn location(name: &str) -> Value {
    json!({"name": name, "type": "virtual", "timezone": "UTC"})
}

#[tokio::test]
async fn concurrent_duplicates_create_one_resource_with_identical_replies() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let body = location("Once");
    let attempts = (0..100).map(|_| async {
        let res = app
            .as_token(Method::POST, "/v1/locations", &t.token)
            .header("idempotency-key", "k-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        (status, location, res.text().await.unwrap())
    });
    let results = join_all(attempts).await;
    let created: Vec<_> = results.iter().filter(|(s, _, _)| *s == 201).collect();
    assert!(!created.is_empty());
    for (status, _, text) in &results {
        assert!(*status == 201 || *status == 409, "{status}: {text}");
        if *status == 409 {
            assert!(text.contains("idempotency_in_progress"), "{text}");
        }
    }
    assert!(created.iter().all(|c| c.2 == created[0].2 && c.1 == created[0].1), "replies are identical");

    // A later retry replays the same answer.
    let res = app
        .as_token(Method::POST, "/v1/locations", &t.token)
        .header("idempotency-key", "k-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    assert_eq!(res.text().await.unwrap(), created[0].2);
    let list: Value = app.get_as(&t.token, "/v1/locations").await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "exactly one location was created");
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let send = |body: Value| {
        app.as_token(Method::POST, "/v1/locations", &t.token).header("idempotency-key", "k-2").json(&body).send()
    };
    assert_eq!(send(location("First")).await.unwrap().status(), 201);
    assert_problem(send(location("Second")).await.unwrap(), 422, "idempotency_key_reused").await;
}

#[tokio::test]
async fn keys_are_scoped_to_the_credential_and_the_tenant() {
    let app = spawn_app().await;
    let a = app.signup("alpha").await;
    let b = app.signup("beta").await;
    let body = location("Shared name");
    for tenant in [&a, &b] {
        let res = app
            .as_token(Method::POST, "/v1/locations", &tenant.token)
            .header("idempotency-key", "same")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", tenant.slug);
        assert!(res.headers().get("idempotent-replayed").is_none());
    }
    let (other_user, _) = app.add_member(&a, "mgr@alpha.example", &["manager"]).await;
    let res = app
        .as_token(Method::POST, "/v1/locations", &other_user)
        .header("idempotency-key", "same")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "another user of the same tenant has its own keys");
    let list: Value = app.get_as(&a.token, "/v1/locations").await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn failed_requests_are_replayed_but_a_bad_key_is_400() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let bad = json!({"name": "", "type": "virtual", "timezone": "UTC"});
    let send =
        || app.as_token(Method::POST, "/v1/locations", &t.token).header("idempotency-key", "k-3").json(&bad).send();
    let first = send().await.unwrap();
    assert_eq!(first.status(), 422);
    let first_body = first.text().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 422);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    // The replay is the first answer, byte for byte (its request_id names the first request).
    assert_eq!(again.text().await.unwrap(), first_body);
    let res = app
        .as_token(Method::POST, "/v1/locations", &t.token)
        .header("idempotency-key", "x".repeat(300))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_parameter").await;
}
