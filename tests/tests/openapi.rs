//! The spec: served equals committed, OpenAPI 3.1, problem schema and security schemes,
//! and Swagger UI from vendored assets under the deployment's title.

use std::path::PathBuf;

use atrium_tests::{registry_with_echo, spawn_app, spawn_app_with};
use serde_json::Value;

const REGENERATE: &str = "cargo run -p atrium-server -- openapi --output openapi/openapi.json";

fn committed_spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json")
}

#[tokio::test]
async fn served_spec_matches_the_committed_file() {
    let app = spawn_app().await;
    let served: Value = app.get("/openapi.json").await.json().await.unwrap();
    let committed = std::fs::read_to_string(committed_spec_path())
        .unwrap_or_else(|e| panic!("openapi/openapi.json is missing ({e}); regenerate it with: {REGENERATE}"));
    let committed: Value = serde_json::from_str(&committed).unwrap();
    assert!(served == committed, "openapi/openapi.json is out of date; regenerate it with: {REGENERATE}");
}

#[tokio::test]
async fn spec_is_openapi_3_1_with_problems_and_both_credentials() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    assert_eq!(spec["info"]["title"], "Atrium");
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["bearer_jwt"]["bearerFormat"], "JWT");
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    let codes = spec["components"]["schemas"]["ErrorCode"].to_string();
    for code in ["malformed_json", "validation_failed", "route_not_found", "method_not_allowed", "plugin_disabled"] {
        assert!(codes.contains(code), "ErrorCode lists {code}");
    }
    assert!(spec["paths"]["/health"]["get"].is_object());
    assert!(spec["paths"]["/ready"]["get"]["responses"]["503"].is_object());
}

#[tokio::test]
async fn plugin_routes_are_in_the_spec_with_their_errors() {
    let app = spawn_app_with(|_| {}, registry_with_echo()).await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let post = &spec["paths"]["/v1/echo"]["post"];
    assert_eq!(post["operationId"], "echo_create");
    for status in ["400", "401", "403", "404", "413", "415", "422", "429", "500"] {
        assert!(post["responses"][status].is_object(), "POST /v1/echo documents {status}");
    }
    assert!(spec["paths"]["/v1/echo/{id}"]["get"].is_object());
}

#[tokio::test]
async fn swagger_ui_is_served_offline_under_the_deployment_title() {
    let app = spawn_app_with(|c| c.title = "Acme <Bookings>".into(), registry_with_echo()).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/docs/");

    let html = app.get("/docs/").await.text().await.unwrap();
    assert!(html.contains("<title>Acme &lt;Bookings&gt;</title>"), "{html}");
    for asset in ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-initializer.js"] {
        let res = app.get(&format!("/docs/{asset}")).await;
        assert_eq!(res.status(), 200, "{asset}");
    }
    let init = app.get("/docs/swagger-initializer.js").await.text().await.unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
    // White label: no Swagger top bar (logo and "Explore" box), the deployment's icon.
    assert!(init.contains("BaseLayout") && !init.contains("StandaloneLayout"), "{init}");
    assert!(!html.contains("favicon-32x32") && html.contains("href=\"./favicon.svg\""), "{html}");
    let icon = app.get("/docs/favicon.svg").await;
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(icon.text().await.unwrap().contains(">A</text>"));
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert_eq!(spec["info"]["title"], "Acme <Bookings>");
}

#[tokio::test]
async fn spec_is_in_the_shape_client_generators_take() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let problems = atrium_server::openapi::generator_problems(&spec);
    assert!(problems.is_empty(), "{problems:#?}");
    let create = &spec["components"]["schemas"]["BookableCreate"];
    assert_eq!(create["discriminator"]["mapping"]["provider"], "#/components/schemas/ProviderBookableCreate");
    let venue = &spec["components"]["schemas"]["VenueBookable"];
    assert_eq!(venue["properties"]["capacity"]["$ref"], "#/components/schemas/VenueCapacity");
    assert_eq!(venue["properties"]["max_overlapping_bookings"]["type"], "integer");
}

#[tokio::test]
async fn create_operations_link_to_the_operations_taking_their_id() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let links = &spec["paths"]["/v1/bookables"]["post"]["responses"]["201"]["links"];
    for op in ["bookables_get", "bookables_update", "bookables_delete"] {
        assert_eq!(links[op]["parameters"]["path.id"], "$response.body#/id", "{op}");
    }
    assert_eq!(links["availability_search"]["parameters"]["query.bookable_id"], "$response.body#/id");
}
