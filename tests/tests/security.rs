//! The security review's findings (issue 13), each tested by the behaviour it names.

use std::collections::HashSet;

use atrium_tests::dns::DnsServer;
use atrium_tests::{assert_problem, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

fn compiled() -> atrium_server::PluginRegistry {
    atrium_server::PluginRegistry::compiled().unwrap()
}

/// Every route that takes no credential, with a request for it (bodies the route may well
/// refuse: a refusal draws on the budget as much as a success).
fn public_requests(spec: &Value, slug: &str) -> Vec<(Method, String)> {
    let mut out = vec![(Method::GET, "/openapi.json".to_owned()), (Method::GET, "/no/such/route".to_owned())];
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap().iter().filter(|(_, op)| op.is_object()) {
            let public = op["security"].as_array().is_none_or(|s| s.is_empty());
            if !public || matches!(path.as_str(), "/health" | "/ready" | "/metrics") {
                continue;
            }
            let path = path.replace("{tenant_slug}", slug).replace("{token}", "inv_nothing");
            out.push((Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), path));
        }
    }
    out
}

/// #4: from one address, past the budget every public route answers 429 with
/// `Retry-After` and the `RateLimit-*` headers; authenticated routes keep their own budget.
#[tokio::test]
async fn security_4_anonymous_routes_are_rate_limited_per_address() {
    let app = spawn_app_with(|c| c.anonymous_rate_limit_per_minute = 30, compiled()).await;
    let tenant = app.signup("limited").await;
    let spec: Value = app.get_as(&tenant.token, "/openapi.json").await.json().await.unwrap();
    let requests = public_requests(&spec, "limited");
    assert!(requests.len() >= 8, "{requests:?}");
    let mut answered = 0;
    for round in 0..4 {
        for (method, path) in &requests {
            let res = app.request(method.clone(), path).json(&json!({})).send().await.unwrap();
            let status = res.status().as_u16();
            if status != 429 {
                answered += 1;
                assert!(round == 0 || answered <= 30, "{method} {path} answered {status} past the budget");
                continue;
            }
            assert!(res.headers().contains_key("retry-after"), "{method} {path}");
            assert!(res.headers().contains_key("ratelimit-limit"), "{method} {path}");
            assert_problem(res, 429, "rate_limited").await;
        }
    }
    assert!(answered <= 30, "{answered} anonymous answers within a budget of 30");
    // The health probe is not counted, and an authenticated route has the plan's budget.
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(app.get_as(&tenant.token, "/v1/tenant").await.status(), 200);
    // No authenticated route draws on the spent anonymous budget.
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap().iter().filter(|(_, op)| op.is_object()) {
            if op["security"].as_array().is_none_or(|s| s.is_empty() || s.iter().any(|r| r == &json!({}))) {
                continue;
            }
            let filled = path
                .split('/')
                .map(|s| if s.starts_with('{') { uuid::Uuid::new_v4().to_string() } else { s.to_owned() })
                .collect::<Vec<_>>()
                .join("/");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.as_token(m, &filled, &tenant.token).json(&json!({})).send().await.unwrap();
            let status = res.status();
            assert_ne!(status, 429, "{method} {path} drew on the anonymous budget: {}", res.text().await.unwrap());
        }
    }
    // A made-up credential is anonymous after all: its 401s spend the budget.
    let fresh = spawn_app_with(|c| c.anonymous_rate_limit_per_minute = 5, compiled()).await;
    for _ in 0..5 {
        let res = fresh.as_token(Method::GET, "/v1/tenant", "made-up-token").send().await.unwrap();
        assert_eq!(res.status(), 401);
    }
    assert_problem(fresh.request(Method::GET, "/v1/public/nobody/branding").send().await.unwrap(), 429, "rate_limited")
        .await;
}

/// #4 and #5: behind a trusted proxy each forwarded-for client has its own budget; from an
/// untrusted peer the header changes nothing.
#[tokio::test]
async fn security_5_forwarded_for_is_believed_only_from_trusted_proxies() {
    let trusting = spawn_app_with(
        |c| {
            c.anonymous_rate_limit_per_minute = 5;
            c.trusted_proxies = vec!["127.0.0.1/32".into()];
        },
        compiled(),
    )
    .await;
    trusting.signup("proxied").await;
    let branding = "/v1/public/proxied/branding";
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        for i in 0..5 {
            let res = trusting.request(Method::GET, branding).header("x-forwarded-for", client).send().await.unwrap();
            assert_eq!(res.status(), 200, "client {client}, request {i}: its own budget");
        }
        let res = trusting.request(Method::GET, branding).header("x-forwarded-for", client).send().await.unwrap();
        assert_eq!(res.status(), 429, "client {client} past its budget");
    }
    // The audit log records the forwarded address.
    let owner = trusting.signup("audited").await;
    let res = trusting
        .as_token(Method::POST, "/v1/locations", &owner.token)
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"name": "Front", "type": "virtual", "timezone": "Europe/Paris"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let log: Value = trusting.get_as(&owner.token, "/v1/audit-log?action=location.created").await.json().await.unwrap();
    assert_eq!(log["data"][0]["client_ip"], "203.0.113.9", "{log}");

    let untrusting = spawn_app_with(|c| c.anonymous_rate_limit_per_minute = 5, compiled()).await;
    untrusting.signup("direct").await;
    let mut statuses = HashSet::new();
    for i in 0..8 {
        let res = untrusting
            .request(Method::GET, "/v1/public/direct/branding")
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .send()
            .await
            .unwrap();
        statuses.insert(res.status().as_u16());
    }
    assert!(statuses.contains(&429), "a forged X-Forwarded-For from an untrusted peer buys no budget");
}

