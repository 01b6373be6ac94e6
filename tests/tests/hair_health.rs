//! The hair-health plugin: typed profiles with a derived retention risk and a version per
//! change; consent that binds (field scope per group, revocation and expiry on the next
//! read on every instance, denied reads indistinguishable from no data, an access log);
//! rituals with ordered steps; the care calendar's status machine and RRULE expansion;
//! explainable, idempotent insights; export and erasure.

use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{get, post};

struct Salon {
    t: Tenant,
    customer: String,
    customer_id: String,
    stylist: String,
    stylist_id: String,
    staff: String,
}

async fn salon(app: &TestApp, slug: &str) -> Salon {
    let t = app.signup(slug).await;
    app.enable_all_plugins(&t).await;
    let (customer, _) = app.add_member(&t, &format!("cleo@{slug}.example"), &["customer"]).await;
    let (stylist, _) = app.add_member(&t, &format!("sam@{slug}.example"), &["provider"]).await;
    let (staff, _) = app.add_member(&t, &format!("desk@{slug}.example"), &["staff"]).await;
    let customer_id = app.user_id_of(&customer).await;
    let stylist_id = app.user_id_of(&stylist).await;
    Salon { t, customer, customer_id, stylist, stylist_id, staff }
}

fn full_profile() -> Value {
    json!({"texture_class": "4c", "pattern_family": "coily", "strand_thickness": "fine", "density_level": "high",
        "shrinkage_tendency": "extreme", "porosity_level": "high", "detangle_tolerance": "low",
        "manipulation_tolerance": "medium", "tension_sensitivity": "high", "scalp_sensitivity": "medium",
        "wash_day_load_factor": "heavy", "estimated_wash_day_minutes": 180, "routine_type": "growth",
        "learning_nodes_unlocked": ["POROSITY_BASICS"]})
}

async fn profile_of(app: &TestApp, s: &Salon) -> String {
    post(app, &s.customer, "/v1/hair-profiles", &full_profile()).await["id"].as_str().unwrap().to_owned()
}

async fn grant(app: &TestApp, s: &Salon, scope: Value, until: Option<String>) -> Value {
    post(
        app,
        &s.customer,
        "/v1/hair-consents",
        &json!({"stylist_user_id": s.stylist_id, "scope": scope, "valid_until": until}),
    )
    .await
}

async fn send(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> (u16, Value) {
    let res = app.send_as(token, method, path, &body).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

const GROUPS: [(&str, &[&str]); 4] = [
    ("texture", &["texture_class", "pattern_family", "strand_thickness", "density_level", "shrinkage_tendency"]),
    ("porosity", &["porosity_level", "retention_risk"]),
    ("sensitivity", &["detangle_tolerance", "manipulation_tolerance", "tension_sensitivity", "scalp_sensitivity"]),
    ("routine", &["wash_day_load_factor", "estimated_wash_day_minutes", "routine_type", "learning_nodes_unlocked"]),
];

/// A filter on each group's field, with a value the full profile matches.
const FILTERS: [(&str, &str); 4] = [
    ("texture", "texture_class=4c"),
    ("porosity", "porosity_level=high"),
    ("sensitivity", "scalp_sensitivity=medium"),
    ("routine", "routine_type=growth"),
];

#[tokio::test]
async fn profiles_enforce_the_seed_enumerations_and_bounds_and_keep_their_versions() {
    let app = spawn_app().await;
    let s = salon(&app, "curls").await;
    let res = app.send_as(&s.customer, Method::POST, "/v1/hair-profiles", &full_profile()).await;
    assert_eq!(res.status(), 201);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["retention_risk"], "high", "high porosity on 4c");
    assert_eq!(p["user_id"], s.customer_id.as_str());
    assert_eq!(p["profile_version"], "0.7");
    let id = p["id"].as_str().unwrap().to_owned();

    let again = app.send_as(&s.customer, Method::POST, "/v1/hair-profiles", &json!({})).await;
    assert_problem(again, 409, "conflict").await;

    for (body, field) in [
        (json!({"estimated_wash_day_minutes": 29}), "estimated_wash_day_minutes"),
        (json!({"estimated_wash_day_minutes": 481}), "estimated_wash_day_minutes"),
        (json!({"texture_class": "5a"}), "texture_class"),
        (json!({"porosity_level": "HIGHEST"}), "porosity_level"),
        (json!({"retention_risk": "low"}), "retention_risk"),
    ] {
        let res = app.send_as(&s.customer, Method::PATCH, &format!("/v1/hair-profiles/{id}"), &body).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert!(problem.to_string().contains(field), "{body} → {problem}");
    }
    let (status, p) =
        send(&app, &s.customer, Method::PATCH, &format!("/v1/hair-profiles/{id}"), json!({"porosity_level": "medium"}))
            .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!((p["retention_risk"].as_str(), p["version"].as_i64()), (Some("medium"), Some(2)));
    let versions = get(&app, &s.customer, &format!("/v1/hair-profiles/{id}/versions")).await;
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2, "a version per change");
    assert_eq!(versions[0]["snapshot"]["porosity_level"], "high");
    assert_eq!(versions[1]["snapshot"]["porosity_level"], "medium");
}

