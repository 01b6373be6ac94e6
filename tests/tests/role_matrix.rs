//! The role matrix, generated from the served OpenAPI document like the cross-tenant
//! sweep, so routes added later are covered without editing it. Each authenticated
//! operation names the permission it needs in its security requirement; each role's
//! grants come from `GET /v1/me`. For every `/v1` route and every role — owner, admin,
//! staff, provider, customer A, customer B and a customer-scoped API key:
//!
//! - a role without the permission gets 403;
//! - a role holding it for its own records only gets 404 on records that are not its own
//!   (the owner's, and customer B on each of customer A's), and its lists hold only its own;
//! - a role holding it for the whole tenant is never refused (no 401/403/404);
//! - nothing answers 5xx.
//!
//! Writes are sent only where they must be refused, so the sweep changes nothing it reads.

use std::collections::{HashMap, HashSet};

use atrium_tests::{Tenant, TestApp, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{at, hour_from_now, post};
use crate::sweep::{METHODS, example_body, first_id, ids_in, is_authenticated, populate};

/// Operations that need a credential but no particular permission (the caller's own
/// profile and session).
const NO_PERMISSION: &[&str] =
    &["GET /v1/me", "PATCH /v1/me", "DELETE /v1/me/memberships/{tenant_id}", "POST /v1/auth/logout"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    None,
    Own,
    Tenant,
}

struct Role {
    name: &'static str,
    token: String,
    grants: HashSet<String>,
}

impl Role {
    fn holds(&self, permission: &str) -> Held {
        if self.grants.contains(permission) {
            Held::Tenant
        } else if self.grants.contains(&format!("{permission}@own")) {
            Held::Own
        } else {
            Held::None
        }
    }
}

async fn role(app: &TestApp, name: &'static str, token: String) -> Role {
    let me: Value = app.get_as(&token, "/v1/me").await.json().await.unwrap();
    let grants = me["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect();
    Role { name, token, grants }
}

/// The permission an operation declares (the same in both security requirements).
fn permission_of(operation: &Value) -> Option<String> {
    let requirements = operation["security"].as_array()?;
    let mut names: Vec<String> = requirements
        .iter()
        .flat_map(|r| r.as_object().into_iter().flatten())
        .flat_map(|(_, scopes)| scopes.as_array().cloned().unwrap_or_default())
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    names.dedup();
    names.into_iter().next()
}

/// `template` with each `{param}` filled, left to right, with the first id `owner` lists at
/// the path above it; `None` when a list is empty.
async fn filled(app: &TestApp, owner: &Tenant, template: &str) -> Option<String> {
    let mut path = String::new();
    for segment in template.split('/').skip(1) {
        if segment.starts_with('{') {
            let id = first_id(app, owner, &path).await?;
            path.push('/');
            path.push_str(&id);
        } else {
            path.push('/');
            path.push_str(segment);
        }
    }
    Some(path)
}

/// What customer A owns, made as A: a hold, a booking, a waitlist entry, a recurring rule, a
/// household with a second member.
async fn customer_records(app: &TestApp, owner: &Tenant, token: &str, tag: &str) -> HashMap<&'static str, String> {
    let template = first_id(app, owner, "/v1/service-templates").await.expect("a template");
    let mut made = HashMap::new();
    let path = format!(
        "/v1/availability?service_template_id={template}&from={}&to={}",
        at(hour_from_now(100)),
        at(hour_from_now(100 + 24 * 20))
    );
    let found: Value = app.get_as(token, &path).await.json().await.unwrap();
    let slots = found["slots"].as_array().cloned().unwrap_or_default();
    assert!(slots.len() >= 10, "slots for the customer: {found}");
    let pick = |i: usize| slots[(i * 7 + tag.len()) % slots.len()]["start"].clone();
    let booking = post(app, token, "/v1/bookings", &json!({"service_template_id": template, "start": pick(1)})).await;
    made.insert("booking", booking["id"].as_str().unwrap().to_owned());
    let hold = post(app, token, "/v1/reservations", &json!({"service_template_id": template, "start": pick(3)})).await;
    made.insert("reservation", hold["id"].as_str().unwrap().to_owned());
    let start: chrono::DateTime<chrono::Utc> = pick(5).as_str().unwrap().parse().unwrap();
    let date = start.date_naive();
    let entry =
        post(app, token, "/v1/waitlist", &json!({"service_template_id": template, "preferred_date": date.to_string()}))
            .await;
    made.insert("waitlist entry", entry["id"].as_str().unwrap().to_owned());
    let weekday = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        [chrono::Datelike::weekday(&date).num_days_from_monday() as usize];
    let rule = post(
        app,
        token,
        "/v1/recurring-rules",
        &json!({"service_template_id": template, "start_time": start.format("%H:%M").to_string(), "timezone": "UTC",
            "pattern": {"frequency": "weekly", "days_of_week": [weekday]}, "start_date": date.to_string(),
            "max_occurrences": 2}),
    )
    .await;
    made.insert("recurring rule", rule["id"].as_str().unwrap().to_owned());
    let household =
        post(app, token, "/v1/households", &json!({"name": format!("Household {tag}"), "type": "family"})).await;
    let hid = household["id"].as_str().unwrap().to_owned();
    let members: Value = app.get_as(token, &format!("/v1/households/{hid}/members")).await.json().await.unwrap();
    made.insert("household member", members[0]["id"].as_str().unwrap().to_owned());
    made.insert("household", hid);
    made
}

#[tokio::test]
async fn every_route_answers_each_role_by_its_grants() {
    let app = spawn_app_with(
        |c| {
            c.webhooks_allow_private = true;
            c.signup_rate_limit_per_minute = 100_000;
        },
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await;
    let owner = app.signup("matrix").await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    populate(&app, &spec, &owner).await;
    let mut roles = vec![role(&app, "owner", owner.token.clone()).await];
    for name in ["admin", "staff", "provider", "customer"] {
        let (token, _) = app.add_member(&owner, &format!("{name}@matrix.example"), &[name]).await;
        roles.push(role(&app, name, token).await);
    }
    let (b_token, _) = app.add_member(&owner, "customer-b@matrix.example", &["customer"]).await;
    let customer_b = role(&app, "customer B", b_token).await;
    let a_token = roles.iter().find(|r| r.name == "customer").unwrap().token.clone();
    let a_records = customer_records(&app, &owner, &a_token, "a").await;
    let b_records = customer_records(&app, &owner, &customer_b.token, "b").await;
    // Made by the admin, so its own records (the admin's) are none of the sweep's.
    let admin = roles.iter().find(|r| r.name == "admin").unwrap().token.clone();
    let key: Value = post(
        &app,
        &admin,
        "/v1/api-keys",
        &json!({"name": "Customer-scoped", "scopes": ["bookings:read@own", "bookings:write@own", "households:read@own",
            "households:write@own", "tenants:read"]}),
    )
    .await;
    roles.push(role(&app, "customer-scoped API key", key["secret"].as_str().unwrap().to_owned()).await);
    roles.push(customer_b);

    let mut undeclared = Vec::new();
    let mut checked = 0;
    for (template, item) in spec["paths"].as_object().unwrap() {
        if !template.starts_with("/v1/") {
            continue;
        }
        for method in METHODS {
            let operation = &item[method];
            if operation.is_null() || !is_authenticated(operation) {
                continue;
            }
            let label = format!("{} {template}", method.to_uppercase());
            let Some(permission) = permission_of(operation) else {
                if !NO_PERMISSION.contains(&label.as_str()) {
                    undeclared.push(label);
                }
                continue;
            };
            let Some(path) = filled(&app, &owner, template).await else { continue };
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = example_body(&spec, operation);
            for r in &roles {
                let held = r.holds(&permission);
                let has_id = template.contains('{');
                let expected: Option<&[u16]> = match (held, method, has_id) {
                    (Held::None, _, _) => Some(&[403]),
                    // Someone else's record (the owner's), read or written by own scope.
                    (Held::Own, _, true) => Some(&[404]),
                    (Held::Own, "get", false) => None,
                    // Creating their own: not a refusal to check here.
                    (Held::Own, _, false) => continue,
                    (Held::Tenant, "get", _) => None,
                    // A write the role may make would change what the sweep reads next.
                    (Held::Tenant, _, _) => continue,
                };
                let res = app.as_token(m.clone(), &path, &r.token).json(&body).send().await.unwrap();
                let status = res.status().as_u16();
                let text = res.text().await.unwrap_or_default();
                assert!(status < 500, "{label} as {}: {status} {text}", r.name);
                match expected {
                    Some(allowed) => {
                        assert!(allowed.contains(&status), "{label} as {} ({held:?}): {status} {text}", r.name)
                    }
                    None => {
                        assert!(![401, 403, 404].contains(&status), "{label} as {} ({held:?}): {status} {text}", r.name)
                    }
                }
                // A list read by own scope holds none of the customers' records but the role's.
                if held == Held::Own && method == "get" && !has_id && status == 200 {
                    let mut listed = HashSet::new();
                    ids_in(&serde_json::from_str(&text).unwrap_or(Value::Null), &mut listed);
                    let others: HashSet<&String> = match r.name {
                        "customer" => b_records.values().collect(),
                        "customer B" => a_records.values().collect(),
                        _ => a_records.values().chain(b_records.values()).collect(),
                    };
                    let leaked: Vec<_> = listed.iter().filter(|id| others.contains(id)).collect();
                    assert!(leaked.is_empty(), "{label} as {}: lists others' records {leaked:?}", r.name);
                }
                checked += 1;
            }
        }
    }
    assert!(undeclared.is_empty(), "operations that name no permission: {undeclared:#?}");
    assert!(checked > 100, "only {checked} calls checked");

    // Customer B on each of customer A's records: 404, exactly like another tenant's.
    let b = roles.iter().find(|r| r.name == "customer B").unwrap();
    for (template, item) in spec["paths"].as_object().unwrap() {
        for method in METHODS {
            let operation = &item[method];
            if operation.is_null() || !is_authenticated(operation) || !template.contains('{') {
                continue;
            }
            let Some(path) = a_path(template, &a_records) else { continue };
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.as_token(m, &path, &b.token).json(&example_body(&spec, operation)).send().await.unwrap();
            let status = res.status().as_u16();
            assert!(status == 404 || status == 403, "{method} {path} as customer B on A's record: {status}");
            if permission_of(operation).is_some_and(|p| b.holds(&p) != Held::None) {
                assert_eq!(status, 404, "{method} {path} as customer B: {}", res.text().await.unwrap_or_default());
            }
        }
    }
}

/// `template` filled with customer A's ids, when it names one of A's resources.
fn a_path(template: &str, a: &HashMap<&'static str, String>) -> Option<String> {
    let resource = |collection: &str| match collection {
        "bookings" => Some("booking"),
        "reservations" => Some("reservation"),
        "waitlist" => Some("waitlist entry"),
        "recurring-rules" => Some("recurring rule"),
        "households" => Some("household"),
        "members" => Some("household member"),
        _ => None,
    };
    let mut path = String::new();
    let mut previous = "";
    for segment in template.split('/').skip(1) {
        path.push('/');
        if segment.starts_with('{') {
            path.push_str(a.get(resource(previous)?)?);
        } else {
            path.push_str(segment);
        }
        previous = segment;
    }
    Some(path)
}
