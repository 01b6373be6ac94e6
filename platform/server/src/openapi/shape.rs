//! The spec in the shape client generators (openapi-python-client, openapi-typescript)
//! and spec-driven tools (schemathesis) take without loss, whatever the plugins declare:
//!
//! - an inline schema equal to a named one becomes a `$ref` to it (utoipa inlines the
//!   items of generic pages), so each concept has one schema;
//! - an `allOf` of object schemas becomes one object schema (the union of properties and
//!   of `required`; closed only when every part is closed);
//! - schemas nothing refers to any more are dropped;
//! - each create operation (`POST` answering `201`) gets OpenAPI links to the operations
//!   taking the id it returns: those under `<path>/{…}` and those with a
//!   `<resource>_id` parameter.
//!
//! [`problems`] states what must hold afterwards; a test runs it on the served spec.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::{Map, Value, json};

use super::HTTP_METHODS;

const PREFIX: &str = "#/components/schemas/";

pub fn normalize(spec: &mut Value) {
    dedupe_inline(spec);
    flatten_all_of(spec);
    prune(spec);
    link_creates(spec);
}

fn schemas(spec: &Value) -> Map<String, Value> {
    spec["components"]["schemas"].as_object().cloned().unwrap_or_default()
}

/// A named schema worth pointing to instead of a copy: a structure, not a bare type.
fn is_structure(schema: &Value) -> bool {
    ["properties", "allOf", "oneOf", "anyOf", "enum"].iter().any(|k| schema.get(*k).is_some())
}

fn dedupe_inline(spec: &mut Value) {
    let named: Vec<(String, Value)> = schemas(spec).into_iter().filter(|(_, s)| is_structure(s)).collect();
    fn visit(node: &mut Value, named: &[(String, Value)], top: bool) {
        if !top
            && node.get("$ref").is_none()
            && is_structure(node)
            && let Some((name, _)) = named.iter().find(|(_, s)| s == node)
        {
            *node = json!({ "$ref": format!("{PREFIX}{name}") });
            return;
        }
        match node {
            Value::Object(map) => map.values_mut().for_each(|v| visit(v, named, false)),
            Value::Array(items) => items.iter_mut().for_each(|v| visit(v, named, false)),
            _ => {}
        }
    }
    if let Some(paths) = spec.get_mut("paths") {
        visit(paths, &named, true);
    }
    if let Some(components) = spec["components"]["schemas"].as_object_mut() {
        for schema in components.values_mut() {
            visit(schema, &named, true);
        }
    }
}

fn resolve<'a>(schemas: &'a Map<String, Value>, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix(PREFIX)) {
        Some(name) => schemas.get(name).unwrap_or(schema),
        None => schema,
    }
}

/// The one object an `allOf` of objects means, or `None` when a part is not a plain
/// object or two parts state the same property differently.
fn merged(schemas: &Map<String, Value>, node: &Map<String, Value>) -> Option<Map<String, Value>> {
    let parts = node.get("allOf")?.as_array()?;
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    let mut closed = true;
    for part in parts {
        let part = resolve(schemas, part).as_object()?;
        let plain = part.keys().all(|k| {
            ["type", "properties", "required", "additionalProperties", "description", "title", "example"]
                .contains(&k.as_str())
        });
        if !plain || part.get("type").is_some_and(|t| t != "object") {
            return None;
        }
        for (name, schema) in part.get("properties").and_then(Value::as_object).into_iter().flatten() {
            match properties.get(name) {
                Some(existing) if existing != schema => return None,
                _ => {
                    properties.insert(name.clone(), schema.clone());
                }
            }
        }
        for r in part.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !required.contains(r) {
                required.push(r.clone());
            }
        }
        closed &= part.get("additionalProperties") == Some(&Value::Bool(false));
    }
    let mut out: Map<String, Value> =
        node.iter().filter(|(k, _)| *k != "allOf").map(|(k, v)| (k.clone(), v.clone())).collect();
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    if closed {
        out.insert("additionalProperties".into(), json!(false));
    }
    Some(out)
}

fn flatten_all_of(spec: &mut Value) {
    // Parts may themselves be `allOf`s: merge until nothing changes.
    for _ in 0..8 {
        let schemas = schemas(spec);
        let mut changed = false;
        fn visit(node: &mut Value, schemas: &Map<String, Value>, changed: &mut bool) {
            if let Some(map) = node.as_object_mut()
                && map.contains_key("allOf")
                && let Some(out) = merged(schemas, map)
            {
                *map = out;
                *changed = true;
            }
            match node {
                Value::Object(map) => map.values_mut().for_each(|v| visit(v, schemas, changed)),
                Value::Array(items) => items.iter_mut().for_each(|v| visit(v, schemas, changed)),
                _ => {}
            }
        }
        visit(spec, &schemas, &mut changed);
        if !changed {
            break;
        }
    }
}