#[tokio::test]
async fn a_stylist_sees_filters_and_counts_only_the_field_groups_in_scope() {
    let app = spawn_app().await;
    let s = salon(&app, "scope").await;
    let id = profile_of(&app, &s).await;
    let path = format!("/v1/hair-profiles/{id}");

    // No consent: exactly what a missing profile gives; tenant staff without the permission: 403.
    let missing = format!("/v1/hair-profiles/{}", uuid::Uuid::now_v7());
    let (a, body_a) = send(&app, &s.stylist, Method::GET, &path, Value::Null).await;
    let (b, body_b) = send(&app, &s.stylist, Method::GET, &missing, Value::Null).await;
    assert_eq!((a, b), (404, 404));
    assert_eq!((&body_a["code"], &body_a["title"]), (&body_b["code"], &body_b["title"]));
    assert_eq!(get(&app, &s.stylist, "/v1/hair-profiles").await["data"].as_array().unwrap().len(), 0);
    assert_eq!(app.get_as(&s.staff, &path).await.status(), 403);
    assert_eq!(app.get_as(&s.staff, "/v1/hair-profiles").await.status(), 403);

    for (group, _) in GROUPS {
        grant(&app, &s, json!([group]), None).await;
        let view = get(&app, &s.stylist, &path).await;
        for (other, other_fields) in GROUPS {
            for f in other_fields {
                assert_eq!(view.get(*f).is_some(), other == group, "scope {group}: field {f} in {view}");
            }
        }
        assert_eq!(view["shared_groups"], json!([group]));
        let listed = get(&app, &s.stylist, "/v1/hair-profiles").await;
        assert_eq!(listed["data"].as_array().unwrap().len(), 1, "scope {group}");
        assert_eq!(listed["data"][0], view, "the list shows what the read shows");
        for (filter_group, filter) in FILTERS {
            let res = app.get_as(&s.stylist, &format!("/v1/hair-profiles?{filter}")).await;
            if filter_group == group {
                assert_eq!(res.status(), 200, "scope {group}: {filter}");
                let page: Value = res.json().await.unwrap();
                assert_eq!(page["data"].as_array().unwrap().len(), 1);
            } else {
                assert_problem(res, 403, "forbidden").await;
            }
        }
        assert!(!listed.to_string().contains("total"), "no counts");
    }
    // The owner still sees everything.
    let own = get(&app, &s.customer, &path).await;
    for (_, fields) in GROUPS {
        for f in fields {
            assert!(own.get(*f).is_some(), "{f}");
        }
    }
}

