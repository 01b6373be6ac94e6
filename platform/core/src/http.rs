//! Small HTTP conventions shared by every resource: lists with cursors, `ETag` /
//! `If-Match` on versioned resources, `201 Created` with `Location`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorCode};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListQuery {
    pub fn limit(&self) -> Result<u64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::new(ErrorCode::InvalidParameter).with_detail("limit must be between 1 and 200")),
        }
    }

    /// The cursor is the id of the last item of the previous page (ids are time-ordered
    /// UUIDv7, so paging is stable under inserts).
    pub fn cursor(&self) -> Result<Option<uuid::Uuid>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| {
                uuid::Uuid::parse_str(c)
                    .map_err(|_| ApiError::new(ErrorCode::InvalidParameter).with_detail("cursor is not valid"))
            })
            .transpose()
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `items` were fetched with `limit + 1`; the extra one only says a next page exists.
    pub fn from_overfetch(mut items: Vec<T>, limit: u64, id_of: impl Fn(&T) -> uuid::Uuid) -> Self {
        let more = items.len() as u64 > limit;
        items.truncate(limit as usize);
        let next_cursor = if more { items.last().map(|i| id_of(i).to_string()) } else { None };
        Self { data: items, next_cursor }
    }
}

pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// 412 when the request carries `If-Match` and it names another version.
pub fn check_if_match(req: &HttpRequest, version: i32) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else { return Ok(()) };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" || value.split(',').any(|v| v.trim().trim_start_matches("W/") == etag(version)) {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::PreconditionFailed)
            .with_detail(format!("the resource is at version {version}; re-read it and retry")))
    }
}

/// 200 with the body and its `ETag`.
pub fn ok_versioned<T: Serialize>(body: &T, version: i32) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(body)
}

/// 201 with the body, `Location` and (for versioned resources) `ETag`.
pub fn created<T: Serialize>(location: String, body: &T, version: Option<i32>) -> HttpResponse {
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, location));
    if let Some(v) = version {
        res.insert_header((header::ETAG, etag(v)));
    }
    res.json(body)
}

/// For PATCH fields where `null` means "clear": absent → `None`, `null` → `Some(None)`,
/// a value → `Some(Some(v))`. Use with `#[serde(default, deserialize_with = "…")]`.
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// JSON Merge Patch (RFC 7396): objects merge key by key, `null` removes a key, anything
/// else replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(fields) = target {
        for (key, value) in changes {
            if value.is_null() {
                fields.remove(key);
            } else {
                merge_patch(fields.entry(key.clone()).or_insert(serde_json::Value::Null), value);
            }
        }
    }
}

/// A PATCH as a merge patch over the resource's full input state: the result is parsed
/// and checked like a creation, so a patch can never produce what a POST could not.
pub fn patched<T: Serialize + serde::de::DeserializeOwned>(
    current: &T,
    patch: &serde_json::Value,
) -> Result<T, crate::error::ApiError> {
    let mut merged = serde_json::to_value(current).map_err(crate::error::ApiError::internal)?;
    merge_patch(&mut merged, patch);
    let body = serde_json::to_vec(&merged).map_err(crate::error::ApiError::internal)?;
    crate::extract::parse(&body)
}

#[cfg(test)]
mod merge_tests {
    use serde_json::json;

    use super::merge_patch;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}, "k": [1, 2]});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}, "k": [3], "n": {"x": 1}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}, "k": [3], "n": {"x": 1}}));
    }
}