fn refs(node: &Value, out: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix(PREFIX)) {
                out.insert(name.to_owned());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Drops the schemas nothing reaches from the paths, responses and other components.
fn prune(spec: &mut Value) {
    let schemas = schemas(spec);
    let mut roots = spec.clone();
    if let Some(components) = roots["components"].as_object_mut() {
        components.remove("schemas");
    }
    let mut reached = BTreeSet::new();
    refs(&roots, &mut reached);
    let mut todo: Vec<String> = reached.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        let mut more = BTreeSet::new();
        refs(schemas.get(&name).unwrap_or(&Value::Null), &mut more);
        for m in more {
            if reached.insert(m.clone()) {
                todo.push(m);
            }
        }
    }
    if let Some(components) = spec["components"]["schemas"].as_object_mut() {
        components.retain(|name, _| reached.contains(name));
    }
}

/// `service-templates` → `service_template_id`.
fn id_parameter(collection: &str) -> String {
    let singular = collection
        .strip_suffix("ies")
        .map(|s| format!("{s}y"))
        .unwrap_or_else(|| collection.strip_suffix('s').unwrap_or(collection).to_owned());
    format!("{}_id", singular.replace('-', "_"))
}

fn link_creates(spec: &mut Value) {
    let Some(paths) = spec["paths"].as_object() else { return };
    // (path, method, operationId, parameters by location and name)
    let mut operations = Vec::new();
    for (path, item) in paths {
        let shared = item.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        for method in HTTP_METHODS {
            let Some(op) = item.get(method) else { continue };
            let Some(id) = op["operationId"].as_str() else { continue };
            let params: Vec<(String, String)> = shared
                .iter()
                .chain(op["parameters"].as_array().into_iter().flatten())
                .filter_map(|p| Some((p["in"].as_str()?.to_owned(), p["name"].as_str()?.to_owned())))
                .collect();
            operations.push((path.clone(), method, id.to_owned(), params));
        }
    }
    let mut links: BTreeMap<(String, &str), Map<String, Value>> = BTreeMap::new();
    for (path, method, _, _) in operations.iter().filter(|(_, m, _, _)| *m == "post") {
        let created = &paths[path][*method]["responses"]["201"];
        if created.is_null() || path.ends_with('}') {
            continue;
        }
        let collection = path.rsplit('/').next().unwrap_or_default();
        let by_name = id_parameter(collection);
        let mut out = Map::new();
        for (other, _, operation_id, params) in &operations {
            let mut parameters = Map::new();
            // `<path>/{x}…`: the first template segment after the collection is its id.
            if let Some(rest) = other.strip_prefix(path.as_str()).and_then(|r| r.strip_prefix("/{"))
                && let Some(name) = rest.split('}').next()
                && params.iter().any(|(at, n)| at == "path" && n == name)
            {
                parameters.insert(format!("path.{name}"), json!("$response.body#/id"));
            }
            for (at, name) in params {
                if *name == by_name
                    && (at == "path" || at == "query")
                    && !parameters.contains_key(&format!("{at}.{name}"))
                {
                    parameters.insert(format!("{at}.{name}"), json!("$response.body#/id"));
                }
            }
            if !parameters.is_empty() {
                out.insert(
                    operation_id.clone(),
                    json!({ "operationId": operation_id, "parameters": parameters,
                            "description": "Takes the `id` of the created resource" }),
                );
            }
        }
        if !out.is_empty() {
            links.insert((path.clone(), method), out);
        }
    }
    for ((path, method), out) in links {
        if let Some(created) = spec["paths"][&path][method]["responses"]["201"].as_object_mut() {
            created.insert("links".into(), Value::Object(out));
        }
    }
}

