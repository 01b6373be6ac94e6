//! The products plugin: the catalog (SKU unique per tenant, money as decimal strings,
//! locations of the tenant, If-Match, soft delete) and the inventory ledger — conditional
//! balance updates that never oversell under concurrency, idempotency keys, compare-and-set
//! adjustments, reservations that expire, and low-stock alerts once per crossing.

use std::collections::HashMap;

use atrium_tests::receiver::Receiver;
use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app, spawn_app_with};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{get, post};

async fn shop(app: &TestApp, slug: &str) -> Tenant {
    let t = app.signup(slug).await;
    app.enable_all_plugins(&t).await;
    t
}

fn product(sku: &str) -> Value {
    json!({"sku": sku, "name": "Argan shampoo 250 ml", "type": "physical", "price": "18.00", "cost": "7.40",
        "tax_category": "retail_goods", "fulfillment": ["pickup", "at_booking"], "reorder_point": 2})
}

async fn new_product(app: &TestApp, t: &Tenant, body: Value) -> String {
    post(app, &t.token, "/v1/products", &body).await["id"].as_str().unwrap().to_owned()
}

async fn stock(app: &TestApp, t: &Tenant, pid: &str, action: &str, body: Value) -> reqwest::Response {
    app.send_as(&t.token, Method::POST, &format!("/v1/products/{pid}/inventory/{action}"), &body).await
}

async fn stock_ok(app: &TestApp, t: &Tenant, pid: &str, action: &str, body: Value) -> Value {
    let res = stock(app, t, pid, action, body).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{action}: {body}");
    body
}

async fn inventory(app: &TestApp, t: &Tenant, pid: &str) -> Value {
    get(app, &t.token, &format!("/v1/products/{pid}/inventory")).await
}

