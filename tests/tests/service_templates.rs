//! The service-templates plugin: switched on per tenant; CRUD for each template type with
//! PATCH as a merge patch; the template rules as 422s with field paths (references to
//! locations and bookables included, across tenants); slugs as 409s; the quote route;
//! events and audit.

use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

const PATH: &str = "/v1/service-templates";

fn appointment() -> Value {
    json!({
        "name": "Haircut & style", "type": "appointment", "tags": ["hair"],
        "duration": {"type": "fixed", "fixed_minutes": 45, "post_buffer_minutes": 10},
        "required_bookables": [{"bookable_type": "provider", "criteria": {"tags": ["stylist"], "min_rating": "4"}}],
        "pricing": {"base_price": "60.00", "currency": "USD", "timezone": "America/New_York",
            "time_multipliers": [{"time_range": {"start": "17:00", "end": "21:00"},
                "days_of_week": ["monday", "tuesday", "wednesday", "thursday", "friday"], "multiplier": "1.25"}],
            "holiday_multiplier": "2", "holidays": ["2026-12-24"]},
        "cancellation": {"refund_tiers": [{"min_hours_before": 48, "refund_percent": "100"},
            {"min_hours_before": 24, "refund_percent": "50", "offer_store_credit": true}]},
        "deposit": {"required": true, "percentage": "20", "refundable": true},
        "status": "active"
    })
}

fn class() -> Value {
    json!({
        "name": "Morning yoga", "type": "class", "tags": ["yoga"],
        "duration": {"type": "fixed", "fixed_minutes": 60},
        "required_bookables": [{"bookable_type": "venue", "criteria": {"tags": ["studio"]}}],
        "capacity": {"type": "group", "group": {"min_participants": 3, "max_participants": 12,
            "auto_cancel_if_under_min": true, "enable_waitlist": true}},
        "pricing": {"base_price": "18.00", "currency": "EUR", "timezone": "Europe/Lisbon",
            "time_multipliers": [{"time_range": {"start": "06:00", "end": "08:00"},
                "days_of_week": ["monday", "tuesday", "wednesday", "thursday", "friday"], "multiplier": "0.8"}]}
    })
}

fn rental() -> Value {
    json!({
        "name": "Kayak rental", "type": "rental", "tags": ["water"],
        "duration": {"type": "variable", "min_minutes": 60, "max_minutes": 480, "interval_minutes": 30},
        "required_bookables": [{"bookable_type": "asset", "criteria": {"tags": ["kayak"]}, "allow_substitution": true}],
        "pricing": {"base_price": "10.00", "hourly_rate": "15.00", "currency": "USD", "timezone": "America/Los_Angeles"},
        "deposit": {"required": true, "amount": "25.00"}
    })
}

fn multi_day() -> Value {
    json!({
        "name": "Lakeside cabin", "type": "multi_day", "tags": ["stay"],
        "duration": {"type": "multi_day", "min_nights": 2, "max_nights": 14, "post_buffer_minutes": 180},
        "pricing": {"base_price": "120.00", "currency": "EUR", "timezone": "Europe/Berlin"},
        "reservation": {"enabled": true, "hold_duration_minutes": 30, "max_hold_minutes": 120}
    })
}

async fn ready(app: &TestApp, slug: &str) -> Tenant {
    let t = app.signup(slug).await;
    app.enable_all_plugins(&t).await;
    t
}

async fn create(app: &TestApp, t: &Tenant, body: &Value) -> Value {
    let res = app.send_as(&t.token, Method::POST, PATH, body).await;
    let status = res.status();
    let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    let etag = res.headers().get("etag").map(|l| l.to_str().unwrap().to_owned());
    let created: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{created}");
    assert_eq!(location.unwrap(), format!("{PATH}/{}", created["id"].as_str().unwrap()));
    assert_eq!(etag.unwrap(), "\"1\"");
    created
}

/// The 422 for `body` at POST, with every field it names.
async fn refused(app: &TestApp, t: &Tenant, body: &Value) -> Vec<(String, String)> {
    let res = app.send_as(&t.token, Method::POST, PATH, body).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["message"].as_str().unwrap().to_owned()))
        .collect()
}

