//! The bookings engine over real HTTP: availability, bookings and their status machine,
//! holds, refunds, household approval — and no double booking under concurrency.

use std::collections::HashMap;

use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app};

use crate::support::{at, calendar, hour_from_now, post, template, world};
use chrono::{DateTime, Duration, DurationRound, Utc};
use futures_util::StreamExt;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

async fn slots(app: &TestApp, t: &Tenant, template: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<String> {
    let path = format!(
        "/v1/availability?service_template_id={template}&from={}&to={}",
        at(from).replace('+', "%2B"),
        at(to).replace('+', "%2B")
    );
    let res = app.get_as(&t.token, &path).await;
    assert_eq!(res.status(), 200, "{path}");
    let body: Value = res.json().await.unwrap();
    body["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn book_a_slot_and_walk_the_status_machine() {
    let app = spawn_app().await;
    let (t, provider, tpl) = world(&app, "acme").await;
    let day = hour_from_now(72).duration_trunc(Duration::days(1)).unwrap() + Duration::days(1);
    let free = slots(&app, &t, &tpl, day, day + Duration::days(1)).await;
    assert_eq!(free.len(), 23, "00:00…22:00 (the last range ends 23:59): {free:?}");

    let start = day + Duration::hours(10);
    let booking = post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(start)})).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    assert_eq!(booking["status"], "pending");
    assert_eq!(booking["assigned_bookables"][0]["bookable_id"], provider.as_str());
    assert_eq!(booking["pricing_snapshot"]["total"], "100.00");
    assert_eq!(booking["participants"].as_array().unwrap().len(), 1);
    let free = slots(&app, &t, &tpl, day, day + Duration::days(1)).await;
    assert_eq!(free.len(), 22);
    assert!(!free.contains(&at(start)));

    let res = app
        .send_as(&t.token, Method::POST, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(start)}))
        .await;
    assert_problem(res, 409, "slot_unavailable").await;

    for action in ["confirm", "check-in", "complete"] {
        let res = app.send_as(&t.token, Method::POST, &format!("/v1/bookings/{id}/{action}"), &json!({})).await;
        assert_eq!(res.status(), 200, "{action}");
    }
    let res = app.send_as(&t.token, Method::POST, &format!("/v1/bookings/{id}/cancel"), &json!({})).await;
    assert_problem(res, 409, "invalid_transition").await;
    let history: Value = app.get_as(&t.token, &format!("/v1/bookings/{id}/history")).await.json().await.unwrap();
    let statuses: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["to_status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pending", "confirmed", "checked_in", "completed"]);

    let list: Value = app
        .get_as(&t.token, &format!("/v1/bookings?bookable_id={provider}&status=completed"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let list: Value = app.get_as(&t.token, "/v1/bookings?status=cancelled").await.json().await.unwrap();
    assert!(list["data"].as_array().unwrap().is_empty());
    for action in ["booking.created", "booking.confirmed", "booking.checked_in", "booking.completed"] {
        let log: Value = app.get_as(&t.token, &format!("/v1/audit-log?action={action}")).await.json().await.unwrap();
        assert_eq!(log["data"].as_array().unwrap().len(), 1, "{action}");
    }

    // Off the grid, outside hours, unknown template: clear answers.
    let res = app
        .send_as(&t.token, Method::POST, "/v1/bookings", &json!({"service_template_id": provider, "start": at(start)}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": tpl, "start": at(start - Duration::days(30))}),
        )
        .await;
    assert_problem(res, 409, "slot_unavailable").await;
}

#[tokio::test]
async fn sixty_four_clients_race_for_one_slot() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    let start = hour_from_now(24 * 5);
    let body = json!({"service_template_id": tpl, "start": at(start)});
    let results = join_all((0..64).map(|_| app.send_as(&t.token, Method::POST, "/v1/bookings", &body))).await;
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for res in results {
        let status = res.status().as_u16();
        if status == 409 {
            let problem: Value = res.json().await.unwrap();
            assert_eq!(problem["code"], "slot_unavailable");
        }
        *by_status.entry(status).or_default() += 1;
    }
    assert_eq!(by_status.get(&201), Some(&1), "{by_status:?}");
    assert_eq!(by_status.get(&409), Some(&63), "{by_status:?}");
}

#[tokio::test]
async fn cancellation_refunds_by_notice() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    for (hours, percent, amount) in [(72, "100", "100.00"), (30, "50", "50.00"), (3, "0", "0.00")] {
        let b = post(
            &app,
            &t.token,
            "/v1/bookings",
            &json!({"service_template_id": tpl, "start": at(hour_from_now(hours))}),
        )
        .await;
        let res = app
            .send_as(
                &t.token,
                Method::POST,
                &format!("/v1/bookings/{}/cancel", b["id"].as_str().unwrap()),
                &json!({"reason": "ill"}),
            )
            .await;
        let cancelled: Value = res.json().await.unwrap();
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(cancelled["refund_percent"], percent, "{hours} h before");
        assert_eq!(cancelled["refund_amount"], amount, "{hours} h before");
        assert_eq!(cancelled["cancellation_reason"], "ill");
        // The slot is free again.
        let again =
            post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": cancelled["start"]}))
                .await;
        assert_eq!(again["status"], "pending");
    }
}

