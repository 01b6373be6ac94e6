//! Package credits on bookings (the packages issue, points 3 and 4): a credit is taken in
//! the booking's own transaction (50 bookings racing for the last credit — one wins, 49
//! get 409 `no_credit_left`, from one server or two on one database), a booking that fails
//! leaves no debit, the automatic choice follows its one order, an unpaid purchase redeems
//! nothing, and a cancel or a no-show writes its outcome once: `returned` inside the refund
//! window, `forfeited` (or a fee) late, `forfeited` for a no-show.

use std::collections::HashMap;

use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app, spawn_app_with};
use chrono::{DateTime, Duration, DurationRound, Utc};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{at, calendar, get, hour_from_now, post, template};

struct Spa {
    t: Tenant,
    /// A massage (100.00 USD, refund tiers 48 h → 100 %, 24 h → 50 %).
    tpl: String,
    /// A consultation.
    tpl2: String,
    ann: String,
    bob: String,
}

async fn spa(app: &TestApp, slug: &str) -> Spa {
    let t = app.signup(slug).await;
    app.enable_all_plugins(&t).await;
    let provider = post(
        app,
        &t.token,
        "/v1/bookables",
        &json!({"type": "provider", "name": "Ana", "email": "ana@x.example", "calendar": calendar()}),
    )
    .await;
    let req = json!({"bookable_type": "provider", "specific_bookable_id": provider["id"]});
    let tpl = post(app, &t.token, "/v1/service-templates", &template(req.clone(), json!({"name": "Massage"}))).await;
    let tpl2 = post(app, &t.token, "/v1/service-templates", &template(req, json!({"name": "Consultation"}))).await;
    let (ann_token, _) = app.add_member(&t, &format!("ann@{slug}.example"), &["customer"]).await;
    let (bob_token, _) = app.add_member(&t, &format!("bob@{slug}.example"), &["customer"]).await;
    Spa {
        tpl: tpl["id"].as_str().unwrap().to_owned(),
        tpl2: tpl2["id"].as_str().unwrap().to_owned(),
        ann: app.user_id_of(&ann_token).await,
        bob: app.user_id_of(&bob_token).await,
        t,
    }
}

/// An active package of `quantity` massages (list 60.00), with `extra` fields.
async fn package(app: &TestApp, s: &Spa, quantity: i64, extra: Value) -> String {
    let mut p = json!({"name": "Massages", "status": "active",
        "items": [{"service_template_id": s.tpl, "quantity": quantity, "list_price": "60.00"}],
        "price": "250.00", "use_within_days": 365});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    post(app, &s.t.token, "/v1/packages", &p).await["id"].as_str().unwrap().to_owned()
}

async fn sell(app: &TestApp, s: &Spa, package: &str, purchaser: &str, extra: Value) -> String {
    let mut body = json!({"package_id": package, "purchaser_id": purchaser});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    post(app, &s.t.token, "/v1/package-purchases", &body).await["id"].as_str().unwrap().to_owned()
}

/// 10:00 UTC on the `n`th day after tomorrow: a free slot per booking.
fn slot(n: i64) -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::days(1)).unwrap() + Duration::days(2 + n) + Duration::hours(10)
}

/// Ann's massage at `start`, booked by the desk, with the packages fields `credit`.
async fn book(app: &TestApp, s: &Spa, start: DateTime<Utc>, credit: Value) -> reqwest::Response {
    let mut body = json!({"service_template_id": s.tpl, "start": at(start), "participants": [{"user_id": s.ann}]});
    for (k, v) in credit.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.send_as(&s.t.token, Method::POST, "/v1/bookings", &body).await
}

async fn act(app: &TestApp, s: &Spa, booking: &str, action: &str) -> reqwest::Response {
    app.send_as(&s.t.token, Method::POST, &format!("/v1/bookings/{booking}/{action}"), &json!({})).await
}

async fn ledger(app: &TestApp, s: &Spa, purchase: &str) -> Vec<Value> {
    get(app, &s.t.token, &format!("/v1/package-purchases/{purchase}/entries?limit=200")).await["data"]
        .as_array()
        .unwrap()
        .clone()
}