async fn location(app: &TestApp, t: &Tenant) -> String {
    let body = json!({"name": "Downtown", "type": "physical", "timezone": "Europe/Lisbon",
        "address": {"street": "Rua Augusta 100", "city": "Lisbon", "zip": "1100-053", "country": "PT"}});
    let res = app.send_as(&t.token, Method::POST, "/v1/locations", &body).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn delete(app: &TestApp, t: &Tenant, path: &str) -> reqwest::Response {
    app.request(Method::DELETE, path).bearer_auth(&t.token).send().await.unwrap()
}

#[tokio::test]
async fn the_plugin_is_off_until_the_tenant_switches_it_on() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let problem = assert_problem(app.get_as(&t.token, PATH).await, 404, "plugin_disabled").await;
    assert!(problem["detail"].as_str().unwrap().contains("service-templates"), "{problem}");
    let res = app.send_as(&t.token, Method::POST, PATH, &appointment()).await;
    assert_problem(res, 404, "plugin_disabled").await;
    app.enable_all_plugins(&t).await;
    assert_eq!(app.get_as(&t.token, PATH).await.status(), 200);
}

#[tokio::test]
async fn every_type_round_trips() {
    let app = spawn_app().await;
    let t = ready(&app, "acme").await;
    let downtown = location(&app, &t).await;
    let mut cabin = multi_day();
    cabin["location_id"] = json!(downtown);
    let mut ids = Vec::new();
    for body in [appointment(), class(), rental(), cabin] {
        let created = create(&app, &t, &body).await;
        assert_eq!(created["type"], body["type"]);
        assert_eq!(created["duration"], {
            let mut d = body["duration"].clone();
            for buffer in ["pre_buffer_minutes", "post_buffer_minutes"] {
                d[buffer] = d.get(buffer).cloned().unwrap_or(json!(0));
            }
            d
        });
        assert_eq!(created["pricing"]["base_price"], body["pricing"]["base_price"], "decimals stay strings");
        assert_eq!(created["version"], 1);
        let id = created["id"].as_str().unwrap().to_owned();
        let res = app.get_as(&t.token, &format!("{PATH}/{id}")).await;
        assert_eq!(res.headers()["etag"], "\"1\"");
        assert_eq!(res.json::<Value>().await.unwrap(), created);
        ids.push(id);
    }
    let first: Value = app.get_as(&t.token, &format!("{PATH}/{}", ids[0])).await.json().await.unwrap();
    assert_eq!(first["slug"], "haircut-style", "the slug comes from the name");
    assert_eq!(first["capacity"], json!({"type": "individual", "group": null}), "defaults are filled in");
    assert_eq!(first["reservation"]["hold_duration_minutes"], 15);
    let draft: Value = app.get_as(&t.token, &format!("{PATH}/{}", ids[1])).await.json().await.unwrap();
    assert_eq!(draft["status"], "draft");

    // A merge patch: nested objects merge, the rest is kept, `null` removes.
    let path = format!("{PATH}/{}", ids[0]);
    let patch =
        json!({"status": "paused", "pricing": {"base_price": "65.00", "holiday_multiplier": null}, "deposit": null});
    let res =
        app.as_token(Method::PATCH, &path, &t.token).header("if-match", "\"1\"").json(&patch).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["status"], "paused");
    assert_eq!(patched["pricing"]["base_price"], "65.00");
    assert_eq!(patched["pricing"]["currency"], "USD");
    assert_eq!(patched["pricing"]["time_multipliers"], first["pricing"]["time_multipliers"]);
    assert!(patched["pricing"]["holiday_multiplier"].is_null());
    assert!(patched["deposit"].is_null());
    assert_eq!(patched["name"], first["name"]);
    // A stale If-Match is 412; a patch that breaks a rule is 422 and changes nothing.
    let res =
        app.as_token(Method::PATCH, &path, &t.token).header("if-match", "\"1\"").json(&json!({})).send().await.unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let res = app.send_as(&t.token, Method::PATCH, &path, &json!({"duration": {"fixed_minutes": 0}})).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "duration.fixed_minutes");
    let res = app.send_as(&t.token, Method::PATCH, &path, &json!({"version": 7})).await;
    assert_problem(res, 422, "validation_failed").await;
    // Switching the duration's type: the old type's fields are removed with `null`.
    let res = app
        .send_as(
            &t.token,
            Method::PATCH,
            &path,
            &json!({"type": "rental", "duration": {"type": "variable", "fixed_minutes": null, "min_minutes": 30,
                "max_minutes": 90, "interval_minutes": 30}}),
        )
        .await;
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["duration"]["type"], "variable", "{patched}");
    assert_eq!(patched["duration"]["post_buffer_minutes"], 10);
    assert_eq!(patched["version"], 3);

    // Lists and filters.
    let list: Value = app.get_as(&t.token, &format!("{PATH}?type=class")).await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["id"], ids[1].as_str());
    let list: Value = app.get_as(&t.token, &format!("{PATH}?tag=stay&status=draft")).await.json().await.unwrap();
    assert_eq!(list["data"][0]["id"], ids[3].as_str());
    let list: Value = app.get_as(&t.token, &format!("{PATH}?location_id={downtown}")).await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["location_id"], downtown.as_str());
    let list: Value = app.get_as(&t.token, &format!("{PATH}?limit=3")).await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 3);
    let cursor = list["next_cursor"].as_str().unwrap();
    let next: Value = app.get_as(&t.token, &format!("{PATH}?limit=3&cursor={cursor}")).await.json().await.unwrap();
    assert_eq!(next["data"][0]["id"], ids[3].as_str());
    assert!(next["next_cursor"].is_null());
    assert_problem(app.get_as(&t.token, &format!("{PATH}?tag=NO%25")).await, 400, "invalid_parameter").await;
    assert_problem(app.get_as(&t.token, &format!("{PATH}?type=webinar")).await, 400, "invalid_parameter").await;

    // Delete: gone from reads and lists, and the slug is free again.
    for id in &ids {
        assert_eq!(delete(&app, &t, &format!("{PATH}/{id}")).await.status(), 204);
        assert_problem(app.get_as(&t.token, &format!("{PATH}/{id}")).await, 404, "not_found").await;
    }
    let list: Value = app.get_as(&t.token, PATH).await.json().await.unwrap();
    assert_eq!(list["data"], json!([]));
    create(&app, &t, &appointment()).await;

    for (action, n) in
        [("service_template.created", 5), ("service_template.updated", 2), ("service_template.deleted", 4)]
    {
        let log: Value = app.get_as(&t.token, &format!("/v1/audit-log?action={action}")).await.json().await.unwrap();
        assert_eq!(log["data"].as_array().unwrap().len(), n, "{action}: each change is audited (and emitted)");
    }
    let created: Value =
        app.get_as(&t.token, "/v1/audit-log?action=service_template.created").await.json().await.unwrap();
    assert!(created["data"][0]["after"]["pricing"].is_object(), "the audit keeps the after view: {created}");
}

