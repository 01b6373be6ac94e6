//! Assembles the one OpenAPI 3.1 document: the paths collected from the mounted handlers
//! (see [`crate::app::mount`]), the plugins' additions, the problem schema, the two
//! security schemes, and the standard error responses on every operation.

use atrium_core::error::{ErrorCode, FieldError, Problem};
use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::plugins::PluginRegistry;

#[derive(OpenApi)]
#[openapi(components(schemas(Problem, ErrorCode, FieldError)))]
struct Base;

pub const BEARER_JWT: &str = "bearer_jwt";
pub const API_KEY: &str = "api_key";

/// Errors every `/v1` operation may answer, by status.
const V1_ERRORS: [(&str, &str); 6] = [
    ("400", "Malformed request (`malformed_json`, `invalid_parameter`)"),
    ("401", "Missing or invalid credential (`unauthenticated`)"),
    ("403", "Authenticated but not allowed (`forbidden`)"),
    ("404", "Not found, or not yours (`not_found`, `plugin_disabled`)"),
    ("429", "Rate limited (`rate_limited`); see `Retry-After`"),
    ("500", "Server fault (`internal`); quote `request_id`"),
];

/// Further errors of operations that take a body.
const BODY_ERRORS: [(&str, &str); 3] = [
    ("413", "Body too large (`payload_too_large`)"),
    ("415", "Body is not JSON (`unsupported_media_type`)"),
    ("422", "Body is well-formed but invalid (`validation_failed`), with field paths"),
];

pub fn document(collected: utoipa::openapi::OpenApi, registry: &PluginRegistry, title: &str) -> Value {
    let mut doc = Base::openapi();
    doc.merge(collected);
    doc.merge(registry.openapi());
    let mut spec = serde_json::to_value(&doc).unwrap_or_else(|_| json!({}));
    finish(&mut spec, title);
    booking_fields(&mut spec, registry);
    mark_plugins(&mut spec, registry);
    describe_scopes(&mut spec, registry);
    spec
}

/// The fields the plugins' booking extensions add to the booking and hold create bodies,
/// typed, each saying its plugin (`x-atrium-plugin`).
fn booking_fields(spec: &mut Value, registry: &PluginRegistry) {
    use atrium_core::booking_ext::BookingKind;
    let extensions = registry.booking_extensions();
    for (kind, schema) in [(BookingKind::Booking, "BookingCreate"), (BookingKind::Hold, "ReservationCreate")] {
        let Some(body) = spec["components"]["schemas"].get_mut(schema).and_then(Value::as_object_mut) else { continue };
        // Still closed: the body's own fields and the extensions' are all it takes.
        body.insert("additionalProperties".into(), json!(false));
        let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) else { continue };
        for (plugin, field) in extensions.fields(kind) {
            let mut value = serde_json::to_value(&field.schema).unwrap_or_else(|_| json!({}));
            if let Some(o) = value.as_object_mut() {
                o.insert("x-atrium-plugin".into(), json!(plugin));
            }
            props.insert(field.name.to_owned(), value);
        }
    }
}

/// `info.x-atrium-plugins` lists the plugins compiled in, and each path an optional plugin
/// serves says which (`x-atrium-plugin`): a tenant reaches it only with that plugin on, and
/// CI checks that a build with fewer plugins serves exactly their paths.
fn mark_plugins(spec: &mut Value, registry: &PluginRegistry) {
    spec["info"]["x-atrium-plugins"] = json!(registry.names());
    let owners = registry.route_plugins();
    let Some(paths) = spec["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        if let (Some(plugin), Some(item)) = (owners.get(path), item.as_object_mut()) {
            item.insert("x-atrium-plugin".into(), json!(plugin));
        }
    }
}

/// Each operation whose permission can be held for own records only says what they are
/// (`x-atrium-own`): a caller holding `<permission>@own` reaches only those, and another's
/// record answers 404.
fn describe_scopes(spec: &mut Value, registry: &PluginRegistry) {
    let catalog = registry.catalog();
    let Some(paths) = spec["paths"].as_object_mut() else { return };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (_, operation) in item.iter_mut().filter(|(method, _)| HTTP_METHODS.contains(&method.as_str())) {
            let permission = operation["security"]
                .as_array()
                .and_then(|requirements| {
                    requirements.iter().find_map(|r| r.as_object()?.values().next()?.get(0)?.as_str())
                })
                .map(str::to_owned);
            if let Some(own) = permission.and_then(|p| catalog.permission(&p)?.own)
                && let Some(operation) = operation.as_object_mut()
            {
                operation.insert("x-atrium-own".into(), json!(own));
            }
        }
    }
}

