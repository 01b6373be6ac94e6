//! Locations (Bizing §1): physical, virtual or mobile places of business, each with its
//! IANA time zone, operating hours in local time, optional config override and, for
//! mobile services, a service area.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::model::{LocationCreate, LocationPatch, LocationStatus};
use crate::views::LocationView;
use crate::{locations, perm};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationFilter {
    pub status: Option<LocationStatus>,
}

#[utoipa::path(tag = "locations", security(("bearer_jwt" = ["tenants:locations_read"]), ("api_key" = ["tenants:locations_read"])), params(ListQuery, LocationFilter),
    responses((status = 200, body = Page<LocationView>)))]
#[get("/locations")]
pub async fn locations_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<LocationFilter>,
) -> Result<web::Json<Page<LocationView>>, ApiError> {
    ctx.require(perm::LOCATIONS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let views = locations::page(&tx, query.cursor()?, limit, filter.status).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |l| l.id)))
}

#[utoipa::path(tag = "locations", security(("bearer_jwt" = ["tenants:locations_write"]), ("api_key" = ["tenants:locations_write"])), request_body = LocationCreate,
    responses((status = 201, body = LocationView)))]
#[post("/locations")]
pub async fn locations_create(ctx: RequestContext, body: Json<LocationCreate>) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::LOCATIONS_WRITE)?;
    let tx = ctx.write().await?;
    let view = locations::create(&tx, &AuditActor::of(&ctx), body.into_inner()).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/locations/{}", view.id), &view, Some(view.version)))
}

#[utoipa::path(tag = "locations", security(("bearer_jwt" = ["tenants:locations_read"]), ("api_key" = ["tenants:locations_read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = LocationView)))]
#[get("/locations/{id}")]
pub async fn locations_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::LOCATIONS_READ)?;
    let tx = ctx.read().await?;
    let m = locations::find(&tx, *id).await?;
    Ok(ok_versioned(&locations::view(&m)?, m.version))
}

#[utoipa::path(tag = "locations", security(("bearer_jwt" = ["tenants:locations_write"]), ("api_key" = ["tenants:locations_write"])), params(("id" = Uuid, Path)),
    request_body = LocationPatch, responses((status = 200, body = LocationView)))]
#[patch("/locations/{id}")]
pub async fn locations_update(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<LocationPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::LOCATIONS_WRITE)?;
    let tx = ctx.write().await?;
    let m = locations::find(&tx, *id).await?;
    check_if_match(&req, m.version)?;
    let after = locations::update(&tx, &AuditActor::of(&ctx), m, body.into_inner()).await?;
    tx.commit().await?;
    Ok(ok_versioned(&after, after.version))
}

/// Soft-deletes a location.
#[utoipa::path(tag = "locations", security(("bearer_jwt" = ["tenants:locations_write"]), ("api_key" = ["tenants:locations_write"])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
#[delete("/locations/{id}")]
pub async fn locations_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::LOCATIONS_WRITE)?;
    let tx = ctx.write().await?;
    let m = locations::find(&tx, *id).await?;
    check_if_match(&req, m.version)?;
    locations::delete(&tx, &AuditActor::of(&ctx), m).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
