//! The packages plugin: the catalog, sales with their credit ledger (granted entries and a
//! balance row per item that the database keeps at or above zero), payment, expiry at
//! read time and by the job, extension as linked entry pairs, transfer as paired
//! out/in entries, refund quotes and refunds, idempotent sales, and a random run of
//! 2,000 operations (bookings paid with credits and their cancels among them) after which
//! every balance equals the sum of its ledger.

use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app, spawn_app_with};
use chrono::{Duration, DurationRound, Utc};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{at, get, post, template};

struct Shop {
    t: Tenant,
    tpl: String,
    tpl2: String,
}

async fn shop(app: &TestApp, slug: &str) -> Shop {
    let t = app.signup(slug).await;
    app.enable_all_plugins(&t).await;
    let provider = post(
        app,
        &t.token,
        "/v1/bookables",
        &json!({"type": "provider", "name": "Ana", "email": "ana@x.example", "calendar": crate::support::calendar()}),
    )
    .await;
    let req = json!({"bookable_type": "provider", "specific_bookable_id": provider["id"]});
    let tpl = post(app, &t.token, "/v1/service-templates", &template(req.clone(), json!({"name": "Massage"}))).await;
    let tpl2 = post(app, &t.token, "/v1/service-templates", &template(req, json!({"name": "Consultation"}))).await;
    Shop { t, tpl: tpl["id"].as_str().unwrap().to_owned(), tpl2: tpl2["id"].as_str().unwrap().to_owned() }
}