/// #4: the per-tenant policy cache keeps at most its configured number of tenants.
#[tokio::test]
async fn security_4_the_policy_cache_is_bounded() {
    let app = spawn_app_with(|c| c.policy_cache_tenants = 2, compiled()).await;
    for slug in ["one", "two", "three", "four"] {
        let tenant = app.signup(slug).await;
        assert_eq!(app.get_as(&tenant.token, "/v1/tenant").await.status(), 200);
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let cached: usize = metrics
        .lines()
        .find_map(|l| l.strip_prefix("atrium_policy_cache_tenants "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the cache gauge");
    assert!(cached <= 2, "{cached} tenants cached with a bound of 2");
}

/// #16: `/ready` keeps the database's error text in the log, not in the answer.
#[tokio::test]
async fn security_16_ready_does_not_echo_database_errors() {
    use sea_orm::{ConnectionTrait, Database};
    let app = spawn_app().await;
    let owner = Database::connect(app.owner_database_url.as_str()).await.unwrap();
    owner.execute_unprepared("ALTER TABLE seaql_migrations RENAME COLUMN version TO version_renamed").await.unwrap();
    let body = assert_problem(app.get("/ready").await, 503, "unavailable").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(!detail.contains("version") && !detail.contains("column"), "database text leaked: {detail}");
    owner.execute_unprepared("ALTER TABLE seaql_migrations RENAME COLUMN version_renamed TO version").await.unwrap();
    assert_eq!(app.get("/ready").await.status(), 200);
}

/// #16: `/metrics` behind a token, or only on its own address.
#[tokio::test]
async fn security_16_metrics_can_require_a_token_or_its_own_address() {
    let token = "metrics-token-for-the-test";
    let app = spawn_app_with(|c| c.metrics_token = Some(atrium_core::secret::Secret::new(token)), compiled()).await;
    assert_problem(app.get("/metrics").await, 401, "unauthenticated").await;
    let res = app.request(Method::GET, "/metrics").bearer_auth("wrong").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = app.request(Method::GET, "/metrics").bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("atrium_http_requests_total"));

    let app = spawn_app_with(|c| c.metrics_bind = Some("127.0.0.1:0".parse().unwrap()), compiled()).await;
    assert_problem(app.get("/metrics").await, 404, "route_not_found").await;
    let port = app.metrics_port.expect("a metrics listener");
    let res = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap();
    assert_eq!(res.status(), 200);
}

/// #8: a rule with tens of thousands of exceptions is refused on its count alone, in one
/// linear pass before any transaction opens: one error, not one per duplicate.
#[tokio::test]
async fn security_8_a_flood_of_recurring_exceptions_is_refused_on_its_count() {
    let app = spawn_app().await;
    let (t, _, tpl) = crate::support::world(&app, "flooded").await;
    let date = (chrono::Utc::now() + chrono::Duration::days(7)).date_naive().to_string();
    let exceptions: Vec<Value> = (0..27_000).map(|_| json!({"date": date, "action": "skip"})).collect();
    let body = json!({"service_template_id": tpl, "start_time": "10:00", "timezone": "UTC",
        "pattern": {"frequency": "daily"}, "start_date": date, "max_occurrences": 5, "exceptions": exceptions});
    let res = app.send_as(&t.token, Method::POST, "/v1/recurring-rules", &body).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "one error for the count, not one per duplicate: {} errors", errors.len());
    assert_eq!(errors[0]["field"], "exceptions");
    // Within the bound, duplicates are still found (by a set, not by pairs).
    let twice = json!([{"date": date, "action": "skip"}, {"date": date, "action": "skip"}]);
    let body = json!({"service_template_id": tpl, "start_time": "10:00", "timezone": "UTC",
        "pattern": {"frequency": "daily"}, "start_date": date, "max_occurrences": 5, "exceptions": twice});
    let problem = assert_problem(
        app.send_as(&t.token, Method::POST, "/v1/recurring-rules", &body).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "exceptions[1].date", "{problem}");
}

/// #9: a reschedule to the far end of the calendar, in a zone west of UTC, is a 422 (it
/// used to overflow the calendar arithmetic: a panic, answered 500).
#[tokio::test]
async fn security_9_a_far_future_reschedule_is_a_422_not_a_panic() {
    let app = spawn_app().await;
    let (t, _, tpl) = crate::support::world(&app, "farfuture").await;
    let date = (chrono::Utc::now() + chrono::Duration::days(7)).date_naive().to_string();
    for new_date in ["262142-12-31", "+262142-12-31", "9999-12-31"] {
        let body = json!({"service_template_id": tpl, "start_time": "23:30", "timezone": "America/New_York",
            "pattern": {"frequency": "daily"}, "start_date": date, "max_occurrences": 3,
            "exceptions": [{"date": date, "action": "reschedule", "new_date": new_date}]});
        let res = app.send_as(&t.token, Method::POST, "/v1/recurring-rules", &body).await;
        let status = res.status().as_u16();
        assert!(status == 422 || status == 400, "{new_date}: {status} {}", res.text().await.unwrap());
    }
}

/// #11: a tenant whose offer sweep fails (the database refuses its changes) does not stop
/// the others' lapsed offers from being swept. The healthy tenant is made between two
/// failing ones, so whichever order the sweeper takes them in, a failing one comes first.
#[tokio::test]
async fn security_11_one_tenants_failing_offer_sweep_does_not_stop_the_others() {
    use sea_orm::{ConnectionTrait, Database, Statement, TransactionTrait};
    let app = spawn_app().await;
    let mut tenants = Vec::new();
    for slug in ["broken-first", "healthy-between", "broken-last"] {
        let (t, _, tpl) = crate::support::world(&app, slug).await;
        let (customer, _) = app.add_member(&t, &format!("c@{slug}.example"), &["customer"]).await;
        let start = crate::support::hour_from_now(30);
        let booking = crate::support::post(
            &app,
            &t.token,
            "/v1/bookings",
            &json!({"service_template_id": tpl, "start": crate::support::at(start)}),
        )
        .await;
        let entry = crate::support::post(
            &app,
            &customer,
            "/v1/waitlist",
            &json!({"service_template_id": tpl, "preferred_date": start.date_naive().to_string()}),
        )
        .await;
        let id = booking["id"].as_str().unwrap();
        let res = app.send_as(&t.token, Method::POST, &format!("/v1/bookings/{id}/cancel"), &json!({})).await;
        assert_eq!(res.status(), 200);
        let e = crate::support::get(&app, &customer, &format!("/v1/waitlist/{}", entry["id"].as_str().unwrap())).await;
        assert_eq!(e["status"], "offered");
        tenants.push(t);
    }
    let db = Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let sql = |s: &str| Statement::from_string(backend, s.to_owned());
    // Every offer lapses now and, in the same transaction (so the sweeper sees neither
    // without the other), the database starts refusing every change to the broken tenants'
    // waitlist entries (a trigger): their sweep fails each time.
    let tx = db.begin().await.unwrap();
    tx.execute_raw(sql("UPDATE waitlist_entries SET offer_expires_at = offered_at")).await.unwrap();
    let broken: Vec<uuid::Uuid> =
        [&tenants[0], &tenants[2]].iter().map(|t| uuid::Uuid::parse_str(&t.id).unwrap()).collect();
    let refuse = if app.is_postgres() {
        let list = broken.iter().map(|b| format!("'{b}'::uuid")).collect::<Vec<_>>().join(", ");
        vec![
            format!(
                "CREATE FUNCTION refuse_broken() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF OLD.tenant_id IN ({list}) THEN RAISE EXCEPTION 'refused for the test'; END IF; \
                 RETURN NEW; END $$"
            ),
            "CREATE TRIGGER refuse_broken BEFORE UPDATE ON waitlist_entries FOR EACH ROW EXECUTE FUNCTION refuse_broken()"
                .to_owned(),
        ]
    } else {
        // SQLite keeps uuids as 16-byte blobs.
        let list = broken.iter().map(|b| format!("X'{}'", b.simple())).collect::<Vec<_>>().join(", ");
        vec![format!(
            "CREATE TRIGGER refuse_broken BEFORE UPDATE ON waitlist_entries WHEN OLD.tenant_id IN ({list}) \
             BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
        )]
    };
    for statement in refuse {
        tx.execute_raw(sql(&statement)).await.unwrap();
    }
    tx.commit().await.unwrap();
    let healthy = &tenants[1];
    let mut swept = false;
    for _ in 0..100 {
        let log = crate::support::get(&app, &healthy.token, "/v1/audit-log?action=waitlist.offer_expired").await;
        if !log["data"].as_array().unwrap().is_empty() {
            swept = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(swept, "the healthy tenant's lapsed offer was swept despite the other tenants' failure");
    for t in [&tenants[0], &tenants[2]] {
        let log = crate::support::get(&app, &t.token, "/v1/audit-log?action=waitlist.offer_expired").await;
        assert_eq!(log["data"], json!([]), "{}: the database refused its sweep", t.slug);
    }
}

/// A webhook test app: private addresses allowed (the receiver is local), fast polls.
async fn webhook_app(tweak: impl FnOnce(&mut atrium_server::Config)) -> atrium_tests::TestApp {
    spawn_app_with(
        |c| {
            c.webhooks_allow_private = true;
            c.webhook_poll_interval_ms = 20;
            c.webhook_retry_schedule_ms = vec![0, 200, 200];
            tweak(c);
        },
        compiled(),
    )
    .await
}

async fn create_endpoint(app: &atrium_tests::TestApp, token: &str, url: &str, types: Value) -> reqwest::Response {
    app.send_as(token, Method::POST, "/v1/webhook-endpoints", &json!({"url": url, "event_types": types})).await
}

async fn new_location(app: &atrium_tests::TestApp, token: &str, name: &str) {
    let body = json!({"name": name, "type": "virtual", "timezone": "UTC"});
    assert_eq!(app.send_as(token, Method::POST, "/v1/locations", &body).await.status(), 201);
}

/// #1: a subscription is checked when it is changed as when it is made, and at fan-out
/// against what the one who subscribed may read now (a narrowed role, a revoked key).
#[tokio::test]
async fn security_1_a_webhook_subscription_cannot_be_widened_and_follows_current_rights() {
    use atrium_tests::receiver::Receiver;
    let app = webhook_app(|_| {}).await;
    let t = app.signup("widen").await;
    let receiver = Receiver::start(&[]).await;

    // A key that may manage webhooks only: refused `*` at creation and on update alike.
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/api-keys",
            &json!({"name": "hooks", "scopes": ["integrations:webhooks_read", "integrations:webhooks_write"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let hooks_key: Value = res.json().await.unwrap();
    let hooks_key = hooks_key["secret"].as_str().unwrap().to_owned();
    assert_problem(create_endpoint(&app, &hooks_key, &receiver.url, json!(["*"])).await, 403, "forbidden").await;
    let res = create_endpoint(&app, &hooks_key, &receiver.url, json!(["webhook_endpoint.created"])).await;
    assert_eq!(res.status(), 201);
    let ep: Value = res.json().await.unwrap();
    let path = format!("/v1/webhook-endpoints/{}", ep["id"].as_str().unwrap());
    for types in [json!(["*"]), json!(["member.added"]), json!(["api_key.created", "webhook_endpoint.created"])] {
        let res = app.send_as(&hooks_key, Method::PATCH, &path, &json!({"event_types": types})).await;
        assert_problem(res, 403, "forbidden").await;
    }
    let view: Value = app.get_as(&t.token, &path).await.json().await.unwrap();
    assert_eq!(view["event_types"], json!(["webhook_endpoint.created"]), "the refused changes left it as it was");
    // A change within its rights passes.
    let res =
        app.send_as(&hooks_key, Method::PATCH, &path, &json!({"event_types": ["webhook_endpoint.updated"]})).await;
    assert_eq!(res.status(), 200);

    // At fan-out: a member whose role loses a permission, and a revoked key, no longer get
    // the events it covered.
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/roles",
            &json!({"name": "integrator", "permissions": ["integrations:webhooks_read",
                "integrations:webhooks_write", "tenants:read", "tenants:locations_read"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let role: Value = res.json().await.unwrap();
    let (integrator, _) = app.add_member(&t, "int@widen.example", &["integrator"]).await;
    let by_member = Receiver::start(&[]).await;
    let res = create_endpoint(&app, &integrator, &by_member.url, json!(["location.created", "tenant.updated"])).await;
    assert_eq!(res.status(), 201);
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/api-keys",
            &json!({"name": "locations", "scopes": ["integrations:webhooks_read", "integrations:webhooks_write",
                "tenants:locations_read"]}),
        )
        .await;
    let loc_key: Value = res.json().await.unwrap();
    let by_key = Receiver::start(&[]).await;
    let res =
        create_endpoint(&app, loc_key["secret"].as_str().unwrap(), &by_key.url, json!(["location.created"])).await;
    assert_eq!(res.status(), 201);

    new_location(&app, &t.token, "Before").await;
    by_member.wait_for(1).await;
    by_key.wait_for(1).await;

    let role_path = format!("/v1/roles/{}", role["id"].as_str().unwrap());
    let res = app
        .send_as(
            &t.token,
            Method::PATCH,
            &role_path,
            &json!({"permissions": ["integrations:webhooks_read", "integrations:webhooks_write", "tenants:read"]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            &format!("/v1/api-keys/{}/revoke", loc_key["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert!(res.status().is_success());

    new_location(&app, &t.token, "After").await;
    let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({"name": "Widen Renamed"})).await;
    assert_eq!(res.status(), 200);
    // The tenant change comes after the location: once it arrived, the location's event
    // has been fanned out too.
    let got = by_member.wait_for(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let got_types: Vec<Value> = by_member.received().iter().map(|r| r.json()["type"].clone()).collect();
    assert_eq!(got_types, [json!("location.created"), json!("tenant.updated")], "{got:?}");
    assert_eq!(by_key.received().len(), 1, "a revoked key's endpoint gets nothing more");
    // The `*`-wide receiver of the first key got none of it either.
    assert!(
        receiver.received().iter().all(|r| r.json()["type"].as_str().unwrap().starts_with("webhook_endpoint.")),
        "{:?}",
        receiver.received()
    );
}

/// #1: an endpoint nobody vouches for (no recorded subscriber) receives nothing, where it
/// used to receive everything it listed.
#[tokio::test]
async fn security_1_an_endpoint_nobody_vouches_for_receives_nothing() {
    use atrium_tests::receiver::Receiver;
    use sea_orm::{ConnectionTrait, Statement};
    let app = webhook_app(|_| {}).await;
    let t = app.signup("unvouched").await;
    let (vouched, unvouched) = (Receiver::start(&[]).await, Receiver::start(&[]).await);
    let types = json!(["location.created", "tenant.updated"]);
    assert_eq!(create_endpoint(&app, &t.token, &vouched.url, types.clone()).await.status(), 201);
    let res = create_endpoint(&app, &t.token, &unvouched.url, types).await;
    let id: uuid::Uuid = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().parse().unwrap();
    // As an endpoint from before subscribers were recorded (and without an audit trail) is.
    let db = sea_orm::Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let sql = "UPDATE webhook_endpoints SET subscribed_by = NULL, subscribed_by_key = NULL WHERE id = $1";
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, [id.into()])).await.unwrap();
    db.close().await.ok();

    new_location(&app, &t.token, "Somewhere").await;
    let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({"name": "Renamed"})).await;
    assert_eq!(res.status(), 200);
    // Both events were fanned out once the vouched endpoint has them.
    vouched.wait_for(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(unvouched.received().is_empty(), "{:?}", unvouched.received());
}

/// #1: endpoints of the previous release (registered before subscribers were recorded)
/// get their subscriber from the audit trail when the database migrates: the member who
/// created them.
#[tokio::test]
async fn security_1_endpoints_of_the_previous_release_get_their_subscriber_from_the_audit_trail() {
    use sea_orm::{ConnectionTrait, Statement};
    let seed = atrium_tests::Seed {
        sqlite: include_str!("../fixtures/previous-release/sqlite.sql"),
        postgres: include_str!("../fixtures/previous-release/postgres.sql"),
    };
    let app = atrium_tests::spawn_app_seeded(Some(seed), |_| {}, compiled()).await;
    let db = sea_orm::Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let sql = "SELECT (SELECT count(*) FROM webhook_endpoints) AS endpoints, \
               (SELECT count(*) FROM webhook_endpoints e WHERE e.subscribed_by = \
                 (SELECT a.actor_id FROM audit_log a WHERE a.action = 'webhook_endpoint.created' \
                  AND a.tenant_id = e.tenant_id) AND e.subscribed_by_key IS NULL) AS vouched";
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    let (endpoints, vouched): (i64, i64) = (row.try_get("", "endpoints").unwrap(), row.try_get("", "vouched").unwrap());
    assert_eq!((endpoints, vouched), (1, 1), "the previous release's endpoint is vouched for by its creator");
    db.close().await.ok();
}

/// #17: the SSRF guard sees through IPv6 forms that embed an IPv4 address (6to4, Teredo,
/// NAT64): an internal address inside is refused like the address itself.
#[tokio::test]
async fn security_17_ipv6_forms_embedding_an_internal_ipv4_are_refused() {
    let app = spawn_app_with(|c| c.webhooks_allow_private = false, compiled()).await;
    let t = app.signup("ssrf").await;
    for url in [
        "http://[2002:7f00:1::]/",
        "http://[2002:a9fe:a9fe::1]/latest/meta-data",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
        "http://[64:ff9b:1::a00:1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
    ] {
        let res = create_endpoint(&app, &t.token, url, json!(["tenant.updated"])).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "url", "{url}");
    }
}

/// #7: a tenant's webhook endpoints are capped (20 by default): one more is a 409
/// `limit_reached`, and deleting one makes room.
#[tokio::test]
async fn security_7_webhook_endpoints_per_tenant_are_capped() {
    let app = webhook_app(|_| {}).await;
    let t = app.signup("capped").await;
    let mut last = None;
    for i in 0..20 {
        let res =
            create_endpoint(&app, &t.token, &format!("http://127.0.0.1:9/hook{i}"), json!(["tenant.updated"])).await;
        assert_eq!(res.status(), 201, "endpoint {i}");
        last = Some(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    let res = create_endpoint(&app, &t.token, "http://127.0.0.1:9/one-more", json!(["tenant.updated"])).await;
    let problem = assert_problem(res, 409, "limit_reached").await;
    assert!(problem["detail"].as_str().unwrap().contains("20"), "{problem}");
    let other = app.signup("uncapped").await;
    let res = create_endpoint(&app, &other.token, "http://127.0.0.1:9/hook", json!(["tenant.updated"])).await;
    assert_eq!(res.status(), 201, "the cap is per tenant");
    let res = app
        .request(Method::DELETE, &format!("/v1/webhook-endpoints/{}", last.unwrap()))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = create_endpoint(&app, &t.token, "http://127.0.0.1:9/room", json!(["tenant.updated"])).await;
    assert_eq!(res.status(), 201, "a deletion makes room");
}

/// #7: the delivery worker has at most 4 requests (by default) in flight to one host; the
/// others wait for a later poll and are delivered then, without a failed attempt.
#[tokio::test]
async fn security_7_deliveries_to_one_host_are_limited_in_flight() {
    use atrium_tests::receiver::Receiver;
    let app = webhook_app(|_| {}).await;
    let t = app.signup("fanout").await;
    let receiver = Receiver::slow(std::time::Duration::from_millis(400)).await;
    let mut ids = Vec::new();
    for i in 0..10 {
        let url = format!("{}{i}", receiver.url);
        let res = create_endpoint(&app, &t.token, &url, json!(["location.created"])).await;
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    new_location(&app, &t.token, "Fan out").await;
    receiver.wait_for(10).await;
    assert!(receiver.max_in_flight() <= 4, "{} requests in flight to one host", receiver.max_in_flight());
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(receiver.received().len(), 10, "each endpoint got the event once");
    for id in ids {
        let log: Value =
            app.get_as(&t.token, &format!("/v1/webhook-endpoints/{id}/deliveries")).await.json().await.unwrap();
        let statuses: Vec<&Value> = log["data"].as_array().unwrap().iter().map(|a| &a["status_code"]).collect();
        assert_eq!(statuses, [&json!(200)], "one successful attempt, no recorded wait: {log}");
    }
}

/// Whether `delivery` carries a valid signature by `secret` (the HMAC checked here, and
/// with the `standardwebhooks` library when it is installed).
fn signed_by(secret: &str, delivery: &atrium_tests::receiver::Received) -> bool {
    let (Some(id), Some(ts), Some(sig)) =
        (delivery.header("webhook-id"), delivery.header("webhook-timestamp"), delivery.header("webhook-signature"))
    else {
        return false;
    };
    let Ok(ts) = ts.parse::<i64>() else { return false };
    let expected = atrium_integrations::signing::sign(secret, id, ts, delivery.body.as_bytes()).unwrap();
    let ours = sig.split(' ').any(|s| s == expected);
    match atrium_tests::receiver::verify_with_standardwebhooks(&[(secret.to_owned(), delivery.clone())]) {
        Some(verdicts) => ours && verdicts == ["ok"],
        None => ours,
    }
}

fn secrets(list: &[&str]) -> Vec<atrium_core::secret::Secret> {
    list.iter().map(|s| atrium_core::secret::Secret::new(*s)).collect()
}

/// A sibling of `first` running the delivery worker with these keys, and its owner's
/// token for tenant `slug`.
async fn rotated_instance(
    first: &atrium_tests::TestApp,
    slug: &str,
    jwt: &str,
    previous: &[&str],
    keys: &[&str],
) -> (atrium_tests::TestApp, String) {
    let app = first
        .spawn_sibling_with(
            |c| {
                c.webhooks_allow_private = true;
                c.webhook_poll_interval_ms = 20;
                c.webhook_retry_schedule_ms = vec![0, 60_000];
                c.jwt_secret = Some(atrium_core::secret::Secret::new(jwt));
                c.jwt_previous_secrets = secrets(previous);
                c.encryption_keys = secrets(keys);
            },
            compiled(),
        )
        .await;
    let token = app.sign_in(&format!("owner@{slug}.example"), slug).await["access_token"].as_str().unwrap().to_owned();
    (app, token)
}

const KEY_1: &str = "encryption-key-one-0123456789abcdef0123456789";
const KEY_2: &str = "encryption-key-two-0123456789abcdef0123456789";
const KEY_3: &str = "encryption-key-three-0123456789abcdef01234567";
const JWT_2: &str = "a-second-jwt-secret-0123456789abcdef012345";

/// #3: webhook secrets at rest have their own keyring. A JWT key rotation leaves
/// deliveries signed; so does an encryption key rotation (and the secret is re-sealed
/// with the new key); a secret no configured key opens makes a recorded failed attempt,
/// never an unsigned request.
#[tokio::test]
async fn security_3_webhook_secrets_survive_key_rotations_and_never_go_out_unsigned() {
    use atrium_tests::receiver::Receiver;
    let first = webhook_app(|c| {
        c.webhook_worker = false;
        c.encryption_keys = secrets(&[KEY_1]);
    })
    .await;
    let t = first.signup("rotating").await;
    let receiver = Receiver::start(&[]).await;
    let res = create_endpoint(&first, &t.token, &receiver.url, json!(["location.created"])).await;
    assert_eq!(res.status(), 201);
    let ep: Value = res.json().await.unwrap();
    let secret = ep["secret"].as_str().unwrap().to_owned();
    let id = ep["id"].as_str().unwrap().to_owned();

    // 1. A new JWT secret, the old one still verifying: deliveries stay signed.
    let (jwt_rotated, token) =
        rotated_instance(&first, "rotating", JWT_2, &[atrium_tests::TEST_JWT_SECRET], &[KEY_1]).await;
    new_location(&jwt_rotated, &token, "After the JWT rotation").await;
    let got = receiver.wait_for(1).await;
    assert!(signed_by(&secret, &got[0]), "signed after a JWT rotation: {:?}", got[0].headers);
    drop(jwt_rotated);
    // A stopped instance's worker winds down.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // 2. A new encryption key first, the old one second: signed, and re-sealed.
    let (key_rotated, token) = rotated_instance(&first, "rotating", JWT_2, &[], &[KEY_2, KEY_1]).await;
    new_location(&key_rotated, &token, "After the key rotation").await;
    let got = receiver.wait_for(2).await;
    assert!(signed_by(&secret, &got[1]), "signed after an encryption key rotation: {:?}", got[1].headers);
    drop(key_rotated);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // 3. The old key gone: the secret was re-sealed with the new one, so still signed.
    let (old_key_gone, token) = rotated_instance(&first, "rotating", JWT_2, &[], &[KEY_2]).await;
    new_location(&old_key_gone, &token, "With the new key alone").await;
    let got = receiver.wait_for(3).await;
    assert!(signed_by(&secret, &got[2]), "re-sealed with the new key: {:?}", got[2].headers);
    drop(old_key_gone);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // 4. No key that opens it: a recorded failed attempt, and nothing reaches the receiver.
    let (lost, token) = rotated_instance(&first, "rotating", JWT_2, &[], &[KEY_3]).await;
    new_location(&lost, &token, "With an unrelated key").await;
    let mut log = Value::Null;
    for _ in 0..100 {
        log = lost.get_as(&token, &format!("/v1/webhook-endpoints/{id}/deliveries")).await.json().await.unwrap();
        if log["data"].as_array().unwrap().len() >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let newest = &log["data"][0];
    assert!(newest["status_code"].is_null(), "{log}");
    assert!(newest["error"].as_str().unwrap_or_default().contains("secret"), "{log}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3, "nothing was sent, signed or not");
}

/// #12: the retention job deletes idempotency keys past their expiry and settled webhook
/// history (events, their deliveries and attempts) past the retention period; recent
/// history and the audit log stay.
#[tokio::test]
async fn security_12_retention_deletes_expired_keys_and_old_webhook_history_but_not_the_audit_log() {
    use atrium_tests::receiver::Receiver;
    use sea_orm::{ConnectionTrait, Database, Statement};
    let app = spawn_app_with(
        |c| {
            c.webhooks_allow_private = true;
            c.job_intervals_ms.insert("integrations.retention".into(), 200);
        },
        compiled(),
    )
    .await;
    let t = app.signup("retained").await;
    let receiver = Receiver::start(&[]).await;
    let body = json!({"url": receiver.url, "event_types": ["location.created"]});
    assert_eq!(app.send_as(&t.token, Method::POST, "/v1/webhook-endpoints", &body).await.status(), 201);
    let location = |name: &str| json!({"name": name, "type": "virtual", "timezone": "UTC"});
    let res = app
        .as_token(Method::POST, "/v1/locations", &t.token)
        .header("idempotency-key", "retention-1")
        .json(&location("Old"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    receiver.wait_for(1).await;
    let db = Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let count = |table: &'static str| {
        let db = &db;
        async move {
            let row = db
                .query_one_raw(Statement::from_string(backend, format!("SELECT COUNT(*) AS n FROM {table}")))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    // Wait for the delivery to settle, then age it all past the periods.
    for _ in 0..100 {
        if count("webhook_attempts").await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let audit_before = count("audit_log").await;
    assert!(
        count("idempotency_keys").await >= 1 && count("events").await >= 1 && count("webhook_deliveries").await >= 1
    );
    let past = |days: i64| chrono::Utc::now() - chrono::Duration::days(days);
    let aged = |sql: &str, at: chrono::DateTime<chrono::Utc>| {
        let sql = if app.is_postgres() { sql.replace('?', "$1") } else { sql.to_owned() };
        Statement::from_sql_and_values(backend, sql, [at.into()])
    };
    db.execute_raw(aged("UPDATE idempotency_keys SET expires_at = ?", past(1))).await.unwrap();
    db.execute_raw(aged("UPDATE events SET dispatched_at = ?", past(40))).await.unwrap();
    // A new change after the ageing stays: its history is recent.
    let recent = crate::support::post(&app, &t.token, "/v1/locations", &location("Recent")).await;
    receiver.wait_for(2).await;
    let mut gone = false;
    for _ in 0..100 {
        if count("idempotency_keys").await == 0 && count("events").await == 1 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "keys {} events {}", count("idempotency_keys").await, count("events").await);
    assert_eq!(count("webhook_deliveries").await, 1, "the recent event's delivery stays");
    assert!(count("audit_log").await > audit_before, "the audit log is append-only");
    let deliveries = crate::support::get(&app, &t.token, "/v1/webhook-deliveries").await;
    assert_eq!(deliveries["data"].as_array().unwrap().len(), 1, "{deliveries}");
    assert!(recent["id"].is_string());
}

/// A failed sign-in's problem, for comparing other password checks' answers with.
async fn failed_sign_in(app: &atrium_tests::TestApp, email: &str, tenant: &str) -> Value {
    let res = app
        .post_json("/v1/auth/token", &json!({"email": email, "password": "wrong password!", "tenant": tenant}))
        .await;
    assert_problem(res, 401, "unauthenticated").await
}

/// The parts of a problem that say what went wrong (not which request it was).
fn shape(problem: &Value) -> Value {
    let mut keys: Vec<&String> = problem.as_object().unwrap().keys().collect();
    keys.sort();
    json!({"keys": keys, "type": problem["type"], "title": problem["title"], "code": problem["code"],
        "detail": problem["detail"], "status": problem["status"]})
}

fn signup_body(slug: &str, email: &str, password: &str) -> Value {
    json!({"tenant": {"slug": slug, "name": "Guess", "type": "small_business", "timezone": "UTC", "currency": "EUR"},
        "owner": {"email": email, "password": password, "name": "Guesser"}})
}

/// #2: signup with an existing e-mail, accepting an invitation and signing in are one
/// password check: a wrong password answers exactly like a failed sign-in, and past 10
/// failures for an e-mail — whatever tenant string each attempt names — even the right
/// password is refused (429) until the window ends, on every one of the three routes.
#[tokio::test]
async fn security_2_every_password_check_is_throttled_by_email() {
    let app = spawn_app().await;
    let acme = app.signup("acme").await;
    let reference = shape(&failed_sign_in(&app, "nobody@acme.example", "acme").await);

    // Signup: 10 wrong guesses, each naming a new tenant slug.
    for i in 0..10 {
        let res = app
            .post_json("/v1/signup", &signup_body(&format!("guess-{i}"), &acme.owner_email, "wrong password!"))
            .await;
        let problem = assert_problem(res, 401, "unauthenticated").await;
        assert_eq!(shape(&problem), reference, "signup answers like a failed sign-in");
    }
    let res = app.post_json("/v1/signup", &signup_body("guess-right", &acme.owner_email, atrium_tests::PASSWORD)).await;
    assert!(res.headers().contains_key("retry-after"));
    let throttled = assert_problem(res, 429, "rate_limited").await;
    // The throttle is the sign-in's: signing in to the owner's own tenant is refused too.
    let res = app
        .post_json(
            "/v1/auth/token",
            &json!({"email": acme.owner_email, "password": atrium_tests::PASSWORD, "tenant": "acme"}),
        )
        .await;
    let sign_in_throttled = assert_problem(res, 429, "rate_limited").await;
    assert_eq!(shape(&throttled)["keys"], shape(&sign_in_throttled)["keys"]);
    assert_eq!(throttled["title"], sign_in_throttled["title"]);

    // Sign-in: the tenant string does not reset the count.
    let beta = app.signup("beta").await;
    for i in 0..10 {
        let problem = failed_sign_in(&app, &beta.owner_email, &format!("tenant-{i}")).await;
        assert_eq!(shape(&problem), reference);
    }
    let res = app
        .post_json(
            "/v1/auth/token",
            &json!({"email": beta.owner_email, "password": atrium_tests::PASSWORD, "tenant": "beta"}),
        )
        .await;
    assert_problem(res, 429, "rate_limited").await;

    // Invitation accept: an admin of one tenant invites someone else's account and guesses.
    let gamma = app.signup("gamma").await;
    let delta = app.signup("delta").await;
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let res = app
            .send_as(
                &delta.token,
                Method::POST,
                "/v1/members",
                &json!({"email": gamma.owner_email, "roles": ["staff"]}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let invitation: Value = res.json().await.unwrap();
        tokens.push(invitation["token"].as_str().unwrap().to_owned());
        // Only one pending invitation per e-mail may be refused; revoke-free: a second is fine.
    }
    for i in 0..10 {
        let token = &tokens[i % tokens.len()];
        let res =
            app.post_json(&format!("/v1/invitations/{token}/accept"), &json!({"password": "wrong password!"})).await;
        let problem = assert_problem(res, 401, "unauthenticated").await;
        assert_eq!(shape(&problem), reference, "accepting answers like a failed sign-in");
    }
    let res = app
        .post_json(&format!("/v1/invitations/{}/accept", tokens[0]), &json!({"password": atrium_tests::PASSWORD}))
        .await;
    assert_problem(res, 429, "rate_limited").await;
    // The right password for an account nobody guessed at still works.
    app.sign_in(&delta.owner_email, "delta").await;
}

/// #2: failures are also counted per client address: 50 wrong passwords for 50 different
/// e-mails from one address, and the next check from it is refused.
#[tokio::test]
async fn security_2_password_checks_are_throttled_per_address() {
    let app = spawn_app().await;
    let acme = app.signup("acme").await;
    let requests = (0..50).map(|i| {
        let app = &app;
        async move {
            let body = json!({"email": format!("x{i}@guess.example"), "password": "wrong password!", "tenant": "acme"});
            app.post_json("/v1/auth/token", &body).await.status().as_u16()
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let res = app.post_json("/v1/signup", &signup_body("guess", &acme.owner_email, atrium_tests::PASSWORD)).await;
    assert_problem(res, 429, "rate_limited").await;
}

/// #6: password hashing runs off the request workers: with one worker busy verifying 8
/// wrong passwords, `/health` still answers before any of those sign-ins does.
#[tokio::test]
async fn security_6_password_hashing_does_not_stall_the_workers() {
    let app = spawn_app_with(|c| c.workers = Some(1), compiled()).await;
    let acme = app.signup("acme").await;
    let app = std::sync::Arc::new(app);
    let mut sign_ins = Vec::new();
    for i in 0..8 {
        let (app, email) = (app.clone(), acme.owner_email.clone());
        sign_ins.push(tokio::spawn(async move {
            let body = json!({"email": email, "password": format!("wrong password {i}"), "tenant": "acme"});
            let status = app.post_json("/v1/auth/token", &body).await.status();
            (status, std::time::Instant::now())
        }));
    }
    // Let the sign-ins reach the server before asking for its health.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let res = app.get("/health").await;
    let health_done = std::time::Instant::now();
    assert_eq!(res.status(), 200);
    let mut first_sign_in_done = None;
    for s in sign_ins {
        let (status, done) = s.await.unwrap();
        assert_eq!(status, 401);
        first_sign_in_done = Some(first_sign_in_done.map_or(done, |d: std::time::Instant| d.min(done)));
    }
    assert!(health_done < first_sign_in_done.unwrap(), "/health waited for a password check");
}

/// #13: changing a custom role's permissions needs every permission it adds *and* every
/// one it takes away: a lesser admin cannot strip what they do not hold.
#[tokio::test]
async fn security_13_a_role_change_cannot_strip_permissions_the_caller_lacks() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let create = |name: &str, permissions: &[&str]| json!({"name": name, "permissions": permissions});
    let res = app
        .send_as(&t.token, Method::POST, "/v1/roles", &create("auditor", &["tenants:read", "tenants:audit_read"]))
        .await;
    assert_eq!(res.status(), 201);
    let auditor: Value = res.json().await.unwrap();
    let res = app
        .send_as(
            &t.token,
            Method::POST,
            "/v1/roles",
            &create("role_admin", &["tenants:read", "tenants:roles_read", "tenants:roles_write"]),
        )
        .await;
    assert_eq!(res.status(), 201);
    let (lesser, _) = app.add_member(&t, "lesser@acme.example", &["role_admin"]).await;
    let path = format!("/v1/roles/{}", auditor["id"].as_str().unwrap());
    let res = app.send_as(&lesser, Method::PATCH, &path, &json!({"permissions": ["tenants:read"]})).await;
    assert_problem(res, 403, "forbidden").await;
    let role: Value = app.get_as(&t.token, &path).await.json().await.unwrap();
    assert_eq!(role["permissions"], json!(["tenants:audit_read", "tenants:read"]), "unchanged");
    // Adding what they hold goes through, and leaves alone what they do not hold.
    let res = app
        .send_as(
            &lesser,
            Method::PATCH,
            &path,
            &json!({"permissions": ["tenants:audit_read", "tenants:read", "tenants:roles_read"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Taking away what they hold too; adding what they do not is refused.
    let res = app
        .send_as(&lesser, Method::PATCH, &path, &json!({"permissions": ["tenants:audit_read", "tenants:read"]}))
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .send_as(
            &lesser,
            Method::PATCH,
            &path,
            &json!({"permissions": ["tenants:audit_read", "tenants:members_read", "tenants:read"]}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let role: Value = app.get_as(&t.token, &path).await.json().await.unwrap();
    assert_eq!(role["permissions"], json!(["tenants:audit_read", "tenants:read"]));
}

/// #18: an API key carries its creator's role names, but acts only by its permissions: an
/// owner's key cannot make owners — not with `members_write` alone, and not with every
/// permission an admin holds — and cannot rotate another member's key.
#[tokio::test]
async fn security_18_an_owners_api_key_is_not_an_owner() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    let (_, admin_membership) = app.add_member(&t, "admin@acme.example", &["admin"]).await;
    let key = |scopes: Vec<String>| {
        let (app, token) = (&app, t.token.clone());
        async move {
            let res =
                app.send_as(&token, Method::POST, "/v1/api-keys", &json!({"name": "Key", "scopes": scopes})).await;
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }
    };
    let roles: Value = app.get_as(&t.token, "/v1/roles").await.json().await.unwrap();
    let admin_grants: Vec<String> =
        roles.as_array().unwrap().iter().find(|r| r["name"] == "admin").unwrap()["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
    let narrow = key(vec!["tenants:members_write".into()]).await;
    let broad = key(admin_grants).await;
    for k in [&narrow, &broad] {
        let secret = k["secret"].as_str().unwrap();
        let res = app
            .send_as(secret, Method::PATCH, &format!("/v1/members/{admin_membership}"), &json!({"roles": ["owner"]}))
            .await;
        assert_problem(res, 403, "forbidden").await;
        let res = app
            .send_as(secret, Method::POST, "/v1/members", &json!({"email": "new@acme.example", "roles": ["owner"]}))
            .await;
        assert_problem(res, 403, "forbidden").await;
    }
    // An admin's key, rotated by the owner's broad key: refused (only its creator or an owner).
    let admin = app.sign_in("admin@acme.example", "acme").await;
    let admin_token = admin["access_token"].as_str().unwrap();
    let res = app
        .send_as(admin_token, Method::POST, "/v1/api-keys", &json!({"name": "Admin's", "scopes": ["tenants:read"]}))
        .await;
    assert_eq!(res.status(), 201);
    let admins_key: Value = res.json().await.unwrap();
    let res = app
        .send_as(
            broad["secret"].as_str().unwrap(),
            Method::POST,
            &format!("/v1/api-keys/{}/rotate", admins_key["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    // The owner in person still makes owners.
    let res = app
        .send_as(&t.token, Method::PATCH, &format!("/v1/members/{admin_membership}"), &json!({"roles": ["owner"]}))
        .await;
    assert_eq!(res.status(), 200);
}

/// #12: the tenants plugin's retention job deletes refresh tokens that expired or were
/// revoked longer ago than the retention period (here 2 days), and keeps the others.
#[tokio::test]
async fn security_12_spent_refresh_tokens_are_deleted_after_the_retention_period() {
    use chrono::{Duration, Utc};
    use sea_orm::{ConnectionTrait, Database, Statement};
    let app = spawn_app_with(
        |c| {
            c.job_intervals_ms.insert("tenants.refresh_token_retention".into(), 50);
            c.plugins.entry("tenants".into()).or_default().insert("refresh_token_retention_days".into(), "2".into());
        },
        compiled(),
    )
    .await;
    let t = app.signup("acme").await;
    let tenant = uuid::Uuid::parse_str(&t.id).unwrap();
    let user = uuid::Uuid::parse_str(&app.user_id_of(&t.token).await).unwrap();
    let db = Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let now = Utc::now();
    let days = Duration::days;
    // (name, expires_at, revoked_at, kept)
    let rows = [
        ("expired-long-ago", now - days(3), None, false),
        ("revoked-long-ago", now + days(20), Some(now - days(3)), false),
        ("expired-lately", now - days(1), None, true),
        ("revoked-lately", now + days(20), Some(now - days(1)), true),
        ("live", now + days(20), None, true),
    ];
    for (name, expires_at, revoked_at, _) in &rows {
        let sql = "INSERT INTO refresh_tokens (tenant_id, id, user_id, family_id, token_hash, expires_at, created_at, \
                   rotated_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)";
        let values: Vec<sea_orm::Value> = vec![
            tenant.into(),
            uuid::Uuid::now_v7().into(),
            user.into(),
            uuid::Uuid::now_v7().into(),
            format!("hash-{name}").into(),
            (*expires_at).into(),
            (now - days(40)).into(),
            (*revoked_at).into(),
        ];
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap();
    }
    let remaining = || async {
        let sql = "SELECT token_hash FROM refresh_tokens WHERE token_hash LIKE 'hash-%' ORDER BY token_hash";
        let rows = db.query_all_raw(Statement::from_string(backend, sql.to_owned())).await.unwrap();
        rows.iter().map(|r| r.try_get::<String>("", "token_hash").unwrap()).collect::<Vec<_>>()
    };
    let expected: Vec<String> = {
        let mut kept: Vec<String> = rows.iter().filter(|r| r.3).map(|r| format!("hash-{}", r.0)).collect();
        kept.sort();
        kept
    };
    let mut left = remaining().await;
    for _ in 0..100 {
        if left == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        left = remaining().await;
    }
    assert_eq!(left, expected, "the spent tokens past retention are gone, the others kept");
    // The owner's own (live) refresh token still works.
    let res = app.post_json("/v1/auth/refresh", &json!({"refresh_token": t.refresh_token})).await;
    assert_eq!(res.status(), 200);
}

/// #14: two tenants claiming one custom domain at the same moment: the database decides —
/// one gets it, the other a 409 (never a 500, never both), and once the winner proves it
/// by DNS the host shows the winner.
#[tokio::test]
async fn security_14_a_custom_domain_is_claimed_once_even_concurrently() {
    let dns = DnsServer::start().await;
    let app = spawn_app_with(|c| c.dns_resolver = Some(dns.addr), compiled()).await;
    let a = app.signup("alpha").await;
    let b = app.signup("bravo").await;
    for i in 0..5 {
        let domain = format!("book{i}.shared.example");
        let body = json!({"custom_domains": [domain.clone()]});
        let (ra, rb) = tokio::join!(
            app.send_as(&a.token, Method::PATCH, "/v1/tenant", &body),
            app.send_as(&b.token, Method::PATCH, "/v1/tenant", &body)
        );
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        let loser = if statuses[0] == 200 { rb } else { ra };
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{domain}");
        assert_problem(loser, 409, "conflict").await;
        let (winner, token) = if ra_won(&app, &a, &domain).await { ("alpha", &a.token) } else { ("bravo", &b.token) };
        let claim = domain_claim(&app, token, &domain).await;
        dns.publish(claim["verification"]["name"].as_str().unwrap(), claim["verification"]["value"].as_str().unwrap());
        let res =
            app.send_as(token, Method::POST, &format!("/v1/tenant/custom-domains/{domain}/verify"), &json!({})).await;
        assert_eq!(res.status(), 200, "{domain}");
        let branding = app.request(Method::GET, "/v1/public/branding").header("host", &domain).send().await.unwrap();
        assert_eq!(branding.status(), 200, "{domain} resolves");
        let body: Value = branding.json().await.unwrap();
        assert_eq!(body["slug"], winner, "{body}");
    }
    // A tenant gives a domain up; then the other may claim it.
    let res = app.send_as(&a.token, Method::PATCH, "/v1/tenant", &json!({"custom_domains": []})).await;
    assert_eq!(res.status(), 200);
    let res =
        app.send_as(&b.token, Method::PATCH, "/v1/tenant", &json!({"custom_domains": ["book0.shared.example"]})).await;
    assert_eq!(res.status(), 200);
}

/// The caller's claim on `domain` as `GET /v1/tenant/custom-domains` shows it.
async fn domain_claim(app: &atrium_tests::TestApp, token: &str, domain: &str) -> Value {
    let list: Value = app.get_as(token, "/v1/tenant/custom-domains").await.json().await.unwrap();
    list.as_array().unwrap().iter().find(|c| c["domain"] == domain).cloned().unwrap_or_else(|| panic!("{list}"))
}

/// #14: listing a domain proves nothing: the host shows no tenant until the TXT record
/// the claim names is published with its value and the tenant asks for the check. A
/// missing or wrong record is a 422 saying what was expected and found; another tenant
/// cannot verify (or take) the claim; a domain listed again gets a new token.
#[tokio::test]
async fn security_14_a_custom_domain_shows_its_tenant_only_once_its_txt_record_is_found() {
    let dns = DnsServer::start().await;
    let app = spawn_app_with(|c| c.dns_resolver = Some(dns.addr), compiled()).await;
    let owner = app.signup("proven").await;
    let squatter = app.signup("squatter").await;
    let domain = "book.proven.example";
    let branding = || async {
        app.request(Method::GET, "/v1/public/branding").header("host", domain).send().await.unwrap().status().as_u16()
    };
    let verify = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move {
            app.send_as(&token, Method::POST, &format!("/v1/tenant/custom-domains/{domain}/verify"), &json!({})).await
        }
    };

    let res = app.send_as(&owner.token, Method::PATCH, "/v1/tenant", &json!({"custom_domains": [domain]})).await;
    assert_eq!(res.status(), 200);
    let claim = domain_claim(&app, &owner.token, domain).await;
    assert_eq!(claim["status"], "pending", "{claim}");
    assert_eq!(claim["verified_at"], Value::Null);
    assert_eq!(claim["verification"]["type"], "TXT");
    assert_eq!(claim["verification"]["name"], format!("_atrium-challenge.{domain}"));
    let (name, value) =
        (claim["verification"]["name"].as_str().unwrap(), claim["verification"]["value"].as_str().unwrap());
    assert!(value.starts_with("atrium-domain-verification=") && value.len() > 40, "{value}");
    assert_eq!(branding().await, 404, "an unproven domain shows no tenant");

    // No record, then a wrong one: 422, naming what is expected and what was found.
    let res = verify(&owner.token).await;
    let problem = assert_problem(res, 422, "domain_not_verified").await;
    assert!(problem["detail"].as_str().unwrap().contains(value), "{problem}");
    dns.publish(name, "atrium-domain-verification=somebody-elses-token");
    let res = verify(&owner.token).await;
    let problem = assert_problem(res, 422, "domain_not_verified").await;
    assert!(problem["detail"].as_str().unwrap().contains("somebody-elses-token"), "{problem}");
    assert_eq!(branding().await, 404);

    // The squatter neither verifies nor takes the owner's claim.
    assert_problem(verify(&squatter.token).await, 404, "not_found").await;
    let res = app.send_as(&squatter.token, Method::PATCH, "/v1/tenant", &json!({"custom_domains": [domain]})).await;
    assert_problem(res, 409, "conflict").await;

    // The right record (beside the wrong one): verified, and the host shows the tenant.
    dns.publish(name, value);
    let res = verify(&owner.token).await;
    assert_eq!(res.status(), 200);
    let verified: Value = res.json().await.unwrap();
    assert_eq!(verified["status"], "verified", "{verified}");
    assert!(verified["verified_at"].is_string());
    assert_eq!(branding().await, 200);
    // Checking again changes nothing, even once the record is gone.
    dns.clear(name);
    let again: Value = verify(&owner.token).await.json().await.unwrap();
    assert_eq!(again["verified_at"], verified["verified_at"]);
    let audit: Value =
        app.get_as(&owner.token, "/v1/audit-log?action=custom_domain.verified").await.json().await.unwrap();
    assert_eq!(audit["data"].as_array().map(Vec::len), Some(1), "{audit}");

    // Dropped and added again (the per-domain routes): a new token, pending, and the host
    // shows nobody meanwhile.
    let res =
        app.send_as(&owner.token, Method::DELETE, &format!("/v1/tenant/custom-domains/{domain}"), &json!({})).await;
    assert_eq!(res.status(), 204);
    assert_eq!(branding().await, 404);
    let res = app.send_as(&owner.token, Method::POST, "/v1/tenant/custom-domains", &json!({"domain": domain})).await;
    assert_eq!(res.status(), 201);
    let relisted: Value = res.json().await.unwrap();
    assert_eq!(relisted, domain_claim(&app, &owner.token, domain).await);
    let res = app.send_as(&owner.token, Method::POST, "/v1/tenant/custom-domains", &json!({"domain": domain})).await;
    assert_problem(res, 409, "conflict").await;
    let tenant: Value = app.get_as(&owner.token, "/v1/tenant").await.json().await.unwrap();
    assert_eq!(tenant["custom_domains"], json!([domain]), "the tenant's list follows the per-domain routes");
    assert_eq!(relisted["status"], "pending");
    assert_ne!(relisted["verification"]["value"], claim["verification"]["value"]);
    assert_eq!(branding().await, 404);
}

/// #14: a resolver that cannot be reached is the platform's trouble, said as 503 with
/// `Retry-After`; the claim stays pending.
#[tokio::test]
async fn security_14_an_unreachable_resolver_is_a_503_and_verifies_nothing() {
    // A port nobody listens on: the kernel refuses the datagram at once.
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let app = spawn_app_with(|c| c.dns_resolver = Some(closed), compiled()).await;
    let t = app.signup("offline").await;
    let res =
        app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({"custom_domains": ["book.offline.example"]})).await;
    assert_eq!(res.status(), 200);
    let res =
        app.send_as(&t.token, Method::POST, "/v1/tenant/custom-domains/book.offline.example/verify", &json!({})).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 503, "unavailable").await;
    assert_eq!(domain_claim(&app, &t.token, "book.offline.example").await["status"], "pending");
}

async fn ra_won(app: &atrium_tests::TestApp, a: &atrium_tests::Tenant, domain: &str) -> bool {
    let tenant: Value = app.get_as(&a.token, "/v1/tenant").await.json().await.unwrap();
    tenant["custom_domains"].as_array().unwrap().iter().any(|d| d == domain)
}

/// #14: a database of the previous release, whose tenant lists a custom domain, migrates
/// forward with that domain claimed: its host still shows the tenant, and nobody else can
/// take it.
#[tokio::test]
async fn security_14_listed_custom_domains_are_claimed_when_migrating() {
    fn with_domain(dump: &str, tenants_insert: &str) -> String {
        dump.lines()
            .map(|line| {
                if line.starts_with(tenants_insert) {
                    line.replacen("'[]'", "'[\"legacy.example\"]'", 1)
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
    let sqlite = with_domain(include_str!("../fixtures/previous-release/sqlite.sql"), "INSERT INTO tenants VALUES");
    let postgres =
        with_domain(include_str!("../fixtures/previous-release/postgres.sql"), "INSERT INTO public.tenants VALUES");
    let seed = atrium_tests::Seed { sqlite: &sqlite, postgres: &postgres };
    let app = atrium_tests::spawn_app_seeded(Some(seed), |_| {}, compiled()).await;
    let res = app.request(Method::GET, "/v1/public/branding").header("host", "legacy.example").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["slug"], "legacy-salon");
    let other = app.signup("newcomer").await;
    let res =
        app.send_as(&other.token, Method::PATCH, "/v1/tenant", &json!({"custom_domains": ["legacy.example"]})).await;
    assert_problem(res, 409, "conflict").await;
}