#[tokio::test]
async fn revocation_and_expiry_bind_on_the_very_next_read_and_every_read_is_logged() {
    let app = spawn_app().await;
    let s = salon(&app, "revoke").await;
    let id = profile_of(&app, &s).await;
    let path = format!("/v1/hair-profiles/{id}");
    let c = grant(&app, &s, json!(["texture", "porosity"]), None).await;
    assert_eq!(c["active"], true);
    assert_eq!(app.get_as(&s.stylist, &path).await.status(), 200);
    post(&app, &s.customer, "/v1/hair-consents/revoke", &json!({"stylist_user_id": s.stylist_id})).await;
    assert_eq!(app.get_as(&s.stylist, &path).await.status(), 404, "revoked: the next read sees nothing");
    assert_eq!(get(&app, &s.stylist, "/v1/hair-profiles").await["data"].as_array().unwrap().len(), 0);

    let until = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    grant(&app, &s, json!(["porosity"]), Some(until)).await;
    assert_eq!(app.get_as(&s.stylist, &path).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    assert_eq!(app.get_as(&s.stylist, &path).await.status(), 404, "expired: no job needed");

    let log = get(&app, &s.customer, "/v1/hair-profiles/me/access-log").await;
    let entries = log["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "two reads allowed, two logged: {log}");
    assert_eq!(entries[0]["reader_user_id"], s.stylist_id.as_str());
    assert_eq!(entries[0]["consent_version"], 1);
    assert!(entries[0]["fields"].as_array().unwrap().contains(&json!("texture_class")));
    assert_eq!(entries[1]["consent_version"], 3, "granted, revoked, granted again");
    assert_eq!(entries[1]["fields"], json!(["porosity_level", "retention_risk"]));
    let history = get(&app, &s.customer, "/v1/hair-consents/history").await;
    let actions: Vec<&str> =
        history["data"].as_array().unwrap().iter().map(|v| v["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["granted", "revoked", "granted"]);
}

#[tokio::test]
async fn a_revocation_holds_on_every_instance_for_a_thousand_reads() {
    let app = spawn_app().await;
    let b = app.spawn_sibling().await;
    let s = salon(&app, "instances").await;
    // Made before instance B first sees the tenant (SQLite has no cross-instance
    // notification of new members; PostgreSQL has).
    let (stylist2, _) = app.add_member(&s.t, "sam2@instances.example", &["provider"]).await;
    let stylist2_id = app.user_id_of(&stylist2).await;
    let id = profile_of(&app, &s).await;
    let path = format!("/v1/hair-profiles/{id}");
    grant(&app, &s, json!(["texture", "porosity", "sensitivity", "routine"]), None).await;
    assert_eq!(app.get_as(&s.stylist, &path).await.status(), 200);
    assert_eq!(b.get_as(&s.stylist, &path).await.status(), 200);
    grant(&app, &s, json!(["texture"]), None).await;
    post(&app, &s.customer, "/v1/hair-consents/revoke", &json!({"stylist_user_id": s.stylist_id})).await;
    let mut leaked = 0;
    for i in 0..1000 {
        let instance = if i % 2 == 0 { &app } else { &b };
        let res = instance.get_as(&s.stylist, &path).await;
        if res.status() != 404 {
            leaked += 1;
        }
    }
    assert_eq!(leaked, 0, "reads that returned data after revocation");

    // The same when a consent period ends, with no job running (a second stylist: each
    // person's request budget per minute is the plan's, and the first already spent 1,000).
    let until = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let body = json!({"stylist_user_id": stylist2_id, "scope": ["texture"], "valid_until": until});
    post(&app, &s.customer, "/v1/hair-consents", &body).await;
    assert_eq!(b.get_as(&stylist2, &path).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let mut leaked = 0;
    for i in 0..1000 {
        let instance = if i % 2 == 0 { &app } else { &b };
        if instance.get_as(&stylist2, &path).await.status() != 404 {
            leaked += 1;
        }
    }
    assert_eq!(leaked, 0, "reads that returned data after the consent ended");
}

#[tokio::test]
async fn rituals_keep_ordered_unique_steps_and_sum_their_duration() {
    let app = spawn_app().await;
    let s = salon(&app, "rituals").await;
    let body = json!({"ritual_type": "wash_day_full", "name": "Wash day", "load_level": "high", "steps": [
        {"step_order": 2, "step_type": "shampoo", "estimated_minutes": 15},
        {"step_order": 1, "step_type": "pre_poo", "estimated_minutes": 30},
        {"step_order": 3, "step_type": "deep_condition", "estimated_minutes": 45, "optional": true}]});
    let r = post(&app, &s.customer, "/v1/hair-rituals", &body).await;
    assert_eq!(r["default_duration_minutes"], 45, "sum of the non-optional steps");
    let orders: Vec<i64> = r["steps"].as_array().unwrap().iter().map(|s| s["step_order"].as_i64().unwrap()).collect();
    assert_eq!(orders, [1, 2, 3]);
    assert_eq!(r["user_id"], s.customer_id.as_str());
    let mut dup = body.clone();
    dup["steps"][1]["step_order"] = json!(2);
    let res = app.send_as(&s.customer, Method::POST, "/v1/hair-rituals", &dup).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert!(problem.to_string().contains("steps[1].step_order"), "{problem}");
    let mut template = body.clone();
    template["is_template"] = json!(true);
    assert_problem(
        app.send_as(&s.customer, Method::POST, "/v1/hair-rituals", &template).await,
        422,
        "validation_failed",
    )
    .await;
    let tpl = post(&app, &s.staff, "/v1/hair-rituals", &template).await;
    assert_eq!(tpl["user_id"], Value::Null);
    let id = r["id"].as_str().unwrap();
    let (status, patched) = send(
        &app,
        &s.customer,
        Method::PATCH,
        &format!("/v1/hair-rituals/{id}"),
        json!({"steps": [{"step_order": 1, "step_type": "rinse", "estimated_minutes": 10}]}),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["default_duration_minutes"], 10);
    // The customer sees the template and their own; another customer's is 404.
    let listed = get(&app, &s.customer, "/v1/hair-rituals").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    assert_eq!(app.get_as(&s.stylist, &format!("/v1/hair-rituals/{id}")).await.status(), 404);
    // A stylist shares a ritual only with a client who shares their routine.
    let mut shared = body.clone();
    shared["for_user_id"] = json!(s.customer_id);
    assert_problem(app.send_as(&s.stylist, Method::POST, "/v1/hair-rituals", &shared).await, 422, "validation_failed")
        .await;
    grant(&app, &s, json!(["routine"]), None).await;
    let r = post(&app, &s.stylist, "/v1/hair-rituals", &shared).await;
    assert_eq!(
        (r["user_id"].as_str(), r["created_by_stylist_id"].as_str()),
        (Some(s.customer_id.as_str()), Some(s.stylist_id.as_str()))
    );
}

fn event(start: &str, end: &str) -> Value {
    json!({"event_category": "hair_ritual", "event_type": "wash_day_full", "title": "Wash day",
        "scheduled_start": start, "scheduled_end": end, "load_level": "high", "requires_rest_buffer": true,
        "recommended_rest_hours_after": 48})
}

#[tokio::test]
async fn the_calendar_moves_through_its_status_machine_and_expands_its_rrule() {
    let app = spawn_app().await;
    let s = salon(&app, "calendar").await;
    let mut body = event("2030-01-06T09:00:00Z", "2030-01-06T12:00:00Z");
    body["recurrence_rule"] = json!("FREQ=WEEKLY;INTERVAL=2;COUNT=3");
    let ev = post(&app, &s.customer, "/v1/hair-calendar", &body).await;
    assert_eq!(ev["status"], "planned");
    assert_eq!(ev["generated_by"], "user");
    let id = ev["id"].as_str().unwrap();
    let occ = get(
        &app,
        &s.customer,
        &format!("/v1/hair-calendar/{id}/occurrences?from=2030-01-01T00:00:00Z&to=2030-12-31T00:00:00Z"),
    )
    .await;
    let starts: Vec<&str> = occ.as_array().unwrap().iter().map(|o| o["start"].as_str().unwrap()).collect();
    assert_eq!(starts.len(), 3, "{occ}");
    assert!(starts[1].starts_with("2030-01-20T09:00:00"), "{starts:?}");
    assert!(occ[2]["end"].as_str().unwrap().starts_with("2030-02-03T12:00:00"));

    let mut bad = body.clone();
    bad["recurrence_rule"] = json!("FREQ=YEARLY");
    let problem = assert_problem(
        app.send_as(&s.customer, Method::POST, "/v1/hair-calendar", &bad).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(problem.to_string().contains("recurrence_rule"));
    let mut booking = body.clone();
    booking["event_category"] = json!("booking_service");
    assert_problem(
        app.send_as(&s.customer, Method::POST, "/v1/hair-calendar", &booking).await,
        422,
        "validation_failed",
    )
    .await;

    let to = |status: &str| json!({"status": status});
    let path = format!("/v1/hair-calendar/{id}/transition");
    assert_problem(app.send_as(&s.customer, Method::POST, &path, &to("completed")).await, 409, "invalid_transition")
        .await;
    for status in ["due", "in_progress"] {
        assert_eq!(send(&app, &s.customer, Method::POST, &path, to(status)).await.0, 200, "{status}");
    }
    assert_problem(app.send_as(&s.customer, Method::POST, &path, &to("completed")).await, 422, "validation_failed")
        .await;
    let (status, done) =
        send(&app, &s.customer, Method::POST, &path, json!({"status": "completed", "completion_quality": "rushed"}))
            .await;
    assert_eq!(status, 200);
    assert_eq!((done["status"].as_str(), done["completion_quality"].as_str()), (Some("completed"), Some("rushed")));
    assert!(done["completed_at"].is_string());
    assert_problem(app.send_as(&s.customer, Method::POST, &path, &to("skipped")).await, 409, "invalid_transition")
        .await;

    // Rescheduling leaves the old event `rescheduled` and plans the new time.
    let ev2 =
        post(&app, &s.customer, "/v1/hair-calendar", &event("2030-03-01T09:00:00Z", "2030-03-01T10:00:00Z")).await;
    let id2 = ev2["id"].as_str().unwrap();
    let (status, moved) = send(&app, &s.customer, Method::POST, &format!("/v1/hair-calendar/{id2}/transition"),
        json!({"status": "rescheduled", "scheduled_start": "2030-03-02T09:00:00Z", "scheduled_end": "2030-03-02T10:00:00Z"})).await;
    assert_eq!((status, moved["status"].as_str()), (200, Some("rescheduled")));
    let planned = get(&app, &s.customer, "/v1/hair-calendar?status=planned&from=2030-03-02T00:00:00Z").await;
    assert_eq!(planned["data"].as_array().unwrap().len(), 1);
    // Someone else's event is 404.
    assert_eq!(app.get_as(&s.stylist, &format!("/v1/hair-calendar/{id}")).await.status(), 404);
}

#[tokio::test]
async fn insights_fire_by_rule_explain_themselves_and_never_duplicate() {
    let app = spawn_app().await;
    let s = salon(&app, "insights").await;
    profile_of(&app, &s).await;
    post(&app, &s.customer, "/v1/hair-calendar", &event("2030-01-06T09:00:00Z", "2030-01-06T12:00:00Z")).await;
    let as_of = json!({"as_of": "2030-01-07T10:00:00Z"});
    let first = post(&app, &s.customer, "/v1/hair-insights/generate", &as_of).await;
    let types: Vec<&str> =
        first["data"].as_array().unwrap().iter().map(|i| i["insight_type"].as_str().unwrap()).collect();
    assert!(types.contains(&"rest_recommendation"), "{first}");
    assert!(types.contains(&"moisture_need"), "high porosity, no moisture ritual: {first}");
    assert!(!types.contains(&"wash_day_reminder"), "washed yesterday, heavy load factor: {first}");
    assert_eq!(first["created"].as_u64().unwrap() as usize, types.len());
    let rest = first["data"].as_array().unwrap().iter().find(|i| i["insight_type"] == "rest_recommendation").unwrap();
    assert_eq!(rest["rule_id"], "rest_after_high_load");
    assert_eq!(rest["rule_version"], 1);
    assert_eq!(rest["source_data"]["facts"]["load_level"], "high");
    assert!(rest["source_data"]["trace"].as_array().unwrap().iter().all(|c| c["result"] == true));
    assert!((0.0..=1.0).contains(&rest["confidence_score"].as_f64().unwrap()));

    let second = post(&app, &s.customer, "/v1/hair-insights/generate", &as_of).await;
    assert_eq!(second["created"], 0, "the same inputs make no new insight");
    assert_eq!(get(&app, &s.customer, "/v1/hair-insights").await["data"].as_array().unwrap().len(), types.len());

    let why =
        get(&app, &s.customer, "/v1/hair-insights/explain?rule=wash_day_reminder&as_of=2030-01-07T10:00:00Z").await;
    assert_eq!(why["evaluations"][0]["fired"], false);
    assert_eq!(why["evaluations"][0]["facts"]["days_since_last_wash"], 1);
    let failed: Vec<&Value> =
        why["evaluations"][0]["trace"].as_array().unwrap().iter().filter(|c| c["result"] == false).collect();
    assert_eq!(failed.len(), 1, "{why}");
    let why =
        get(&app, &s.customer, "/v1/hair-insights/explain?rule=wash_day_reminder&as_of=2030-01-17T10:00:00Z").await;
    assert_eq!(why["evaluations"][0]["fired"], true, "ten days later: {why}");
    assert_problem(app.get_as(&s.customer, "/v1/hair-insights/explain?rule=nope").await, 422, "validation_failed")
        .await;

    // Dismissal; the stylist sees insights only with `insights` and every group they use.
    let rid = rest["id"].as_str().unwrap();
    let d = post(&app, &s.customer, &format!("/v1/hair-insights/{rid}/dismiss"), &json!({})).await;
    assert_eq!(d["is_dismissed"], true);
    let mid = first["data"].as_array().unwrap().iter().find(|i| i["insight_type"] == "moisture_need").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    grant(&app, &s, json!(["insights", "calendar"]), None).await;
    assert_eq!(app.get_as(&s.stylist, &format!("/v1/hair-insights/{mid}")).await.status(), 404, "porosity withheld");
    grant(&app, &s, json!(["insights", "calendar", "porosity"]), None).await;
    assert_eq!(app.get_as(&s.stylist, &format!("/v1/hair-insights/{mid}")).await.status(), 200);
}

#[tokio::test]
async fn export_holds_every_row_and_erasure_leaves_nothing_behind() {
    let app = spawn_app().await;
    let s = salon(&app, "erase").await;
    let id = profile_of(&app, &s).await;
    post(&app, &s.customer, "/v1/hair-calendar", &event("2030-01-06T09:00:00Z", "2030-01-06T12:00:00Z")).await;
    post(
        &app,
        &s.customer,
        "/v1/hair-rituals",
        &json!({"ritual_type": "moisture_refresh", "name": "Refresh",
        "load_level": "low", "steps": [{"step_order": 1, "step_type": "moisturize", "estimated_minutes": 5}]}),
    )
    .await;
    post(&app, &s.customer, "/v1/hair-insights/generate", &json!({"as_of": "2030-01-07T10:00:00Z"})).await;
    grant(&app, &s, json!(["texture"]), None).await;
    let path = format!("/v1/hair-profiles/{id}");
    assert_eq!(app.get_as(&s.stylist, &path).await.status(), 200);

    let export = get(&app, &s.customer, "/v1/hair-profiles/me/export").await;
    let db = sea_orm::Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    // Every table of the plugin but the per-tenant sync cursor, which holds no one's data.
    let tables: Vec<String> = hair_tables(&db).await.into_iter().filter(|t| t != "hair_booking_sync").collect();
    assert!(tables.len() >= 9, "{tables:?}");
    for t in &tables {
        let n = count(&db, t).await;
        let exported = export["tables"][t.as_str()].as_array().map_or(0, Vec::len) as i64;
        assert_eq!(exported, n, "{t}: every row is the customer's and is exported");
        assert!(n > 0, "{t} has the customer's rows");
    }

    assert_eq!(app.send_as(&s.customer, Method::DELETE, "/v1/hair-profiles/me", &json!({})).await.status(), 204);
    assert_eq!(app.get_as(&s.stylist, &path).await.status(), 404, "the stylist's next read");
    for t in &tables {
        assert_eq!(count(&db, t).await, 0, "{t} after erasure");
    }
    let export = get(&app, &s.customer, "/v1/hair-profiles/me/export").await;
    assert!(export["tables"].as_object().unwrap().values().all(|rows| rows.as_array().unwrap().is_empty()));
}

async fn hair_tables(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'hair\\_%'"
        }
        _ => "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name LIKE 'hair\\_%' ESCAPE '\\'",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql.to_owned())).await.unwrap();
    let mut names: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "t").unwrap()).collect();
    names.sort();
    names
}

async fn count(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, format!("SELECT count(*) AS n FROM \"{table}\"")))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn a_booking_appears_in_the_customers_care_calendar_and_disappears_when_cancelled() {
    use crate::support::{at, hour_from_now, world};
    let app = spawn_app().await;
    let (t, _, template) = world(&app, "bookhair").await;
    let (customer, _) = app.add_member(&t, "cleo@bookhair.example", &["customer"]).await;
    let start = hour_from_now(30);
    let booking =
        post(&app, &customer, "/v1/bookings", &json!({"service_template_id": template, "start": at(start)})).await;
    let bid = booking["id"].as_str().unwrap().to_owned();

    let listed = get(&app, &customer, "/v1/hair-calendar?category=booking_service").await;
    let events = listed["data"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{listed}");
    assert_eq!(events[0]["linked_booking_id"], bid.as_str());
    assert_eq!(events[0]["generated_by"], "system");
    let shown: chrono::DateTime<chrono::Utc> = events[0]["scheduled_start"].as_str().unwrap().parse().unwrap();
    assert_eq!(shown, start);
    // Reading again applies nothing twice.
    assert_eq!(get(&app, &customer, "/v1/hair-calendar").await["data"].as_array().unwrap().len(), 1);
    // The booking feeds the stylist-prep rule.
    let as_of = at(start - chrono::Duration::hours(24));
    let why = get(&app, &customer, &format!("/v1/hair-insights/explain?rule=stylist_prep&as_of={as_of}")).await;
    assert_eq!(why["evaluations"][0]["fired"], true, "{why}");
    // Clients cannot edit a booking's event; the booking drives it.
    let eid = events[0]["id"].as_str().unwrap();
    let res = app.send_as(&customer, Method::PATCH, &format!("/v1/hair-calendar/{eid}"), &json!({"title": "x"})).await;
    assert_problem(res, 409, "conflict").await;

    let res = app.send_as(&t.token, Method::POST, &format!("/v1/bookings/{bid}/cancel"), &json!({})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let listed = get(&app, &customer, "/v1/hair-calendar").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0, "cancelled: gone from the calendar {listed}");
    assert_eq!(app.get_as(&customer, &format!("/v1/hair-calendar/{eid}")).await.status(), 404);
}