#[tokio::test]
async fn a_hold_blocks_others_and_lets_its_holder_book() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    let (staff, _) = app.add_member(&t, "desk@acme.example", &["staff"]).await;
    let start = hour_from_now(24 * 3);
    let hold = post(&app, &t.token, "/v1/reservations", &json!({"service_template_id": tpl, "start": at(start)})).await;
    assert_eq!(hold["status"], "active");
    let day = start.duration_trunc(Duration::days(1)).unwrap();
    assert!(!slots(&app, &t, &tpl, day, day + Duration::days(1)).await.contains(&at(start)), "held: not offered");
    let res = app
        .send_as(&staff, Method::POST, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(start)}))
        .await;
    assert_problem(res, 409, "slot_unavailable").await;
    let res = app
        .send_as(
            &staff,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": tpl, "start": at(start), "reservation_id": hold["id"]}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let booking = post(
        &app,
        &t.token,
        "/v1/bookings",
        &json!({"service_template_id": tpl, "start": at(start), "reservation_id": hold["id"]}),
    )
    .await;
    assert_eq!(booking["reservation_id"], hold["id"]);
    let hold: Value =
        app.get_as(&t.token, &format!("/v1/reservations/{}", hold["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(hold["status"], "converted");
    assert_eq!(hold["booking_id"], booking["id"]);
}

#[tokio::test]
async fn an_expired_hold_frees_its_slot_and_says_so() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    let start = hour_from_now(24 * 3);
    let hold = post(&app, &t.token, "/v1/reservations", &json!({"service_template_id": tpl, "start": at(start)})).await;
    let path = format!("/v1/reservations/{}", hold["id"].as_str().unwrap());
    // Extensions stop at the template's maximum (2 minutes).
    let extended = post(&app, &t.token, &format!("{path}/extend"), &json!({"minutes": 5})).await;
    assert_eq!(extended["expires_at"], extended["max_expires_at"]);
    assert_problem(app.send_as(&t.token, Method::POST, &format!("{path}/extend"), &json!({})).await, 409, "conflict")
        .await;
    // Released early instead of waiting two minutes; then a new one-minute hold expires for real.
    post(&app, &t.token, &format!("{path}/release"), &json!({})).await;
    let hold = post(&app, &t.token, "/v1/reservations", &json!({"service_template_id": tpl, "start": at(start)})).await;
    let expires: DateTime<Utc> = hold["expires_at"].as_str().unwrap().parse().unwrap();
    tokio::time::sleep((expires - Utc::now()).to_std().unwrap_or_default() + std::time::Duration::from_millis(200))
        .await;
    let day = start.duration_trunc(Duration::days(1)).unwrap();
    assert!(slots(&app, &t, &tpl, day, day + Duration::days(1)).await.contains(&at(start)), "offered again at once");
    let mut expired = false;
    for _ in 0..50 {
        let log: Value = app.get_as(&t.token, "/v1/audit-log?action=reservation.expired").await.json().await.unwrap();
        if !log["data"].as_array().unwrap().is_empty() {
            expired = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(expired, "reservation.expired is emitted");
    let b = post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(start)})).await;
    assert_eq!(b["status"], "pending");
}

