//! Customers book for themselves through the same routes as staff, with own-scoped
//! permissions: they see and change only their own records (and their household's, under
//! its rules); another customer's record answers 404.

use atrium_tests::{TestApp, assert_problem, spawn_app};
use chrono::{Duration, Utc};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use atrium_tests::PASSWORD;

use crate::support::{at, calendar, get, hour_from_now, post, template};

async fn user_id(app: &TestApp, token: &str) -> String {
    get(app, token, "/v1/me").await["user"]["id"].as_str().unwrap().to_owned()
}

/// Slots of `tpl` between `from` and `to`, as `token` sees them.
async fn slots(app: &TestApp, token: &str, tpl: &str, from: chrono::DateTime<Utc>, hours: i64) -> Vec<String> {
    let path = format!(
        "/v1/availability?service_template_id={tpl}&from={}&to={}",
        at(from),
        at(from + Duration::hours(hours))
    );
    let found = get(app, token, &path).await;
    found["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap().to_owned()).collect()
}

/// A tenant with one provider open around the clock and a service customers may cancel up
/// to 12 hours ahead (refunds: 100 % from 48 h, 50 % from 24 h).
async fn salon(app: &TestApp, slug: &str) -> (atrium_tests::Tenant, String, String) {
    let t = app.signup(slug).await;
    app.enable_all_plugins(&t).await;
    let provider = post(
        app,
        &t.token,
        "/v1/bookables",
        &json!({"type": "provider", "name": "Ana", "email": "ana@x.example", "calendar": calendar()}),
    )
    .await;
    let pid = provider["id"].as_str().unwrap().to_owned();
    let cancellation = json!({"allow_client_cancellation": true, "client_cancellation_cutoff_hours": 12,
        "refund_tiers": [{"min_hours_before": 48, "refund_percent": "100"}, {"min_hours_before": 24, "refund_percent": "50"}]});
    let tpl = post(
        app,
        &t.token,
        "/v1/service-templates",
        &template(
            json!({"bookable_type": "provider", "specific_bookable_id": pid}),
            json!({"cancellation": cancellation}),
        ),
    )
    .await;
    (t, pid, tpl["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_customer_searches_holds_books_and_cancels_within_the_terms_and_sees_only_their_own() {
    let app = spawn_app().await;
    let (t, _, tpl) = salon(&app, "salon").await;
    // Ann registers by herself; Bob was invited by the staff.
    let ann = app.register_customer("salon", "ann@salon.example").await["access_token"].as_str().unwrap().to_owned();
    let (bob, _) = app.add_member(&t, "bob@salon.example", &["customer"]).await;

    // Ann searches and holds a slot three days ahead; Bob cannot see her hold.
    let start = hour_from_now(72);
    assert!(slots(&app, &ann, &tpl, start, 2).await.contains(&at(start)));
    let hold = post(&app, &ann, "/v1/reservations", &json!({"service_template_id": tpl, "start": at(start)})).await;
    let hold_id = hold["id"].as_str().unwrap();
    assert_problem(app.get_as(&bob, &format!("/v1/reservations/{hold_id}")).await, 404, "not_found").await;
    assert_eq!(get(&app, &bob, "/v1/reservations").await["data"], json!([]));
    let res = app.send_as(&bob, Method::POST, &format!("/v1/reservations/{hold_id}/release"), &json!({})).await;
    assert_problem(res, 404, "not_found").await;

    // She books with the hold; Bob gets 404 on it and lists nothing; staff see it.
    let booking = post(
        &app,
        &ann,
        "/v1/bookings",
        &json!({"service_template_id": tpl, "start": at(start), "reservation_id": hold_id}),
    )
    .await;
    let id = booking["id"].as_str().unwrap();
    for path in [format!("/v1/bookings/{id}"), format!("/v1/bookings/{id}/history")] {
        assert_problem(app.get_as(&bob, &path).await, 404, "not_found").await;
    }
    let res = app.send_as(&bob, Method::POST, &format!("/v1/bookings/{id}/cancel"), &json!({})).await;
    assert_problem(res, 404, "not_found").await;
    assert_eq!(get(&app, &bob, "/v1/bookings").await["data"], json!([]));
    assert_eq!(get(&app, &ann, "/v1/bookings").await["data"].as_array().unwrap().len(), 1);
    assert_eq!(get(&app, &t.token, "/v1/bookings").await["data"].as_array().unwrap().len(), 1);

    // Confirming is the team's; cancelling 72 h ahead is hers, with the full refund.
    let res = app.send_as(&ann, Method::POST, &format!("/v1/bookings/{id}/confirm"), &json!({})).await;
    assert_problem(res, 403, "forbidden").await;
    let res = app.send_as(&ann, Method::POST, &format!("/v1/bookings/{id}/cancel"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let cancelled: Value = res.json().await.unwrap();
    assert_eq!(cancelled["refund_percent"], "100");
    let history = get(&app, &ann, &format!("/v1/bookings/{id}/history")).await;
    assert_eq!(history.as_array().unwrap().last().unwrap()["actor_type"], "customer");

    // Six hours ahead is inside the 12-hour cutoff: 409 for her, still possible for staff.
    let soon = hour_from_now(6);
    let late = post(&app, &ann, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(soon)})).await;
    let late_id = late["id"].as_str().unwrap();
    let res = app.send_as(&ann, Method::POST, &format!("/v1/bookings/{late_id}/cancel"), &json!({})).await;
    assert_problem(res, 409, "cancellation_not_allowed").await;
    let res = app.send_as(&t.token, Method::POST, &format!("/v1/bookings/{late_id}/cancel"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let history = get(&app, &t.token, &format!("/v1/bookings/{late_id}/history")).await;
    assert_eq!(history.as_array().unwrap().last().unwrap()["actor_type"], "staff");

    // A customer names no one outside her household, and no guest unless the tenant allows.
    let bob_id = user_id(&app, &bob).await;
    let other = hour_from_now(96);
    let res = app
        .send_as(
            &ann,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": tpl, "start": at(other), "participants": [{"user_id": bob_id}]}),
        )
        .await;
    assert_eq!(assert_problem(res, 422, "validation_failed").await["errors"][0]["field"], "participants[0].user_id");
    let res = app
        .send_as(
            &ann,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": tpl, "start": at(other), "participants": [{"name": "A friend"}]}),
        )
        .await;
    assert_eq!(assert_problem(res, 422, "validation_failed").await["errors"][0]["field"], "participants[0].name");
    // Once the tenant allows guests, she brings a friend.
    let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({"customer_guests_allowed": true})).await;
    assert_eq!(res.status(), 200);
    let res = app
        .send_as(
            &ann,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": tpl, "start": at(other), "participants": [{"name": "A friend"}]}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn household_rules_apply_to_customers_even_without_household_id() {
    let app = spawn_app().await;
    let (t, _, tpl) = salon(&app, "family").await;
    let parent =
        app.register_customer(&t.slug, "parent@family.example").await["access_token"].as_str().unwrap().to_owned();
    let (child, _) = app.add_member(&t, "child@family.example", &["customer"]).await;
    let (teen, _) = app.add_member(&t, "teen@family.example", &["customer"]).await;
    let (stranger, _) = app.add_member(&t, "stranger@family.example", &["customer"]).await;
    let (parent_id, child_id, teen_id) =
        (user_id(&app, &parent).await, user_id(&app, &child).await, user_id(&app, &teen).await);
    // The team sets the household up with the parent as its primary member.
    let h = post(
        &app,
        &t.token,
        "/v1/households",
        &json!({"name": "Family", "type": "family", "primary_contact_user_id": parent_id}),
    )
    .await;
    let hid = h["id"].as_str().unwrap();
    let members = get(&app, &t.token, &format!("/v1/households/{hid}/members")).await;
    let primary = members[0]["id"].as_str().unwrap();
    let path = format!("/v1/households/{hid}/members");
    post(&app, &t.token, &path, &json!({"user_id": child_id, "role": "minor", "managed_by": [primary]})).await;
    post(&app, &t.token, &path, &json!({"user_id": teen_id, "role": "adult", "approval_required_for": "all"})).await;

    // The parent books for the child (no household_id given): allowed, and theirs to see.
    let start = hour_from_now(50);
    let b = post(
        &app,
        &parent,
        "/v1/bookings",
        &json!({"service_template_id": tpl, "start": at(start), "participants": [{"user_id": child_id}]}),
    )
    .await;
    assert_eq!(b["status"], "pending");
    assert_eq!(b["household_id"], hid, "the household whose rules applied is the booking's");
    let id = b["id"].as_str().unwrap();
    assert_eq!(get(&app, &child, &format!("/v1/bookings/{id}")).await["id"], id, "the child takes part");
    assert_problem(app.get_as(&stranger, &format!("/v1/bookings/{id}")).await, 404, "not_found").await;

    // The teen needs approval for any booking: omitting household_id does not skip it.
    let own = post(
        &app,
        &teen,
        "/v1/bookings",
        &json!({"service_template_id": tpl, "start": at(start + Duration::hours(2))}),
    )
    .await;
    assert_eq!(own["status"], "pending_approval");
    let own_id = own["id"].as_str().unwrap();
    // The primary member sees it and approves it.
    let approved = app.send_as(&parent, Method::POST, &format!("/v1/bookings/{own_id}/approve"), &json!({})).await;
    assert_eq!(approved.status(), 200);
    assert_eq!(approved.json::<Value>().await.unwrap()["status"], "pending");
    // The child may not book the parent (a minor cannot book for others).
    let res = app
        .send_as(
            &child,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": tpl, "start": at(start + Duration::hours(4)), "participants": [{"user_id": parent_id}]}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
}

#[tokio::test]
async fn a_customer_joins_the_waitlist_and_accepts_the_offer() {
    let app = spawn_app().await;
    let (t, _, tpl) = salon(&app, "queue").await;
    let (ann, _) = app.add_member(&t, "ann@queue.example", &["customer"]).await;
    let (bob, _) = app.add_member(&t, "bob@queue.example", &["customer"]).await;
    let start = hour_from_now(30);
    // Bob takes the slot; Ann waits for that day.
    let taken = post(&app, &bob, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(start)})).await;
    let entry = post(
        &app,
        &ann,
        "/v1/waitlist",
        &json!({"service_template_id": tpl, "preferred_date": start.date_naive().to_string(),
            "preferred_time_range": {"start": start.format("%H:%M").to_string(),
                "end": (start + Duration::hours(1)).format("%H:%M").to_string()}}),
    )
    .await;
    let eid = entry["id"].as_str().unwrap();
    assert_problem(app.get_as(&bob, &format!("/v1/waitlist/{eid}")).await, 404, "not_found").await;
    // Bob cancels (more than the 12-hour cutoff ahead): the slot is offered to Ann.
    let tid = taken["id"].as_str().unwrap();
    let res = app.send_as(&bob, Method::POST, &format!("/v1/bookings/{tid}/cancel"), &json!({})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(get(&app, &ann, &format!("/v1/waitlist/{eid}")).await["status"], "offered");
    let res = app.send_as(&bob, Method::POST, &format!("/v1/waitlist/{eid}/accept"), &json!({})).await;
    assert_problem(res, 404, "not_found").await;
    let res = app.send_as(&ann, Method::POST, &format!("/v1/waitlist/{eid}/accept"), &json!({})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let mine = get(&app, &ann, "/v1/bookings").await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    assert_eq!(mine["data"][0]["start"], at(start));
}

#[tokio::test]
async fn a_provider_lists_exactly_the_bookings_assigned_to_them() {
    let app = spawn_app().await;
    let t = app.signup("clinic").await;
    app.enable_all_plugins(&t).await;
    let (ana, _) = app.add_member(&t, "ana@clinic.example", &["provider"]).await;
    let ana_id = user_id(&app, &ana).await;
    let mut templates = Vec::new();
    for (name, user) in [("Ana", Some(ana_id.as_str())), ("Rui", None)] {
        let p = post(
            &app,
            &t.token,
            "/v1/bookables",
            &json!({"type": "provider", "name": name, "email": format!("{name}@clinic.example"), "user_id": user,
                "calendar": calendar()}),
        )
        .await;
        let pid = p["id"].as_str().unwrap().to_owned();
        let tpl = post(
            &app,
            &t.token,
            "/v1/service-templates",
            &template(
                json!({"bookable_type": "provider", "specific_bookable_id": pid}),
                json!({"name": format!("With {name}")}),
            ),
        )
        .await;
        templates.push(tpl["id"].as_str().unwrap().to_owned());
    }
    let start = hour_from_now(40);
    let hers =
        post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": templates[0], "start": at(start)})).await;
    let other =
        post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": templates[1], "start": at(start)})).await;
    let listed = get(&app, &ana, "/v1/bookings").await;
    let ids: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [hers["id"].as_str().unwrap()]);
    let other_id = other["id"].as_str().unwrap();
    assert_problem(app.get_as(&ana, &format!("/v1/bookings/{other_id}")).await, 404, "not_found").await;
    // Reading is all a provider's own scope gives.
    let hers_id = hers["id"].as_str().unwrap();
    let res = app.send_as(&ana, Method::POST, &format!("/v1/bookings/{hers_id}/cancel"), &json!({})).await;
    assert_problem(res, 403, "forbidden").await;
}

#[tokio::test]
async fn a_location_scoped_member_reaches_only_their_locations_bookings() {
    let app = spawn_app().await;
    let t = app.signup("chain").await;
    app.enable_all_plugins(&t).await;
    let mut locations = Vec::new();
    let mut templates = Vec::new();
    for name in ["North", "South"] {
        let l =
            post(&app, &t.token, "/v1/locations", &json!({"name": name, "type": "virtual", "timezone": "UTC"})).await;
        let lid = l["id"].as_str().unwrap().to_owned();
        let p = post(
            &app,
            &t.token,
            "/v1/bookables",
            &json!({"type": "provider", "name": name, "email": format!("{name}@chain.example"), "location_id": lid,
                "calendar": calendar()}),
        )
        .await;
        let pid = p["id"].as_str().unwrap().to_owned();
        let tpl = post(
            &app,
            &t.token,
            "/v1/service-templates",
            &template(
                json!({"bookable_type": "provider", "specific_bookable_id": pid}),
                json!({"location_id": lid, "name": format!("At {name}")}),
            ),
        )
        .await;
        locations.push(lid);
        templates.push(tpl["id"].as_str().unwrap().to_owned());
    }
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/members",
            &json!({"email": "desk@chain.example", "roles": ["staff"], "location_id": locations[0]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let res = app
        .post_json(
            &format!("/v1/invitations/{token}/accept"),
            &json!({"password": atrium_tests::PASSWORD, "name": "Desk"}),
        )
        .await;
    let desk = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let start = hour_from_now(30);
    let north =
        post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": templates[0], "start": at(start)})).await;
    let south =
        post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": templates[1], "start": at(start)})).await;
    let listed = get(&app, &desk, "/v1/bookings").await;
    let ids: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [north["id"].as_str().unwrap()]);
    let south_id = south["id"].as_str().unwrap();
    assert_problem(app.get_as(&desk, &format!("/v1/bookings/{south_id}")).await, 404, "not_found").await;
    let res = app.send_as(&desk, Method::POST, &format!("/v1/bookings/{south_id}/confirm"), &json!({})).await;
    assert_problem(res, 404, "not_found").await;
    // Booking at the other location is outside the membership.
    let later = hour_from_now(60);
    let res = app
        .send_as(&desk, Method::POST, "/v1/bookings", &json!({"service_template_id": templates[1], "start": at(later)}))
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .get_as(
            &desk,
            &format!(
                "/v1/availability?service_template_id={}&from={}&to={}",
                templates[1],
                at(later),
                at(later + Duration::hours(3))
            ),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
}

/// 64 customers race for one slot: exactly one books it, the others get 409
/// `slot_unavailable`, and nothing answers 5xx.
#[tokio::test]
async fn sixty_four_customers_booking_one_slot_one_wins() {
    let app =
        atrium_tests::spawn_app_with(|c| c.signup_seats = 200, atrium_server::PluginRegistry::compiled().unwrap())
            .await;
    let (t, _, tpl) = salon(&app, "race").await;
    let mut tokens = Vec::new();
    for i in 0..64 {
        tokens.push(app.add_member(&t, &format!("c{i}@race.example"), &["customer"]).await.0);
    }
    let start = at(hour_from_now(80));
    let statuses: Vec<u16> = futures_util::stream::iter(tokens.iter())
        .map(|token| {
            let app = &app;
            let body = json!({"service_template_id": tpl, "start": start});
            async move { app.send_as(token, Method::POST, "/v1/bookings", &body).await.status().as_u16() }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 63, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s < 500), "{statuses:?}");
}

fn register_body(email: &str, password: &str) -> Value {
    json!({"email": email, "password": password, "name": "Léa Martin", "phone": "+33 6 12 34 56 78"})
}

/// Registration: a new e-mail gets an account and a customer membership; the same e-mail
/// joins a second tenant with its password; a wrong password answers exactly like a failed
/// sign-in and is throttled like one; a closed tenant answers 403; customers take no seat.
#[tokio::test]
async fn customers_register_at_a_tenant_and_join_another_with_their_password() {
    let app =
        atrium_tests::spawn_app_with(|c| c.signup_seats = 2, atrium_server::PluginRegistry::compiled().unwrap()).await;
    let a = app.signup("tenant-a").await;
    let b = app.signup("tenant-b").await;
    let res = app.post_json("/v1/public/tenant-a/customers", &register_body("Lea@Example.com", PASSWORD)).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["user"]["email"], "lea@example.com");
    assert_eq!(created["user"]["phone"], "+33612345678");
    assert_eq!(created["token_type"], "Bearer");
    let lea = created["access_token"].as_str().unwrap();
    let me = get(&app, lea, "/v1/me").await;
    assert_eq!(me["roles"], json!(["customer"]));
    assert_eq!(me["tenant"]["slug"], "tenant-a");
    assert!(me["permissions"].as_array().unwrap().contains(&json!("bookings:read@own")), "{me}");
    let log = get(&app, &a.token, "/v1/audit-log?action=customer.registered").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1, "{log}");
    // Registering twice at the same tenant is a conflict, and needs the password first.
    let res = app.post_json("/v1/public/tenant-a/customers", &register_body("lea@example.com", PASSWORD)).await;
    assert_problem(res, 409, "conflict").await;

    // A wrong password for the existing account: the very answer of a failed sign-in.
    let failed_sign_in = app
        .post_json(
            "/v1/auth/token",
            &json!({"email": "lea@example.com", "password": "wrong password!", "tenant": "tenant-a"}),
        )
        .await;
    let (sign_in_status, sign_in_body): (u16, Value) =
        (failed_sign_in.status().as_u16(), failed_sign_in.json().await.unwrap());
    let res =
        app.post_json("/v1/public/tenant-b/customers", &register_body("lea@example.com", "wrong password!")).await;
    let (status, body): (u16, Value) = (res.status().as_u16(), res.json().await.unwrap());
    assert_eq!(status, sign_in_status);
    for key in ["type", "title", "status", "code", "detail"] {
        assert_eq!(body[key], sign_in_body[key], "{key}");
    }
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&body), keys(&sign_in_body));
    // With its password she joins tenant B, and signs in to either.
    let res = app.post_json("/v1/public/tenant-b/customers", &register_body("lea@example.com", PASSWORD)).await;
    assert_eq!(res.status(), 201);
    let at_b: Value = res.json().await.unwrap();
    assert_eq!(at_b["user"]["id"], created["user"]["id"]);
    assert_eq!(get(&app, at_b["access_token"].as_str().unwrap(), "/v1/me").await["tenant"]["slug"], "tenant-b");
    app.sign_in("lea@example.com", "tenant-a").await;

    // Bad input: each field named; an unknown tenant is 404.
    let res = app
        .post_json(
            "/v1/public/tenant-a/customers",
            &json!({"email": "nope", "password": "short", "name": "", "phone": "12"}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "password", "name", "phone"]);
    let res = app.post_json("/v1/public/no-such-tenant/customers", &register_body("x@example.com", PASSWORD)).await;
    assert_problem(res, 404, "not_found").await;

    // Customers take no seat: the plan's 2 seats hold the owner and one member of staff,
    // and 5 customers still register.
    app.add_member(&a, "staff@tenant-a.example", &["staff"]).await;
    for i in 0..5 {
        app.register_customer("tenant-a", &format!("c{i}@example.com")).await;
    }
    let res = app
        .send_as(&a.token, Method::POST, "/v1/members", &json!({"email": "more@x.example", "roles": ["staff"]}))
        .await;
    assert_problem(res, 409, "conflict").await;

    // A tenant that closes registration answers 403.
    let res = app.send_as(&b.token, Method::PATCH, "/v1/tenant", &json!({"customer_registration": "closed"})).await;
    assert_eq!(res.status(), 200);
    let tenant: Value = res.json().await.unwrap();
    assert_eq!(tenant["customer_registration"], "closed");
    let res = app.post_json("/v1/public/tenant-b/customers", &register_body("new@example.com", PASSWORD)).await;
    assert_problem(res, 403, "registration_closed").await;
    let res = app.send_as(&b.token, Method::PATCH, "/v1/tenant", &json!({"customer_registration": "sometimes"})).await;
    assert_problem(res, 422, "validation_failed").await;
}

/// Wrong passwords at registration are throttled like failed sign-ins: after 10 for one
/// e-mail, even the right password waits.
#[tokio::test]
async fn wrong_passwords_at_registration_are_throttled_like_failed_sign_ins() {
    let app = spawn_app().await;
    app.signup("throttled-a").await;
    app.signup("throttled-b").await;
    app.register_customer("throttled-a", "guess@example.com").await;
    for _ in 0..10 {
        let res = app
            .post_json("/v1/public/throttled-b/customers", &register_body("guess@example.com", "not the password"))
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = app.post_json("/v1/public/throttled-b/customers", &register_body("guess@example.com", PASSWORD)).await;
    let res = assert_problem(res, 429, "rate_limited").await;
    assert!(res["detail"].as_str().unwrap().contains("retry"), "{res}");
}

/// Profile self-service: name and phone; a password change needs the current password,
/// ends the other sessions and hands this one a fresh pair; a customer leaves a tenant.
#[tokio::test]
async fn a_customer_changes_their_profile_and_password_and_leaves_a_tenant() {
    let app = spawn_app().await;
    let t = app.signup("profile").await;
    let first = app.register_customer("profile", "pat@example.com").await;
    let token = first["access_token"].as_str().unwrap().to_owned();
    let other_session = app.sign_in("pat@example.com", "profile").await;

    let me =
        app.send_as(&token, Method::PATCH, "/v1/me", &json!({"name": "Pat Lee", "phone": "+1 (415) 555-0100"})).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["user"]["name"], "Pat Lee");
    assert_eq!(me["user"]["phone"], "+14155550100");
    assert!(me.get("tokens").is_none());
    let me: Value = app.send_as(&token, Method::PATCH, "/v1/me", &json!({"phone": null})).await.json().await.unwrap();
    assert_eq!(me["user"]["phone"], Value::Null);
    for (body, field) in [
        (json!({"phone": "555"}), "phone"),
        (json!({"name": ""}), "name"),
        (json!({"new_password": "another long password"}), "current_password"),
        (json!({"new_password": "short", "current_password": PASSWORD}), "new_password"),
    ] {
        let res = app.send_as(&token, Method::PATCH, "/v1/me", &body).await;
        assert_eq!(assert_problem(res, 422, "validation_failed").await["errors"][0]["field"], field, "{body}");
    }
    let res = app.send_as(&token, Method::PATCH, "/v1/me", &json!({"nickname": "P"})).await;
    assert_eq!(res.status(), 422, "an unknown field");

    // A wrong current password is a failed sign-in; the right one changes it.
    let wrong = json!({"current_password": "not my password", "new_password": "a brand new password"});
    assert_problem(app.send_as(&token, Method::PATCH, "/v1/me", &wrong).await, 401, "unauthenticated").await;
    let change = json!({"current_password": PASSWORD, "new_password": "a brand new password"});
    let res = app.send_as(&token, Method::PATCH, "/v1/me", &change).await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    let fresh = changed["tokens"]["refresh_token"].as_str().unwrap();
    // The other session's refresh token, and the first one, no longer work; the fresh one does.
    for old in [&other_session["refresh_token"], &first["refresh_token"]] {
        let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": old})).await;
        assert_eq!(res.status(), 401, "{old}");
    }
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": fresh})).await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_json(
            "/v1/auth/token",
            &json!({"email": "pat@example.com", "password": "a brand new password", "tenant": "profile"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let token = changed["tokens"]["access_token"].as_str().unwrap().to_owned();

    // An API key has no profile to change; staff do not leave by themselves; another
    // tenant's id is 404.
    let key = post(&app, &t.token, "/v1/api-keys", &json!({"name": "k", "scopes": ["tenants:read"]})).await;
    let res = app.send_as(key["secret"].as_str().unwrap(), Method::PATCH, "/v1/me", &json!({"name": "Key"})).await;
    assert_problem(res, 403, "forbidden").await;
    let res = app.send_as(&t.token, Method::DELETE, &format!("/v1/me/memberships/{}", t.id), &json!({})).await;
    assert_problem(res, 409, "conflict").await;
    let other = app.signup("elsewhere").await;
    let res = app.send_as(&token, Method::DELETE, &format!("/v1/me/memberships/{}", other.id), &json!({})).await;
    assert_problem(res, 404, "not_found").await;

    let mine = get(&app, &token, "/v1/me/memberships").await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    assert_eq!(mine["data"][0]["id"], t.id.as_str());
    assert_eq!(mine["data"][0]["roles"], json!(["customer"]));

    // Pat leaves: signing in there fails, the tenant no longer lists Pat, and the audit log
    // says so.
    let res = app.send_as(&token, Method::DELETE, &format!("/v1/me/memberships/{}", t.id), &json!({})).await;
    assert_eq!(res.status(), 204);
    let res = app
        .post_json(
            "/v1/auth/token",
            &json!({"email": "pat@example.com", "password": "a brand new password", "tenant": "profile"}),
        )
        .await;
    assert_eq!(res.status(), 401);
    let members = get(&app, &t.token, "/v1/members?limit=200").await;
    assert!(!members.to_string().contains("pat@example.com"), "{members}");
    let log = get(&app, &t.token, "/v1/audit-log?action=customer.left").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1);
    assert!(app.get_as(&token, "/v1/me").await.status().is_client_error());
}

/// The role APIs show scopes: the catalog says what "own" means and who holds it so; the
/// built-in customer role lists its own-scoped grants; a custom role may grant either
/// scope (and only where the permission allows own), and its members get exactly that.
#[tokio::test]
async fn roles_show_and_grant_own_scopes() {
    let app = spawn_app().await;
    let (t, _, tpl) = salon(&app, "scopes").await;
    let catalog = get(&app, &t.token, "/v1/permissions").await;
    let read = catalog.as_array().unwrap().iter().find(|p| p["name"] == "bookings:read").unwrap().clone();
    assert!(read["own"].is_string(), "{read}");
    assert!(read["own_granted_to"].as_array().unwrap().contains(&json!("customer")), "{read}");
    let members_write = catalog.as_array().unwrap().iter().find(|p| p["name"] == "tenants:members_write").unwrap();
    assert_eq!(members_write["own"], Value::Null);
    let roles = get(&app, &t.token, "/v1/roles").await;
    let customer = roles.as_array().unwrap().iter().find(|r| r["name"] == "customer").unwrap();
    assert!(customer["permissions"].as_array().unwrap().contains(&json!("bookings:read@own")), "{customer}");

    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/roles",
            &json!({"name": "bad", "permissions": ["tenants:members_write@own"]}),
        )
        .await;
    assert_eq!(assert_problem(res, 422, "validation_failed").await["errors"][0]["field"], "permissions[0]");
    let role = json!({"name": "regular", "permissions": ["tenants:read", "bookings:read@own", "bookings:write@own"]});
    let res = app.send_as(&t.token, Method::POST, "/v1/roles", &role).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let (regular, _) = app.add_member(&t, "regular@scopes.example", &["regular"]).await;
    let me = get(&app, &regular, "/v1/me").await;
    assert!(me["permissions"].as_array().unwrap().contains(&json!("bookings:read@own")), "{me}");
    // The owner's booking is not the regular's; the regular's own is.
    let owners =
        post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(hour_from_now(50))}))
            .await;
    let mine =
        post(&app, &regular, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(hour_from_now(53))}))
            .await;
    let listed = get(&app, &regular, "/v1/bookings").await;
    let ids: Vec<&Value> = listed["data"].as_array().unwrap().iter().map(|b| &b["id"]).collect();
    assert_eq!(ids, [&mine["id"]]);
    let res = app.get_as(&regular, &format!("/v1/bookings/{}", owners["id"].as_str().unwrap())).await;
    assert_problem(res, 404, "not_found").await;
}
