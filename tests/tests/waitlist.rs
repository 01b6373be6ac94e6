//! The waitlist over real HTTP: a freed slot is offered to the first matching entry and
//! held for them (nobody else can book it), accepting books it, an unanswered offer lapses
//! and passes to the next entry, and joining checks its input.

use atrium_tests::{TestApp, assert_problem, spawn_app};
use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{at, get, hour_from_now, post, world};

async fn audit_count(app: &TestApp, token: &str, action: &str) -> usize {
    get(app, token, &format!("/v1/audit-log?action={action}")).await["data"].as_array().unwrap().len()
}

async fn user_id(app: &TestApp, token: &str) -> String {
    get(app, token, "/v1/me").await["user"]["id"].as_str().unwrap().to_owned()
}

/// Moves an offer's (and its hold's) expiry into the past, as if a quarter of an hour had
/// gone by: the offer lasts 15 minutes, too long for a test to wait.
async fn let_offer_lapse(app: &TestApp, entry: &Value) {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let past = Utc::now() - Duration::seconds(1);
    let id = |v: &Value| uuid::Uuid::parse_str(v.as_str().unwrap()).unwrap();
    let (entry_id, hold) = (id(&entry["id"]), id(&entry["reservation_id"]));
    for (sql, id) in [
        ("UPDATE waitlist_entries SET offer_expires_at = $1 WHERE id = $2", entry_id),
        ("UPDATE reservations SET expires_at = $1, max_expires_at = $1 WHERE id = $2", hold),
        ("UPDATE booking_allocations SET hold_expires_at = $1 WHERE reservation_id = $2", hold),
    ] {
        db.execute_raw(Statement::from_sql_and_values(backend, sql, [past.into(), id.into()])).await.unwrap();
    }
    db.close().await.ok();
}