#[tokio::test]
async fn household_rules_decide_who_books_whom() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    let (teen_token, _) = app.add_member(&t, "teen@acme.example", &["staff"]).await;
    let teen_user: Value = app.get_as(&teen_token, "/v1/me").await.json().await.unwrap();
    let household = post(&app, &t.token, "/v1/households", &json!({"name": "Smiths", "type": "family"})).await;
    let hid = household["id"].as_str().unwrap();
    let parent = household["primary_contact_id"].as_str().unwrap().to_owned();
    let teen = post(
        &app,
        &t.token,
        &format!("/v1/households/{hid}/members"),
        &json!({"user_id": teen_user["user"]["id"], "role": "adult", "approval_required_for": "all"}),
    )
    .await;
    // The teen books for themself: a primary member must approve.
    let body = json!({"service_template_id": tpl, "start": at(hour_from_now(50)), "household_id": hid,
        "participants": [{"household_member_id": teen["id"]}]});
    let b = post(&app, &teen_token, "/v1/bookings", &body).await;
    assert_eq!(b["status"], "pending_approval");
    let path = format!("/v1/bookings/{}", b["id"].as_str().unwrap());
    assert_problem(
        app.send_as(&teen_token, Method::POST, &format!("{path}/approve"), &json!({})).await,
        403,
        "forbidden",
    )
    .await;
    let approved = post(&app, &t.token, &format!("{path}/approve"), &json!({})).await;
    assert_eq!(approved["status"], "pending");
    // Without can_book_for_others the teen may not book the parent.
    let body = json!({"service_template_id": tpl, "start": at(hour_from_now(51)), "household_id": hid,
        "participants": [{"household_member_id": parent}]});
    assert_problem(app.send_as(&teen_token, Method::POST, "/v1/bookings", &body).await, 403, "forbidden").await;
}