fn kinds(ledger: &[Value]) -> Vec<&str> {
    ledger.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// The purchase's first item: its balance, checked never below 0 and equal to Σ of its
/// ledger.
async fn balance(app: &TestApp, s: &Spa, purchase: &str) -> i64 {
    let view = get(app, &s.t.token, &format!("/v1/package-purchases/{purchase}")).await;
    let entries = ledger(app, s, purchase).await;
    let item = &view["items"][0];
    let sum: i64 = entries.iter().filter(|e| e["item_no"] == 1).map(|e| e["delta"].as_i64().unwrap()).sum();
    let b = item["balance"].as_i64().unwrap();
    assert!(b >= 0);
    assert_eq!(b, sum, "the balance is its ledger's sum: {entries:?}");
    b
}

async fn no_drift(app: &TestApp) {
    let db = sea_orm::Database::connect(app.database_url.as_str()).await.unwrap();
    let (_, drift) = atrium_packages::commands::verify_all(&db).await.unwrap();
    assert!(drift.is_empty(), "{drift:?}");
}

/// 50 bookings at once, each its own slot, against one credit, spread over `apps`: one
/// 201, 49 × 409 `no_credit_left`, no 5xx; the balance 0, its ledger's sum.
async fn race_for_the_last_credit(apps: &[&TestApp]) {
    let a = apps[0];
    let s = spa(a, "spa").await;
    let pkg = package(a, &s, 1, json!({})).await;
    let purchase = sell(a, &s, &pkg, &s.ann, json!({})).await;
    let results = join_all((0..50).map(|i| {
        let app = apps[i % apps.len()];
        // Half name the purchase, half let it be chosen.
        let credit = if i % 2 == 0 { json!({"package_purchase_id": purchase}) } else { json!({"use_packages": true}) };
        let s = &s;
        async move {
            let res = book(app, s, slot(i as i64), credit).await;
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    }))
    .await;
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for (status, body) in &results {
        assert!(*status < 500, "{status} {body}");
        if *status == 409 {
            assert_eq!(body["code"], "no_credit_left", "{body}");
        }
        *by_status.entry(*status).or_default() += 1;
    }
    assert_eq!((by_status.get(&201), by_status.get(&409)), (Some(&1), Some(&49)), "{by_status:?}");
    assert_eq!(balance(a, &s, &purchase).await, 0);
    assert_eq!(kinds(&ledger(a, &s, &purchase).await), ["granted", "redeemed"]);
    let bookings = get(a, &s.t.token, "/v1/bookings?limit=100").await;
    assert_eq!(bookings["data"].as_array().unwrap().len(), 1, "the losers booked nothing");
    no_drift(a).await;
}

#[tokio::test]
async fn fifty_concurrent_bookings_take_the_last_credit_once() {
    let app = spawn_app().await;
    race_for_the_last_credit(&[&app]).await;
}

#[tokio::test]
async fn fifty_concurrent_bookings_from_two_instances_take_the_last_credit_once() {
    let a = spawn_app_with(|_| {}, atrium_server::PluginRegistry::compiled().unwrap()).await;
    let b = a.spawn_sibling_with(|_| {}, atrium_server::PluginRegistry::compiled().unwrap()).await;
    race_for_the_last_credit(&[&a, &b]).await;
}

#[tokio::test]
async fn a_credit_shows_in_the_pricing_snapshot_and_is_audited() {
    let app = spawn_app().await;
    let s = spa(&app, "spa").await;
    let pkg = package(&app, &s, 4, json!({})).await;
    let purchase = sell(&app, &s, &pkg, &s.ann, json!({})).await;
    let res = book(&app, &s, slot(0), json!({"package_purchase_id": purchase})).await;
    assert_eq!(res.status(), 201);
    let b: Value = res.json().await.unwrap();
    let snapshot = &b["pricing_snapshot"];
    let line = &snapshot["lines"][0];
    assert_eq!((line["source"].as_str(), line["kind"].as_str()), (Some("packages"), Some("package_credit")));
    assert_eq!((line["amount"].as_str(), line["currency"].as_str()), (Some("-100.00"), Some("USD")));
    // 250.00 for four sessions at the same list price: 62.50 each, in the package's currency.
    let credit = &line["credit"];
    assert_eq!(credit["purchase_id"], purchase.as_str());
    assert_eq!((credit["item_no"].as_i64(), credit["unit_value"].as_str()), (Some(1), Some("62.50")));
    assert_eq!(credit["currency"], "EUR");
    assert_eq!(snapshot["total"], "0.00", "the credit stands in for the price");
    let entries = ledger(&app, &s, &purchase).await;
    let redeemed = entries.iter().find(|e| e["type"] == "redeemed").unwrap();
    assert_eq!(credit["entry_id"], redeemed["id"]);
    assert_eq!((&redeemed["booking_id"], &redeemed["beneficiary_id"]), (&b["id"], &json!(s.ann)));
    assert_eq!(redeemed["policy"], "redeem:named");
    assert_eq!(balance(&app, &s, &purchase).await, 3);
    let log = get(&app, &s.t.token, "/v1/audit-log?action=package_credit.redeemed").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1, "{log}");
    // Both fields at once is a 422; a purchase of someone else's too.
    let both = book(&app, &s, slot(1), json!({"package_purchase_id": purchase, "use_packages": true})).await;
    assert_problem(both, 422, "validation_failed").await;
    let bobs = sell(&app, &s, &pkg, &s.bob, json!({})).await;
    let res = book(&app, &s, slot(1), json!({"package_purchase_id": bobs})).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "package_purchase_id");
    // A hold does not take package fields.
    let res = app
        .send_as(
            &s.t.token,
            Method::POST,
            "/v1/reservations",
            &json!({"service_template_id": s.tpl, "start": at(slot(2)), "use_packages": true}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn a_booking_that_fails_after_choosing_a_credit_leaves_no_debit() {
    let app = spawn_app().await;
    let s = spa(&app, "spa").await;
    let pkg = package(&app, &s, 2, json!({})).await;
    let purchase = sell(&app, &s, &pkg, &s.ann, json!({})).await;
    // The slot is taken: 409 `slot_unavailable`, no debit.
    let first = book(&app, &s, slot(0), json!({})).await;
    assert_eq!(first.status(), 201);
    let taken = book(&app, &s, slot(0), json!({"package_purchase_id": purchase})).await;
    assert_problem(taken, 409, "slot_unavailable").await;
    assert_eq!(kinds(&ledger(&app, &s, &purchase).await), ["granted"]);

    // The credit is taken first (the packages extension runs before the products one), then
    // the products fail: 409 `insufficient_stock`, and the credit's debit is rolled back.
    let product = post(
        &app,
        &s.t.token,
        "/v1/products",
        &json!({"sku": "OIL", "name": "Oil", "type": "physical", "price": "9.00", "currency": "USD",
            "fulfillment": ["at_booking"]}),
    )
    .await;
    let products = json!([{"product_id": product["id"], "quantity": 1}]);
    let empty_pkg = package(&app, &s, 1, json!({"name": "One"})).await;
    let empty = sell(&app, &s, &empty_pkg, &s.bob, json!({})).await;
    let res = app
        .send_as(
            &s.t.token,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": s.tpl, "start": at(slot(1)), "participants": [{"user_id": s.bob}],
                "package_purchase_id": empty}),
        )
        .await;
    assert_eq!(res.status(), 201, "bob's one credit is used up");
    let res = app
        .send_as(
            &s.t.token,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": s.tpl, "start": at(slot(2)), "participants": [{"user_id": s.bob}],
                "package_purchase_id": empty, "products": products}),
        )
        .await;
    assert_problem(res, 409, "no_credit_left").await;
    for (credit, slot_no) in [(json!({"package_purchase_id": purchase}), 3), (json!({"use_packages": true}), 4)] {
        let mut c = credit.clone();
        c["products"] = products.clone();
        let res = book(&app, &s, slot(slot_no), c).await;
        assert_problem(res, 409, "insufficient_stock").await;
    }
    assert_eq!(kinds(&ledger(&app, &s, &purchase).await), ["granted"]);
    assert_eq!(balance(&app, &s, &purchase).await, 2);
    no_drift(&app).await;
}

