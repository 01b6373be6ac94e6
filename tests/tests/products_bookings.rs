//! Products on bookings, through the booking extension contract: stock reserved in the
//! booking's transaction (lines of one product summed, the template's included products
//! added), 409 `insufficient_stock` failing the whole booking, released exactly once on a
//! cancel or a no-show, sold on completion, following a hold into its booking; the body's
//! fields typed in the spec, unknown ones refused, and a switched-off plugin's a 422.

use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{at, calendar, get, hour_from_now, post, template};

struct World {
    t: Tenant,
    tpl: String,
    shampoo: String,
    towel: String,
}

fn product(sku: &str, price: &str) -> Value {
    json!({"sku": sku, "name": format!("Product {sku}"), "type": "physical", "price": price, "currency": "USD",
        "fulfillment": ["at_booking"], "reorder_point": 1})
}

async fn receive(app: &TestApp, t: &Tenant, pid: &str, quantity: i64) {
    let body = json!({"quantity": quantity, "idempotency_key": format!("in-{pid}-{quantity}")});
    post(app, &t.token, &format!("/v1/products/{pid}/inventory/receive"), &body).await;
}

/// A tenant with every plugin on, a provider, two products (shampoo 5 on hand at 18.00,
/// towel 1 on hand), and a 60-minute template that includes one towel.
async fn world(app: &TestApp, slug: &str, shampoo_on_hand: i64) -> World {
    let t = app.signup(slug).await;
    app.enable_all_plugins(&t).await;
    let provider = post(
        app,
        &t.token,
        "/v1/bookables",
        &json!({"type": "provider", "name": "Ana", "email": "ana@x.example", "calendar": calendar()}),
    )
    .await;
    let shampoo =
        post(app, &t.token, "/v1/products", &product("SHAMPOO", "18.00")).await["id"].as_str().unwrap().to_owned();
    let towel = post(app, &t.token, "/v1/products", &product("TOWEL", "5.00")).await["id"].as_str().unwrap().to_owned();
    receive(app, &t, &shampoo, shampoo_on_hand).await;
    receive(app, &t, &towel, 10).await;
    let body = template(
        json!({"bookable_type": "provider", "specific_bookable_id": provider["id"]}),
        json!({"included_products": [{"product_id": towel, "quantity": 1, "timing": "during"}]}),
    );
    let tpl = post(app, &t.token, "/v1/service-templates", &body).await["id"].as_str().unwrap().to_owned();
    World { t, tpl, shampoo, towel }
}

async fn stock(app: &TestApp, t: &Tenant, pid: &str) -> (i64, i64, i64) {
    let inv = get(app, &t.token, &format!("/v1/products/{pid}/inventory")).await;
    (inv["on_hand"].as_i64().unwrap(), inv["reserved"].as_i64().unwrap(), inv["available"].as_i64().unwrap())
}

async fn movements(app: &TestApp, t: &Tenant, pid: &str, kind: &str) -> Vec<Value> {
    let page = get(app, &t.token, &format!("/v1/products/{pid}/movements?limit=200&type={kind}")).await;
    page["data"].as_array().unwrap().clone()
}

async fn book(app: &TestApp, w: &World, hours: i64, products: Value) -> reqwest::Response {
    let body = json!({"service_template_id": w.tpl, "start": at(hour_from_now(hours)), "products": products});
    app.send_as(&w.t.token, Method::POST, "/v1/bookings", &body).await
}

async fn act(app: &TestApp, w: &World, id: &str, action: &str) -> reqwest::Response {
    app.send_as(&w.t.token, Method::POST, &format!("/v1/bookings/{id}/{action}"), &json!({})).await
}

