//! Per-tenant plugin dependencies: a tenant's set of enabled plugins must hold every
//! plugin an enabled one depends on, whether the set comes from `PATCH /v1/tenant` or
//! from a manifest (`atrium tenant apply`).

use atrium_core::context::PolicyInvalidation;
use atrium_core::ids::TenantId;
use atrium_server::PluginRegistry;
use atrium_tenants::error::TenantsError;
use atrium_tenants::manifest;
use atrium_tests::{TestApp, assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

const ALL_FOUR: [&str; 4] = ["bookables", "bookings", "households", "service-templates"];
const WITHOUT_BOOKABLES: [&str; 3] = ["bookings", "households", "service-templates"];

/// The messages of the 422's field errors on `field`.
fn messages_on(problem: &Value, field: &str) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field"] == field)
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect()
}

async fn enabled_plugins(app: &TestApp, token: &str) -> Value {
    let tenant: Value = app.get_as(token, "/v1/tenant").await.json().await.unwrap();
    tenant["enabled_plugins"].clone()
}

#[tokio::test]
async fn a_plugin_is_not_enabled_without_what_it_depends_on() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;

    let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({"enabled_plugins": WITHOUT_BOOKABLES})).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let messages = messages_on(&problem, "enabled_plugins");
    assert!(messages.iter().any(|m| m.contains("`bookables`")), "{problem}");
    assert_eq!(enabled_plugins(&app, &t.token).await, json!([]), "nothing was switched on");

    let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({"enabled_plugins": ALL_FOUR})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(enabled_plugins(&app, &t.token).await, json!(ALL_FOUR));
}

#[tokio::test]
async fn a_plugin_another_needs_is_not_switched_off() {
    let app = spawn_app().await;
    let t = app.signup("acme").await;
    app.enable_all_plugins(&t).await;
    let all = enabled_plugins(&app, &t.token).await;

    let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({"enabled_plugins": WITHOUT_BOOKABLES})).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let messages = messages_on(&problem, "enabled_plugins");
    assert!(messages.iter().any(|m| m.contains("`bookings`") && m.contains("`bookables`")), "{problem}");
    assert_eq!(enabled_plugins(&app, &t.token).await, all, "bookables stayed on");
    assert_eq!(app.get_as(&t.token, "/v1/bookables").await.status(), 200);

    // Switching off the plugins that need it as well is consistent.
    let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({"enabled_plugins": ["households"]})).await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as(&t.token, "/v1/bookables").await, 404, "plugin_disabled").await;
}

/// The CLI's policy cache: none (a running server hears of changes by itself).
struct NoCache;

impl PolicyInvalidation for NoCache {
    fn invalidate(&self, _tenant: TenantId) {}
}

fn manifest_with(plugins: &[&str]) -> manifest::Manifest {
    let list = plugins.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ");
    manifest::parse(&format!(
        "[tenant]\nslug = \"plugged\"\nname = \"Plugged\"\ntype = \"small_business\"\n\
         timezone = \"Europe/Paris\"\ncurrency = \"EUR\"\nenabled_plugins = [{list}]\n"
    ))
    .unwrap()
}

/// The field errors of a refused apply.
fn refusal(result: Result<manifest::Report, TenantsError>) -> Vec<(String, String)> {
    match result {
        Err(TenantsError::Invalid(errors)) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(report) => panic!("applied: {:?}", report.changes),
    }
}

#[tokio::test]
async fn a_manifest_with_an_inconsistent_plugin_set_is_refused() {
    let app = spawn_app().await;
    let db = sea_orm::Database::connect(app.database_url.as_str()).await.unwrap();
    let catalog = PluginRegistry::compiled().unwrap().catalog();

    let errors = refusal(manifest::apply(&db, &catalog, &manifest_with(&WITHOUT_BOOKABLES), &NoCache).await);
    assert!(
        errors.iter().any(|(field, message)| field == "tenant.enabled_plugins" && message.contains("`bookables`")),
        "{errors:?}"
    );
    assert!(atrium_tenants::repo::tenant_by_slug(&db, "plugged").await.unwrap().is_none(), "nothing was created");

    let report = manifest::apply(&db, &catalog, &manifest_with(&ALL_FOUR), &NoCache).await.unwrap();
    assert!(report.changes.iter().any(|c| c == "created tenant plugged"), "{:?}", report.changes);

    // A later manifest that switches bookables off under bookings is refused the same way.
    let errors = refusal(manifest::apply(&db, &catalog, &manifest_with(&WITHOUT_BOOKABLES), &NoCache).await);
    assert!(
        errors.iter().any(|(field, message)| field == "tenant.enabled_plugins"
            && message.contains("`bookings`")
            && message.contains("`bookables`")),
        "{errors:?}"
    );
    let tenant = atrium_tenants::repo::tenant_by_slug(&db, "plugged").await.unwrap().unwrap();
    assert_eq!(tenant.enabled_plugins, json!(ALL_FOUR), "the tenant kept its plugins");
    db.close().await.unwrap();
}
