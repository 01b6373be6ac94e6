//! Scopes in households, bookables and service templates: customers reach the households
//! they belong to (primary members manage them), providers their own bookable and its
//! calendar, location-scoped members their locations' bookables and templates; and the
//! public list of a tenant's active services.

use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn ready(app: &TestApp, slug: &str) -> Tenant {
    let t = app.signup(slug).await;
    app.enable_all_plugins(&t).await;
    t
}

/// POSTs `body` as `token`, expecting a 201; returns the created resource.
async fn created(app: &TestApp, token: &str, path: &str, body: &Value) -> Value {
    let res = app.send_as(token, Method::POST, path, body).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "POST {path}: {body}");
    body
}

async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.request(Method::DELETE, path).bearer_auth(token).send().await.unwrap()
}

/// The ids in a list answer (a page's `data`, or a plain array).
async fn ids(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let res = app.get_as(token, path).await;
    assert_eq!(res.status(), 200, "GET {path}");
    let body: Value = res.json().await.unwrap();
    let items = body.get("data").unwrap_or(&body).as_array().unwrap().clone();
    items.iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn customers_reach_their_households_and_only_primary_members_change_them() {
    let app = spawn_app().await;
    let t = ready(&app, "acme").await;
    let (a, _) = app.add_member(&t, "a@acme.example", &["customer"]).await;
    let (b, _) = app.add_member(&t, "b@acme.example", &["customer"]).await;
    let (c, _) = app.add_member(&t, "c@acme.example", &["customer"]).await;
    let (a_user, b_user, c_user) = (app.user_id_of(&a).await, app.user_id_of(&b).await, app.user_id_of(&c).await);
    let me: Value = app.get_as(&a, "/v1/me").await.json().await.unwrap();
    for grant in ["households:read@own", "households:write@own"] {
        assert!(me["permissions"].as_array().unwrap().contains(&json!(grant)), "{grant} in {me}");
    }

    // Creating a household makes the customer its primary member and contact; they may
    // name themselves, nobody else.
    let h = created(&app, &a, "/v1/households", &json!({"name": "A Family", "type": "family"})).await;
    let hid = id(&h);
    let members: Value = app.get_as(&a, &format!("/v1/households/{hid}/members")).await.json().await.unwrap();
    assert_eq!(members.as_array().unwrap().len(), 1);
    assert_eq!((members[0]["user_id"].as_str(), members[0]["role"].as_str()), (Some(a_user.as_str()), Some("primary")));
    assert_eq!(h["primary_contact_id"], members[0]["id"]);
    let res = app
        .send_as(
            &a,
            Method::POST,
            "/v1/households",
            &json!({"name": "B's", "type": "family", "primary_contact_user_id": b_user}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "primary_contact_user_id");
    let body = json!({"name": "A Again", "type": "group", "primary_contact_user_id": a_user});
    let second = created(&app, &a, "/v1/households", &body).await;

    // A adds C as an adult member; B creates a household of their own.
    let body = json!({"user_id": c_user, "role": "adult"});
    let c_member = created(&app, &a, &format!("/v1/households/{hid}/members"), &body).await;
    let c_mid = id(&c_member);
    let b_household = created(&app, &b, "/v1/households", &json!({"name": "B Family", "type": "family"})).await;

    // B reaches nothing of A's: 404 everywhere, and A's households are absent from B's list.
    assert_eq!(ids(&app, &b, "/v1/households").await, [id(&b_household)]);
    let h_path = format!("/v1/households/{hid}");
    let member_path = format!("{h_path}/members/{c_mid}");
    for res in [
        app.get_as(&b, &h_path).await,
        app.get_as(&b, &format!("{h_path}/members")).await,
        app.get_as(&b, &member_path).await,
        app.send_as(&b, Method::PATCH, &h_path, &json!({"name": "Mine"})).await,
        app.send_as(&b, Method::POST, &format!("{h_path}/members"), &json!({"user_id": b_user, "role": "adult"})).await,
        app.send_as(&b, Method::PATCH, &member_path, &json!({"role": "primary"})).await,
        delete(&app, &b, &member_path).await,
        delete(&app, &b, &h_path).await,
    ] {
        assert_problem(res, 404, "not_found").await;
    }

    // C, a member but not primary, reads the household and its members but changes nothing.
    assert_eq!(ids(&app, &c, "/v1/households").await, [hid.as_str()]);
    assert_eq!(app.get_as(&c, &h_path).await.status(), 200);
    assert_eq!(ids(&app, &c, &format!("{h_path}/members")).await.len(), 2);
    assert_eq!(app.get_as(&c, &member_path).await.status(), 200);
    for res in [
        app.send_as(&c, Method::PATCH, &h_path, &json!({"name": "Mine"})).await,
        app.send_as(&c, Method::POST, &format!("{h_path}/members"), &json!({"user_id": b_user, "role": "adult"})).await,
        app.send_as(&c, Method::PATCH, &member_path, &json!({"role": "primary"})).await,
        delete(&app, &c, &member_path).await,
        delete(&app, &c, &h_path).await,
    ] {
        assert_problem(res, 403, "forbidden").await;
    }

    // A, the primary member, changes it and manages its members.
    let res = app.send_as(&a, Method::PATCH, &h_path, &json!({"name": "The As"})).await;
    assert_eq!(res.status(), 200);
    let res = app.send_as(&a, Method::PATCH, &member_path, &json!({"can_book_for_others": true})).await;
    assert_eq!(res.status(), 200);
    let mut a_sees = ids(&app, &a, "/v1/households").await;
    a_sees.sort();
    let mut expected = vec![hid.clone(), id(&second)];
    expected.sort();
    assert_eq!(a_sees, expected);
    assert_eq!(delete(&app, &a, &member_path).await.status(), 204);
    assert_problem(app.get_as(&c, &h_path).await, 404, "not_found").await;
    assert!(ids(&app, &c, "/v1/households").await.is_empty(), "C left: nothing listed");

    // The tenant's staff see every household.
    assert_eq!(ids(&app, &t.token, "/v1/households").await.len(), 3);
    assert_eq!(delete(&app, &a, &format!("/v1/households/{}", id(&second))).await.status(), 204);
}

fn calendar() -> Value {
    json!({"timezone": "UTC", "weekly_schedule": {"monday": [{"start": "09:00", "end": "17:00"}]}})
}

#[tokio::test]
async fn a_provider_reads_only_their_own_bookable_and_its_calendar() {
    let app = spawn_app().await;
    let t = ready(&app, "acme").await;
    let (provider, _) = app.add_member(&t, "pat@acme.example", &["provider"]).await;
    let pat = app.user_id_of(&provider).await;
    let body = json!({"type": "provider", "name": "Pat", "email": "pat@acme.example", "user_id": pat,
        "calendar": calendar(),
        "certifications": [{"type": "cpr", "issued_by": "Red Cross", "issued_at": "2024-01-01T00:00:00Z"}]});
    let own = created(&app, &t.token, "/v1/bookables", &body).await;
    let body = json!({"type": "provider", "name": "Sam", "email": "sam@acme.example", "calendar": calendar()});
    let other = created(&app, &t.token, "/v1/bookables", &body).await;
    let body = json!({"type": "asset", "name": "Bike", "asset_type": "vehicle", "calendar": calendar()});
    let asset = created(&app, &t.token, "/v1/bookables", &body).await;
    let blocked = json!({"start_at": "2031-01-06T10:00:00Z", "end_at": "2031-01-06T12:00:00Z", "type": "time_off"});
    let closed = json!({"date": "2031-01-13", "type": "closed"});
    for b in [&own, &other] {
        let base = format!("/v1/bookables/{}", id(b));
        created(&app, &t.token, &format!("{base}/blocked-times"), &blocked).await;
        created(&app, &t.token, &format!("{base}/date-overrides"), &closed).await;
    }

    let me: Value = app.get_as(&provider, "/v1/me").await.json().await.unwrap();
    assert!(me["permissions"].as_array().unwrap().contains(&json!("bookables:read@own")), "{me}");
    assert_eq!(ids(&app, &provider, "/v1/bookables").await, [id(&own)]);
    let base = format!("/v1/bookables/{}", id(&own));
    assert_eq!(app.get_as(&provider, &base).await.status(), 200);
    for part in ["blocked-times", "date-overrides", "certifications"] {
        let listed = ids(&app, &provider, &format!("{base}/{part}")).await;
        assert_eq!(listed.len(), 1, "{part}");
        assert_eq!(app.get_as(&provider, &format!("{base}/{part}/{}", listed[0])).await.status(), 200, "{part}");
    }

    for b in [&other, &asset] {
        let base = format!("/v1/bookables/{}", id(b));
        assert_problem(app.get_as(&provider, &base).await, 404, "not_found").await;
        for part in ["blocked-times", "date-overrides", "certifications"] {
            assert_problem(app.get_as(&provider, &format!("{base}/{part}")).await, 404, "not_found").await;
        }
    }
    let other_block = ids(&app, &t.token, &format!("/v1/bookables/{}/blocked-times", id(&other))).await;
    let path = format!("/v1/bookables/{}/blocked-times/{}", id(&other), other_block[0]);
    assert_problem(app.get_as(&provider, &path).await, 404, "not_found").await;
    // Reading is all a provider does with bookables.
    let res = app.send_as(&provider, Method::PATCH, &base, &json!({"name": "Patricia"})).await;
    assert_problem(res, 403, "forbidden").await;
}

fn template(name: &str, location: Option<&str>, status: &str) -> Value {
    json!({"name": name, "type": "appointment", "location_id": location,
        "duration": {"type": "fixed", "fixed_minutes": 30, "post_buffer_minutes": 5},
        "pricing": {"base_price": "40.00", "currency": "EUR", "timezone": "Europe/Paris"},
        "status": status})
}

#[tokio::test]
async fn a_location_scoped_member_reaches_only_their_locations() {
    let app = spawn_app().await;
    let t = ready(&app, "acme").await;
    let location = |name: &str| json!({"name": name, "type": "virtual", "timezone": "UTC"});
    let l1 = id(&created(&app, &t.token, "/v1/locations", &location("One")).await);
    let l2 = id(&created(&app, &t.token, "/v1/locations", &location("Two")).await);
    let asset = |name: &str, at: Option<&str>| json!({"type": "asset", "name": name, "asset_type": "tool", "location_id": at, "calendar": calendar()});
    let b1 = created(&app, &t.token, "/v1/bookables", &asset("Drill 1", Some(&l1))).await;
    let b2 = created(&app, &t.token, "/v1/bookables", &asset("Drill 2", Some(&l2))).await;
    created(&app, &t.token, "/v1/bookables", &asset("Drill 0", None)).await;
    let t1 = created(&app, &t.token, "/v1/service-templates", &template("Cut 1", Some(&l1), "active")).await;
    let t2 = created(&app, &t.token, "/v1/service-templates", &template("Cut 2", Some(&l2), "active")).await;
    created(&app, &t.token, "/v1/service-templates", &template("Cut 0", None, "active")).await;

    // A manager confined to L1.
    let m = app.add_member_at(&t, "mia@acme.example", &["manager"], &l1).await;
    assert_eq!(ids(&app, &m, "/v1/bookables").await, [id(&b1)]);
    assert_eq!(ids(&app, &m, "/v1/service-templates").await, [id(&t1)]);
    assert_eq!(app.get_as(&m, &format!("/v1/bookables/{}", id(&b1))).await.status(), 200);
    assert_eq!(app.get_as(&m, &format!("/v1/service-templates/{}", id(&t1))).await.status(), 200);
    let b2_path = format!("/v1/bookables/{}", id(&b2));
    let t2_path = format!("/v1/service-templates/{}", id(&t2));
    for res in [
        app.get_as(&m, &b2_path).await,
        app.get_as(&m, &format!("{b2_path}/blocked-times")).await,
        app.send_as(&m, Method::PATCH, &b2_path, &json!({"name": "Mine"})).await,
        delete(&app, &m, &b2_path).await,
        app.get_as(&m, &t2_path).await,
        app.send_as(&m, Method::PATCH, &t2_path, &json!({"name": "Mine"})).await,
        app.send_as(&m, Method::POST, &format!("{t2_path}/quote"), &json!({"start": "2031-01-06T10:00:00Z"})).await,
        delete(&app, &m, &t2_path).await,
    ] {
        assert_problem(res, 404, "not_found").await;
    }

    // Creating at L2, or at no location, or moving one there: 403. At L1: fine.
    for body in [asset("Saw", Some(&l2)), asset("Saw", None)] {
        assert_problem(app.send_as(&m, Method::POST, "/v1/bookables", &body).await, 403, "forbidden").await;
    }
    for body in [template("Trim", Some(&l2), "draft"), template("Trim", None, "draft")] {
        assert_problem(app.send_as(&m, Method::POST, "/v1/service-templates", &body).await, 403, "forbidden").await;
    }
    let b1_path = format!("/v1/bookables/{}", id(&b1));
    let res = app.send_as(&m, Method::PATCH, &b1_path, &json!({"location_id": l2})).await;
    assert_problem(res, 403, "forbidden").await;
    let t1_path = format!("/v1/service-templates/{}", id(&t1));
    let res = app.send_as(&m, Method::PATCH, &t1_path, &json!({"location_id": l2})).await;
    assert_problem(res, 403, "forbidden").await;
    created(&app, &m, "/v1/bookables", &asset("Saw", Some(&l1))).await;
    created(&app, &m, "/v1/service-templates", &template("Trim", Some(&l1), "draft")).await;
    assert_eq!(app.send_as(&m, Method::PATCH, &b1_path, &json!({"name": "Drill One"})).await.status(), 200);
    assert_eq!(ids(&app, &m, "/v1/bookables").await.len(), 2);
    assert_eq!(ids(&app, &t.token, "/v1/bookables").await.len(), 4, "the owner still sees them all");
}

#[tokio::test]
async fn the_public_list_shows_a_tenants_active_services_without_internals() {
    let app = spawn_app().await;
    let t = ready(&app, "acme").await;
    let mut active = template("Cut", None, "active");
    active["description"] = json!("A quick cut");
    active["cancellation"] = json!({"client_cancellation_cutoff_hours": 24,
        "refund_tiers": [{"min_hours_before": 48, "refund_percent": "100"}],
        "provider_compensation": [{"when": "client_cancels", "notice_hours": 24, "compensation_percent": "50"}]});
    active["required_bookables"] = json!([{"bookable_type": "provider", "criteria": {"tags": ["stylist"]}}]);
    let cut = created(&app, &t.token, "/v1/service-templates", &active).await;
    assert_eq!(cut["cancellation"]["client_cancellation_cutoff_hours"], 24);
    let mut class = template("Yoga", None, "active");
    class["type"] = json!("class");
    class["capacity"] = json!({"type": "group", "group": {"min_participants": 2, "max_participants": 10}});
    class["pricing"]["time_multipliers"] = json!([{"time_range": {"start": "06:00", "end": "08:00"},
        "days_of_week": ["monday"], "multiplier": "0.8"}]);
    let yoga = created(&app, &t.token, "/v1/service-templates", &class).await;
    for status in ["draft", "paused", "archived"] {
        created(&app, &t.token, "/v1/service-templates", &template(status, None, status)).await;
    }
    let gone = created(&app, &t.token, "/v1/service-templates", &template("Gone", None, "active")).await;
    assert_eq!(delete(&app, &t.token, &format!("/v1/service-templates/{}", id(&gone))).await.status(), 204);

    // No credential: only the active, not deleted ones.
    let res = app.get("/v1/public/acme/service-templates").await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    let listed = page["data"].as_array().unwrap();
    assert_eq!(listed.iter().map(id).collect::<Vec<_>>(), [id(&cut), id(&yoga)]);
    let shown = &listed[0];
    assert_eq!(shown["name"], "Cut");
    assert_eq!(shown["description"], "A quick cut");
    assert_eq!(shown["type"], "appointment");
    assert_eq!(shown["duration"], json!({"type": "fixed", "minutes": 30}));
    assert_eq!(shown["price"]["base_price"], "40.00");
    assert_eq!(shown["price"]["currency"], "EUR");
    assert_eq!(shown["price"]["per"], "booking");
    assert_eq!(shown["price"]["varies_by_time"], false);
    assert_eq!(shown["cancellation"]["client_cancellation_cutoff_hours"], 24);
    assert_eq!(shown["cancellation"]["refund_tiers"][0]["refund_percent"], "100");
    for internal in
        ["required_bookables", "optional_bookables", "reservation", "included_products", "status", "version"]
    {
        assert!(shown.get(internal).is_none(), "{internal} is not shown: {shown}");
    }
    assert!(shown["cancellation"].get("provider_compensation").is_none(), "{shown}");
    assert_eq!(listed[1]["max_participants"], 10);
    assert_eq!(listed[1]["price"]["varies_by_time"], true);
    let page: Value = app.get("/v1/public/acme/service-templates?type=class").await.json().await.unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let page: Value = app.get("/v1/public/acme/service-templates?limit=1").await.json().await.unwrap();
    assert!(page["next_cursor"].is_string());

    // An unknown tenant, or one without the plugin: 404.
    assert_problem(app.get("/v1/public/nobody/service-templates").await, 404, "not_found").await;
    app.signup("plain").await;
    assert_problem(app.get("/v1/public/plain/service-templates").await, 404, "plugin_disabled").await;

    // The cutoff is at most a year.
    let mut late = template("Late", None, "draft");
    late["cancellation"] = json!({"client_cancellation_cutoff_hours": 8761});
    let problem = assert_problem(
        app.send_as(&t.token, Method::POST, "/v1/service-templates", &late).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "cancellation.client_cancellation_cutoff_hours");
}