#[tokio::test]
async fn a_cancel_inside_the_window_returns_the_credit_once_even_when_sent_twice_at_once() {
    let app = spawn_app().await;
    let s = spa(&app, "spa").await;
    let pkg = package(&app, &s, 3, json!({})).await;
    let purchase = sell(&app, &s, &pkg, &s.ann, json!({})).await;
    for (hours, tier) in [(72, "48h"), (30, "24h")] {
        let res = book(&app, &s, hour_from_now(hours), json!({"use_packages": true})).await;
        assert_eq!(res.status(), 201);
        let b: Value = res.json().await.unwrap();
        let id = b["id"].as_str().unwrap().to_owned();
        assert_eq!(balance(&app, &s, &purchase).await, 2);
        let results = join_all((0..2).map(|_| act(&app, &s, &id, "cancel"))).await;
        let mut statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
        statuses.sort();
        assert_eq!(statuses, [200, 409], "one cancel wins, the other finds it cancelled");
        // Retried afterwards: refused, nothing written again.
        assert_problem(act(&app, &s, &id, "cancel").await, 409, "invalid_transition").await;
        let entries = ledger(&app, &s, &purchase).await;
        let returned: Vec<&Value> =
            entries.iter().filter(|e| e["type"] == "returned" && e["booking_id"] == id.as_str()).collect();
        assert_eq!(returned.len(), 1, "{entries:?}");
        let redemption = entries.iter().find(|e| e["type"] == "redeemed" && e["booking_id"] == id.as_str()).unwrap();
        assert_eq!(returned[0]["linked_entry_id"], redemption["id"]);
        assert_eq!(returned[0]["policy"], format!("cancel:refund_window:{tier}"));
        assert_eq!(balance(&app, &s, &purchase).await, 3);
    }
    let log = get(&app, &s.t.token, "/v1/audit-log?action=package_credit.returned").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 2);
    no_drift(&app).await;
}

