//! `/v1/api-keys`: create, list, read, revoke and rotate the tenant's API keys. The key
//! format and the rules are in [`crate::api_keys`].

use actix_web::{HttpResponse, get, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, created};
use atrium_core::plugin::Catalog;
use uuid::Uuid;

use crate::api_keys::{self, NewApiKey};
use crate::model::{ApiKeyCreate, ApiKeyRotate};
use crate::perm::{API_KEYS_READ, API_KEYS_WRITE};
use crate::repo;
use crate::views::{ApiKeySecret, ApiKeyView};

/// Creates a key. The answer is the only place its secret ever appears.
#[utoipa::path(tag = "api_keys", security(("bearer_jwt" = ["integrations:api_keys_write"]), ("api_key" = ["integrations:api_keys_write"])), request_body = ApiKeyCreate,
    responses((status = 201, body = ApiKeySecret)))]
#[post("/api-keys")]
pub async fn api_keys_create(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    body: Json<ApiKeyCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(API_KEYS_WRITE)?;
    let key = NewApiKey::parse(&catalog, ctx.principal(), body.into_inner())?;
    let tx = ctx.write().await?;
    let (key, secret) = api_keys::create(&tx, ctx.principal(), &AuditActor::of(&ctx), key).await?;
    tx.commit().await?;
    let body = ApiKeySecret { key: ApiKeyView::from(&key), secret };
    Ok(created(format!("/v1/api-keys/{}", key.id), &body, Some(key.version)))
}

#[utoipa::path(tag = "api_keys", security(("bearer_jwt" = ["integrations:api_keys_read"]), ("api_key" = ["integrations:api_keys_read"])), params(ListQuery),
    responses((status = 200, body = Page<ApiKeyView>)))]
#[get("/api-keys")]
pub async fn api_keys_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ApiKeyView>>, ApiError> {
    ctx.require(API_KEYS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let rows = repo::api_keys::page(&tx, query.cursor()?, limit).await?;
    Ok(web::Json(Page::from_overfetch(rows.iter().map(ApiKeyView::from).collect(), limit, |k| k.id)))
}

#[utoipa::path(tag = "api_keys", security(("bearer_jwt" = ["integrations:api_keys_read"]), ("api_key" = ["integrations:api_keys_read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiKeyView)))]
#[get("/api-keys/{id}")]
pub async fn api_keys_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<ApiKeyView>, ApiError> {
    ctx.require(API_KEYS_READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json((&api_keys::find(&tx, *id).await?).into()))
}

/// Revokes a key at once (and the previous secret of a rotation with it).
#[utoipa::path(tag = "api_keys", security(("bearer_jwt" = ["integrations:api_keys_write"]), ("api_key" = ["integrations:api_keys_write"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiKeyView)))]
#[post("/api-keys/{id}/revoke")]
pub async fn api_keys_revoke(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<ApiKeyView>, ApiError> {
    ctx.require(API_KEYS_WRITE)?;
    let tx = ctx.write().await?;
    let key = api_keys::revoke(&tx, &AuditActor::of(&ctx), *id).await?;
    tx.commit().await?;
    Ok(web::Json((&key).into()))
}

/// Issues a new secret; the old one keeps working for the grace period.
#[utoipa::path(tag = "api_keys", security(("bearer_jwt" = ["integrations:api_keys_write"]), ("api_key" = ["integrations:api_keys_write"])), params(("id" = Uuid, Path)),
    request_body = ApiKeyRotate, responses((status = 200, body = ApiKeySecret)))]
#[post("/api-keys/{id}/rotate")]
pub async fn api_keys_rotate(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<ApiKeyRotate>,
) -> Result<web::Json<ApiKeySecret>, ApiError> {
    ctx.require(API_KEYS_WRITE)?;
    let grace = api_keys::grace_period(body.grace_period_seconds)?;
    let tx = ctx.write().await?;
    let (key, secret) = api_keys::rotate(&tx, ctx.principal(), &AuditActor::of(&ctx), *id, grace).await?;
    tx.commit().await?;
    Ok(web::Json(ApiKeySecret { key: (&key).into(), secret }))
}
