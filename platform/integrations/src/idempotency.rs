//! `Idempotency-Key` on POST: the first response (status and body) to a key is stored
//! for 24 hours and replayed to the same credential for the same key; the same key with
//! another body, method or path is 422 `idempotency_key_reused`; a duplicate while the
//! first is still running is 409 `idempotency_in_progress`. Keys are scoped to the
//! credential (a user or an API key) within its tenant. Server faults (5xx) are not
//! stored, so the client can retry. Stored bodies are encrypted: they can hold secrets
//! that are shown once (an API key's).
//!
//! Honoured on authenticated requests; an anonymous POST is processed normally.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use atrium_core::context::{Actor, Authenticator};
use atrium_core::crypto::Keyring;
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode};
use atrium_core::ids::TenantId;
use chrono::{Duration, Utc};
use sea_orm::{DatabaseConnection, DbErr, IntoActiveModel, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entities::idempotency_keys as entity;
use crate::repo::idempotency_keys as stored;

pub const HEADER: &str = "idempotency-key";
const TTL_HOURS: i64 = 24;
/// Headers of the first response that a replay repeats.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

pub struct Idempotency {
    db: DatabaseConnection,
    authn: Arc<dyn Authenticator>,
    /// Seals stored responses (they may carry secrets shown once).
    keyring: Keyring,
    /// A claim older than this was abandoned (its server died): it may be taken over.
    stale_after: Duration,
}

impl Idempotency {
    pub fn new(
        db: DatabaseConnection,
        authn: Arc<dyn Authenticator>,
        keyring: Keyring,
        request_timeout: std::time::Duration,
    ) -> Self {
        Self {
            db,
            authn,
            keyring,
            stale_after: Duration::from_std(request_timeout * 2).unwrap_or(Duration::seconds(60)),
        }
    }
}

enum Claim {
    New(Uuid),
    Replay(Box<entity::Model>),
    InProgress,
    Mismatch,
}

struct Request<'a> {
    tenant: TenantId,
    scope: &'a str,
    key: &'a str,
    method: &'a str,
    path: &'a str,
    body_hash: &'a str,
}