#[tokio::test]
async fn a_booking_reserves_its_products_and_a_cancel_releases_them_once() {
    let app = spawn_app().await;
    let w = world(&app, "salon", 5).await;
    let res = book(&app, &w, 72, json!([{"product_id": w.shampoo, "quantity": 2}])).await;
    assert_eq!(res.status(), 201);
    let b: Value = res.json().await.unwrap();
    let lines = b["pricing_snapshot"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{b}");
    assert_eq!((lines[0]["kind"].as_str(), lines[0]["amount"].as_str()), (Some("product"), Some("36.00")));
    assert_eq!((lines[1]["kind"].as_str(), lines[1]["amount"].as_str()), (Some("included_product"), Some("0")));
    assert_eq!(b["pricing_snapshot"]["total"], "136.00", "the service's 100.00 and the shampoo");
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (5, 2, 3));
    assert_eq!(stock(&app, &w.t, &w.towel).await, (10, 1, 9));
    let id = b["id"].as_str().unwrap();
    assert_eq!(act(&app, &w, id, "cancel").await.status(), 200);
    assert_problem(act(&app, &w, id, "cancel").await, 409, "invalid_transition").await;
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (5, 0, 5));
    assert_eq!(stock(&app, &w.t, &w.towel).await, (10, 0, 10));
    assert_eq!(movements(&app, &w.t, &w.shampoo, "released").await.len(), 1);
    assert_eq!(movements(&app, &w.t, &w.towel, "released").await.len(), 1);
}

#[tokio::test]
async fn two_lines_of_one_product_over_the_total_fail_the_whole_booking() {
    let app = spawn_app().await;
    let w = world(&app, "salon", 3).await;
    let two_and_two = json!([{"product_id": w.shampoo, "quantity": 2}, {"product_id": w.shampoo, "quantity": 2}]);
    let res = book(&app, &w, 72, two_and_two).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!((status.as_u16(), body["code"].as_str()), (409, Some("insufficient_stock")), "{body}");
    assert!(body["detail"].as_str().unwrap().starts_with("3 available"), "{body}");
    assert!(body["detail"].as_str().unwrap().contains(&w.shampoo), "names the product: {body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (3, 0, 3));
    assert_eq!(stock(&app, &w.t, &w.towel).await, (10, 0, 10), "nothing of the booking was kept");
    let list = get(&app, &w.t.token, "/v1/bookings").await;
    assert!(list["data"].as_array().unwrap().is_empty(), "no booking: {list}");
    // The same slot is still free, and three fit.
    let res = book(&app, &w, 72, json!([{"product_id": w.shampoo, "quantity": 3}])).await;
    assert_eq!(res.status(), 201);
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (3, 3, 0));
}

#[tokio::test]
async fn completion_sells_and_a_no_show_releases() {
    let app = spawn_app().await;
    let w = world(&app, "salon", 5).await;
    let b: Value = book(&app, &w, 72, json!([{"product_id": w.shampoo, "quantity": 2}])).await.json().await.unwrap();
    let id = b["id"].as_str().unwrap();
    for action in ["confirm", "check-in", "complete"] {
        assert_eq!(act(&app, &w, id, action).await.status(), 200, "{action}");
    }
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (3, 0, 3));
    let sold = movements(&app, &w.t, &w.shampoo, "sold").await;
    assert_eq!(sold.len(), 1);
    assert_eq!((sold[0]["on_hand_delta"].as_i64(), sold[0]["reserved_delta"].as_i64()), (Some(-2), Some(-2)));
    assert_eq!(movements(&app, &w.t, &w.shampoo, "released").await.len(), 0);

    let b: Value = book(&app, &w, 96, json!([{"product_id": w.shampoo, "quantity": 1}])).await.json().await.unwrap();
    let id = b["id"].as_str().unwrap();
    assert_eq!(act(&app, &w, id, "confirm").await.status(), 200);
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (3, 1, 2));
    assert_eq!(act(&app, &w, id, "no-show").await.status(), 200);
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (3, 0, 3));
}

