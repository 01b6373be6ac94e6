//! `/v1/reservations`: holds. A hold occupies its slot for its holder until `expires_at`
//! (the template's hold minutes), can be extended up to the template's maximum, and ends
//! converted into a booking, released, or expired; see [`crate::holds`].

use actix_web::{HttpResponse, get, post, web};
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, created, ok_versioned};
use chrono::Utc;
use uuid::Uuid;

use crate::model::reservations::{ReservationCreate, ReservationExtend, ReservationView};
use crate::ownership::owner;
use crate::{READ, WRITE, holds, repo};

/// Holds a slot for the caller.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), request_body = ReservationCreate,
    responses((status = 201, body = ReservationView)))]
#[post("/reservations")]
pub async fn reservations_create(ctx: RequestContext, body: Json<ReservationCreate>) -> Result<HttpResponse, ApiError> {
    ctx.require_scoped(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let v = holds::hold(&ctx, &tx, body.into_inner(), now).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/reservations/{}", v.id), &v, Some(v.version)))
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:read"]), ("api_key" = ["bookings:read"])), params(ListQuery),
    responses((status = 200, body = Page<ReservationView>)))]
#[get("/reservations")]
pub async fn reservations_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ReservationView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let rows = repo::reservations::page(&tx, query.cursor()?, limit, owner(&scope)).await?;
    let now = Utc::now();
    let views = repo::reservations::views(&tx, &rows, now).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:read"]), ("api_key" = ["bookings:read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ReservationView)))]
#[get("/reservations/{id}")]
pub async fn reservations_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    let r = repo::reservations::find_owned(&tx, *id, owner(&scope)).await?;
    Ok(ok_versioned(&repo::reservations::view(&tx, &r, Utc::now()).await?, r.version))
}

/// Extends the caller's hold.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), params(("id" = Uuid, Path)),
    request_body = ReservationExtend, responses((status = 200, body = ReservationView)))]
#[post("/reservations/{id}/extend")]
pub async fn reservations_extend(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<ReservationExtend>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let after = holds::extend(&ctx, &tx, *id, body.into_inner().minutes, owner(&scope), now).await?;
    tx.commit().await?;
    let version = after.version;
    Ok(ok_versioned(&after, version))
}

/// Releases the caller's hold.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ReservationView)))]
#[post("/reservations/{id}/release")]
pub async fn reservations_release(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let v = holds::release_hold(&ctx, &tx, *id, owner(&scope), now).await?;
    tx.commit().await?;
    let version = v.version;
    Ok(ok_versioned(&v, version))
}