/// The keys of an OpenAPI path item that are operations (the others are `parameters`,
/// `x-atrium-plugin` and the like).
pub const HTTP_METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn finish(spec: &mut Value, title: &str) {
    spec["openapi"] = json!("3.1.0");
    spec["info"] = json!({
        "title": title,
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Multi-tenant bookings and marketplace API. Authenticate with \
            `Authorization: Bearer <access token>` (from `POST /v1/auth/token`) or \
            `Authorization: Bearer atr_…` (an API key). Errors are `application/problem+json` \
            with a stable `code`.",
        "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
    });
    let components = &mut spec["components"];
    components["securitySchemes"] = json!({
        BEARER_JWT: { "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                      "description": "Access token from `POST /v1/auth/token` (or a customer's \
                        registration). Each operation's requirement names the permission it needs \
                        (`GET /v1/permissions`); a role holding it as `<permission>@own` reaches \
                        only the records `x-atrium-own` describes." },
        API_KEY: { "type": "http", "scheme": "bearer", "bearerFormat": "atr_…",
                   "description": "API key (`atr_…`), sent as a bearer token. Its scopes, each \
                     `<permission>` or `<permission>@own`, narrowed to its creator's grants." }
    });
    let mut responses = serde_json::Map::new();
    for (status, description) in V1_ERRORS.iter().chain(BODY_ERRORS.iter()) {
        responses.insert(format!("Problem{status}"), problem_response(description));
    }
    responses.insert("Problem503".into(), problem_response("Not ready (`unavailable`)"));
    components["responses"] = Value::Object(responses);

    let Some(paths) = spec["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for operation in item.values_mut().filter_map(Value::as_object_mut) {
            let has_body = operation.contains_key("requestBody");
            let responses = operation.entry("responses").or_insert_with(|| json!({}));
            let Some(responses) = responses.as_object_mut() else { continue };
            // OpenAPI requires a description on every response object.
            for (status, response) in responses.iter_mut() {
                if let Some(r) = response.as_object_mut()
                    && !r.contains_key("$ref")
                    && r.get("description").and_then(Value::as_str).is_none_or(str::is_empty)
                {
                    r.insert("description".into(), json!(default_description(status)));
                }
            }
            if path.starts_with("/v1/") {
                for (status, _) in V1_ERRORS {
                    add_ref(responses, status);
                }
                if has_body {
                    for (status, _) in BODY_ERRORS {
                        add_ref(responses, status);
                    }
                }
            }
        }
    }
}

fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "No content",
        _ => "Response",
    }
}

fn add_ref(responses: &mut serde_json::Map<String, Value>, status: &str) {
    responses.entry(status).or_insert_with(|| json!({ "$ref": format!("#/components/responses/Problem{status}") }));
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

/// The paths and methods the spec declares, to tell an unknown route (404) from a known
/// route called with the wrong method (405).
#[derive(Clone, Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

#[derive(Clone, Debug)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    pub fn from_spec(spec: &Value) -> Self {
        let mut table = Self::default();
        if let Some(paths) = spec["paths"].as_object() {
            for (path, item) in paths {
                let methods = item
                    .as_object()
                    .map(|ops| {
                        ops.keys()
                            .filter(|m| HTTP_METHODS.contains(&m.as_str()))
                            .map(|m| m.to_ascii_uppercase())
                            .collect()
                    })
                    .unwrap_or_default();
                table.add(path, methods);
            }
        }
        table
    }

    pub fn add(&mut self, template: &str, methods: Vec<String>) {
        let segments =
            template
                .split('/')
                .map(|s| {
                    if s.starts_with('{') && s.ends_with('}') { Segment::Param } else { Segment::Literal(s.to_owned()) }
                })
                .collect();
        self.routes.push((segments, methods));
    }

    /// The methods allowed on `path`, or `None` if no route has this path.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut allowed: Vec<String> = self
            .routes
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments.iter().zip(&parts).all(|(seg, part)| match seg {
                        Segment::Literal(lit) => lit == part,
                        Segment::Param => !part.is_empty(),
                    })
            })
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        if allowed.is_empty() {
            return None;
        }
        allowed.sort();
        allowed.dedup();
        Some(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table_tells_unknown_paths_from_wrong_methods() {
        let mut table = RouteTable::default();
        table.add("/v1/things/{id}", vec!["GET".into(), "PATCH".into()]);
        table.add("/v1/things", vec!["POST".into()]);
        assert_eq!(table.allowed("/v1/things/abc"), Some(vec!["GET".into(), "PATCH".into()]));
        assert_eq!(table.allowed("/v1/things"), Some(vec!["POST".into()]));
        assert_eq!(table.allowed("/v1/things/"), None);
        assert_eq!(table.allowed("/v1/other"), None);
    }

    #[test]
    fn v1_operations_get_the_standard_errors() {
        let mut spec = json!({
            "paths": {
                "/v1/things": { "post": { "requestBody": {}, "responses": { "201": {} } } },
                "/health": { "get": { "responses": { "200": {} } } }
            },
            "components": {}
        });
        finish(&mut spec, "T");
        let post = &spec["paths"]["/v1/things"]["post"]["responses"];
        for status in ["400", "401", "403", "404", "413", "415", "422", "429", "500"] {
            assert!(post.get(status).is_some(), "missing {status}");
        }
        assert!(spec["paths"]["/health"]["get"]["responses"].get("401").is_none());
        assert_eq!(spec["info"]["title"], "T");
    }
}
