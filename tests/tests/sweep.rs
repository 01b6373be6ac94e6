//! What the spec-driven sweeps share (the cross-tenant sweep, the role matrix): example
//! bodies from the served OpenAPI document, ids from lists, and a tenant populated with one
//! of everything the spec can create.

use std::collections::HashSet;

use atrium_tests::{Tenant, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

/// The example body the spec gives for an operation (the schema's own example, or one
/// assembled from its properties' examples), or `{}`.
pub(crate) fn example_body(spec: &Value, operation: &Value) -> Value {
    example_of(spec, &operation["requestBody"]["content"]["application/json"]["schema"]).unwrap_or_else(|| json!({}))
}

pub(crate) fn example_of(spec: &Value, schema: &Value) -> Option<Value> {
    if let Some(r) = schema["$ref"].as_str() {
        return example_of(spec, &spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")]);
    }
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    let properties = schema["properties"].as_object()?;
    let object: serde_json::Map<String, Value> =
        properties.iter().filter_map(|(k, v)| example_of(spec, v).map(|e| (k.clone(), e))).collect();
    Some(Value::Object(object))
}

/// Every `"id"` anywhere in `value`.
pub(crate) fn ids_in(value: &Value, out: &mut HashSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "id" && v.is_string() {
                    out.insert(v.as_str().unwrap_or_default().to_owned());
                }
                ids_in(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| ids_in(v, out)),
        _ => {}
    }
}

/// The first id of the list at `path`, as `tenant` sees it (waiting a little for
/// resources made in the background, such as webhook deliveries).
pub(crate) async fn first_id(app: &TestApp, tenant: &Tenant, path: &str) -> Option<String> {
    for _ in 0..100 {
        let body: Value = app.get_as(&tenant.token, path).await.json().await.ok()?;
        let items = body.get("data").unwrap_or(&body).as_array()?.clone();
        if let Some(id) = items.iter().find_map(|i| i["id"].as_str().map(str::to_owned)) {
            return Some(id);
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    None
}

pub(crate) fn is_authenticated(operation: &Value) -> bool {
    operation["security"].as_array().is_some_and(|s| !s.is_empty())
}

pub(crate) const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Gives `tenant` every plugin and one of everything the spec can create from its
/// examples (collections first, then what nests under them), plus a member.
pub(crate) async fn populate(app: &TestApp, spec: &Value, tenant: &Tenant) {
    app.enable_all_plugins(tenant).await;
    app.add_member(tenant, &format!("member@{}.example", tenant.slug), &["staff"]).await;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let post = &item["post"];
        if path.contains('{') || !is_authenticated(post) || post["requestBody"].is_null() {
            continue;
        }
        app.send_as(&tenant.token, Method::POST, path, &example_body(spec, post)).await;
    }
    book_from_availability(app, spec, tenant).await;
    sell_a_package(app, spec, tenant).await;
}

/// A package needs a real service template and a sale a real package and customer, which
/// no static example can name: the package's example with the tenant's first template,
/// sold to its owner.
pub(crate) async fn sell_a_package(app: &TestApp, spec: &Value, tenant: &Tenant) {
    if spec["paths"]["/v1/packages"].is_null() {
        return;
    }
    let template = first_id(app, tenant, "/v1/service-templates").await.expect("a service template from its example");
    let mut package = example_body(spec, &spec["paths"]["/v1/packages"]["post"]);
    package["items"][0]["service_template_id"] = json!(template);
    let res = app.send_as(&tenant.token, Method::POST, "/v1/packages", &package).await;
    assert_eq!(res.status(), 201, "POST /v1/packages");
    let package: Value = res.json().await.unwrap();
    let owner = app.user_id_of(&tenant.token).await;
    let body = json!({"package_id": package["id"], "purchaser_id": owner});
    let res = app.send_as(&tenant.token, Method::POST, "/v1/package-purchases", &body).await;
    assert_eq!(res.status(), 201, "POST /v1/package-purchases: {}", res.text().await.unwrap_or_default());
}

/// Bookings and holds need a free slot, which no static example can name: one of each
/// from the tenant's first service template's availability; and a waitlist entry and a
/// recurring rule need a real template (a rule at one of its slots' times).
pub(crate) async fn book_from_availability(app: &TestApp, spec: &Value, tenant: &Tenant) {
    if spec["paths"]["/v1/availability"].is_null() {
        return;
    }
    let template = first_id(app, tenant, "/v1/service-templates").await.expect("a service template from its example");
    let now = chrono::Utc::now();
    let window = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let path = format!(
        "/v1/availability?service_template_id={template}&from={}&to={}",
        window(now),
        window(now + chrono::Duration::days(30))
    );
    let found: Value = app.get_as(&tenant.token, &path).await.json().await.unwrap();
    let slots = found["slots"].as_array().cloned().unwrap_or_default();
    assert!(slots.len() >= 2, "the spec's example provider offers slots for the example template: {found}");
    // The first and the last slot: far enough apart that neither's buffers reach the other.
    for (route, slot) in [("/v1/bookings", &slots[0]), ("/v1/reservations", &slots[slots.len() - 1])] {
        let body = json!({"service_template_id": template, "start": slot["start"]});
        let res = app.send_as(&tenant.token, Method::POST, route, &body).await;
        assert_eq!(res.status(), 201, "POST {route}");
    }
    let start: chrono::DateTime<chrono::Utc> = slots[slots.len() / 2]["start"].as_str().unwrap().parse().unwrap();
    let date = start.date_naive();
    let weekday = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        [chrono::Datelike::weekday(&date).num_days_from_monday() as usize];
    for (route, body) in [
        ("/v1/waitlist", json!({"service_template_id": template, "preferred_date": date.to_string()})),
        (
            "/v1/recurring-rules",
            json!({"service_template_id": template, "start_time": start.format("%H:%M").to_string(),
                "timezone": "UTC", "pattern": {"frequency": "weekly", "days_of_week": [weekday]},
                "start_date": date.to_string(), "max_occurrences": 2}),
        ),
    ] {
        let res = app.send_as(&tenant.token, Method::POST, route, &body).await;
        assert_eq!(res.status(), 201, "POST {route}: {}", res.text().await.unwrap_or_default());
    }
}
