//! API keys: shown once, stored hashed, scoped, revocable, rotatable, and never more
//! powerful than their creator is now.

use atrium_tests::{assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn create_key(app: &atrium_tests::TestApp, token: &str, scopes: &[&str]) -> Value {
    let res = app.send_as(token, Method::POST, "/v1/api-keys", &json!({"name": "Integration", "scopes": scopes})).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_secret_is_shown_once_and_stored_nowhere() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let key = create_key(&app, &t.token, &["tenants:read"]).await;
    let secret = key["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("atr_"));
    let id = key["id"].as_str().unwrap();

    let listed = app.get_as(&t.token, "/v1/api-keys").await.text().await.unwrap();
    let single = app.get_as(&t.token, &format!("/v1/api-keys/{id}")).await.text().await.unwrap();
    let audit = app.get_as(&t.token, "/v1/audit-log").await.text().await.unwrap();
    // The part of the key after its public prefix (`atr_` + 64 hex + `_`).
    let secret_part = &secret[69..];
    for (what, text) in [("list", &listed), ("get", &single), ("audit log", &audit)] {
        assert!(!text.contains(secret_part), "{what} shows the secret");
    }
    assert!(listed.contains(&key["prefix"].as_str().unwrap()[..40]), "the list shows the prefix");
    assert!(!key["prefix"].as_str().unwrap().contains(&secret[69..72]), "the prefix holds none of the secret");
    let hits = app.find_text_in_database(secret_part).await;
    assert!(hits.is_empty(), "the secret is stored in {hits:?}");

    // Also when the creation is made idempotent, which stores the response to replay it.
    let req = app.as_token(Method::POST, "/v1/api-keys", &t.token).header("idempotency-key", "create-key");
    let res = req.json(&json!({"name": "Retried", "scopes": ["tenants:read"]})).send().await.unwrap();
    let retried: Value = res.json().await.unwrap();
    let retried_part = retried["secret"].as_str().unwrap()[69..].to_owned();
    let hits = app.find_text_in_database(&retried_part).await;
    assert!(hits.is_empty(), "the secret of an idempotent creation is stored in {hits:?}");
    assert!(!app.find_text_in_database(&atrium_core::auth::sha256_hex(&secret)).await.is_empty(), "its hash is");
}

#[tokio::test]
async fn a_key_acts_within_its_scopes() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let key = create_key(&app, &t.token, &["tenants:read"]).await;
    let secret = key["secret"].as_str().unwrap();
    let tenant: Value = app.get_as(secret, "/v1/tenant").await.json().await.unwrap();
    assert_eq!(tenant["id"], t.id.as_str());
    let res = app.send_as(secret, Method::PATCH, "/v1/tenant", &json!({"name": "Hacked"})).await;
    assert_problem(res, 403, "forbidden").await;
    assert_problem(app.get_as(secret, "/v1/members").await, 403, "forbidden").await;
    let used: Value =
        app.get_as(&t.token, &format!("/v1/api-keys/{}", key["id"].as_str().unwrap())).await.json().await.unwrap();
    assert!(used["last_used_at"].is_string(), "use is recorded");
}

#[tokio::test]
async fn revoked_expired_and_malformed_keys_are_401() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let key = create_key(&app, &t.token, &["tenants:read"]).await;
    let secret = key["secret"].as_str().unwrap();
    let res = app
        .send_as(&t.token, Method::POST, &format!("/v1/api-keys/{}/revoke", key["id"].as_str().unwrap()), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as(secret, "/v1/tenant").await, 401, "unauthenticated").await;

    let soon = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/api-keys",
            &json!({"name": "Short", "scopes": ["tenants:read"], "expires_at": soon}),
        )
        .await;
    let short: Value = res.json().await.unwrap();
    let short = short["secret"].as_str().unwrap();
    assert_eq!(app.get_as(short, "/v1/tenant").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(3300)).await;
    assert_problem(app.get_as(short, "/v1/tenant").await, 401, "unauthenticated").await;

    let mut tampered = secret.to_owned();
    tampered.push('x');
    for bad in ["atr_", "atr_nothex_secret", tampered.as_str()] {
        assert_problem(app.get_as(bad, "/v1/tenant").await, 401, "unauthenticated").await;
    }
}

#[tokio::test]
async fn a_key_never_exceeds_its_creator_even_after_a_demotion() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let (admin, membership) = app.add_member(&t, "admin@acme.example", &["admin"]).await;
    // Scopes beyond the creator's own rights are refused outright.
    let (staff, _) = app.add_member(&t, "staff@acme.example", &["staff"]).await;
    let res = app
        .send_as(&staff, Method::POST, "/v1/api-keys", &json!({"name": "x", "scopes": ["tenants:members_write"]}))
        .await;
    assert_problem(res, 403, "forbidden").await;

    let key = create_key(&app, &admin, &["tenants:members_read", "tenants:read"]).await;
    let secret = key["secret"].as_str().unwrap();
    assert_eq!(app.get_as(secret, "/v1/members").await.status(), 200);
    let res =
        app.send_as(&t.token, Method::PATCH, &format!("/v1/members/{membership}"), &json!({"roles": ["staff"]})).await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as(secret, "/v1/members").await, 403, "forbidden").await;
    assert_eq!(app.get_as(secret, "/v1/tenant").await.status(), 200, "what the creator still holds keeps working");
}

#[tokio::test]
async fn rotation_keeps_the_old_secret_for_its_grace_period() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let key = create_key(&app, &t.token, &["tenants:read"]).await;
    let id = key["id"].as_str().unwrap();
    let old = key["secret"].as_str().unwrap();
    let res = app
        .send_as(&t.token, Method::POST, &format!("/v1/api-keys/{id}/rotate"), &json!({"grace_period_seconds": 3600}))
        .await;
    let rotated: Value = res.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(app.get_as(new, "/v1/tenant").await.status(), 200);
    assert_eq!(app.get_as(old, "/v1/tenant").await.status(), 200, "old secret within its grace period");

    let res = app
        .send_as(&t.token, Method::POST, &format!("/v1/api-keys/{id}/rotate"), &json!({"grace_period_seconds": 0}))
        .await;
    let newest: Value = res.json().await.unwrap();
    assert_problem(app.get_as(new, "/v1/tenant").await, 401, "unauthenticated").await;
    assert_eq!(app.get_as(newest["secret"].as_str().unwrap(), "/v1/tenant").await.status(), 200);
    let res = app
        .send_as(&t.token, Method::POST, &format!("/v1/api-keys/{id}/rotate"), &json!({"grace_period_seconds": 999999}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn only_the_creator_or_an_owner_rotates_a_key() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let owners_key = create_key(&app, &t.token, &["tenants:read", "tenants:members_write"]).await;
    let (admin, _) = app.add_member(&t, "admin@acme.example", &["admin"]).await;
    let id = owners_key["id"].as_str().unwrap();
    let res = app.send_as(&admin, Method::POST, &format!("/v1/api-keys/{id}/rotate"), &json!({})).await;
    assert_problem(res, 403, "forbidden").await;
    let admins_key = create_key(&app, &admin, &["tenants:read"]).await;
    let id = admins_key["id"].as_str().unwrap();
    let res = app.send_as(&admin, Method::POST, &format!("/v1/api-keys/{id}/rotate"), &json!({})).await;
    assert_eq!(res.status(), 200, "the creator rotates its own key");
    let res = app.send_as(&t.token, Method::POST, &format!("/v1/api-keys/{id}/rotate"), &json!({})).await;
    assert_eq!(res.status(), 200, "an owner rotates any key within its rights");
}
