//! The products issue's acceptance runs: the last unit raced for by bookings and direct
//! reservations from two server instances, a random mixed run checked by `atrium inventory
//! verify` (and the verifier's repair), and a hold's stock freed the moment it expires.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use atrium_tests::{TEST_JWT_SECRET, Tenant, TestApp, spawn_app_with};
use chrono::{DateTime, Duration, DurationRound, Utc};
use futures_util::StreamExt;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{at, calendar, get, post, template};

fn registry() -> atrium_server::PluginRegistry {
    atrium_server::PluginRegistry::compiled().unwrap()
}

/// A tenant with every plugin on, one provider open around the clock, a 60-minute USD
/// template needing it (holds of one minute), and `products` products with `on_hand` each.
async fn shop(app: &TestApp, slug: &str, products: usize, on_hand: i64) -> (Tenant, String, Vec<String>) {
    let t = app.signup(slug).await;
    app.enable_all_plugins(&t).await;
    let provider = post(
        app,
        &t.token,
        "/v1/bookables",
        &json!({"type": "provider", "name": "Ana", "email": "ana@x.example", "calendar": calendar()}),
    )
    .await;
    let body = template(json!({"bookable_type": "provider", "specific_bookable_id": provider["id"]}), json!({}));
    let tpl = post(app, &t.token, "/v1/service-templates", &body).await["id"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for i in 0..products {
        let body = json!({"sku": format!("SKU-{i}"), "name": format!("Product {i}"), "type": "physical",
            "price": "10.00", "currency": "USD", "fulfillment": ["at_booking"], "reorder_point": 1});
        let id = post(app, &t.token, "/v1/products", &body).await["id"].as_str().unwrap().to_owned();
        if on_hand > 0 {
            let body = json!({"quantity": on_hand, "idempotency_key": format!("seed-{id}")});
            post(app, &t.token, &format!("/v1/products/{id}/inventory/receive"), &body).await;
        }
        ids.push(id);
    }
    (t, tpl, ids)
}

/// 10:00 UTC on the `n`th day after tomorrow: one free slot per booking.
fn slot(n: i64) -> DateTime<Utc> {
    let day = Utc::now().duration_trunc(Duration::days(1)).unwrap() + Duration::days(2 + n);
    day + Duration::hours(10)
}

/// The `atrium` binary on the app's database: `inventory verify` with `args`; its exit
/// status and output.
fn verify(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_atrium-proc"))
        .args(["inventory", "verify"])
        .args(args)
        .env("ATRIUM_DATABASE_URL", &app.database_url)
        .env("ATRIUM_MIGRATION_DATABASE_URL", &app.owner_database_url)
        .env("ATRIUM_JWT_SECRET", TEST_JWT_SECRET)
        .env("ATRIUM_LOG_LEVEL", "error")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

async fn inventory(app: &TestApp, t: &Tenant, pid: &str) -> Value {
    get(app, &t.token, &format!("/v1/products/{pid}/inventory")).await
}

/// 200 at once for the last unit — 100 bookings (each its own slot) and 100 direct
/// reservations, alternating between two server instances on one database: one wins,
/// 199 get 409 `insufficient_stock`, none a 5xx.
#[tokio::test]
async fn two_hundred_mixed_requests_from_two_instances_take_the_last_unit_once() {
    let a = spawn_app_with(|_| {}, registry()).await;
    let b = a.spawn_sibling_with(|_| {}, registry()).await;
    let (t, tpl, ids) = shop(&a, "acme", 1, 1).await;
    let pid = &ids[0];
    let results = join_all((0..200).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        let (t, tpl) = (&t, &tpl);
        async move {
            let res = if i % 4 < 2 {
                let body = json!({"service_template_id": tpl, "start": at(slot(i)),
                    "products": [{"product_id": pid, "quantity": 1}]});
                app.send_as(&t.token, Method::POST, "/v1/bookings", &body).await
            } else {
                let body = json!({"quantity": 1, "idempotency_key": format!("direct-{i}")});
                app.send_as(&t.token, Method::POST, &format!("/v1/products/{pid}/inventory/reserve"), &body).await
            };
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    }))
    .await;
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for (status, body) in &results {
        if *status == 409 {
            assert_eq!(body["code"], "insufficient_stock", "{body}");
        }
        *by_status.entry(*status).or_default() += 1;
    }
    assert_eq!((by_status.get(&201), by_status.get(&409)), (Some(&1), Some(&199)), "{by_status:?}");
    let inv = inventory(&a, &t, pid).await;
    assert_eq!(
        (inv["on_hand"].as_i64(), inv["reserved"].as_i64(), inv["available"].as_i64()),
        (Some(1), Some(1), Some(0))
    );
    let (ok, out) = verify(&a, &["--tenant", "acme"]);
    assert!(ok && out.contains("0 with drift"), "{out}");
}

#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    refused: AtomicUsize,
}