#[tokio::test]
async fn a_late_cancel_forfeits_or_charges_the_fee_and_a_no_show_forfeits() {
    let app = spawn_app().await;
    let s = spa(&app, "spa").await;
    let forfeit = sell(&app, &s, &package(&app, &s, 3, json!({})).await, &s.ann, json!({})).await;
    let fee_pkg =
        package(&app, &s, 3, json!({"name": "With a fee", "late_cancel": "fee", "late_cancel_fee": "15.00"})).await;
    let fee = sell(&app, &s, &fee_pkg, &s.ann, json!({})).await;

    // Three hours ahead: no refund tier is reached, so the cancel is late.
    let b: Value =
        book(&app, &s, hour_from_now(3), json!({"package_purchase_id": forfeit})).await.json().await.unwrap();
    assert_eq!(act(&app, &s, b["id"].as_str().unwrap(), "cancel").await.status(), 200);
    let entries = ledger(&app, &s, &forfeit).await;
    assert_eq!(kinds(&entries), ["granted", "redeemed", "forfeited"]);
    let last = entries.last().unwrap();
    assert_eq!((last["policy"].as_str(), last["delta"].as_i64()), (Some("cancel:late:forfeit"), Some(0)));
    assert_eq!(last["linked_entry_id"], entries[1]["id"]);
    assert_eq!(balance(&app, &s, &forfeit).await, 2, "the credit stays used");

    let b: Value = book(&app, &s, hour_from_now(4), json!({"package_purchase_id": fee})).await.json().await.unwrap();
    assert_eq!(act(&app, &s, b["id"].as_str().unwrap(), "cancel").await.status(), 200);
    let entries = ledger(&app, &s, &fee).await;
    assert_eq!(kinds(&entries), ["granted", "redeemed", "returned"]);
    let last = entries.last().unwrap();
    assert_eq!((last["policy"].as_str(), last["amount"].as_str()), (Some("cancel:late:fee"), Some("15.00")));
    assert_eq!(balance(&app, &s, &fee).await, 3, "returned, with the fee recorded");

    // A no-show forfeits, whatever the package's late-cancel rule.
    for (i, purchase) in [&forfeit, &fee].into_iter().enumerate() {
        let start = hour_from_now(100 + i as i64);
        let b: Value = book(&app, &s, start, json!({"package_purchase_id": purchase})).await.json().await.unwrap();
        let id = b["id"].as_str().unwrap();
        assert_eq!(act(&app, &s, id, "confirm").await.status(), 200);
        assert_eq!(act(&app, &s, id, "no-show").await.status(), 200);
        let entries = ledger(&app, &s, purchase).await;
        let last = entries.last().unwrap();
        assert_eq!((last["type"].as_str(), last["policy"].as_str()), (Some("forfeited"), Some("no_show:forfeit")));
        assert_eq!(last["booking_id"], id);
    }
    assert_eq!((balance(&app, &s, &forfeit).await, balance(&app, &s, &fee).await), (1, 2));
    let log = get(&app, &s.t.token, "/v1/audit-log?action=package_credit.forfeited").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 3);
    no_drift(&app).await;
}

