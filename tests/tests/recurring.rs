//! Recurring rules over real HTTP: a weekly rule books its occurrences, reports the one
//! whose slot is taken as a conflict while booking the others, honours skip and reschedule
//! exceptions, and refuses bad rules with field paths.

use atrium_tests::{assert_problem, spawn_app};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{get, post, world};

fn weekday_name(date: NaiveDate) -> &'static str {
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        [date.weekday().num_days_from_monday() as usize]
}

#[tokio::test]
async fn a_weekly_rule_books_its_occurrences_and_reports_conflicts() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    let d0 = (Utc::now() + Duration::days(2)).date_naive();
    let day = |weeks: i64, extra: i64| d0 + Duration::days(7 * weeks + extra);
    let at_ten = |d: NaiveDate| format!("{d}T10:00:00Z");
    // Someone has the fourth Tuesday (or whichever weekday) already.
    post(&app, &t.token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at_ten(day(3, 0))})).await;

    let rule = post(
        &app,
        &t.token,
        "/v1/recurring-rules",
        &json!({"service_template_id": tpl, "start_time": "10:00", "timezone": "UTC",
            "pattern": {"frequency": "weekly", "days_of_week": [weekday_name(d0)]},
            "start_date": d0.to_string(), "max_occurrences": 5,
            "exceptions": [{"date": day(1, 0).to_string(), "action": "skip"},
                           {"date": day(2, 0).to_string(), "action": "reschedule", "new_date": day(2, 1).to_string()}]}),
    )
    .await;
    assert_eq!(rule["status"], "active");
    assert_eq!(rule["total_occurrences"], 5);
    assert_eq!(rule["pattern"]["interval"], 1);
    let report: Vec<(String, String, Value)> = rule["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["start"].as_str().unwrap().to_owned(), o["status"].as_str().unwrap().to_owned(), o.clone()))
        .collect();
    let shown: Vec<(&str, &str)> = report.iter().map(|(s, st, _)| (s.as_str(), st.as_str())).collect();
    assert_eq!(
        shown,
        [
            (at_ten(day(0, 0)).as_str(), "booked"),
            (at_ten(day(1, 0)).as_str(), "skipped"),
            (at_ten(day(2, 1)).as_str(), "booked"),
            (at_ten(day(3, 0)).as_str(), "conflict"),
            (at_ten(day(4, 0)).as_str(), "booked"),
        ],
        "{rule}"
    );
    assert_eq!(report[2].2["original_date"], day(2, 0).to_string(), "rescheduled from the pattern's date");
    assert_eq!(report[3].2["booking_id"], Value::Null);
    assert!(report[3].2["reason"].as_str().unwrap().contains("taken"), "{}", report[3].2);
    for (start, status, o) in &report {
        if status == "booked" {
            let b = get(&app, &t.token, &format!("/v1/bookings/{}", o["booking_id"].as_str().unwrap())).await;
            assert_eq!(&b["start"], start);
            assert_eq!(b["status"], "pending");
        }
    }
    let log = get(&app, &t.token, "/v1/audit-log?action=booking.created").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 4, "the first booking and three occurrences");
    let log = get(&app, &t.token, "/v1/audit-log?action=recurring_rule.created").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1);

    let path = format!("/v1/recurring-rules/{}", rule["id"].as_str().unwrap());
    assert_eq!(get(&app, &t.token, &path).await["occurrences"], rule["occurrences"]);
    let list = get(&app, &t.token, "/v1/recurring-rules").await;
    assert_eq!(list["data"][0]["id"], rule["id"]);

    let res = app.send_as(&t.token, Method::DELETE, &path, &json!({})).await;
    assert_eq!(res.status(), 204);
    let cancelled = get(&app, &t.token, &path).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string());
    // Its bookings ahead are cancelled with it.
    for (_, status, o) in &report {
        if *status == "booked" {
            let b = get(&app, &t.token, &format!("/v1/bookings/{}", o["booking_id"].as_str().unwrap())).await;
            assert_eq!(b["status"], "cancelled");
        }
    }
    let res = app.send_as(&t.token, Method::DELETE, &path, &json!({})).await;
    assert_problem(res, 409, "invalid_transition").await;
    let log = get(&app, &t.token, "/v1/audit-log?action=recurring_rule.cancelled").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_daily_rule_every_other_day_to_an_end_date() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    let d0 = (Utc::now() + Duration::days(3)).date_naive();
    let rule = post(
        &app,
        &t.token,
        "/v1/recurring-rules",
        &json!({"service_template_id": tpl, "start_time": "08:00", "timezone": "UTC",
            "pattern": {"frequency": "daily", "interval": 2},
            "start_date": d0.to_string(), "end_date": (d0 + Duration::days(6)).to_string()}),
    )
    .await;
    let dates: Vec<&str> =
        rule["occurrences"].as_array().unwrap().iter().map(|o| o["date"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..4).map(|i| (d0 + Duration::days(2 * i)).to_string()).collect();
    assert_eq!(dates, expected);
    assert!(rule["occurrences"].as_array().unwrap().iter().all(|o| o["status"] == "booked"), "{rule}");
}

#[tokio::test]
async fn bad_rules_are_refused_with_field_paths() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "acme").await;
    let d0 = (Utc::now() + Duration::days(2)).date_naive();
    let base = json!({"service_template_id": tpl, "start_time": "10:00", "timezone": "UTC",
        "pattern": {"frequency": "weekly"}, "start_date": d0.to_string(), "max_occurrences": 3});
    let with = |patch: Value| {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (with(json!({"start_time": "25:00"})), "start_time"),
        (with(json!({"timezone": "Mars/Olympus"})), "timezone"),
        (with(json!({"pattern": {"frequency": "weekly", "interval": 0}})), "pattern.interval"),
        (with(json!({"pattern": {"frequency": "daily", "day_of_month": 3}})), "pattern.day_of_month"),
        (with(json!({"pattern": {"frequency": "monthly", "day_of_month": 32}})), "pattern.day_of_month"),
        (with(json!({"pattern": {"frequency": "hourly"}})), "pattern.frequency"),
        (with(json!({"max_occurrences": null})), "end_date"),
        (with(json!({"max_occurrences": 367})), "max_occurrences"),
        (with(json!({"start_date": "2020-01-06"})), "start_date"),
        (
            with(json!({"max_occurrences": null, "pattern": {"frequency": "daily"},
                "end_date": (d0 + Duration::days(400)).to_string()})),
            "end_date",
        ),
        (
            with(json!({"exceptions": [{"date": (d0 + Duration::days(1)).to_string(), "action": "skip"}]})),
            "exceptions[0].date",
        ),
        (with(json!({"exceptions": [{"date": d0.to_string(), "action": "reschedule"}]})), "exceptions[0].new_date"),
        (with(json!({"participants": [{"name": ""}]})), "participants[0]"),
        (with(json!({"bookable_ids": [[], []]})), "bookable_ids"),
        (with(json!({"service_template_id": uuid::Uuid::nil()})), "service_template_id"),
    ];
    for (body, field) in cases {
        let res = app.send_as(&t.token, Method::POST, "/v1/recurring-rules", &body).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        let fields: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{body} → {problem}");
    }
    let list = get(&app, &t.token, "/v1/recurring-rules").await;
    assert!(list["data"].as_array().unwrap().is_empty(), "nothing was left behind");
    let bookings = get(&app, &t.token, "/v1/bookings").await;
    assert!(bookings["data"].as_array().unwrap().is_empty());
}
