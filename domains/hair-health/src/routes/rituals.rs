//! `/v1/hair-rituals`: templates and customers' own rituals with ordered steps.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, created};
use serde_json::Value;
use uuid::Uuid;

use crate::rituals::{self, RitualInput, RitualView};
use crate::routes::reader;
use crate::{RITUALS_READ, RITUALS_WRITE};

/// Creates a ritual: the caller's own, a template (tenant-wide writers), or one a stylist
/// shares with a consenting client (`for_user_id`).
#[utoipa::path(operation_id = "hair_rituals_create", tag = "hair-health", security(("bearer_jwt" = ["hair-health:rituals_write"]), ("api_key" = ["hair-health:rituals_write"])),
    request_body = RitualInput, responses((status = 201, body = RitualView)))]
#[post("/hair-rituals")]
pub async fn create(ctx: RequestContext, body: Json<RitualInput>) -> Result<HttpResponse, ApiError> {
    let r = reader(&ctx, RITUALS_WRITE)?;
    let tx = ctx.write().await?;
    let view = rituals::create(&tx, &AuditActor::of(&ctx), &r.scope, r.user, body.into_inner()).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/hair-rituals/{}", view.id), &view, Some(view.version)))
}

/// The tenant's templates and the caller's own (and shared) rituals.
#[utoipa::path(operation_id = "hair_rituals_list", tag = "hair-health", security(("bearer_jwt" = ["hair-health:rituals_read"]), ("api_key" = ["hair-health:rituals_read"])),
    params(ListQuery), responses((status = 200, body = Page<RitualView>)))]
#[get("/hair-rituals")]
pub async fn list(ctx: RequestContext, query: web::Query<ListQuery>) -> Result<web::Json<Page<RitualView>>, ApiError> {
    let r = reader(&ctx, RITUALS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let views = rituals::list(&tx, &r.scope, query.cursor()?, limit).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

#[utoipa::path(operation_id = "hair_rituals_get", tag = "hair-health", security(("bearer_jwt" = ["hair-health:rituals_read"]), ("api_key" = ["hair-health:rituals_read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = RitualView)))]
#[get("/hair-rituals/{id}")]
pub async fn get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<RitualView>, ApiError> {
    let r = reader(&ctx, RITUALS_READ)?;
    let tx = ctx.read().await?;
    let (ritual, steps) = rituals::find(&tx, &r.scope, *id).await?;
    Ok(web::Json(RitualView::of(&ritual, &steps)))
}

/// Changes a ritual (a JSON merge patch over `RitualInput`; `steps`, when given, replace
/// them all, and the duration follows them unless given).
#[utoipa::path(operation_id = "hair_rituals_update", tag = "hair-health", security(("bearer_jwt" = ["hair-health:rituals_write"]), ("api_key" = ["hair-health:rituals_write"])),
    params(("id" = Uuid, Path)), request_body = RitualInput, responses((status = 200, body = RitualView)))]
#[patch("/hair-rituals/{id}")]
pub async fn update(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<Value>,
) -> Result<web::Json<RitualView>, ApiError> {
    let r = reader(&ctx, RITUALS_WRITE)?;
    let tx = ctx.write().await?;
    let found = rituals::find_writable(&tx, &r.scope, *id).await?;
    let view = rituals::update(&tx, &AuditActor::of(&ctx), &r.scope, found, &body).await?;
    tx.commit().await?;
    Ok(web::Json(view))
}

#[utoipa::path(operation_id = "hair_rituals_delete", tag = "hair-health", security(("bearer_jwt" = ["hair-health:rituals_write"]), ("api_key" = ["hair-health:rituals_write"])),
    params(("id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
#[delete("/hair-rituals/{id}")]
pub async fn delete(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let r = reader(&ctx, RITUALS_WRITE)?;
    let tx = ctx.write().await?;
    let (ritual, _) = rituals::find_writable(&tx, &r.scope, *id).await?;
    rituals::delete(&tx, &AuditActor::of(&ctx), ritual).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