/// Ten massages (list 60.00) and one consultation (list 50.00) for 500.00.
fn bundle(s: &Shop, extra: Value) -> Value {
    let mut p = json!({"name": "Ten massages + consultation", "status": "active",
        "items": [{"service_template_id": s.tpl, "quantity": 10, "list_price": "60.00"},
                  {"service_template_id": s.tpl2, "quantity": 1, "list_price": "50.00"}],
        "price": "500.00", "use_within_days": 365, "transferable": true});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

async fn customer(app: &TestApp, t: &Tenant, email: &str) -> (String, String) {
    let (token, _) = app.add_member(t, email, &["customer"]).await;
    let id = app.user_id_of(&token).await;
    (token, id)
}

async fn sell(app: &TestApp, s: &Shop, package: &str, purchaser: &str, extra: Value) -> Value {
    let mut body = json!({"package_id": package, "purchaser_id": purchaser});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    post(app, &s.t.token, "/v1/package-purchases", &body).await
}

async fn entries(app: &TestApp, token: &str, purchase: &str) -> Vec<Value> {
    get(app, token, &format!("/v1/package-purchases/{purchase}/entries?limit=200")).await["data"]
        .as_array()
        .unwrap()
        .clone()
}

fn types(entries: &[Value]) -> Vec<(String, i64, i64)> {
    entries
        .iter()
        .map(|e| {
            (e["type"].as_str().unwrap().to_owned(), e["item_no"].as_i64().unwrap(), e["quantity"].as_i64().unwrap())
        })
        .collect()
}

fn remaining(p: &Value) -> Vec<i64> {
    p["items"].as_array().unwrap().iter().map(|i| i["remaining"].as_i64().unwrap()).collect()
}

async fn action(app: &TestApp, token: &str, purchase: &str, what: &str, body: Value) -> reqwest::Response {
    app.send_as(token, Method::POST, &format!("/v1/package-purchases/{purchase}/{what}"), &body).await
}

#[tokio::test]
async fn packages_round_trip_with_their_rules() {
    let app = spawn_app().await;
    let s = shop(&app, "spa").await;
    let res = app.send_as(&s.t.token, Method::POST, "/v1/packages", &bundle(&s, json!({"status": "draft"}))).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let p: Value = res.json().await.unwrap();
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(p["currency"], "EUR", "the tenant's currency by default");
    assert_eq!(p["original_value"], "650.00");
    assert_eq!((p["order"].as_str(), p["refund_rule"].as_str()), (Some("any_order"), Some("unused_share_of_price")));

    // Field rules, all reported at once; another tenant's template is not this one's.
    let other = shop(&app, "other").await;
    let bad = json!({"name": " ", "items": [{"service_template_id": other.tpl, "quantity": 0, "list_price": "-1"}],
        "price": "1.234", "use_within_days": 10, "valid_until": "2030-01-01T00:00:00Z",
        "household_member_cap": 3, "late_cancel": "fee"});
    let problem =
        assert_problem(app.send_as(&s.t.token, Method::POST, "/v1/packages", &bad).await, 422, "validation_failed")
            .await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in [
        "name",
        "items[0].quantity",
        "items[0].list_price",
        "price",
        "use_within_days",
        "household_member_cap",
        "late_cancel_fee",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let res = app
        .send_as(
            &s.t.token,
            Method::POST,
            "/v1/packages",
            &bundle(
                &s,
                json!({"items": [
        {"service_template_id": other.tpl, "quantity": 1, "list_price": "1.00"}]}),
            ),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "items[0].service_template_id");

    // A draft is not sold; a customer does not see it.
    let (ann, ann_id) = customer(&app, &s.t, "ann@spa.example").await;
    let res = app
        .send_as(&s.t.token, Method::POST, "/v1/package-purchases", &json!({"package_id": id, "purchaser_id": ann_id}))
        .await;
    assert_problem(res, 409, "conflict").await;
    assert_problem(app.get_as(&ann, &format!("/v1/packages/{id}")).await, 404, "not_found").await;
    assert_eq!(get(&app, &ann, "/v1/packages").await["data"], json!([]));

    // Activated (If-Match guards it); items no longer change; never a draft again.
    let res = app
        .as_token(Method::PATCH, &format!("/v1/packages/{id}"), &s.t.token)
        .header("if-match", "\"1\"")
        .json(&json!({"status": "active", "price": "480.00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let p: Value = res.json().await.unwrap();
    assert_eq!(
        (p["status"].as_str(), p["price"].as_str(), p["version"].as_i64()),
        (Some("active"), Some("480.00"), Some(2))
    );
    let res = app
        .send_as(&s.t.token, Method::PATCH, &format!("/v1/packages/{id}"), &json!({"items": [], "status": "draft"}))
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"items") && fields.contains(&"status"), "{fields:?}");
    assert_eq!(get(&app, &ann, &format!("/v1/packages/{id}")).await["id"], id.as_str());
    assert_eq!(get(&app, &ann, "/v1/packages").await["data"].as_array().unwrap().len(), 1);
    // A customer cannot create or sell.
    assert_problem(app.send_as(&ann, Method::POST, "/v1/packages", &bundle(&s, json!({}))).await, 403, "forbidden")
        .await;
}

#[tokio::test]
async fn a_sale_grants_its_credits_in_the_ledger_and_customers_see_only_their_own() {
    let app = spawn_app().await;
    let s = shop(&app, "spa").await;
    let pkg = post(&app, &s.t.token, "/v1/packages", &bundle(&s, json!({"max_per_customer": 2}))).await;
    let pkg_id = pkg["id"].as_str().unwrap();
    let (ann, ann_id) = customer(&app, &s.t, "ann@spa.example").await;
    let (bob, bob_id) = customer(&app, &s.t, "bob@spa.example").await;

    let sale = sell(&app, &s, pkg_id, &ann_id, json!({"payment_status": "pending_payment"})).await;
    let id = sale["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (sale["status"].as_str(), sale["payment_status"].as_str()),
        (Some("pending_payment"), Some("pending_payment"))
    );
    assert_eq!(sale["total_paid"], "500.00");
    assert_eq!(remaining(&sale), [10, 1]);
    let expires: chrono::DateTime<Utc> = sale["expires_at"].as_str().unwrap().parse().unwrap();
    assert!((expires - (Utc::now() + Duration::days(365))).num_seconds().abs() < 60);
    let ledger = entries(&app, &s.t.token, &id).await;
    assert_eq!(types(&ledger), [("granted".into(), 1, 10), ("granted".into(), 2, 1)]);
    assert!(ledger.iter().all(|e| e["policy"] == "sale" && e["remaining_after"] == e["quantity"]));

    // Paid once; a second payment is a conflict.
    let res = action(&app, &s.t.token, &id, "pay", json!({})).await;
    assert_eq!(res.status(), 200);
    let paid: Value = res.json().await.unwrap();
    assert_eq!((paid["status"].as_str(), paid["payment_status"].as_str()), (Some("active"), Some("paid")));
    assert_problem(action(&app, &s.t.token, &id, "pay", json!({})).await, 409, "conflict").await;

    // Ann sees hers; Bob sees none and gets 404 for hers.
    assert_eq!(get(&app, &ann, "/v1/package-purchases").await["data"][0]["id"], id.as_str());
    assert_eq!(
        get(&app, &ann, &format!("/v1/package-purchases/{id}/entries")).await["data"].as_array().unwrap().len(),
        2
    );
    assert_eq!(get(&app, &bob, "/v1/package-purchases").await["data"], json!([]));
    assert_eq!(get(&app, &bob, &format!("/v1/package-purchases?purchaser_id={ann_id}")).await["data"], json!([]));
    assert_problem(app.get_as(&bob, &format!("/v1/package-purchases/{id}")).await, 404, "not_found").await;
    assert_problem(app.get_as(&bob, &format!("/v1/package-purchases/{id}/entries")).await, 404, "not_found").await;
    assert_problem(action(&app, &bob, &id, "refund-quote", json!({})).await, 403, "forbidden").await;

    // At most two per customer; a stranger is not a purchaser; a household needs a shareable package.
    sell(&app, &s, pkg_id, &ann_id, json!({})).await;
    let res = app
        .send_as(
            &s.t.token,
            Method::POST,
            "/v1/package-purchases",
            &json!({"package_id": pkg_id, "purchaser_id": ann_id}),
        )
        .await;
    assert!(assert_problem(res, 409, "conflict").await["detail"].as_str().unwrap().contains("at most 2"));
    sell(&app, &s, pkg_id, &bob_id, json!({})).await;
    let body = json!({"package_id": pkg_id, "purchaser_id": uuid::Uuid::now_v7(), "household_id": uuid::Uuid::now_v7(),
        "total_paid": "1.001"});
    let problem = assert_problem(
        app.send_as(&s.t.token, Method::POST, "/v1/package-purchases", &body).await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["purchaser_id", "household_id", "total_paid"]);
}

#[tokio::test]
async fn a_sale_with_an_idempotency_key_is_made_once() {
    let app = spawn_app().await;
    let s = shop(&app, "spa").await;
    let pkg = post(&app, &s.t.token, "/v1/packages", &bundle(&s, json!({}))).await;
    let (_, ann_id) = customer(&app, &s.t, "ann@spa.example").await;
    let body = json!({"package_id": pkg["id"], "purchaser_id": ann_id});
    let tries = (0..10).map(|_| {
        app.as_token(Method::POST, "/v1/package-purchases", &s.t.token)
            .header("idempotency-key", "sale-1")
            .json(&body)
            .send()
    });
    let results = join_all(tries).await;
    for r in &results {
        let status = r.as_ref().unwrap().status().as_u16();
        assert!(status == 201 || status == 409, "{status}");
    }
    let res = app
        .as_token(Method::POST, "/v1/package-purchases", &s.t.token)
        .header("idempotency-key", "sale-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    assert_eq!(get(&app, &s.t.token, "/v1/package-purchases").await["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_expired_purchase_holds_nothing_from_the_instant_of_expiry_and_the_job_records_it() {
    let app = spawn_app_with(
        |c| {
            c.job_intervals_ms.insert("packages.expiry".into(), 100);
        },
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await;
    let s = shop(&app, "spa").await;
    let until = Utc::now() + Duration::seconds(3);
    let pkg =
        post(&app, &s.t.token, "/v1/packages", &bundle(&s, json!({"use_within_days": null, "valid_until": at(until)})))
            .await;
    let (_, ann_id) = customer(&app, &s.t, "ann@spa.example").await;
    let sale = sell(&app, &s, pkg["id"].as_str().unwrap(), &ann_id, json!({})).await;
    let id = sale["id"].as_str().unwrap().to_owned();
    let expires: chrono::DateTime<Utc> = sale["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(sale["status"], "active");
    // Wait for the instant of expiry, then read at once.
    let wait = expires - Utc::now();
    if wait > Duration::zero() {
        tokio::time::sleep(wait.to_std().unwrap()).await;
    }
    let now = get(&app, &s.t.token, &format!("/v1/package-purchases/{id}")).await;
    assert_eq!(now["status"], "expired");
    assert_eq!(remaining(&now), [0, 0]);
    assert_problem(action(&app, &s.t.token, &id, "transfer", json!({"to_customer_id": ann_id})).await, 409, "conflict")
        .await;
    assert_problem(action(&app, &s.t.token, &id, "refund", json!({})).await, 409, "conflict").await;

    // The job writes the entries within a minute.
    let deadline = Utc::now() + Duration::seconds(60);
    let ledger = loop {
        let ledger = entries(&app, &s.t.token, &id).await;
        if ledger.iter().any(|e| e["type"] == "expired") || Utc::now() > deadline {
            break ledger;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let expired: Vec<_> = types(&ledger).into_iter().filter(|(t, _, _)| t == "expired").collect();
    assert_eq!(expired, [("expired".into(), 1, 10), ("expired".into(), 2, 1)]);
    assert!(
        ledger.iter().filter(|e| e["type"] == "expired").all(|e| e["policy"] == "expiry" && e["remaining_after"] == 0)
    );

    // Extended after the job: one grant per item, each linked to the job's entry; once.
    let later = at(Utc::now() + Duration::days(30));
    let res = action(&app, &s.t.token, &id, "extend", json!({"expires_at": later, "reason": "closed for works"})).await;
    assert_eq!(res.status(), 200);
    let extended: Value = res.json().await.unwrap();
    assert_eq!((extended["status"].as_str(), remaining(&extended)), (Some("active"), vec![10, 1]));
    let ledger = entries(&app, &s.t.token, &id).await;
    let expired_ids: Vec<&Value> = ledger.iter().filter(|e| e["type"] == "expired").map(|e| &e["id"]).collect();
    let regrants: Vec<&Value> = ledger.iter().filter(|e| e["policy"] == "extension").collect();
    assert_eq!(regrants.len(), 2);
    for g in &regrants {
        assert_eq!(g["type"], "granted");
        assert!(expired_ids.contains(&&g["linked_entry_id"]));
        assert_eq!(g["reference"], "closed for works");
    }
    // Extended again before expiry: an expired/granted pair per item, linked.
    let res = action(&app, &s.t.token, &id, "extend", json!({"expires_at": at(Utc::now() + Duration::days(20))})).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = action(&app, &s.t.token, &id, "extend", json!({"expires_at": at(Utc::now() + Duration::days(60))})).await;
    assert_eq!(res.status(), 200);
    let ledger = entries(&app, &s.t.token, &id).await;
    let tail = &ledger[ledger.len() - 4..];
    assert_eq!(
        types(tail),
        [("expired".into(), 1, 10), ("granted".into(), 1, 10), ("expired".into(), 2, 1), ("granted".into(), 2, 1)]
    );
    assert_eq!(tail[1]["linked_entry_id"], tail[0]["id"]);
    assert_eq!(tail[3]["linked_entry_id"], tail[2]["id"]);
    let sum: i64 = ledger.iter().map(|e| e["delta"].as_i64().unwrap()).sum();
    assert_eq!(sum, 11, "the totals are the ledger's");
}

#[tokio::test]
async fn a_transfer_moves_the_unused_credits_as_paired_entries_only_when_allowed() {
    let app = spawn_app().await;
    let s = shop(&app, "spa").await;
    let fixed = post(&app, &s.t.token, "/v1/packages", &bundle(&s, json!({"transferable": false}))).await;
    let pkg = post(&app, &s.t.token, "/v1/packages", &bundle(&s, json!({}))).await;
    let (_, ann_id) = customer(&app, &s.t, "ann@spa.example").await;
    let (bob, bob_id) = customer(&app, &s.t, "bob@spa.example").await;

    let kept = sell(&app, &s, fixed["id"].as_str().unwrap(), &ann_id, json!({})).await;
    let res =
        action(&app, &s.t.token, kept["id"].as_str().unwrap(), "transfer", json!({"to_customer_id": bob_id})).await;
    assert!(assert_problem(res, 409, "conflict").await["detail"].as_str().unwrap().contains("not transferable"));

    let sale = sell(&app, &s, pkg["id"].as_str().unwrap(), &ann_id, json!({})).await;
    let id = sale["id"].as_str().unwrap().to_owned();
    let res = action(&app, &s.t.token, &id, "transfer", json!({"to_customer_id": ann_id})).await;
    assert_problem(res, 422, "validation_failed").await;
    // Ten concurrent transfers: one wins, the others are refused, nothing is doubled.
    let tries =
        (0..10).map(|_| action(&app, &s.t.token, &id, "transfer", json!({"to_customer_id": bob_id, "reason": "gift"})));
    let results = join_all(tries).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");

    let from = get(&app, &s.t.token, &format!("/v1/package-purchases/{id}")).await;
    assert_eq!((from["status"].as_str(), remaining(&from)), (Some("transferred"), vec![0, 0]));
    let to_id = from["transferred_to_id"].as_str().unwrap().to_owned();
    let to = get(&app, &bob, &format!("/v1/package-purchases/{to_id}")).await;
    assert_eq!((to["purchaser_id"].as_str(), to["status"].as_str()), (Some(bob_id.as_str()), Some("active")));
    assert_eq!((remaining(&to), to["total_paid"].as_str()), (vec![10, 1], Some("0")));
    assert_eq!(to["expires_at"], from["expires_at"]);
    let out = entries(&app, &s.t.token, &id).await;
    let inn = entries(&app, &s.t.token, &to_id).await;
    assert_eq!(types(&out[2..]), [("transferred_out".into(), 1, 10), ("transferred_out".into(), 2, 1)]);
    assert_eq!(types(&inn), [("transferred_in".into(), 1, 10), ("transferred_in".into(), 2, 1)]);
    for (o, i) in out[2..].iter().zip(&inn) {
        assert_eq!(i["linked_entry_id"], o["id"]);
        assert_eq!(
            (o["counterpart_purchase_id"].as_str(), i["counterpart_purchase_id"].as_str()),
            (Some(to_id.as_str()), Some(id.as_str()))
        );
    }
    // The emptied purchase is neither transferred again nor refunded.
    assert_problem(action(&app, &s.t.token, &id, "refund", json!({})).await, 409, "conflict").await;
}

#[tokio::test]
async fn refund_quotes_follow_the_rule_and_a_refund_voids_the_unused_credits_once() {
    let app = spawn_app().await;
    let s = shop(&app, "spa").await;
    let (_, ann_id) = customer(&app, &s.t, "ann@spa.example").await;
    // (rule, fee, expected gross, expected amount) for a whole purchase of 500.00 paid.
    for (rule, fee, gross, amount) in [
        ("unused_share_of_price", "0", "500.00", "500.00"),
        ("unused_share_of_price", "25.00", "500.00", "475.00"),
        ("price_minus_used_at_list_price", "10.00", "500.00", "490.00"),
    ] {
        let pkg =
            post(&app, &s.t.token, "/v1/packages", &bundle(&s, json!({"refund_rule": rule, "refund_fee": fee}))).await;
        let sale = sell(&app, &s, pkg["id"].as_str().unwrap(), &ann_id, json!({})).await;
        let id = sale["id"].as_str().unwrap().to_owned();
        let res = action(&app, &s.t.token, &id, "refund-quote", json!({})).await;
        assert_eq!(res.status(), 200);
        let q: Value = res.json().await.unwrap();
        assert_eq!(
            (q["rule"].as_str(), q["gross"].as_str(), q["amount"].as_str()),
            (Some(rule), Some(gross), Some(amount))
        );
        assert_eq!(q["items"][0]["unused"], 10);
        assert!(entries(&app, &s.t.token, &id).await.len() == 2, "a quote writes nothing");

        // Concurrent refunds: one succeeds.
        let tries = (0..8).map(|_| action(&app, &s.t.token, &id, "refund", json!({"reason": "moved away"})));
        let statuses: Vec<u16> = join_all(tries).await.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
        let p = get(&app, &s.t.token, &format!("/v1/package-purchases/{id}")).await;
        assert_eq!((p["status"].as_str(), p["refunded_amount"].as_str()), (Some("refunded"), Some(amount)));
        assert_eq!(remaining(&p), [0, 0]);
        let ledger = entries(&app, &s.t.token, &id).await;
        assert_eq!(types(&ledger[2..]), [("refunded".into(), 1, 10), ("refunded".into(), 2, 1)]);
        assert!(ledger[2..].iter().all(|e| e["policy"] == format!("refund:{rule}").as_str()));
    }
    // A pending purchase is not refunded (nothing was paid).
    let pkg = post(&app, &s.t.token, "/v1/packages", &bundle(&s, json!({}))).await;
    let sale = sell(&app, &s, pkg["id"].as_str().unwrap(), &ann_id, json!({"payment_status": "pending_payment"})).await;
    assert_problem(action(&app, &s.t.token, sale["id"].as_str().unwrap(), "refund", json!({})).await, 409, "conflict")
        .await;
}

/// A seeded generator (no dependency): xorshift.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[tokio::test]
async fn every_balance_equals_its_ledger_after_a_random_run_of_2000_operations() {
    let app = spawn_app().await;
    let s = shop(&app, "spa").await;
    let mut packages = Vec::new();
    for (i, rule) in ["unused_share_of_price", "price_minus_used_at_list_price"].iter().enumerate() {
        let p = post(
            &app,
            &s.t.token,
            "/v1/packages",
            &bundle(&s, json!({"name": format!("Bundle {i}"), "refund_rule": rule})),
        )
        .await;
        packages.push(p["id"].as_str().unwrap().to_owned());
    }
    let mut customers = Vec::new();
    for i in 0..4 {
        customers.push(customer(&app, &s.t, &format!("c{i}@spa.example")).await.1);
    }
    // The operations are spread over eight staff members: each stays within its plan's
    // request budget per minute.
    let mut staff = Vec::new();
    for i in 0..8 {
        staff.push(app.add_member(&s.t, &format!("staff{i}@spa.example"), &["manager"]).await.0);
    }
    let mut purchases: Vec<String> = Vec::new();
    let mut bookings: Vec<String> = Vec::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut statuses = std::collections::BTreeMap::<(String, u16), usize>::new();
    let ops = 2000;
    let batch = 8;
    let day0 = Utc::now().duration_trunc(Duration::days(1)).unwrap() + Duration::days(3);
    let mut k = 0i64;
    for _ in 0..ops / batch {
        let mut reqs = Vec::new();
        for token in staff.iter().take(batch) {
            k += 1;
            let op = if purchases.is_empty() { 0 } else { rng.below(9) };
            let (path, body, name) = match op {
                // A booking paid with a credit: usually days ahead (a cancel returns it), sometimes
                // within hours (a cancel forfeits it; the slot may be taken: a 409).
                6 | 7 => {
                    let start = if rng.below(4) == 0 {
                        crate::support::hour_from_now(2 + rng.below(18) as i64)
                    } else {
                        day0 + Duration::days(k / 20) + Duration::hours(k % 20)
                    };
                    let who = &customers[rng.below(4)];
                    let mut body = json!({"service_template_id": if rng.below(5) == 0 { &s.tpl2 } else { &s.tpl },
                        "start": at(start), "participants": [{"user_id": who}]});
                    if op == 6 {
                        body["use_packages"] = json!(true);
                    } else {
                        body["package_purchase_id"] = json!(purchases[rng.below(purchases.len())]);
                    }
                    ("/v1/bookings".to_owned(), body, "book")
                }
                8 if !bookings.is_empty() => {
                    let b = &bookings[rng.below(bookings.len())];
                    (format!("/v1/bookings/{b}/cancel"), json!({}), "cancel")
                }
                0 | 8 => {
                    let body = json!({"package_id": packages[rng.below(2)], "purchaser_id": customers[rng.below(4)],
                        "payment_status": if rng.below(3) == 0 { "pending_payment" } else { "paid" }});
                    ("/v1/package-purchases".to_owned(), body, "sell")
                }
                n => {
                    let p = &purchases[rng.below(purchases.len())];
                    let (what, body) = match n {
                        1 => ("pay", json!({})),
                        2 => (
                            "extend",
                            json!({"expires_at": at(Utc::now() + Duration::days(400 + rng.below(400) as i64))}),
                        ),
                        3 => ("transfer", json!({"to_customer_id": customers[rng.below(4)]})),
                        4 => ("refund-quote", json!({})),
                        _ => ("refund", json!({})),
                    };
                    (format!("/v1/package-purchases/{p}/{what}"), body, what)
                }
            };
            let app = &app;
            reqs.push(async move {
                let res = app.send_as(token, Method::POST, &path, &body).await;
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap();
                (name, status, body)
            });
        }
        for (name, status, body) in join_all(reqs).await {
            assert!(status < 500 && status != 429, "{name} → {status} {body}");
            *statuses.entry((name.to_owned(), status)).or_default() += 1;
            if status == 201 && name == "book" {
                bookings.push(body["id"].as_str().unwrap().to_owned());
            } else if status == 201 {
                let created = if name == "transfer" { &body["to"] } else { &body };
                purchases.push(created["id"].as_str().unwrap().to_owned());
            }
        }
    }
    eprintln!("2,000 operations: {statuses:?}");
    assert!(statuses.iter().filter(|((n, s), _)| n == "refund" && *s == 200).count() > 0);
    assert!(statuses.get(&("book".to_owned(), 201)).is_some_and(|n| *n > 20), "credits were redeemed");
    assert!(statuses.get(&("cancel".to_owned(), 200)).is_some_and(|n| *n > 5), "and some returned or forfeited");

    // The nightly check recomputes every balance from its ledger: zero drift.
    let db = sea_orm::Database::connect(app.database_url.as_str()).await.unwrap();
    let (checked, drift) = atrium_packages::commands::verify_all(&db).await.unwrap();
    assert_eq!(checked, purchases.len() * 2);
    assert!(drift.is_empty(), "{drift:?}");
    // And through the API: remaining never below 0, equal to Σ of each item's ledger.
    for p in purchases.iter().take(40) {
        let view = get(&app, &s.t.token, &format!("/v1/package-purchases/{p}")).await;
        let ledger = entries(&app, &s.t.token, p).await;
        for item in view["items"].as_array().unwrap() {
            let no = item["item_no"].as_i64().unwrap();
            let sum: i64 = ledger.iter().filter(|e| e["item_no"] == no).map(|e| e["delta"].as_i64().unwrap()).sum();
            assert_eq!(item["balance"].as_i64().unwrap(), sum);
            assert!(sum >= 0);
        }
    }
}