async fn claim(state: &Idempotency, r: &Request<'_>) -> Result<Claim, DbErr> {
    for _ in 0..3 {
        let tx = TenantTx::begin(&state.db, r.tenant, true).await?;
        let existing = stored::find(&tx, r.scope, r.key).await?;
        let now = Utc::now();
        if let Some(row) = existing {
            let abandoned = row.state == "in_progress" && now - row.created_at > state.stale_after;
            if row.expires_at > now && !abandoned {
                return Ok(if row.method != r.method || row.path != r.path || row.body_hash != r.body_hash {
                    Claim::Mismatch
                } else if row.state == "in_progress" {
                    Claim::InProgress
                } else {
                    Claim::Replay(Box::new(row))
                });
            }
            stored::delete(&tx, row.id).await?;
        }
        let id = Uuid::now_v7();
        let row = entity::ActiveModel {
            tenant_id: Set(r.tenant.0),
            id: Set(id),
            scope: Set(r.scope.to_owned()),
            idempotency_key: Set(r.key.to_owned()),
            method: Set(r.method.to_owned()),
            path: Set(r.path.to_owned()),
            body_hash: Set(r.body_hash.to_owned()),
            state: Set("in_progress".into()),
            response_status: Set(None),
            response_headers: Set(None),
            response_body: Set(None),
            created_at: Set(now),
            expires_at: Set(now + Duration::hours(TTL_HOURS)),
        };
        match stored::insert(&tx, row).await {
            Ok(_) => {
                tx.commit().await?;
                return Ok(Claim::New(id));
            }
            // A concurrent duplicate claimed it first: look again.
            Err(err) if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(Claim::InProgress)
}

async fn finish(
    state: &Idempotency,
    tenant: TenantId,
    id: Uuid,
    status: StatusCode,
    headers: serde_json::Value,
    body: &[u8],
) -> Result<(), DbErr> {
    let tx = TenantTx::begin(&state.db, tenant, true).await?;
    let Some(row) = stored::find_by_id(&tx, id).await? else { return Ok(()) };
    if status.is_server_error() {
        stored::delete(&tx, id).await?;
    } else {
        let mut am = row.into_active_model();
        am.state = Set("done".into());
        am.response_status = Set(Some(i32::from(status.as_u16())));
        am.response_headers = Set(Some(headers));
        am.response_body = Set(state.keyring.seal(body));
        stored::update(&tx, am).await?;
    }
    tx.commit().await
}

fn invalid_key() -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter).with_detail("Idempotency-Key must be 1–255 visible ASCII characters")
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_owned));
    let state = req.app_data::<web::Data<Idempotency>>().cloned();
    let (Some(key), Some(state), true) = (key, state, req.method() == Method::POST) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Ok(key) = key.map_err(drop).and_then(|k| if (1..=255).contains(&k.len()) { Ok(k) } else { Err(()) }) else {
        return Ok(req.into_response(invalid_key().error_response()));
    };
    let Ok(ctx) = state.authn.authenticate(req.request()).await else {
        // The handler answers 401 itself; nothing to remember.
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let body = match req.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(err) => return Ok(req.into_response(err.error_response())),
    };
    req.set_payload(body.clone().into());
    let scope = match &ctx.principal().actor {
        Actor::User(id) => format!("user:{id}"),
        Actor::ApiKey { key_id, .. } => format!("api_key:{key_id}"),
    };
    let tenant = ctx.tenant_id();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let body_hash = format!("{:x}", Sha256::digest(&body));
    req.extensions_mut().insert(ctx);
    let request = Request { tenant, scope: &scope, key: &key, method: &method, path: &path, body_hash: &body_hash };

    let claimed = match claim(&state, &request).await {
        Ok(claimed) => claimed,
        Err(err) => return Ok(req.into_response(ApiError::from(err).error_response())),
    };
    match claimed {
        Claim::Mismatch => Ok(req.into_response(
            ApiError::new(ErrorCode::IdempotencyKeyReused)
                .with_detail("this Idempotency-Key was used for another request; use a new key")
                .error_response(),
        )),
        Claim::InProgress => Ok(req.into_response(
            ApiError::new(ErrorCode::IdempotencyInProgress)
                .with_detail("the first request with this Idempotency-Key is still running; retry shortly")
                .with_header(header::RETRY_AFTER, "1")
                .error_response(),
        )),
        Claim::Replay(row) => {
            let Some(body) = row.response_body.as_deref().and_then(|b| state.keyring.open(b)).map(|o| o.plain) else {
                let err = ApiError::new(ErrorCode::IdempotencyKeyReused)
                    .with_detail("the stored response can no longer be replayed; use a new key");
                return Ok(req.into_response(err.error_response()));
            };
            let status =
                row.response_status.and_then(|s| StatusCode::from_u16(s as u16).ok()).unwrap_or(StatusCode::OK);
            let mut res = HttpResponse::build(status);
            if let Some(headers) = row.response_headers.as_ref().and_then(|h| h.as_object()) {
                for (name, value) in headers {
                    if let (Ok(name), Some(value)) = (HeaderName::try_from(name.as_str()), value.as_str()) {
                        res.insert_header((name, value));
                    }
                }
            }
            res.insert_header(("idempotent-replayed", "true"));
            Ok(req.into_response(res.body(body)))
        }
        Claim::New(id) => {
            let res = next.call(req).await?;
            let (http_req, response) = res.into_parts();
            let status = response.status();
            let mut kept = serde_json::Map::new();
            for name in REPLAYED_HEADERS {
                if let Some(value) = response.headers().get(&name).and_then(|v| v.to_str().ok()) {
                    kept.insert(name.to_string(), value.into());
                }
            }
            let headers = response.headers().clone();
            let bytes = actix_web::body::to_bytes(response.into_body())
                .await
                .map_err(|e| ApiError::internal(e.into().to_string()))?;
            if let Err(err) = finish(&state, tenant, id, status, serde_json::Value::Object(kept), &bytes).await {
                tracing::error!(error = %err, "could not store the idempotent response");
            }
            let mut rebuilt = HttpResponse::with_body(status, BoxBody::new(bytes));
            for (name, value) in headers.iter() {
                rebuilt.headers_mut().append(name.clone(), value.clone());
            }
            Ok(ServiceResponse::new(http_req, rebuilt))
        }
    }
}