async fn movements(app: &TestApp, t: &Tenant, pid: &str) -> Vec<Value> {
    let page = get(app, &t.token, &format!("/v1/products/{pid}/movements?limit=200")).await;
    page["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn products_round_trip_with_their_rules() {
    let app = spawn_app().await;
    let t = shop(&app, "acme").await;
    let res = app.send_as(&t.token, Method::POST, "/v1/products", &product("ARGAN-250")).await;
    assert_eq!(res.status(), 201);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/v1/products/"));
    assert_eq!(res.headers()["etag"], "\"1\"");
    let p: Value = res.json().await.unwrap();
    let pid = p["id"].as_str().unwrap().to_owned();
    assert_eq!(p["price"], "18.00");
    assert_eq!(p["cost"], "7.40");
    assert_eq!(p["currency"], "EUR", "the tenant's currency by default");
    assert_eq!(p["status"], "active");
    assert_eq!(p["fulfillment"], json!(["pickup", "at_booking"]));

    let mut digital = product("EBOOK-1");
    digital["type"] = json!("digital");
    digital["fulfillment"] = json!(["digital_delivery"]);
    digital["currency"] = json!("JPY");
    digital["price"] = json!("1200");
    digital["cost"] = json!("500");
    let ebook = new_product(&app, &t, digital).await;

    let list = get(&app, &t.token, "/v1/products?type=digital").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["id"], ebook.as_str());
    assert_eq!(list["data"][0]["currency"], "JPY");
    let list = get(&app, &t.token, "/v1/products?sku=ARGAN-250").await;
    assert_eq!(list["data"][0]["id"], pid.as_str());
    let page = get(&app, &t.token, "/v1/products?limit=1").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let next = page["next_cursor"].as_str().unwrap();
    let page2 = get(&app, &t.token, &format!("/v1/products?limit=1&cursor={next}")).await;
    assert_ne!(page2["data"][0]["id"], page["data"][0]["id"]);
    assert!(page2["next_cursor"].is_null());

    // 422s, each naming its field.
    for (change, field) in [
        (json!({"sku": "has space"}), "sku"),
        (json!({"price": "18.001"}), "price"),
        (json!({"price": "-1.00"}), "price"),
        (json!({"price": 18}), "price"),
        (json!({"currency": "EURO"}), "currency"),
        (json!({"fulfillment": []}), "fulfillment"),
        (json!({"fulfillment": ["digital_delivery"]}), "fulfillment[0]"),
        (json!({"reorder_point": -1}), "reorder_point"),
        (json!({"tax_category": "Retail Goods"}), "tax_category"),
        (json!({"location_ids": ["01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10"]}), "location_ids[0]"),
        (json!({"name": ""}), "name"),
    ] {
        let mut body = product("OTHER-1");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app.send_as(&t.token, Method::POST, "/v1/products", &body).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert!(problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{field}: {problem}");
    }

    // PATCH with If-Match.
    let path = format!("/v1/products/{pid}");
    let res = app
        .as_token(Method::PATCH, &path, &t.token)
        .header("If-Match", "\"7\"")
        .json(&json!({"price": "19.50"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let res = app
        .as_token(Method::PATCH, &path, &t.token)
        .header("If-Match", "\"1\"")
        .json(&json!({"price": "19.50", "cost": null, "status": "archived"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let p: Value = res.json().await.unwrap();
    assert_eq!((p["price"].as_str(), p["cost"].is_null(), p["version"].as_i64()), (Some("19.50"), true, Some(2)));
    assert_eq!(get(&app, &t.token, "/v1/products?status=archived").await["data"][0]["id"], pid.as_str());
    let res = app.send_as(&t.token, Method::PATCH, &path, &json!({"fulfillment": ["digital_delivery"]})).await;
    assert_problem(res, 422, "validation_failed").await;

    // Soft delete: gone from reads, its SKU free again.
    let res = app.as_token(Method::DELETE, &path, &t.token).header("If-Match", "\"1\"").send().await.unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    assert_eq!(app.send_as(&t.token, Method::DELETE, &path, &json!({})).await.status(), 204);
    assert_problem(app.get_as(&t.token, &path).await, 404, "not_found").await;
    assert_problem(app.get_as(&t.token, &format!("{path}/inventory")).await, 404, "not_found").await;
    new_product(&app, &t, product("ARGAN-250")).await;
    let log = get(&app, &t.token, &format!("/v1/audit-log?entity_id={pid}")).await;
    let actions: Vec<&str> = log["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["product.created", "product.updated", "product.deleted"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}

#[tokio::test]
async fn a_sku_is_unique_per_tenant() {
    let app = spawn_app().await;
    let a = shop(&app, "alpha").await;
    let b = shop(&app, "beta").await;
    new_product(&app, &a, product("SKU-1")).await;
    let res = app.send_as(&a.token, Method::POST, "/v1/products", &product("SKU-1")).await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert!(problem["detail"].as_str().unwrap().contains("SKU-1"));
    new_product(&app, &b, product("SKU-1")).await;
    let other = new_product(&app, &a, product("SKU-2")).await;
    let res = app.send_as(&a.token, Method::PATCH, &format!("/v1/products/{other}"), &json!({"sku": "SKU-1"})).await;
    assert_problem(res, 409, "conflict").await;
    // Fifty concurrent creations of one SKU: one product.
    let body = product("RACE-1");
    let results = join_all((0..50).map(|_| app.send_as(&a.token, Method::POST, "/v1/products", &body))).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
}

#[tokio::test]
async fn the_ledger_explains_every_change_of_stock() {
    let app = spawn_app().await;
    let t = shop(&app, "acme").await;
    let pid = new_product(&app, &t, product("LEDGER-1")).await;
    let inv = inventory(&app, &t, &pid).await;
    assert_eq!((inv["on_hand"].as_i64(), inv["available"].as_i64()), (Some(0), Some(0)));
    assert!(inv["locations"][0]["location_id"].is_null());

    let received =
        stock_ok(&app, &t, &pid, "receive", json!({"quantity": 10, "reference": "PO-1", "idempotency_key": "r1"}))
            .await;
    assert_eq!((received["type"].as_str(), received["on_hand_after"].as_i64()), (Some("received"), Some(10)));
    assert_eq!(received["reference"], "PO-1");
    assert_eq!(received["actor"]["type"], "user");
    assert!(received["request_id"].is_string());
    stock_ok(&app, &t, &pid, "adjust", json!({"delta": -2, "reason": "damaged", "idempotency_key": "a1"})).await;
    let reserved = stock_ok(&app, &t, &pid, "reserve", json!({"quantity": 3, "idempotency_key": "s1"})).await;
    let reservation = reserved["reservation_id"].as_str().unwrap().to_owned();
    let inv = inventory(&app, &t, &pid).await;
    assert_eq!(
        (inv["on_hand"].as_i64(), inv["reserved"].as_i64(), inv["available"].as_i64()),
        (Some(8), Some(3), Some(5))
    );

    // Not more than available, and on hand never below what is reserved.
    let res = stock(&app, &t, &pid, "reserve", json!({"quantity": 6, "idempotency_key": "s2"})).await;
    let problem = assert_problem(res, 409, "insufficient_stock").await;
    assert!(problem["detail"].as_str().unwrap().starts_with("5 available"), "{problem}");
    let res = stock(&app, &t, &pid, "adjust", json!({"delta": -6, "reason": "lost", "idempotency_key": "a2"})).await;
    assert_problem(res, 409, "insufficient_stock").await;
    // Compare-and-set.
    let res = stock(
        &app,
        &t,
        &pid,
        "adjust",
        json!({"set_on_hand": 20, "expected_on_hand": 7, "reason": "count", "idempotency_key": "c1"}),
    )
    .await;
    let problem = assert_problem(res, 409, "stock_changed").await;
    assert!(problem["detail"].as_str().unwrap().contains("on hand is 8"), "{problem}");
    let res = stock(
        &app,
        &t,
        &pid,
        "adjust",
        json!({"set_on_hand": 2, "expected_on_hand": 8, "reason": "count", "idempotency_key": "c2"}),
    )
    .await;
    assert_problem(res, 409, "insufficient_stock").await;
    let set = stock_ok(
        &app,
        &t,
        &pid,
        "adjust",
        json!({"set_on_hand": 20, "expected_on_hand": 8, "reason": "count", "idempotency_key": "c3"}),
    )
    .await;
    assert_eq!((set["quantity"].as_i64(), set["on_hand_after"].as_i64()), (Some(12), Some(20)));
    // Release once.
    let release = json!({"reservation_id": reservation, "idempotency_key": "l1"});
    let released = stock_ok(&app, &t, &pid, "release", release.clone()).await;
    assert_eq!((released["reserved_delta"].as_i64(), released["reserved_after"].as_i64()), (Some(-3), Some(0)));
    let res = stock(&app, &t, &pid, "release", json!({"reservation_id": reservation, "idempotency_key": "l2"})).await;
    assert_problem(res, 409, "conflict").await;
    let res = stock(&app, &t, &pid, "release", json!({"reservation_id": pid, "idempotency_key": "l3"})).await;
    assert_problem(res, 422, "validation_failed").await;

    // Replays answer the original movement and write nothing; another body is a 422.
    let res = stock(&app, &t, &pid, "release", release).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    assert_eq!(res.json::<Value>().await.unwrap()["id"], released["id"]);
    let res = stock(&app, &t, &pid, "receive", json!({"quantity": 11, "idempotency_key": "r1"})).await;
    assert_problem(res, 422, "idempotency_key_reused").await;
    let res = stock(&app, &t, &pid, "adjust", json!({"delta": 1, "reason": "x", "idempotency_key": "r1"})).await;
    assert_problem(res, 422, "idempotency_key_reused").await;

    // Bad requests.
    for (action, body, field) in [
        ("receive", json!({"quantity": 0, "idempotency_key": "k"}), "quantity"),
        ("receive", json!({"quantity": 1, "idempotency_key": ""}), "idempotency_key"),
        ("adjust", json!({"delta": 0, "reason": "x", "idempotency_key": "k"}), "delta"),
        (
            "adjust",
            json!({"delta": 1, "set_on_hand": 2, "expected_on_hand": 1, "reason": "x", "idempotency_key": "k"}),
            "delta",
        ),
        ("adjust", json!({"set_on_hand": 2, "reason": "x", "idempotency_key": "k"}), "expected_on_hand"),
        ("adjust", json!({"delta": 1, "reason": " ", "idempotency_key": "k"}), "reason"),
        ("reserve", json!({"quantity": 1, "expires_at": "2020-01-01T00:00:00Z", "idempotency_key": "k"}), "expires_at"),
        ("reserve", json!({"quantity": 1, "location_id": pid, "idempotency_key": "k"}), "location_id"),
    ] {
        let problem = assert_problem(stock(&app, &t, &pid, action, body).await, 422, "validation_failed").await;
        assert!(
            problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == field),
            "{action} {field}: {problem}"
        );
    }
    let res = app
        .send_as(&t.token, Method::POST, &format!("/v1/products/{pid}/inventory/receive"), &json!({"quantity": 1}))
        .await;
    assert_problem(res, 422, "validation_failed").await;

    // The ledger sums to the balance.
    let ledger = movements(&app, &t, &pid).await;
    let types: Vec<&str> = ledger.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["received", "adjusted", "reserved", "adjusted", "released"]);
    let on_hand: i64 = ledger.iter().map(|m| m["on_hand_delta"].as_i64().unwrap()).sum();
    let reserved: i64 = ledger.iter().map(|m| m["reserved_delta"].as_i64().unwrap()).sum();
    let inv = inventory(&app, &t, &pid).await;
    assert_eq!((inv["on_hand"].as_i64(), inv["reserved"].as_i64()), (Some(on_hand), Some(reserved)));
    assert_eq!(on_hand, 20);
    let only = get(&app, &t.token, &format!("/v1/products/{pid}/movements?type=adjusted")).await;
    assert_eq!(only["data"].as_array().unwrap().len(), 2);
    // Deleting waits for reservations to end.
    stock_ok(&app, &t, &pid, "reserve", json!({"quantity": 1, "idempotency_key": "s9"})).await;
    let res = app.send_as(&t.token, Method::DELETE, &format!("/v1/products/{pid}"), &json!({})).await;
    assert_problem(res, 409, "conflict").await;
}

#[tokio::test]
async fn stock_is_kept_per_location_of_the_tenant() {
    let app = spawn_app().await;
    let t = shop(&app, "acme").await;
    let mut ids = Vec::new();
    for name in ["Downtown", "Uptown"] {
        let l =
            post(&app, &t.token, "/v1/locations", &json!({"name": name, "type": "virtual", "timezone": "UTC"})).await;
        ids.push(l["id"].as_str().unwrap().to_owned());
    }
    let mut body = product("LOC-1");
    body["location_ids"] = json!([ids[0]]);
    let pid = new_product(&app, &t, body).await;
    let res = stock(&app, &t, &pid, "receive", json!({"quantity": 1, "idempotency_key": "k1"})).await;
    assert_problem(res, 422, "validation_failed").await;
    let res =
        stock(&app, &t, &pid, "receive", json!({"quantity": 1, "location_id": ids[1], "idempotency_key": "k1"})).await;
    assert_problem(res, 422, "validation_failed").await;
    stock_ok(&app, &t, &pid, "receive", json!({"quantity": 4, "location_id": ids[0], "idempotency_key": "k1"})).await;
    let inv = inventory(&app, &t, &pid).await;
    assert_eq!(inv["locations"][0]["location_id"], ids[0].as_str());
    assert_eq!(inv["locations"][0]["on_hand"], 4);
    let list = get(&app, &t.token, &format!("/v1/products?location_id={}", ids[0])).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let list = get(&app, &t.token, &format!("/v1/products?location_id={}", ids[1])).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
    // A location holding stock stays until the stock is gone.
    let path = format!("/v1/products/{pid}");
    let res = app.send_as(&t.token, Method::PATCH, &path, &json!({"location_ids": [ids[1]]})).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app.send_as(&t.token, Method::PATCH, &path, &json!({"location_ids": [ids[0], ids[1]]})).await;
    assert_eq!(res.status(), 200);
    let inv = inventory(&app, &t, &pid).await;
    assert_eq!(inv["locations"].as_array().unwrap().len(), 2);
    assert_eq!(inv["on_hand"], 4);

    // Staff move stock but do not edit the catalog; customers see none of it.
    let (staff, _) = app.add_member(&t, "staff@acme.example", &["staff"]).await;
    let res = app
        .send_as(
            &staff,
            Method::POST,
            &format!("/v1/products/{pid}/inventory/receive"),
            &json!({"quantity": 1, "location_id": ids[1], "idempotency_key": "staff-1"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_problem(app.send_as(&staff, Method::POST, "/v1/products", &product("STAFF-1")).await, 403, "forbidden")
        .await;
    let (customer, _) = app.add_member(&t, "c@acme.example", &["customer"]).await;
    assert_problem(app.get_as(&customer, "/v1/products").await, 403, "forbidden").await;
}

/// 200 clients each reserve 1 unit of the last one: exactly one gets it.
#[tokio::test]
async fn two_hundred_clients_race_for_the_last_unit() {
    let app = spawn_app().await;
    let t = shop(&app, "acme").await;
    let pid = new_product(&app, &t, product("LAST-1")).await;
    stock_ok(&app, &t, &pid, "receive", json!({"quantity": 1, "idempotency_key": "in"})).await;
    let results = join_all((0..200).map(|i| {
        let body = json!({"quantity": 1, "idempotency_key": format!("race-{i}")});
        let (app, t, pid) = (&app, &t, &pid);
        async move {
            let res = stock(app, t, pid, "reserve", body).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    }))
    .await;
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for (status, body) in &results {
        if *status == 409 {
            assert_eq!(body["code"], "insufficient_stock", "{body}");
            assert!(body["detail"].as_str().unwrap().starts_with("0 available"), "{body}");
        }
        *by_status.entry(*status).or_default() += 1;
    }
    assert_eq!(by_status.get(&201), Some(&1), "{by_status:?}");
    assert_eq!(by_status.get(&409), Some(&199), "{by_status:?}");
    let inv = inventory(&app, &t, &pid).await;
    assert_eq!(
        (inv["on_hand"].as_i64(), inv["reserved"].as_i64(), inv["available"].as_i64()),
        (Some(1), Some(1), Some(0))
    );
    let reserved = movements(&app, &t, &pid).await.iter().filter(|m| m["type"] == "reserved").count();
    assert_eq!(reserved, 1);
}

/// The same key 50 times at once: one movement, 50 answers naming it.
#[tokio::test]
async fn fifty_retries_of_one_key_write_one_movement() {
    let app = spawn_app().await;
    let t = shop(&app, "acme").await;
    let pid = new_product(&app, &t, product("IDEM-1")).await;
    let body = json!({"delta": 7, "reason": "found in the back room", "idempotency_key": "adjust-once"});
    let results = join_all((0..50).map(|_| stock(&app, &t, &pid, "adjust", body.clone()))).await;
    let mut ids = Vec::new();
    for res in results {
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(movements(&app, &t, &pid).await.len(), 1);
    assert_eq!(inventory(&app, &t, &pid).await["on_hand"], 7);
    let res = stock(
        &app,
        &t,
        &pid,
        "adjust",
        json!({"delta": 8, "reason": "found in the back room", "idempotency_key": "adjust-once"}),
    )
    .await;
    assert_problem(res, 422, "idempotency_key_reused").await;
}

async fn alerts(app: &TestApp, t: &Tenant, pid: &str, action: &str) -> usize {
    let log = get(app, &t.token, &format!("/v1/audit-log?action={action}&entity_id={pid}")).await;
    log["data"].as_array().unwrap().len()
}

#[tokio::test]
async fn low_stock_fires_once_per_downward_crossing() {
    let app = spawn_app_with(
        |c| {
            c.webhooks_allow_private = true;
            c.webhook_poll_interval_ms = 20;
        },
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await;
    let t = shop(&app, "acme").await;
    // A real receiver subscribed to the two alerts: what it gets is what integrators see.
    let receiver = Receiver::start(&[]).await;
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/webhook-endpoints",
            &json!({"url": receiver.url, "event_types": ["product.low_stock", "product.out_of_stock"]}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let pid = new_product(&app, &t, product("LOW-1")).await; // reorder point 2
    stock_ok(&app, &t, &pid, "receive", json!({"quantity": 5, "idempotency_key": "in-1"})).await;
    assert_eq!(alerts(&app, &t, &pid, "product.low_stock").await, 0, "an empty product rising above is no alert");
    let r1 = stock_ok(&app, &t, &pid, "reserve", json!({"quantity": 3, "idempotency_key": "r1"})).await;
    assert_eq!(alerts(&app, &t, &pid, "product.low_stock").await, 1, "5 → 2");
    let r2 = stock_ok(&app, &t, &pid, "reserve", json!({"quantity": 1, "idempotency_key": "r2"})).await;
    assert_eq!(alerts(&app, &t, &pid, "product.low_stock").await, 1, "2 → 1 is the same crossing");
    stock_ok(&app, &t, &pid, "release", json!({"reservation_id": r2["reservation_id"], "idempotency_key": "l2"})).await;
    assert_eq!(alerts(&app, &t, &pid, "product.low_stock").await, 1, "back to 2: still low");
    stock_ok(&app, &t, &pid, "release", json!({"reservation_id": r1["reservation_id"], "idempotency_key": "l1"})).await;
    stock_ok(&app, &t, &pid, "adjust", json!({"delta": -3, "reason": "broken", "idempotency_key": "a1"})).await;
    assert_eq!(alerts(&app, &t, &pid, "product.low_stock").await, 2, "5 re-armed it; 5 → 2 fires again");
    assert_eq!(alerts(&app, &t, &pid, "product.out_of_stock").await, 0);
    stock_ok(&app, &t, &pid, "reserve", json!({"quantity": 2, "idempotency_key": "r3"})).await;
    assert_eq!(alerts(&app, &t, &pid, "product.out_of_stock").await, 1);
    assert_eq!(alerts(&app, &t, &pid, "product.low_stock").await, 2);
    // The receiver got exactly the three alerts, each naming the product: two
    // low-stock crossings and one out-of-stock. A grace period shows nothing more comes.
    receiver.wait_for(3).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got: Vec<Value> = receiver.received().iter().map(|r| r.json()).collect();
    let mut kinds: Vec<&str> = got.iter().map(|p| p["type"].as_str().unwrap()).collect();
    kinds.sort_unstable(); // deliveries run in parallel: their order is not the events'
    assert_eq!(kinds, ["product.low_stock", "product.low_stock", "product.out_of_stock"], "{got:?}");
    for p in &got {
        assert_eq!(p["data"]["object"]["product_id"], pid.as_str(), "{p}");
    }
    let types: Value = app.get_as(&t.token, "/v1/event-types").await.json().await.unwrap();
    let text = types.to_string();
    for name in ["product.low_stock", "product.out_of_stock", "inventory.reserved", "inventory.adjusted"] {
        assert!(text.contains(name), "{name} in the catalog");
    }
}

#[tokio::test]
async fn an_expired_reservation_stops_counting_at_once() {
    let app = spawn_app().await;
    let t = shop(&app, "acme").await;
    let pid = new_product(&app, &t, product("EXP-1")).await;
    stock_ok(&app, &t, &pid, "receive", json!({"quantity": 2, "idempotency_key": "in"})).await;
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let r = stock_ok(&app, &t, &pid, "reserve", json!({"quantity": 2, "expires_at": soon, "idempotency_key": "cart"}))
        .await;
    assert_eq!(inventory(&app, &t, &pid).await["available"], 0);
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    assert_eq!(inventory(&app, &t, &pid).await["available"], 2, "read-time expiry");
    stock_ok(&app, &t, &pid, "reserve", json!({"quantity": 2, "idempotency_key": "next"})).await;
    let ledger = movements(&app, &t, &pid).await;
    let released: Vec<&Value> = ledger.iter().filter(|m| m["type"] == "released").collect();
    assert_eq!(released.len(), 1);
    assert_eq!(
        (released[0]["reason"].as_str(), released[0]["actor"]["type"].as_str()),
        (Some("expired"), Some("system"))
    );
    let res =
        stock(&app, &t, &pid, "release", json!({"reservation_id": r["reservation_id"], "idempotency_key": "late"}))
            .await;
    assert_problem(res, 409, "conflict").await;
}

#[tokio::test]
async fn the_sweeper_releases_expired_reservations_without_a_write() {
    let app = atrium_tests::spawn_app_with(
        |c| {
            c.job_intervals_ms.insert("products.reservation_sweeper".into(), 100);
        },
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await;
    let t = shop(&app, "acme").await;
    let pid = new_product(&app, &t, product("SWEEP-1")).await;
    stock_ok(&app, &t, &pid, "receive", json!({"quantity": 1, "idempotency_key": "in"})).await;
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(800);
    stock_ok(&app, &t, &pid, "reserve", json!({"quantity": 1, "expires_at": soon, "idempotency_key": "cart"})).await;
    let mut released = None;
    for _ in 0..100 {
        released = movements(&app, &t, &pid).await.into_iter().find(|m| m["type"] == "released");
        if released.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let released = released.expect("the sweeper wrote the released movement");
    assert_eq!((released["reason"].as_str(), released["reserved_after"].as_i64()), (Some("expired"), Some(0)));
    let log = get(&app, &t.token, "/v1/audit-log?action=inventory.released").await;
    assert_eq!(log["data"][0]["actor_type"], "system", "{log}");
}