#[tokio::test]
async fn a_freed_slot_is_offered_held_and_accepted() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    let (waiter, _) = app.add_member(&t, "waiter@acme.example", &["staff"]).await;
    let (other, _) = app.add_member(&t, "other@acme.example", &["staff"]).await;
    let start = hour_from_now(24 * 3).duration_trunc(Duration::days(1)).unwrap() + Duration::hours(10);
    let date = start.format("%Y-%m-%d").to_string();
    let booking = post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(start)})).await;

    // First in line, but only for the evening; then the waiter, for the morning.
    let evening = post(
        &app,
        &t.token,
        "/v1/waitlist",
        &json!({"service_template_id": tpl, "preferred_date": date,
            "preferred_time_range": {"start": "17:00", "end": "21:00"}}),
    )
    .await;
    assert_eq!(evening["status"], "waiting");
    assert_eq!(evening["position"], 1);
    let entry = post(
        &app,
        &waiter,
        "/v1/waitlist",
        &json!({"service_template_id": tpl, "preferred_date": date,
            "preferred_time_range": {"start": "09:00", "end": "12:00"}}),
    )
    .await;
    assert_eq!(entry["position"], 2);
    let path = format!("/v1/waitlist/{}", entry["id"].as_str().unwrap());
    assert_eq!(audit_count(&app, &t.token, "waitlist.joined").await, 2);

    post(&app, &t.token, &format!("/v1/bookings/{}/cancel", booking["id"].as_str().unwrap()), &json!({})).await;
    let offered = get(&app, &waiter, &path).await;
    assert_eq!(offered["status"], "offered", "{offered}");
    assert_eq!(offered["offered_start"], at(start));
    assert_eq!(offered["position"], Value::Null);
    let expires: DateTime<Utc> = offered["offer_expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires > Utc::now() + Duration::minutes(14), "a quarter of an hour to answer: {expires}");
    let log = get(&app, &t.token, "/v1/audit-log?action=waitlist.offered").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1, "{log}");
    let evening = get(&app, &t.token, &format!("/v1/waitlist/{}", evening["id"].as_str().unwrap())).await;
    assert_eq!(evening["status"], "waiting", "10:00 is not in the evening");
    assert_eq!(evening["position"], 1);

    // Held for the waiter: nobody else gets the slot, nor answers the offer.
    let res = app
        .send_as(&other, Method::POST, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(start)}))
        .await;
    assert_problem(res, 409, "slot_unavailable").await;
    let res = app.send_as(&other, Method::POST, &format!("{path}/accept"), &json!({})).await;
    assert_problem(res, 403, "forbidden").await;

    let accepted = post(&app, &waiter, &format!("{path}/accept"), &json!({})).await;
    assert_eq!(accepted["status"], "accepted");
    let booked = get(&app, &waiter, &format!("/v1/bookings/{}", accepted["booking_id"].as_str().unwrap())).await;
    assert_eq!(booked["start"], at(start));
    assert_eq!(booked["status"], "pending");
    assert_eq!(booked["booked_by"], user_id(&app, &waiter).await.as_str());
    assert_eq!(booked["reservation_id"], offered["reservation_id"]);
    assert_eq!(audit_count(&app, &t.token, "waitlist.accepted").await, 1);
    let res = app.send_as(&waiter, Method::POST, &format!("{path}/accept"), &json!({})).await;
    assert_problem(res, 409, "invalid_transition").await;
    let list = get(&app, &t.token, &format!("/v1/waitlist?service_template_id={tpl}&status=accepted")).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unanswered_offer_lapses_and_passes_to_the_next_entry() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    let (first, _) = app.add_member(&t, "first@acme.example", &["staff"]).await;
    let (second, _) = app.add_member(&t, "second@acme.example", &["staff"]).await;
    let start = hour_from_now(24 * 4);
    let date = start.format("%Y-%m-%d").to_string();
    let booking = post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(start)})).await;
    let join = json!({"service_template_id": tpl, "preferred_date": date});
    let a = post(&app, &first, "/v1/waitlist", &join).await;
    let b = post(&app, &second, "/v1/waitlist", &join).await;
    assert_eq!((a["position"].as_u64(), b["position"].as_u64()), (Some(1), Some(2)));
    let (a_path, b_path) =
        (format!("/v1/waitlist/{}", a["id"].as_str().unwrap()), format!("/v1/waitlist/{}", b["id"].as_str().unwrap()));

    post(&app, &t.token, &format!("/v1/bookings/{}/cancel", booking["id"].as_str().unwrap()), &json!({})).await;
    let a = get(&app, &first, &a_path).await;
    assert_eq!(a["status"], "offered");
    assert_eq!(get(&app, &second, &b_path).await["position"], 1, "next in line");

    let_offer_lapse(&app, &a).await;
    assert_eq!(get(&app, &first, &a_path).await["status"], "expired", "expired at once when read");
    let mut passed = Value::Null;
    for _ in 0..100 {
        passed = get(&app, &second, &b_path).await;
        if passed["status"] == "offered" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(passed["status"], "offered", "the slot passes on: {passed}");
    assert_eq!(passed["offered_start"], at(start));
    assert_eq!(audit_count(&app, &t.token, "waitlist.offer_expired").await, 1);
    assert_eq!(audit_count(&app, &t.token, "waitlist.offered").await, 2);
    let res = app.send_as(&first, Method::POST, &format!("{a_path}/accept"), &json!({})).await;
    assert_problem(res, 409, "invalid_transition").await;
    let expired = get(&app, &t.token, &format!("/v1/waitlist?status=expired&service_template_id={tpl}")).await;
    assert_eq!(expired["data"][0]["id"], a["id"]);

    // Declined: nobody is left waiting, so the slot is free for anyone.
    let declined = post(&app, &second, &format!("{b_path}/decline"), &json!({})).await;
    assert_eq!(declined["status"], "cancelled");
    assert_eq!(audit_count(&app, &t.token, "waitlist.cancelled").await, 1);
    let again = post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(start)})).await;
    assert_eq!(again["status"], "pending");
}