#[tokio::test]
async fn a_hold_s_stock_becomes_its_booking_s() {
    let app = spawn_app().await;
    let w = world(&app, "salon", 5).await;
    let start = at(hour_from_now(72));
    let body =
        json!({"service_template_id": w.tpl, "start": start, "products": [{"product_id": w.shampoo, "quantity": 2}]});
    let hold = post(&app, &w.t.token, "/v1/reservations", &body).await;
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (5, 2, 3));
    assert_eq!(stock(&app, &w.t, &w.towel).await, (10, 1, 9));
    let body = json!({"service_template_id": w.tpl, "start": start, "reservation_id": hold["id"]});
    let b = post(&app, &w.t.token, "/v1/bookings", &body).await;
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (5, 2, 3), "handed over, not taken twice");
    assert_eq!(stock(&app, &w.t, &w.towel).await, (10, 1, 9));
    assert_eq!(act(&app, &w, b["id"].as_str().unwrap(), "cancel").await.status(), 200);
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (5, 0, 5));
    assert_eq!(stock(&app, &w.t, &w.towel).await, (10, 0, 10));

    // A hold given up gives its stock back.
    let body = json!({"service_template_id": w.tpl, "start": at(hour_from_now(96)),
        "products": [{"product_id": w.shampoo, "quantity": 1}]});
    let hold = post(&app, &w.t.token, "/v1/reservations", &body).await;
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (5, 1, 4));
    let path = format!("/v1/reservations/{}/release", hold["id"].as_str().unwrap());
    assert_eq!(app.send_as(&w.t.token, Method::POST, &path, &json!({})).await.status(), 200);
    assert_eq!(stock(&app, &w.t, &w.shampoo).await, (5, 0, 5));
}

#[tokio::test]
async fn the_products_field_is_typed_checked_and_needs_the_plugin() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    for body in ["BookingCreate", "ReservationCreate"] {
        let schema = &spec["components"]["schemas"][body];
        assert_eq!(schema["properties"]["products"]["items"]["$ref"], "#/components/schemas/BookingProductLine");
        assert_eq!(schema["additionalProperties"], false);
    }
    let w = world(&app, "salon", 5).await;
    let start = at(hour_from_now(72));
    let unknown = json!({"service_template_id": w.tpl, "start": start, "prodcts": []});
    assert_problem(app.send_as(&w.t.token, Method::POST, "/v1/bookings", &unknown).await, 422, "validation_failed")
        .await;
    assert_problem(app.send_as(&w.t.token, Method::POST, "/v1/reservations", &unknown).await, 422, "validation_failed")
        .await;
    let res = book(&app, &w, 72, json!([{"product_id": w.shampoo, "quantity": 0}])).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = book(&app, &w, 72, json!([{"product_id": w.tpl, "quantity": 1}])).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = book(&app, &w, 72, json!([{"product_id": w.shampoo, "quantity": 1, "colour": "red"}])).await;
    assert_problem(res, 422, "validation_failed").await;
    assert_eq!(stock(&app, &w.t, &w.towel).await, (10, 0, 10), "no refused booking kept a towel");

    // Included products name products of the tenant.
    let body = template(
        json!({"bookable_type": "provider"}),
        json!({"included_products": [{"product_id": w.tpl, "quantity": 1, "timing": "during"}]}),
    );
    let res = app.send_as(&w.t.token, Method::POST, "/v1/service-templates", &body).await;
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "validation_failed", "{problem}");
    assert!(problem.to_string().contains("included_products[0].product_id"), "{problem}");

    // A tenant without the products plugin: the field is a 422, and bookings work as before.
    let plugins = json!({"enabled_plugins": ["households", "bookables", "service-templates", "bookings"]});
    let res = app.send_as(&w.t.token, Method::PATCH, "/v1/tenant", &plugins).await;
    assert_eq!(res.status(), 200);
    let res = book(&app, &w, 96, json!([{"product_id": w.shampoo, "quantity": 1}])).await;
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "validation_failed", "{problem}");
    assert!(problem.to_string().contains("products"), "{problem}");
    let res = app
        .send_as(
            &w.t.token,
            Method::POST,
            "/v1/bookings",
            &json!({"service_template_id": w.tpl, "start": at(hour_from_now(96))}),
        )
        .await;
    assert_eq!(res.status(), 201, "the included towel is not taken while products is off");
}