/// 5,000 random operations, 32 in flight: receive, book with products, cancel, complete,
/// adjust, compare-and-set. Afterwards every balance is its ledger's sum and its open
/// reservations' (`inventory verify`: no drift), and no request failed with a 5xx.
#[tokio::test]
async fn a_random_mixed_run_leaves_no_drift() {
    let app = spawn_app_with(|c| c.signup_rate_limit_per_minute = 1_000_000, registry()).await;
    let (t, tpl, ids) = shop(&app, "acme", 8, 3).await;
    let bookings: Arc<tokio::sync::Mutex<Vec<String>>> = Arc::default();
    let tally = Arc::new(Tally::default());
    let next_slot = AtomicUsize::new(0);
    let ops = futures_util::stream::iter(0..5000usize).map(|i| {
        let (app, t, tpl, ids, bookings, tally, next_slot) =
            (&app, &t, &tpl, &ids, bookings.clone(), tally.clone(), &next_slot);
        async move {
            let r = rand_u(i);
            let pid = &ids[r % ids.len()];
            let res = match (r / 7) % 8 {
                0 => {
                    let body = json!({"quantity": 1 + r % 3, "idempotency_key": format!("in-{i}")});
                    app.send_as(&t.token, Method::POST, &format!("/v1/products/{pid}/inventory/receive"), &body).await
                }
                1..=3 => {
                    let n = next_slot.fetch_add(1, Ordering::SeqCst) as i64;
                    let start = slot(n / 20) + Duration::hours(n % 20 - 9);
                    let other = &ids[(r / 3) % ids.len()];
                    let body = json!({"service_template_id": tpl, "start": at(start), "products": [
                        {"product_id": pid, "quantity": 1 + r % 2}, {"product_id": other, "quantity": 1}]});
                    let res = app.send_as(&t.token, Method::POST, "/v1/bookings", &body).await;
                    if res.status() == 201 {
                        let b: Value = res.json().await.unwrap();
                        bookings.lock().await.push(b["id"].as_str().unwrap().to_owned());
                        tally.ok.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    res
                }
                4 => {
                    let Some(id) = bookings.lock().await.pop() else { return };
                    app.send_as(&t.token, Method::POST, &format!("/v1/bookings/{id}/cancel"), &json!({})).await
                }
                5 => {
                    let Some(id) = bookings.lock().await.pop() else { return };
                    for action in ["confirm", "check-in"] {
                        let res = app
                            .send_as(&t.token, Method::POST, &format!("/v1/bookings/{id}/{action}"), &json!({}))
                            .await;
                        assert!(res.status().is_success(), "{action}: {}", res.status());
                    }
                    app.send_as(&t.token, Method::POST, &format!("/v1/bookings/{id}/complete"), &json!({})).await
                }
                6 => {
                    let delta = if r.is_multiple_of(2) { 1 } else { -1 };
                    let body = json!({"delta": delta, "reason": "count", "idempotency_key": format!("adj-{i}")});
                    app.send_as(&t.token, Method::POST, &format!("/v1/products/{pid}/inventory/adjust"), &body).await
                }
                _ => {
                    let on_hand = inventory(app, t, pid).await["on_hand"].as_i64().unwrap();
                    let body = json!({"set_on_hand": on_hand + 1, "expected_on_hand": on_hand, "reason": "stocktake",
                        "idempotency_key": format!("cas-{i}")});
                    app.send_as(&t.token, Method::POST, &format!("/v1/products/{pid}/inventory/adjust"), &body).await
                }
            };
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert!(status < 500, "op {i}: {status} {body}");
            if status < 300 {
                tally.ok.fetch_add(1, Ordering::SeqCst);
            } else {
                assert!(
                    ["insufficient_stock", "stock_changed", "slot_unavailable"]
                        .contains(&body["code"].as_str().unwrap_or("")),
                    "op {i}: {status} {body}"
                );
                tally.refused.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    ops.buffer_unordered(32).collect::<Vec<()>>().await;
    assert!(tally.ok.load(Ordering::SeqCst) > 1000, "most operations went through");
    let (ok, out) = verify(&app, &[]);
    assert!(ok && out.contains("0 with drift"), "{out}");
    for pid in &ids {
        let inv = inventory(&app, &t, pid).await;
        let page = get(&app, &t.token, &format!("/v1/products/{pid}/movements?limit=200")).await;
        assert!(inv["available"].as_i64().unwrap() >= 0, "{inv}");
        let _ = page;
    }
}

/// Deterministic pseudo-random numbers (splitmix64), so a failing run can be replayed.
fn rand_u(i: usize) -> usize {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as usize
}

/// A balance changed behind the ledger's back is reported, and `--repair` rebuilds it.
#[tokio::test]
async fn the_verifier_reports_drift_and_repairs_it() {
    use sea_orm::{ConnectionTrait, Database, Statement, TransactionTrait};
    let app = spawn_app_with(|_| {}, registry()).await;
    let (t, _, ids) = shop(&app, "acme", 1, 4).await;
    let (ok, out) = verify(&app, &[]);
    assert!(ok && out.contains("1 balances checked, 0 with drift"), "{out}");
    let db = Database::connect(app.database_url.as_str()).await.unwrap();
    let tx = db.begin().await.unwrap();
    let backend = tx.get_database_backend();
    if backend == sea_orm::DbBackend::Postgres {
        let sql = format!("SELECT set_config('app.tenant_id', '{}', true)", t.id);
        tx.execute_raw(Statement::from_string(backend, sql)).await.unwrap();
    }
    tx.execute_raw(Statement::from_string(backend, "UPDATE inventory_balances SET on_hand = on_hand + 5".to_owned()))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(inventory(&app, &t, &ids[0]).await["on_hand"], 9);
    let (ok, out) = verify(&app, &["--tenant", "acme"]);
    assert!(!ok && out.contains("on_hand 9 (ledger 4)"), "{out}");
    let (ok, out) = verify(&app, &["--repair"]);
    assert!(ok && out.contains("rebuilt from the ledger"), "{out}");
    assert_eq!(inventory(&app, &t, &ids[0]).await["on_hand"], 4);
    let (ok, out) = verify(&app, &[]);
    assert!(ok && out.contains("0 with drift"), "{out}");
}

/// A hold's stock is available again the moment the hold expires (the read leaves it out),
/// and the sweepers write the `released` movement well within a minute.
#[tokio::test]
async fn a_held_product_is_free_the_moment_the_hold_expires() {
    let app = spawn_app_with(
        |c| {
            c.job_intervals_ms.insert("products.reservation_sweeper".into(), 500);
            c.job_intervals_ms.insert("bookings.hold_sweeper".into(), 500);
        },
        registry(),
    )
    .await;
    let (t, tpl, ids) = shop(&app, "acme", 1, 2).await;
    let pid = &ids[0];
    let body =
        json!({"service_template_id": tpl, "start": at(slot(3)), "products": [{"product_id": pid, "quantity": 2}]});
    let hold = post(&app, &t.token, "/v1/reservations", &body).await;
    let expires: DateTime<Utc> = hold["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(inventory(&app, &t, pid).await["available"], 0);
    let wait = (expires - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(50)).await;
    assert_eq!(inventory(&app, &t, pid).await["available"], 2, "free at the hold's expiry");
    let mut released = None;
    for _ in 0..600 {
        let page = get(&app, &t.token, &format!("/v1/products/{pid}/movements?type=released")).await;
        released = page["data"].as_array().unwrap().first().cloned();
        if released.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let released = released.expect("a released movement within 60 s");
    let at: DateTime<Utc> = released["created_at"].as_str().unwrap().parse().unwrap();
    assert!(at - expires < Duration::seconds(60), "released at {at}, expired at {expires}");
    assert_eq!(inventory(&app, &t, pid).await["reserved"], 0);
}
