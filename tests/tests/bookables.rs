//! The bookables plugin: one polymorphic resource over four types, each with its calendar,
//! date overrides, blocked times and (providers) certifications; switched on per tenant;
//! rules as 422s with field paths; status transitions; events and audit.

use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

fn calendar() -> Value {
    json!({"timezone": "Europe/Lisbon", "weekly_schedule": {"monday": [{"start": "09:00", "end": "17:00"}]}})
}

async fn create(app: &TestApp, t: &Tenant, body: &Value) -> Value {
    let res = app.send_as(&t.token, Method::POST, "/v1/bookables", body).await;
    let status = res.status();
    let created: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{created}");
    created
}

async fn delete(app: &TestApp, t: &Tenant, path: &str) -> reqwest::Response {
    app.request(Method::DELETE, path).bearer_auth(&t.token).send().await.unwrap()
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let me: Value = app.get_as(token, "/v1/me").await.json().await.unwrap();
    me["user"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_plugin_is_off_until_the_tenant_switches_it_on() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let problem = assert_problem(app.get_as(&t.token, "/v1/bookables").await, 404, "plugin_disabled").await;
    assert!(problem["detail"].as_str().unwrap().contains("bookables"));
    app.enable_all_plugins(&t).await;
    assert_eq!(app.get_as(&t.token, "/v1/bookables").await.status(), 200);
}

#[tokio::test]
async fn every_type_round_trips() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    app.enable_all_plugins(&t).await;
    let location: Value = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/locations",
            &json!({"name": "Downtown", "type": "physical", "timezone": "Europe/Lisbon",
                "address": {"street": "Rua Augusta 100", "city": "Lisbon", "zip": "1100-053", "country": "PT"}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let (tech_token, _) = app.add_member(&t, "tech@acme.example", &["staff"]).await;
    let tech = user_id(&app, &tech_token).await;
    let household: Value = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/households",
            &json!({"name": "ABC Plumbing", "type": "company", "primary_contact_user_id": tech}),
        )
        .await
        .json()
        .await
        .unwrap();

    let bodies = [
        json!({"type": "provider", "name": "Maria Silva", "email": "Maria@Salon.example", "location_id": location["id"],
            "tags": ["senior", "color"], "max_daily_bookings": 8, "min_rest_between_bookings_minutes": 10,
            "payment_profile": {"hourly_rate": "45.50", "commission_split": "0.7"}, "calendar": calendar(),
            "certifications": [{"type": "cpr", "issued_by": "Red Cross", "issued_at": "2020-01-01T00:00:00Z",
                "expires_at": "2021-01-01T00:00:00Z"}]}),
        json!({"type": "company_provider", "name": "ABC Plumbing", "household_id": household["id"],
            "email": "dispatch@abc.example", "phone": "+1 555 0100", "service_radius_km": 25,
            "available_technicians": [tech], "dispatch_method": "auto_assign", "calendar": calendar()}),
        json!({"type": "asset", "name": "E-bike 7", "asset_type": "vehicle", "serial_number": "EB-7",
            "specifications": {"battery": "500 Wh"}, "maintenance_schedule": {"every_days": 90}, "calendar": calendar()}),
        json!({"type": "venue", "name": "Studio A", "capacity": {"min": 2, "max": 12}, "allow_simultaneous_bookings": true,
            "max_simultaneous_bookings": 3, "default_setup_minutes": 10, "calendar": calendar(), "tags": ["color"]}),
    ];
    let mut ids = Vec::new();
    for body in &bodies {
        let created = create(&app, &t, body).await;
        assert_eq!(created["type"], body["type"]);
        assert_eq!(created["name"], body["name"]);
        assert_eq!(created["calendar"]["timezone"], "Europe/Lisbon");
        assert_eq!(created["calendar"]["slot_duration_minutes"], 30, "defaults are filled in");
        let id = created["id"].as_str().unwrap().to_owned();
        let got: Value = app.get_as(&t.token, &format!("/v1/bookables/{id}")).await.json().await.unwrap();
        assert_eq!(got, created);
        ids.push(id);
    }
    let got: Value = app.get_as(&t.token, &format!("/v1/bookables/{}", ids[0])).await.json().await.unwrap();
    assert_eq!(got["email"], "maria@salon.example");
    assert_eq!(got["slug"], "maria-silva");
    assert_eq!(got["payment_profile"]["hourly_rate"], "45.5");
    assert_eq!(got["review_count"], 0);
    let venue: Value = app.get_as(&t.token, &format!("/v1/bookables/{}", ids[3])).await.json().await.unwrap();
    assert_eq!(venue["capacity"], json!({"min": 2, "max": 12}));
    let certs: Value =
        app.get_as(&t.token, &format!("/v1/bookables/{}/certifications", ids[0])).await.json().await.unwrap();
    assert_eq!(certs[0]["type"], "cpr");
    assert_eq!(certs[0]["expired"], true);

    // Filters.
    let list: Value = app.get_as(&t.token, "/v1/bookables?type=venue").await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let list: Value = app.get_as(&t.token, "/v1/bookables?tag=color").await.json().await.unwrap();
    let names: Vec<&str> = list["data"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Maria Silva", "Studio A"]);
    let list: Value = app
        .get_as(&t.token, &format!("/v1/bookables?location_id={}", location["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let list: Value = app.get_as(&t.token, "/v1/bookables?limit=2").await.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert!(list["next_cursor"].is_string());

    // A merge patch changes only what it names, for every type.
    for id in &ids {
        let path = format!("/v1/bookables/{id}");
        let res = app
            .send_as(
                &t.token,
                Method::PATCH,
                &path,
                &json!({"description": "Updated", "calendar": {"post_buffer_minutes": 15}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let patched: Value = res.json().await.unwrap();
        assert_eq!(patched["description"], "Updated");
        assert_eq!(patched["calendar"]["post_buffer_minutes"], 15);
        assert_eq!(patched["calendar"]["weekly_schedule"], calendar()["weekly_schedule"]);
        assert_eq!(patched["version"], 2);
    }
    let res = app
        .send_as(&t.token, Method::PATCH, &format!("/v1/bookables/{}", ids[3]), &json!({"capacity": {"max": 20}}))
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["capacity"], json!({"min": 2, "max": 20}));

    // Delete (soft, with a reason): gone from reads and lists.
    for id in &ids {
        let res = delete(&app, &t, &format!("/v1/bookables/{id}?reason=sold")).await;
        assert_eq!(res.status(), 204);
        assert_problem(app.get_as(&t.token, &format!("/v1/bookables/{id}")).await, 404, "not_found").await;
    }
    let list: Value = app.get_as(&t.token, "/v1/bookables").await.json().await.unwrap();
    assert!(list["data"].as_array().unwrap().is_empty());

    for action in ["bookable.created", "bookable.updated", "bookable.deleted", "bookable.certification_added"] {
        let log: Value = app.get_as(&t.token, &format!("/v1/audit-log?action={action}")).await.json().await.unwrap();
        assert!(!log["data"].as_array().unwrap().is_empty(), "{action} is audited");
    }
    let log: Value = app.get_as(&t.token, "/v1/audit-log?action=bookable.deleted").await.json().await.unwrap();
    assert_eq!(log["data"][0]["before"]["deletion_reason"], "sold");
}

#[tokio::test]
async fn invalid_input_is_422_with_field_paths() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    app.enable_all_plugins(&t).await;
    let venue = |extra: Value| {
        let mut body = json!({"type": "venue", "name": "Hall", "capacity": {"max": 10}, "calendar": calendar()});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let stranger = uuid::Uuid::now_v7().to_string();
    let cases = [
        (venue(json!({"calendar": {"timezone": "Mars/Olympus"}})), "calendar.timezone"),
        (venue(json!({"calendar": {"timezone": "UTC", "slot_duration_minutes": 0}})), "calendar.slot_duration_minutes"),
        (
            venue(json!({"calendar": {"timezone": "UTC", "slot_duration_minutes": -30}})),
            "calendar.slot_duration_minutes",
        ),
        (
            venue(
                json!({"calendar": {"timezone": "UTC", "weekly_schedule": {"monday": [{"start": "12:00", "end": "09:00"}]}}}),
            ),
            "calendar.weekly_schedule.monday[0]",
        ),
        (
            venue(json!({"calendar": {"timezone": "UTC", "weekly_schedule": {"friday": [
                {"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "14:00"}]}}})),
            "calendar.weekly_schedule.friday[1]",
        ),
        (venue(json!({"location_id": stranger})), "location_id"),
        (venue(json!({"capacity": {"max": 0}})), "capacity.max"),
        (venue(json!({"allow_simultaneous_bookings": true})), "max_simultaneous_bookings"),
        (venue(json!({"tags": ["Not A Tag"]})), "tags[0]"),
        (venue(json!({"email": "x@y.example"})), "email"),
        (venue(json!({"type": "spaceship"})), "type"),
        (
            venue(json!({"date_overrides": [{"date": "2031-01-01", "type": "modified_hours"}]})),
            "date_overrides[0].hours",
        ),
        (
            venue(
                json!({"blocked_times": [{"start_at": "2031-01-02T00:00:00Z", "end_at": "2031-01-01T00:00:00Z", "type": "time_off"}]}),
            ),
            "blocked_times[0].end_at",
        ),
        (
            venue(json!({"certifications": [{"type": "cpr", "issued_by": "x", "issued_at": "2020-01-01T00:00:00Z"}]})),
            "certifications",
        ),
        (
            json!({"type": "provider", "name": "P", "email": "not-an-email", "calendar": calendar(), "user_id": stranger}),
            "email",
        ),
        (
            json!({"type": "company_provider", "name": "C", "household_id": stranger, "email": "c@c.example",
                "phone": "1", "service_radius_km": 5, "calendar": calendar()}),
            "household_id",
        ),
    ];
    for (body, field) in cases {
        let res = app.send_as(&t.token, Method::POST, "/v1/bookables", &body).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        let fields: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{body}: expected {field} in {problem}");
    }
    let list: Value = app.get_as(&t.token, "/v1/bookables").await.json().await.unwrap();
    assert!(list["data"].as_array().unwrap().is_empty(), "no partial writes");

    // A company provider's technicians are members of its company household.
    let (other, _) = app.add_member(&t, "other@acme.example", &["staff"]).await;
    let other = user_id(&app, &other).await;
    let family: Value = app
        .send_as(&t.token, Method::POST, "/v1/households", &json!({"name": "Smiths", "type": "family"}))
        .await
        .json()
        .await
        .unwrap();
    let company: Value = app
        .send_as(&t.token, Method::POST, "/v1/households", &json!({"name": "ABC", "type": "company"}))
        .await
        .json()
        .await
        .unwrap();
    for (household, field) in [(&family, "household_id"), (&company, "available_technicians[0]")] {
        let body = json!({"type": "company_provider", "name": "C", "household_id": household["id"], "email": "c@c.example",
            "phone": "1", "service_radius_km": 5, "available_technicians": [other], "calendar": calendar()});
        let problem =
            assert_problem(app.send_as(&t.token, Method::POST, "/v1/bookables", &body).await, 422, "validation_failed")
                .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
}

#[tokio::test]
async fn status_moves_until_retired_and_the_type_is_fixed() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    app.enable_all_plugins(&t).await;
    let v =
        create(&app, &t, &json!({"type": "venue", "name": "Hall", "capacity": {"max": 10}, "calendar": calendar()}))
            .await;
    let path = format!("/v1/bookables/{}", v["id"].as_str().unwrap());
    let res = app.send_as(&t.token, Method::PATCH, &path, &json!({"type": "asset", "asset_type": "tool"})).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app.send_as(&t.token, Method::PATCH, &path, &json!({"status": "maintenance"})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "maintenance");
    let res = app.send_as(&t.token, Method::PATCH, &path, &json!({"status": "retired"})).await;
    assert_eq!(res.status(), 200);
    let res = app.send_as(&t.token, Method::PATCH, &path, &json!({"status": "active"})).await;
    assert_problem(res, 409, "invalid_transition").await;
    let log: Value = app.get_as(&t.token, "/v1/audit-log?action=bookable.status_changed").await.json().await.unwrap();
    assert_eq!(log["data"].as_array().unwrap().len(), 2);
    // Slugs are unique per tenant.
    let body =
        json!({"type": "venue", "name": "Hall", "slug": "hall", "capacity": {"max": 10}, "calendar": calendar()});
    let res = app.send_as(&t.token, Method::POST, "/v1/bookables", &body).await;
    assert_problem(res, 409, "conflict").await;
}

#[tokio::test]
async fn calendar_exceptions_and_certifications() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    app.enable_all_plugins(&t).await;
    let p = create(
        &app,
        &t,
        &json!({"type": "provider", "name": "Ana", "email": "ana@acme.example", "calendar": calendar()}),
    )
    .await;
    let base = format!("/v1/bookables/{}", p["id"].as_str().unwrap());

    let closed = json!({"date": "2031-12-25", "type": "closed", "reason": "Christmas"});
    let res = app.send_as(&t.token, Method::POST, &format!("{base}/date-overrides"), &closed).await;
    assert_eq!(res.status(), 201);
    let o: Value = res.json().await.unwrap();
    let res = app.send_as(&t.token, Method::POST, &format!("{base}/date-overrides"), &closed).await;
    assert_problem(res, 409, "conflict").await;
    let special = json!({"date": "2031-12-31", "type": "special_pricing", "pricing_multiplier": "0"});
    let problem = assert_problem(
        app.send_as(&t.token, Method::POST, &format!("{base}/date-overrides"), &special).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "pricing_multiplier");
    let list: Value = app
        .get_as(&t.token, &format!("{base}/date-overrides?from=2031-12-01&to=2031-12-31"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let list: Value =
        app.get_as(&t.token, &format!("{base}/date-overrides?from=2032-01-01")).await.json().await.unwrap();
    assert!(list.as_array().unwrap().is_empty());
    assert_eq!(delete(&app, &t, &format!("{base}/date-overrides/{}", o["id"].as_str().unwrap())).await.status(), 204);

    let block = json!({"start_at": "2031-08-01T00:00:00Z", "end_at": "2031-08-02T00:00:00Z", "type": "maintenance"});
    let b: Value =
        app.send_as(&t.token, Method::POST, &format!("{base}/blocked-times"), &block).await.json().await.unwrap();
    let list: Value = app
        .get_as(&t.token, &format!("{base}/blocked-times?from=2031-08-01T12:00:00Z&to=2031-09-01T00:00:00Z"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["id"], b["id"]);
    let list: Value =
        app.get_as(&t.token, &format!("{base}/blocked-times?from=2031-08-02T00:00:00Z")).await.json().await.unwrap();
    assert!(list.as_array().unwrap().is_empty(), "a block ending at `from` is outside");
    assert_eq!(delete(&app, &t, &format!("{base}/blocked-times/{}", b["id"].as_str().unwrap())).await.status(), 204);

    let cert = json!({"type": "cosmetology", "issued_by": "Board", "issued_at": "2024-01-01T00:00:00Z", "expires_at": "2099-01-01T00:00:00Z"});
    let c: Value =
        app.send_as(&t.token, Method::POST, &format!("{base}/certifications"), &cert).await.json().await.unwrap();
    assert_eq!(c["expired"], false);
    let cpath = format!("{base}/certifications/{}", c["id"].as_str().unwrap());
    let res = app.send_as(&t.token, Method::PATCH, &cpath, &json!({"is_verified": true})).await;
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["is_verified"], true);
    assert_eq!(patched["issued_by"], "Board");
    let res = app.send_as(&t.token, Method::PATCH, &cpath, &json!({"expires_at": "2000-01-01T00:00:00Z"})).await;
    assert_problem(res, 422, "validation_failed").await;
    assert_eq!(delete(&app, &t, &cpath).await.status(), 204);

    // Certifications are for providers.
    let v =
        create(&app, &t, &json!({"type": "venue", "name": "Hall", "capacity": {"max": 10}, "calendar": calendar()}))
            .await;
    let res = app
        .send_as(&t.token, Method::POST, &format!("/v1/bookables/{}/certifications", v["id"].as_str().unwrap()), &cert)
        .await;
    assert_problem(res, 409, "conflict").await;
    for action in [
        "bookable.date_override_added",
        "bookable.date_override_removed",
        "bookable.blocked_time_added",
        "bookable.blocked_time_removed",
        "bookable.certification_updated",
        "bookable.certification_removed",
    ] {
        let log: Value = app.get_as(&t.token, &format!("/v1/audit-log?action={action}")).await.json().await.unwrap();
        assert_eq!(log["data"].as_array().unwrap().len(), 1, "{action}");
    }
}

/// What Swagger UI offers for "Try it out" on `POST /v1/bookables` — one example per
/// type — creates that type as it stands (the company provider's household id aside,
/// which no static example can know).
#[tokio::test]
async fn each_type_is_created_from_its_spec_example() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    app.enable_all_plugins(&t).await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let examples = spec["paths"]["/v1/bookables"]["post"]["requestBody"]["content"]["application/json"]["examples"]
        .as_object()
        .expect("per-type examples")
        .clone();
    let company: Value = app
        .send_as(&t.token, Method::POST, "/v1/households", &json!({"name": "ABC", "type": "company"}))
        .await
        .json()
        .await
        .unwrap();
    let mut types = Vec::new();
    for (name, example) in examples {
        let mut body = example["value"].clone();
        if body["type"] == "company_provider" {
            body["household_id"] = company["id"].clone();
        }
        let created = create(&app, &t, &body).await;
        assert_eq!(created["type"], name.as_str());
        types.push(name);
    }
    types.sort();
    assert_eq!(types, ["asset", "company_provider", "provider", "venue"]);
}
