//! Webhooks end to end: a real local receiver, Standard Webhooks signatures checked by
//! the third-party `standardwebhooks` library, retries, 410, the SSRF guard, and the
//! outbox delivering every audited change.

use atrium_tests::receiver::{Receiver, verify_with_standardwebhooks};
use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

async fn app(allow_private: bool) -> TestApp {
    spawn_app_with(
        |c| {
            c.webhooks_allow_private = allow_private;
            c.webhook_retry_schedule_ms = vec![0, 200, 200, 200, 200];
            c.webhook_poll_interval_ms = 20;
        },
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await
}

async fn endpoint(app: &TestApp, t: &Tenant, url: &str, types: Value) -> Value {
    let res =
        app.send_as(&t.token, Method::POST, "/v1/webhook-endpoints", &json!({"url": url, "event_types": types})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// Makes one audited change that emits `location.created`.
async fn change(app: &TestApp, t: &Tenant, name: &str) {
    let res = app
        .send_as(&t.token, Method::POST, "/v1/locations", &json!({"name": name, "type": "virtual", "timezone": "UTC"}))
        .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn deliveries_are_signed_per_standard_webhooks() {
    let app = app(true).await;
    let t = app.signup("acme").await;
    let receiver = Receiver::start(&[]).await;
    let ep = endpoint(&app, &t, &receiver.url, json!(["location.created"])).await;
    let secret = ep["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    change(&app, &t, "Signed").await;
    let got = receiver.wait_for(1).await;
    let delivery = &got[0];
    let payload = delivery.json();
    assert_eq!(payload["type"], "location.created");
    assert_eq!(payload["tenant_id"], t.id.as_str());
    assert_eq!(payload["data"]["object"]["name"], "Signed");
    assert!(payload["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(delivery.header("webhook-id"), payload["id"].as_str());

    let mut tampered = delivery.clone();
    tampered.body = tampered.body.replace("Signed", "Forged");
    let mut stale = delivery.clone();
    let old = chrono::Utc::now().timestamp() - 3600;
    let msg_id = delivery.header("webhook-id").unwrap();
    let resigned = atrium_integrations::signing::sign(&secret, msg_id, old, stale.body.as_bytes()).unwrap();
    for (k, v) in stale.headers.iter_mut() {
        match k.as_str() {
            "webhook-timestamp" => *v = old.to_string(),
            "webhook-signature" => *v = resigned.clone(),
            _ => {}
        }
    }
    let other_secret = atrium_integrations::signing::new_secret();
    let Some(verdicts) = verify_with_standardwebhooks(&[
        (secret.clone(), delivery.clone()),
        (secret.clone(), tampered),
        (secret.clone(), stale),
        (other_secret, delivery.clone()),
    ]) else {
        return;
    };
    assert_eq!(verdicts[0], "ok", "a genuine delivery verifies");
    assert!(verdicts[1].starts_with("fail"), "a tampered body fails: {}", verdicts[1]);
    assert!(verdicts[2].starts_with("fail"), "a stale timestamp fails: {}", verdicts[2]);
    assert!(verdicts[3].starts_with("fail"), "another secret fails: {}", verdicts[3]);

    // After a rotation, deliveries verify with the old and with the new secret.
    let id = ep["id"].as_str().unwrap();
    let rotated: Value = app
        .send_as(&t.token, Method::POST, &format!("/v1/webhook-endpoints/{id}/rotate-secret"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    change(&app, &t, "After rotation").await;
    let got = receiver.wait_for(2).await;
    let verdicts = verify_with_standardwebhooks(&[(secret, got[1].clone()), (new_secret, got[1].clone())]).unwrap();
    assert_eq!(verdicts, ["ok", "ok"]);
}

#[tokio::test]
async fn a_failing_receiver_gets_the_event_on_the_fourth_attempt() {
    let app = app(true).await;
    let t = app.signup("acme").await;
    let receiver = Receiver::start(&[500, 503, 302]).await;
    let ep = endpoint(&app, &t, &receiver.url, json!(["location.created"])).await;
    change(&app, &t, "Retried").await;
    let got = receiver.wait_for(4).await;
    let ids: Vec<_> = got.iter().map(|r| r.header("webhook-id").unwrap().to_owned()).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "one event, retried: {ids:?}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let id = ep["id"].as_str().unwrap();
    let log: Value =
        app.get_as(&t.token, &format!("/v1/webhook-endpoints/{id}/deliveries")).await.json().await.unwrap();
    let statuses: Vec<i64> =
        log["data"].as_array().unwrap().iter().map(|a| a["status_code"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [200, 302, 503, 500], "every attempt is recorded, newest first");
    assert!(log["data"][0]["latency_ms"].is_number());
    assert_eq!(log["data"][1]["response_excerpt"], "answered 302");
    assert_eq!(receiver.received().len(), 4, "no fifth attempt after a success");
}

#[tokio::test]
async fn a_batch_slower_than_its_lease_keeps_it_and_is_sent_once() {
    let app = spawn_app_with(
        |c| {
            c.webhooks_allow_private = true;
            c.webhook_poll_interval_ms = 20;
            c.webhook_lease_seconds = 1;
        },
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await;
    let t = app.signup("acme").await;
    let receiver = Receiver::slow(std::time::Duration::from_millis(2500)).await;
    let ep = endpoint(&app, &t, &receiver.url, json!(["location.created"])).await;
    change(&app, &t, "Slow").await;
    receiver.wait_for(1).await;
    // The answer takes 2.5 leases: had the lease lapsed, another of the worker's loops
    // would have claimed the event and sent it again meanwhile.
    tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
    assert_eq!(receiver.received().len(), 1, "sent once although it took longer than its lease");
    let id = ep["id"].as_str().unwrap();
    let log: Value =
        app.get_as(&t.token, &format!("/v1/webhook-endpoints/{id}/deliveries")).await.json().await.unwrap();
    assert_eq!(log["data"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log["data"][0]["status_code"], 200);
}

#[tokio::test]
async fn a_410_disables_the_endpoint() {
    let app = app(true).await;
    let t = app.signup("acme").await;
    let receiver = Receiver::start(&[410]).await;
    let ep = endpoint(&app, &t, &receiver.url, json!(["location.created"])).await;
    change(&app, &t, "Gone").await;
    receiver.wait_for(1).await;
    let id = ep["id"].as_str().unwrap();
    let mut view = Value::Null;
    for _ in 0..100 {
        view = app.get_as(&t.token, &format!("/v1/webhook-endpoints/{id}")).await.json().await.unwrap();
        if view["enabled"] == false {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(view["enabled"], false);
    assert!(view["disabled_reason"].as_str().unwrap().contains("410"));
    let log: Value = app.get_as(&t.token, "/v1/audit-log?action=webhook_endpoint.disabled").await.json().await.unwrap();
    assert_eq!(log["data"].as_array().unwrap().len(), 1, "the disabling is recorded and emitted");
    change(&app, &t, "Not delivered").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1, "nothing more goes to a disabled endpoint");
}

#[tokio::test]
async fn internal_addresses_are_refused() {
    let app = app(false).await;
    let t = app.signup("acme").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://localhost/hook",
    ] {
        let res = app
            .send_as(&t.token, Method::POST, "/v1/webhook-endpoints", &json!({"url": url, "event_types": ["*"]}))
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "url", "{url}");
    }
}

#[tokio::test]
async fn test_deliveries_and_the_event_type_catalog() {
    let app = app(true).await;
    let t = app.signup("acme").await;
    let types: Value = app.get_as(&t.token, "/v1/event-types").await.json().await.unwrap();
    let names: Vec<&str> = types.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    for name in [
        "tenant.updated",
        "member.added",
        "member.removed",
        "api_key.created",
        "api_key.revoked",
        "webhook_endpoint.disabled",
    ] {
        assert!(names.contains(&name), "{name}");
    }
    assert!(types[0]["data_schema"]["properties"]["object"].is_object());

    let receiver = Receiver::start(&[]).await;
    let ep = endpoint(&app, &t, &receiver.url, json!(["member.added"])).await;
    let id = ep["id"].as_str().unwrap();
    let res = app.send_as(&t.token, Method::POST, &format!("/v1/webhook-endpoints/{id}/test"), &json!({})).await;
    assert_eq!(res.status(), 202);
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].json()["type"], "webhook.test");

    // Only subscribed types are delivered.
    change(&app, &t, "Not subscribed").await;
    app.add_member(&t, "new@acme.example", &["staff"]).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].json()["type"], "member.added");
    let bad = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/webhook-endpoints",
            &json!({"url": receiver.url, "event_types": ["no.such"]}),
        )
        .await;
    assert_problem(bad, 422, "validation_failed").await;
}

#[tokio::test]
async fn a_subscription_needs_the_right_to_read_what_it_carries() {
    let app = app(true).await;
    let t = app.signup("acme").await;
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/roles",
            &json!({"name": "integrator",
            "permissions": ["integrations:webhooks_read", "integrations:webhooks_write", "tenants:read"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let (integrator, _) = app.add_member(&t, "int@acme.example", &["integrator"]).await;
    let receiver = Receiver::start(&[]).await;
    for types in [json!(["*"]), json!(["member.added"])] {
        let res = app
            .send_as(
                &integrator,
                Method::POST,
                "/v1/webhook-endpoints",
                &json!({"url": receiver.url, "event_types": types}),
            )
            .await;
        assert_problem(res, 403, "forbidden").await;
    }
    let res = app
        .send_as(
            &integrator,
            Method::POST,
            "/v1/webhook-endpoints",
            &json!({"url": receiver.url, "event_types": ["tenant.updated"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
}
