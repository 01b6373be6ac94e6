//! What the bookings, waitlist and recurring-rule tests share: a tenant with one provider
//! open around the clock in UTC and a 60-minute template needing it, and small helpers.

use atrium_tests::{Tenant, TestApp};
use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::Method;
use serde_json::{Value, json};

/// Open every day, all day (UTC), hourly slots.
pub(crate) fn calendar() -> Value {
    let day = json!([{"start": "00:00", "end": "23:59"}]);
    json!({"timezone": "UTC", "slot_duration_minutes": 60, "slot_interval_minutes": 60, "max_advance_days": 365,
        "weekly_schedule": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day,
            "saturday": day, "sunday": day}})
}

pub(crate) async fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> Value {
    let res = app.send_as(token, Method::POST, path, body).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "POST {path} → {status} {body}");
    body
}

pub(crate) fn template(requirement: Value, extra: Value) -> Value {
    let mut t = json!({
        "name": "Consultation", "type": "appointment",
        "duration": {"type": "fixed", "fixed_minutes": 60},
        "required_bookables": [requirement],
        "pricing": {"base_price": "100.00", "currency": "USD", "timezone": "UTC"},
        "cancellation": {"allow_client_cancellation": true, "refund_tiers": [
            {"min_hours_before": 48, "refund_percent": "100"}, {"min_hours_before": 24, "refund_percent": "50"}]},
        "reservation": {"enabled": true, "hold_duration_minutes": 1, "max_hold_minutes": 2},
        "status": "active"
    });
    for (k, v) in extra.as_object().unwrap() {
        t[k] = v.clone();
    }
    t
}

/// A tenant with every plugin on, one provider, and a 60-minute template needing it.
pub(crate) async fn world(app: &TestApp, slug: &str) -> (Tenant, String, String) {
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
    let tpl = post(
        app,
        &t.token,
        "/v1/service-templates",
        &template(json!({"bookable_type": "provider", "specific_bookable_id": pid}), json!({})),
    )
    .await;
    (t, pid, tpl["id"].as_str().unwrap().to_owned())
}

/// A whole hour at least `hours` from now.
/// (Never 23:00 UTC: the test calendar's day ends at 23:59, so that hour has no slot.)
pub(crate) fn hour_from_now(hours: i64) -> DateTime<Utc> {
    let t = (Utc::now() + Duration::hours(hours)).duration_trunc(Duration::hours(1)).unwrap() + Duration::hours(1);
    if chrono::Timelike::hour(&t) == 23 { t + Duration::hours(1) } else { t }
}

pub(crate) fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get_as(token, path).await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}
