//! Statements per request (issue 19 #4), as the server counts them itself
//! (`atrium_http_request_db_statements_total` in `/metrics`; BEGIN and COMMIT are not
//! statements there): a list answers a page in a fixed number of statements, however many
//! items the page holds.

use atrium_tests::{TestApp, spawn_app_with};
use serde_json::{Value, json};

use crate::support::{at, hour_from_now, post, world};
use crate::sweep::{is_authenticated, populate};

/// Requests and statements served so far for `GET route` answered 200.
async fn counted(app: &TestApp, route: &str) -> (u64, u64) {
    let text = app.get("/metrics").await.text().await.unwrap();
    let labels = format!("{{method=\"GET\",route=\"{route}\",status=\"200\"}}");
    let read = |metric: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{metric}{labels} ")))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    (read("atrium_http_requests_total"), read("atrium_http_request_db_statements_total"))
}

/// The statements one `GET path` ran (its route is `route`), and the items it answered.
async fn one_get(app: &TestApp, token: &str, path: &str, route: &str) -> (u64, usize) {
    let (requests, statements) = counted(app, route).await;
    let res = app.get_as(token, path).await;
    assert_eq!(res.status(), 200, "GET {path}");
    let body: Value = res.json().await.unwrap();
    let items = body.get("data").unwrap_or(&body).as_array().map_or(0, Vec::len);
    let (requests_after, statements_after) = counted(app, route).await;
    assert_eq!(requests_after, requests + 1, "GET {route} counted once");
    (statements_after - statements, items)
}

/// A page of bookings, holds, waitlist entries or recurring rules costs the same
/// statements with one item as with ten (what each item shows beside its row —
/// participants, bookables, queue position, occurrences — is read for the page at once).
#[tokio::test]
async fn a_page_costs_the_same_statements_whatever_it_holds() {
    let app = spawn_app_with(|_| {}, atrium_server::PluginRegistry::compiled().unwrap()).await;
    let (t, _provider, template) = world(&app, "pages").await;
    let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let body = |route: &str, i: i64| -> Value {
        let start = hour_from_now(72 + 3 * i);
        match route {
            "/v1/waitlist" => {
                json!({"service_template_id": template, "preferred_date": (start.date_naive() + chrono::Days::new(i as u64 % 3)).to_string()})
            }
            "/v1/recurring-rules" => json!({"service_template_id": template,
                "start_time": start.format("%H:%M").to_string(), "timezone": "UTC",
                "pattern": {"frequency": "weekly", "days_of_week": [weekdays[usize::try_from(i).unwrap() % 7]]},
                "start_date": (start.date_naive() + chrono::Days::new(30)).to_string(), "max_occurrences": 2}),
            _ => json!({"service_template_id": template, "start": at(start)}),
        }
    };
    for (n, route) in
        ["/v1/bookings", "/v1/reservations", "/v1/waitlist", "/v1/recurring-rules"].into_iter().enumerate()
    {
        let offset = i64::try_from(n).unwrap() * 40;
        post(&app, &t.token, route, &body(route, offset)).await;
        let (one, items) = one_get(&app, &t.token, route, route).await;
        assert_eq!(items, 1, "{route}");
        for i in 1..10 {
            post(&app, &t.token, route, &body(route, offset + i)).await;
        }
        let (ten, items) = one_get(&app, &t.token, route, route).await;
        assert_eq!(items, 10, "{route}");
        assert_eq!(ten, one, "statements for a page of ten and of one at {route}");
    }
}

/// Every list route of the spec answers a page of one of everything in a handful of
/// statements: at most 4 (on PostgreSQL the tenant setting, the page, and two reads of
/// what its items show beside their rows).
#[tokio::test]
async fn every_list_answers_in_a_handful_of_statements() {
    let app =
        spawn_app_with(|c| c.webhooks_allow_private = true, atrium_server::PluginRegistry::compiled().unwrap()).await;
    let t = app.signup("lists").await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    populate(&app, &spec, &t).await;
    let mut report = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        if path.contains('{') || !is_authenticated(&item["get"]) || !path.starts_with("/v1/") {
            continue;
        }
        // Searches that need their query (availability, an explanation) are not lists.
        let needs_query = item["get"]["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query" && p["required"] == true));
        if needs_query {
            continue;
        }
        let (statements, items) = one_get(&app, &t.token, path, path).await;
        report.push((path.clone(), statements, items));
    }
    eprintln!("{report:#?}");
    // Known to exceed it, and why (each one listed so that a new offender fails): the hair
    // calendar and the hair export first apply new booking events from the outbox (the
    // plugin's way of following bookings without a job), 13–15 statements.
    const KNOWN: [&str; 2] = ["/v1/hair-calendar", "/v1/hair-profiles/me/export"];
    let worst = report.iter().filter(|r| !KNOWN.contains(&r.0.as_str())).max_by_key(|r| r.1).unwrap();
    assert!(worst.1 <= 4, "{worst:?} of {report:#?}");
}