#[tokio::test]
async fn the_template_rules_are_422s_with_field_paths() {
    let app = spawn_app().await;
    let t = ready(&app, "acme").await;
    let with = |pointer: &str, value: Value| {
        let mut body = appointment();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match body.pointer_mut(parent).unwrap() {
            Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
            parent => parent[key] = value,
        }
        body
    };
    let cases = [
        (with("/duration/fixed_minutes", json!(0)), "duration.fixed_minutes"),
        (with("/duration/fixed_minutes", json!(-15)), "duration.fixed_minutes"),
        (
            with(
                "/duration",
                json!({"type": "variable", "min_minutes": 120, "max_minutes": 60, "interval_minutes": 30}),
            ),
            "duration.max_minutes",
        ),
        (with("/pricing/timezone", json!("Mars/Olympus")), "pricing.timezone"),
        (with("/pricing/currency", json!("ABC")), "pricing.currency"),
        (
            with(
                "/cancellation/refund_tiers",
                json!([{"min_hours_before": 24, "refund_percent": "50"}, {"min_hours_before": 48, "refund_percent": "100"}]),
            ),
            "cancellation.refund_tiers[1].min_hours_before",
        ),
        (
            with(
                "/cancellation/refund_tiers",
                json!([{"min_hours_before": 24, "refund_percent": "50"}, {"min_hours_before": 24, "refund_percent": "25"}]),
            ),
            "cancellation.refund_tiers[1].min_hours_before",
        ),
        (with("/pricing/time_multipliers/0/multiplier", json!("0")), "pricing.time_multipliers[0].multiplier"),
        (with("/pricing/time_multipliers/0/multiplier", json!("-1.5")), "pricing.time_multipliers[0].multiplier"),
        (with("/pricing/holiday_multiplier", json!("0")), "pricing.holiday_multiplier"),
        (with("/type", json!("class")), "capacity.type"),
        (with("/type", json!("multi_day")), "duration.type"),
        (with("/pricing/base_price", json!(60)), "pricing.base_price"),
        (with("/location_id", json!(uuid::Uuid::now_v7())), "location_id"),
    ];
    let mut messages = Vec::new();
    for (body, field) in cases {
        let errors = refused(&app, &t, &body).await;
        assert!(errors.iter().any(|(f, _)| f == field), "{field} not in {errors:?}");
        if field.starts_with("cancellation.refund_tiers") {
            messages.push(errors[0].1.clone());
        }
    }
    assert_ne!(messages[0], messages[1], "unordered and duplicate tiers are told apart");

    // Every problem at once, never a 5xx.
    let mut body = appointment();
    body["duration"]["fixed_minutes"] = json!(0);
    body["pricing"]["currency"] = json!("ABC");
    body["pricing"]["timezone"] = json!("Nowhere/Land");
    body["required_bookables"][0] = json!({"bookable_type": "provider", "specific_bookable_id": uuid::Uuid::now_v7()});
    let fields: Vec<String> = refused(&app, &t, &body).await.into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "duration.fixed_minutes",
            "pricing.currency",
            "pricing.timezone",
            "required_bookables[0].specific_bookable_id"
        ]
    );
    let list: Value = app.get_as(&t.token, PATH).await.json().await.unwrap();
    assert_eq!(list["data"], json!([]), "nothing was written");

    // Another tenant's location is no location of this one.
    let other = ready(&app, "other").await;
    let elsewhere = location(&app, &other).await;
    let mut body = appointment();
    body["location_id"] = json!(elsewhere);
    assert_eq!(refused(&app, &t, &body).await[0].0, "location_id");

    // A slug is the tenant's once.
    create(&app, &t, &appointment()).await;
    let res = app.send_as(&t.token, Method::POST, PATH, &appointment()).await;
    assert_problem(res, 409, "conflict").await;
    create(&app, &other, &appointment()).await;
}