#[tokio::test]
async fn the_automatic_choice_follows_eligibility_then_expiry_then_unit_value_then_age() {
    let app = spawn_app().await;
    let s = spa(&app, "spa").await;
    let location =
        post(&app, &s.t.token, "/v1/locations", &json!({"name": "Uptown", "type": "virtual", "timezone": "UTC"})).await;
    let until = |days: i64| json!({"use_within_days": null, "valid_until": at(Utc::now() + Duration::days(days))});
    let with = |base: Value, extra: Value| {
        let mut v = base;
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let one = |price: &str, extra: Value| with(json!({"name": format!("One at {price}"), "price": price}), extra);
    let excluded_day = slot(0).date_naive().to_string();
    // Sold in this order (so oldest first), one session each.
    let plan: Vec<(&str, Value, Value)> = vec![
        // Soonest of all, but only at another location.
        ("elsewhere", one("10.00", until(5)), json!({"allowed_location_ids": [location["id"]]})),
        // Soonest eligible — except on slot 0's day.
        ("excluded", one("90.00", until(50)), json!({"excluded_dates": [excluded_day]})),
        ("soon", one("90.00", until(100)), json!({})),
        ("cheap_old", one("40.00", until(200)), json!({})),
        ("cheap_new", one("40.00", until(200)), json!({})),
        ("pricey", one("50.00", until(200)), json!({})),
        ("latest", one("1.00", until(300)), json!({})),
    ];
    let mut ids = HashMap::new();
    for (name, body, item_extra) in &plan {
        let mut item = json!({"service_template_id": s.tpl, "quantity": 1, "list_price": "60.00"});
        for (k, v) in item_extra.as_object().unwrap() {
            item[k] = v.clone();
        }
        let pkg = package(&app, &s, 1, with(body.clone(), json!({"items": [item]}))).await;
        ids.insert(sell(&app, &s, &pkg, &s.ann, json!({})).await, *name);
    }
    // Never chosen: another service's, an unpaid one, another customer's.
    let consult = json!({"items": [{"service_template_id": s.tpl2, "quantity": 1, "list_price": "60.00"}]});
    let consult = package(&app, &s, 1, with(until(1), consult)).await;
    sell(&app, &s, &consult, &s.ann, json!({})).await;
    let unpaid = package(&app, &s, 1, with(until(2), json!({"name": "Unpaid"}))).await;
    sell(&app, &s, &unpaid, &s.ann, json!({"payment_status": "pending_payment"})).await;
    let bobs = package(&app, &s, 1, with(until(3), json!({"name": "Bob's"}))).await;
    sell(&app, &s, &bobs, &s.bob, json!({})).await;

    let mut chosen = Vec::new();
    for n in 0..7 {
        let res = book(&app, &s, slot(n), json!({"use_packages": true})).await;
        if res.status() == 409 {
            let problem: Value = res.json().await.unwrap();
            assert_eq!(problem["code"], "no_credit_left");
            chosen.push("none");
            continue;
        }
        assert_eq!(res.status(), 201);
        let b: Value = res.json().await.unwrap();
        let purchase = b["pricing_snapshot"]["lines"][0]["credit"]["purchase_id"].as_str().unwrap().to_owned();
        chosen.push(ids[&purchase]);
    }
    assert_eq!(chosen, ["soon", "excluded", "cheap_old", "cheap_new", "pricey", "latest", "none"]);
}

#[tokio::test]
async fn an_unpaid_purchase_redeems_nothing_until_paid() {
    let app = spawn_app().await;
    let s = spa(&app, "spa").await;
    let pkg = package(&app, &s, 2, json!({})).await;
    let purchase = sell(&app, &s, &pkg, &s.ann, json!({"payment_status": "pending_payment"})).await;
    for credit in [json!({"package_purchase_id": purchase}), json!({"use_packages": true})] {
        let problem = assert_problem(book(&app, &s, slot(0), credit).await, 409, "no_credit_left").await;
        assert!(problem["detail"].as_str().is_some(), "{problem}");
    }
    assert_eq!(kinds(&ledger(&app, &s, &purchase).await), ["granted"]);
    let res = app.send_as(&s.t.token, Method::POST, &format!("/v1/package-purchases/{purchase}/pay"), &json!({})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(book(&app, &s, slot(0), json!({"package_purchase_id": purchase})).await.status(), 201);
    assert_eq!(balance(&app, &s, &purchase).await, 1);
}
