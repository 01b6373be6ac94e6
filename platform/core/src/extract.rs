//! Extractors whose failures are problem responses with field paths.
//!
//! [`Json`] replaces `actix_web::web::Json`: it requires a JSON content type (415 otherwise),
//! honours the server's body limit (413), answers 400 `malformed_json` for a body that is
//! not JSON, and 422 `validation_failed` naming the field (`owner.email`) for JSON of the
//! wrong shape — a missing field, a wrong type, an unknown field.

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode, FieldError};

#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| {
                m.type_() == mime::APPLICATION && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
            });
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::new(ErrorCode::UnsupportedMediaType)
                    .with_detail("expected Content-Type: application/json"));
            }
            let body = body.await.map_err(|err| {
                if err.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(ErrorCode::PayloadTooLarge)
                } else {
                    ApiError::new(ErrorCode::MalformedJson).with_detail(format!("cannot read the body: {err}"))
                }
            })?;
            parse(&body).map(Json)
        })
    }
}

/// Parses a JSON document into `T`, mapping failures to problem responses.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // A NUL character has no place in any field, and PostgreSQL refuses it in text.
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(ApiError::validation(vec![FieldError::new("", "strings must not contain NUL characters")]));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        // A shape error found before a syntax error further on is still a syntax error.
        let well_formed = serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
        match inner.classify() {
            serde_json::error::Category::Data if well_formed => {
                let field = if path == "." { String::new() } else { path };
                ApiError::validation(vec![FieldError::new(field, strip_position(&inner))])
            }
            _ => ApiError::new(ErrorCode::MalformedJson).with_detail(inner.to_string()),
        }
    })?;
    de.end().map_err(|err| ApiError::new(ErrorCode::MalformedJson).with_detail(err.to_string()))?;
    Ok(value)
}

/// Parses the JSON value found at `field` of a request (`calendar`, `items[2]`) into `T`,
/// with that prefix on the paths of any field errors.
pub fn parse_field<T: DeserializeOwned>(field: &str, value: serde_json::Value) -> Result<T, ApiError> {
    let body = serde_json::to_vec(&value).map_err(ApiError::internal)?;
    parse(&body).map_err(|err| {
        if err.code() != ErrorCode::ValidationFailed || field.is_empty() {
            return err;
        }
        let errors = err
            .errors()
            .iter()
            .map(|e| {
                let path = match e.field.as_str() {
                    "" => field.to_owned(),
                    p if p.starts_with('[') => format!("{field}{p}"),
                    p => format!("{field}.{p}"),
                };
                FieldError::new(path, e.message.clone())
            })
            .collect();
        ApiError::validation(errors)
    })
}

/// serde_json appends "at line 1 column 17" to data errors; the field path says more.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Owner {
        email: String,
        age: u8,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Signup {
        owner: Owner,
    }

    #[test]
    fn nul_characters_are_refused() {
        let err = parse::<Signup>(br#"{"owner": {"email": "a\u0000@b.c", "age": 3}}"#).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ValidationFailed);
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        let err = parse::<Signup>(b"{\"owner\": ").unwrap_err();
        assert_eq!(err.code(), ErrorCode::MalformedJson);
        let err = parse::<Signup>(b"{} trailing").unwrap_err();
        assert_eq!(err.code(), ErrorCode::MalformedJson);
    }

    #[test]
    fn shape_errors_name_the_field() {
        let err = parse::<Signup>(br#"{"owner": {"email": "a@b.c", "age": "old"}}"#).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ValidationFailed);
        assert_eq!(err.errors()[0].field, "owner.age");

        let err = parse::<Signup>(br#"{"owner": {"email": "a@b.c"}}"#).unwrap_err();
        assert_eq!(err.errors()[0].field, "owner");
        assert!(err.errors()[0].message.contains("missing field `age`"));

        let err = parse::<Signup>(br#"{"owner": {"email": "a@b.c", "age": 300}}"#).unwrap_err();
        assert_eq!(err.errors()[0].field, "owner.age");

        let err = parse::<Signup>(br#"{"owner": {"email": "a@b.c", "age": 3}, "tenant_id": 1}"#).unwrap_err();
        assert!(err.errors()[0].message.contains("unknown field `tenant_id`"));
    }
}