#[tokio::test]
async fn specific_bookables_must_be_this_tenants_and_of_the_type() {
    let app = spawn_app().await;
    let a = ready(&app, "alpha").await;
    let b = ready(&app, "beta").await;
    let hall =
        json!({"type": "venue", "name": "Hall", "capacity": {"max": 10}, "calendar": {"timezone": "Europe/Lisbon"}});
    let create_bookable = async |t: &Tenant| {
        let res = app.send_as(&t.token, Method::POST, "/v1/bookables", &hall).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    };
    let theirs = create_bookable(&b).await;
    let ours = create_bookable(&a).await;
    let needing = |id: &str, kind: &str| {
        let mut body = class();
        body["required_bookables"] = json!([{"bookable_type": kind, "specific_bookable_id": id}]);
        body
    };
    let field = "required_bookables[0].specific_bookable_id";
    for body in
        [needing(&uuid::Uuid::now_v7().to_string(), "venue"), needing(&theirs, "venue"), needing(&ours, "provider")]
    {
        let errors = refused(&app, &a, &body).await;
        assert_eq!(errors.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(), [field], "{errors:?}");
    }
    let created = create(&app, &a, &needing(&ours, "venue")).await;
    assert_eq!(created["required_bookables"][0]["specific_bookable_id"], ours.as_str());
    // The same reference in a PATCH is not re-checked; a new foreign one is refused.
    let path = format!("{PATH}/{}", created["id"].as_str().unwrap());
    let res = app.send_as(&a.token, Method::PATCH, &path, &json!({"name": "Yoga in the hall"})).await;
    assert_eq!(res.status(), 200);
    let res = app
        .send_as(
            &a.token,
            Method::PATCH,
            &path,
            &json!({"optional_bookables": [{"bookable_type": "venue", "specific_bookable_id": theirs}]}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "optional_bookables[0].specific_bookable_id");
}

#[tokio::test]
async fn quotes_are_priced_by_the_template() {
    let app = spawn_app().await;
    let t = ready(&app, "acme").await;
    let quote = async |id: &Value, body: Value| {
        app.send_as(&t.token, Method::POST, &format!("{PATH}/{}/quote", id.as_str().unwrap()), &body).await
    };
    let salon = create(&app, &t, &appointment()).await["id"].clone();
    // Wednesday 4 March 2026, 23:00Z = 18:00 in New York: evening ×1.25.
    // 60.00 × 1.25 = 75.00; deposit 20 % = 15.00.
    let res = quote(&salon, json!({"start": "2026-03-04T23:00:00Z"})).await;
    assert_eq!(res.status(), 200);
    let q: Value = res.json().await.unwrap();
    assert_eq!((q["total"].as_str(), q["deposit_amount"].as_str()), (Some("75.00"), Some("15.00")), "{q}");
    assert_eq!(q["end"], "2026-03-04T23:45:00Z");
    assert_eq!(q["template_version"], 1);
    assert_eq!(q["currency"], "USD");
    // Christmas Eve (Thursday) 18:00 local: 1.25 × 2 = 2.5 → 150.00; deposit 30.00.
    let q: Value = quote(&salon, json!({"start": "2026-12-24T23:00:00Z"})).await.json().await.unwrap();
    assert_eq!((q["total"].as_str(), q["multiplier"].as_str()), (Some("150.00"), Some("2.5")), "{q}");

    let kayak = create(&app, &t, &rental()).await["id"].clone();
    // 90 minutes: 10.00 + 15.00 × 1.5 = 32.50; deposit 25.00.
    let q: Value =
        quote(&kayak, json!({"start": "2026-03-04T18:00:00Z", "duration_minutes": 90})).await.json().await.unwrap();
    assert_eq!((q["total"].as_str(), q["deposit_amount"].as_str()), (Some("32.50"), Some("25.00")), "{q}");

    let yoga = create(&app, &t, &class()).await["id"].clone();
    // 07:00 in Lisbon on a Wednesday, five people: 18.00 × 0.8 × 5 = 72.00.
    let q: Value =
        quote(&yoga, json!({"start": "2026-03-04T07:00:00Z", "participants": 5})).await.json().await.unwrap();
    assert_eq!(q["total"], "72.00", "{q}");

    let cabin = create(&app, &t, &multi_day()).await["id"].clone();
    // Three nights at 120.00 = 360.00, no deposit.
    let q: Value = quote(&cabin, json!({"start": "2026-03-04T14:00:00Z", "nights": 3})).await.json().await.unwrap();
    assert_eq!((q["total"].as_str(), q["nights"].as_u64()), (Some("360.00"), Some(3)), "{q}");
    assert!(q["deposit_amount"].is_null());

    for (id, body, field) in [
        (&salon, json!({"start": "2026-03-04T23:00:00Z", "duration_minutes": 30}), "duration_minutes"),
        (&kayak, json!({"start": "2026-03-04T18:00:00Z"}), "duration_minutes"),
        (&kayak, json!({"start": "2026-03-04T18:00:00Z", "duration_minutes": 75}), "duration_minutes"),
        (&yoga, json!({"start": "2026-03-04T07:00:00Z", "participants": 2}), "participants"),
        (&cabin, json!({"start": "2026-03-04T14:00:00Z", "nights": 30}), "nights"),
        (&salon, json!({"start": "yesterday"}), "start"),
    ] {
        let problem = assert_problem(quote(id, body).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let missing = json!(uuid::Uuid::now_v7().to_string());
    assert_problem(quote(&missing, json!({"start": "2026-03-04T23:00:00Z"})).await, 404, "not_found").await;
}