/// xorshift: a repeatable random sequence without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// 10,000 random creates, cancels, holds and releases, 32 at a time, over 10 providers
/// (capacity 1) and 10 venues (capacity 2) and six hours; then a self-join over the
/// allocations finds no instant where a bookable carries more than its capacity.
#[tokio::test]
async fn a_random_mixed_run_never_exceeds_capacity() {
    let app = atrium_tests::spawn_app_with(
        |c| c.signup_rate_limit_per_minute = 1_000_000,
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await;
    let t = app.signup("acme").await;
    app.enable_all_plugins(&t).await;
    let mut bookables = Vec::new();
    for i in 0..10 {
        let p = json!({"type": "provider", "name": format!("P{i}"), "email": format!("p{i}@x.example"), "calendar": calendar()});
        bookables.push((post(&app, &t.token, "/v1/bookables", &p).await["id"].as_str().unwrap().to_owned(), 1));
        let v = json!({"type": "venue", "name": format!("V{i}"), "capacity": {"max": 10}, "calendar": calendar(),
            "allow_simultaneous_bookings": true, "max_simultaneous_bookings": 2});
        bookables.push((post(&app, &t.token, "/v1/bookables", &v).await["id"].as_str().unwrap().to_owned(), 2));
    }
    let mut templates = HashMap::new();
    for kind in ["provider", "venue"] {
        let body = template(
            json!({"bookable_type": kind}),
            json!({"name": kind, "reservation": {"enabled": true,
            "hold_duration_minutes": 60, "max_hold_minutes": 120}}),
        );
        templates.insert(
            kind,
            post(&app, &t.token, "/v1/service-templates", &body).await["id"].as_str().unwrap().to_owned(),
        );
    }
    let base = hour_from_now(24 * 7);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let ops: Vec<(u64, usize, i64)> =
        (0..10_000).map(|_| (rng.below(100), rng.below(20) as usize, rng.below(6) as i64)).collect();
    let made = std::sync::Mutex::new(Vec::<(String, String)>::new());
    let statuses = std::sync::Mutex::new(HashMap::<u16, usize>::new());
    let run = ops.iter().map(|(op, b, hour)| {
        let (app, t, made, statuses) = (&app, &t, &made, &statuses);
        let (bookable, capacity) = &bookables[*b];
        let template = &templates[if *capacity == 1 { "provider" } else { "venue" }];
        let start = at(base + Duration::hours(*hour));
        async move {
            let earlier = { made.lock().unwrap().get(*op as usize % 997).cloned() };
            let res = match (op, earlier) {
                (0..=19, Some((kind, id))) => {
                    let action = if kind == "booking" { "cancel" } else { "release" };
                    let path =
                        format!("/v1/{}s/{id}/{action}", if kind == "booking" { "booking" } else { "reservation" });
                    app.send_as(&t.token, Method::POST, &path, &json!({})).await
                }
                (20..=44, _) => {
                    let body = json!({"service_template_id": template, "start": start, "bookable_ids": [[bookable]]});
                    app.send_as(&t.token, Method::POST, "/v1/reservations", &body).await
                }
                _ => {
                    let body = json!({"service_template_id": template, "start": start, "bookable_ids": [[bookable]]});
                    app.send_as(&t.token, Method::POST, "/v1/bookings", &body).await
                }
            };
            let status = res.status().as_u16();
            let path = res.url().path().to_owned();
            *statuses.lock().unwrap().entry(status).or_default() += 1;
            if status == 201 {
                let body: Value = res.json().await.unwrap();
                let kind = if path.contains("reservations") { "reservation" } else { "booking" };
                made.lock().unwrap().push((kind.to_owned(), body["id"].as_str().unwrap().to_owned()));
            }
        }
    });
    futures_util::stream::iter(run).buffer_unordered(32).collect::<Vec<_>>().await;
    let statuses = statuses.into_inner().unwrap();
    assert!(statuses.keys().all(|s| [200, 201, 409].contains(s)), "only successes and 409s: {statuses:?}");
    assert!(statuses.get(&201).copied().unwrap_or(0) > 100, "{statuses:?}");

    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let sql = "SELECT a.bookable_id AS bookable, COUNT(*) AS n
                 FROM booking_allocations a JOIN booking_allocations b
                   ON b.tenant_id = a.tenant_id AND b.bookable_id = a.bookable_id
                  AND b.busy_start <= a.busy_start AND a.busy_start < b.busy_end
                WHERE a.active AND b.active
                GROUP BY a.tenant_id, a.bookable_id, a.id";
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    let capacity: HashMap<String, i64> = bookables.iter().map(|(id, c)| (id.clone(), *c)).collect();
    let mut checked = 0;
    for row in rows {
        let bookable: uuid::Uuid = row.try_get("", "bookable").unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        assert!(n <= capacity[&bookable.to_string()], "{bookable} carries {n} at once");
        checked += 1;
    }
    assert!(checked > 100, "{checked} allocations checked");
}

/// A multi-day service books a stay: check-in during opening hours, the nights occupied.
#[tokio::test]
async fn a_stay_spans_its_nights() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    app.enable_all_plugins(&t).await;
    let hours = json!([{"start": "15:00", "end": "18:00"}]);
    let cabin = post(
        &app,
        &t.token,
        "/v1/bookables",
        &json!({"type": "venue", "name": "Cabin", "capacity": {"max": 4}, "calendar": {"timezone": "UTC",
            "slot_duration_minutes": 60, "slot_interval_minutes": 60, "max_advance_days": 365,
            "weekly_schedule": {"monday": hours, "tuesday": hours, "wednesday": hours, "thursday": hours,
                "friday": hours, "saturday": hours, "sunday": hours}}}),
    )
    .await;
    let tpl = post(
        &app,
        &t.token,
        "/v1/service-templates",
        &template(
            json!({"bookable_type": "venue", "specific_bookable_id": cabin["id"]}),
            json!({"type": "multi_day", "duration": {"type": "multi_day", "min_nights": 1, "max_nights": 7}}),
        ),
    )
    .await;
    let day = (Utc::now() + Duration::days(10)).duration_trunc(Duration::days(1)).unwrap();
    let start = at(day + Duration::hours(15));
    let stay =
        post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl["id"], "start": start, "nights": 2}))
            .await;
    assert_eq!(stay["duration_minutes"], 2 * 24 * 60);
    // The next day's check-in falls inside the stay.
    let next = at(day + Duration::days(1) + Duration::hours(16));
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": tpl["id"], "start": next, "nights": 1}),
        )
        .await;
    assert_problem(res, 409, "slot_unavailable").await;
    let after = at(day + Duration::days(2) + Duration::hours(15));
    post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl["id"], "start": after, "nights": 1})).await;
}