/// What would make a client generator warn, drop or mistype something; empty when clean.
pub fn problems(spec: &Value) -> Vec<String> {
    let schemas = schemas(spec);
    let mut out = Vec::new();
    fn visit(node: &Value, at: &str, schemas: &Map<String, Value>, out: &mut Vec<String>) {
        let Some(map) = node.as_object() else {
            if let Some(items) = node.as_array() {
                for (i, v) in items.iter().enumerate() {
                    visit(v, &format!("{at}/{i}"), schemas, out);
                }
            }
            return;
        };
        if map.contains_key("allOf") {
            out.push(format!("{at}: allOf that is not a merge of plain objects"));
        }
        if map.contains_key("nullable") {
            out.push(format!("{at}: `nullable` (3.0); use type [X, \"null\"]"));
        }
        if let Some(discriminator) = map.get("discriminator") {
            let property = discriminator["propertyName"].as_str().unwrap_or_default();
            let mapping = discriminator["mapping"].as_object();
            let variants = map.get("oneOf").and_then(Value::as_array);
            match (mapping, variants) {
                (Some(mapping), Some(variants)) => {
                    let targets: HashSet<&str> = mapping.values().filter_map(Value::as_str).collect();
                    for v in variants {
                        let target = v["$ref"].as_str().unwrap_or_default();
                        if !targets.contains(target) {
                            out.push(format!("{at}: variant {target:?} not named in the discriminator mapping"));
                        }
                        let variant = resolve(schemas, v);
                        let tag = &variant["properties"][property];
                        let required = variant["required"].as_array().is_some_and(|r| r.iter().any(|n| n == property));
                        if variant["type"] != "object"
                            || !required
                            || tag["enum"].as_array().is_none_or(|e| e.len() != 1)
                        {
                            out.push(format!(
                                "{at}: variant {target:?} is not an object with a required one-value `{property}`"
                            ));
                        }
                    }
                }
                _ => out.push(format!("{at}: discriminator without mapping or oneOf")),
            }
        }
        for (k, v) in map {
            visit(v, &format!("{at}/{k}"), schemas, out);
        }
    }
    visit(spec, "", &schemas, &mut out);
    let mut reached = BTreeSet::new();
    refs(spec, &mut reached);
    for name in reached.iter().filter(|n| !schemas.contains_key(*n)) {
        out.push(format!("$ref to missing schema {name}"));
    }
    let mut seen = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in HTTP_METHODS {
            if let Some(op) = item.get(method) {
                match op["operationId"].as_str() {
                    Some(id) => {
                        if let Some(first) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                            out.push(format!("operationId {id} on both {first} and {method} {path}"));
                        }
                    }
                    None => out.push(format!("{method} {path}: no operationId")),
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_of_objects_merge_and_conflicts_stay() {
        let mut spec = json!({
            "paths": {},
            "components": { "schemas": {
                "A": { "type": "object", "properties": { "a": { "type": "integer" } }, "required": ["a"], "additionalProperties": false },
                "B": { "allOf": [ { "$ref": "#/components/schemas/A" },
                                  { "type": "object", "properties": { "b": { "type": "string" } }, "additionalProperties": false } ] },
                "C": { "allOf": [ { "$ref": "#/components/schemas/A" },
                                  { "type": "object", "properties": { "a": { "type": "string" } } } ] }
            } }
        });
        flatten_all_of(&mut spec);
        let b = &spec["components"]["schemas"]["B"];
        assert_eq!(b["required"], json!(["a"]));
        assert_eq!(b["additionalProperties"], json!(false));
        assert!(b["properties"]["b"].is_object() && b.get("allOf").is_none());
        assert!(spec["components"]["schemas"]["C"].get("allOf").is_some(), "a: integer and string");
        assert_eq!(problems(&spec).len(), 1, "{:?}", problems(&spec));
    }

    #[test]
    fn creates_link_to_what_takes_their_id() {
        let op = |id: &str, params: Value| json!({ "operationId": id, "parameters": params, "responses": { "201": {}, "200": {} } });
        let mut spec = json!({ "paths": {
            "/v1/service-templates": { "post": op("t_create", json!([])) },
            "/v1/service-templates/{id}": { "get": op("t_get", json!([{ "in": "path", "name": "id" }])) },
            "/v1/availability": { "get": op("avail", json!([{ "in": "query", "name": "service_template_id" }])) },
            "/v1/other/{id}": { "get": op("other", json!([{ "in": "path", "name": "id" }])) }
        }, "components": { "schemas": {} } });
        link_creates(&mut spec);
        let links = &spec["paths"]["/v1/service-templates"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["t_get"]["parameters"]["path.id"], "$response.body#/id");
        assert_eq!(links["avail"]["parameters"]["query.service_template_id"], "$response.body#/id");
        assert!(links.get("other").is_none());
    }
}
