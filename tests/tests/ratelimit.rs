//! Rate limits per API key and per user, sized by the tenant's plan.

use atrium_tests::{assert_problem, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn exceeding_the_limit_is_429_and_other_keys_are_unaffected() {
    let app =
        spawn_app_with(|c| c.signup_rate_limit_per_minute = 5, atrium_server::PluginRegistry::compiled().unwrap())
            .await;
    let t = app.signup("acme").await;
    let mut keys = Vec::new();
    for name in ["first", "second"] {
        let res = app
            .send_as(&t.token, Method::POST, "/v1/api-keys", &json!({"name": name, "scopes": ["tenants:read"]}))
            .await;
        let body: Value = res.json().await.unwrap();
        keys.push(body["secret"].as_str().unwrap().to_owned());
    }
    for expected_remaining in (0..5).rev() {
        let res = app.get_as(&keys[0], "/v1/tenant").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["ratelimit-limit"], "5");
        assert_eq!(res.headers()["ratelimit-remaining"], expected_remaining.to_string().as_str());
        assert!(res.headers().get("ratelimit-reset").is_some());
    }
    let res = app.get_as(&keys[0], "/v1/tenant").await;
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=12).contains(&retry_after), "{retry_after}");
    assert_eq!(res.headers()["ratelimit-remaining"], "0");
    assert_problem(res, 429, "rate_limited").await;

    assert_eq!(app.get_as(&keys[1], "/v1/tenant").await.status(), 200, "another key of the same tenant");
    assert_eq!(app.get_as(&t.token, "/v1/tenant").await.status(), 200, "the user's own budget");
}