/// The engine locks only what a booking occupies: with three providers able to serve a
/// slot, 48 clients that name none get exactly three bookings, one per provider (a client
/// whose pick was taken first picks again); clients naming different providers all win.
#[tokio::test]
async fn forty_eight_clients_share_three_providers_exactly() {
    let app = spawn_app().await;
    let t = app.signup("trio").await;
    app.enable_all_plugins(&t).await;
    let mut providers = Vec::new();
    for name in ["Ana", "Bo", "Cy"] {
        let body = json!({"type": "provider", "name": name, "email": format!("{name}@trio.example"), "tags": ["trio"],
            "calendar": calendar()});
        providers.push(post(&app, &t.token, "/v1/bookables", &body).await["id"].as_str().unwrap().to_owned());
    }
    let tpl = post(
        &app,
        &t.token,
        "/v1/service-templates",
        &template(
            json!({"bookable_type": "provider",
        "criteria": {"tags": ["trio"]}}),
            json!({}),
        ),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let start = hour_from_now(24 * 3);
    let body = json!({"service_template_id": tpl, "start": at(start)});
    let results = join_all((0..48).map(|_| app.send_as(&t.token, Method::POST, "/v1/bookings", &body))).await;
    let mut won = Vec::new();
    for res in results {
        match res.status().as_u16() {
            201 => won.push(res.json::<Value>().await.unwrap()),
            409 => assert_eq!(res.json::<Value>().await.unwrap()["code"], "slot_unavailable"),
            other => panic!("{other}: {}", res.text().await.unwrap()),
        }
    }
    assert_eq!(won.len(), 3, "{won:?}");
    let mut used: Vec<String> = won.iter().map(|b| b.to_string()).collect();
    used.retain(|b| providers.iter().any(|p| b.contains(p.as_str())));
    assert_eq!(used.len(), 3, "each booking names one of the providers");
    for p in &providers {
        assert_eq!(won.iter().filter(|b| b.to_string().contains(p.as_str())).count(), 1, "{p} booked once");
    }
    // Naming a provider each, at another hour, every client wins.
    let later = start + Duration::hours(2);
    let bodies: Vec<Value> = providers
        .iter()
        .map(|p| json!({"service_template_id": tpl, "start": at(later), "bookable_ids": [[p]]}))
        .collect();
    let named = bodies
        .iter()
        .map(|body| async { app.send_as(&t.token, Method::POST, "/v1/bookings", body).await.status().as_u16() });
    assert_eq!(join_all(named).await, [201, 201, 201]);
}