#[tokio::test]
async fn a_freed_slot_nobody_can_have_is_not_offered() {
    let app = spawn_app().await;
    let (t, provider, tpl) = world(&app, "acme").await;
    let (waiter, _) = app.add_member(&t, "waiter@acme.example", &["staff"]).await;
    let start = hour_from_now(24 * 3);
    let booking = post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(start)})).await;
    let entry = post(
        &app,
        &waiter,
        "/v1/waitlist",
        &json!({"service_template_id": tpl, "preferred_date": start.format("%Y-%m-%d").to_string()}),
    )
    .await;
    // The provider takes the day off after the booking was made.
    post(
        &app,
        &t.token,
        &format!("/v1/bookables/{provider}/blocked-times"),
        &json!({"start_at": at(start - Duration::hours(2)), "end_at": at(start + Duration::hours(2)), "type": "time_off"}),
    )
    .await;
    let cancelled =
        post(&app, &t.token, &format!("/v1/bookings/{}/cancel", booking["id"].as_str().unwrap()), &json!({})).await;
    assert_eq!(cancelled["status"], "cancelled", "the cancellation stands");
    let entry = get(&app, &waiter, &format!("/v1/waitlist/{}", entry["id"].as_str().unwrap())).await;
    assert_eq!(entry["status"], "waiting", "{entry}");
    assert_eq!(entry["position"], 1);
    assert_eq!(audit_count(&app, &t.token, "waitlist.offered").await, 0);
    let holds = get(&app, &t.token, "/v1/reservations").await;
    assert!(holds["data"].as_array().unwrap().is_empty(), "no hold left behind: {holds}");
}

#[tokio::test]
async fn joining_checks_its_input_and_leaving_is_final() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    let tomorrow = (Utc::now() + Duration::days(1)).format("%Y-%m-%d").to_string();
    let cases = [
        (json!({"service_template_id": tpl, "preferred_date": "2020-01-01"}), "preferred_date"),
        (
            json!({"service_template_id": tpl, "preferred_date": tomorrow,
                "preferred_time_range": {"start": "12:00", "end": "09:00"}}),
            "preferred_time_range",
        ),
        (json!({"service_template_id": uuid::Uuid::nil(), "preferred_date": tomorrow}), "service_template_id"),
        (json!({"service_template_id": tpl, "preferred_date": "tomorrow"}), "preferred_date"),
        (json!({"service_template_id": tpl, "preferred_date": tomorrow, "participants": [{}]}), "participants[0]"),
        (json!({"service_template_id": tpl, "preferred_date": tomorrow, "priority": 1}), "priority"),
    ];
    for (body, field) in cases {
        let res = app.send_as(&t.token, Method::POST, "/v1/waitlist", &body).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        let fields: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{body} → {problem}");
    }

    let entry =
        post(&app, &t.token, "/v1/waitlist", &json!({"service_template_id": tpl, "preferred_date": tomorrow})).await;
    let path = format!("/v1/waitlist/{}", entry["id"].as_str().unwrap());
    let res = app.send_as(&t.token, Method::POST, &format!("{path}/decline"), &json!({})).await;
    assert_problem(res, 409, "invalid_transition").await;
    let res = app.send_as(&t.token, Method::DELETE, &path, &json!({})).await;
    assert_eq!(res.status(), 204);
    assert_eq!(get(&app, &t.token, &path).await["status"], "cancelled");
    let res = app.send_as(&t.token, Method::DELETE, &path, &json!({})).await;
    assert_problem(res, 409, "invalid_transition").await;
    let waiting = get(&app, &t.token, "/v1/waitlist?status=waiting").await;
    assert!(waiting["data"].as_array().unwrap().is_empty());
    assert_eq!(audit_count(&app, &t.token, "waitlist.cancelled").await, 1);
}
