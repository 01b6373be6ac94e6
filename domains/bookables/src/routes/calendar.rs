//! A bookable's calendar exceptions: `/v1/bookables/{id}/date-overrides` (closed days,
//! modified hours, special pricing, in the calendar's zone) and
//! `/v1/bookables/{id}/blocked-times` (UTC instants: time off, maintenance, unavailable).

use actix_web::{HttpResponse, delete, get, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::created;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::calendar;
use crate::views::calendar::{BlockedTimeInput, BlockedTimeView, DateOverrideInput, DateOverrideView};
use crate::{READ, WRITE};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateRange {
    /// First local date included.
    pub from: Option<NaiveDate>,
    /// Last local date included.
    pub to: Option<NaiveDate>,
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:read"]), ("api_key" = ["bookables:read"])), params(("id" = Uuid, Path), DateRange),
    responses((status = 200, body = Vec<DateOverrideView>)))]
#[get("/bookables/{id}/date-overrides")]
pub async fn bookable_date_overrides_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    range: web::Query<DateRange>,
) -> Result<web::Json<Vec<DateOverrideView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(calendar::overrides(&tx, &scope, *id, range.from, range.to).await?))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:write"]), ("api_key" = ["bookables:write"])), params(("id" = Uuid, Path)),
    request_body = DateOverrideInput, responses((status = 201, body = DateOverrideView)))]
#[post("/bookables/{id}/date-overrides")]
pub async fn bookable_date_overrides_create(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<DateOverrideInput>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let input = body.into_inner();
    let tx = ctx.write().await?;
    let view = calendar::create_override(&tx, &AuditActor::of(&ctx), &scope, *id, &input).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/bookables/{}/date-overrides/{}", view.bookable_id, view.id), &view, None))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:read"]), ("api_key" = ["bookables:read"])),
    params(("id" = Uuid, Path), ("override_id" = Uuid, Path)), responses((status = 200, body = DateOverrideView)))]
#[get("/bookables/{id}/date-overrides/{override_id}")]
pub async fn bookable_date_overrides_get(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<DateOverrideView>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.read().await?;
    Ok(web::Json(calendar::find_override(&tx, &scope, bookable, id).await?))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:write"]), ("api_key" = ["bookables:write"])),
    params(("id" = Uuid, Path), ("override_id" = Uuid, Path)), responses((status = 204, description = "Removed")))]
#[delete("/bookables/{id}/date-overrides/{override_id}")]
pub async fn bookable_date_overrides_delete(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.write().await?;
    calendar::remove_override(&tx, &AuditActor::of(&ctx), &scope, bookable, id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstantRange {
    /// Blocks ending after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Blocks starting before this instant.
    pub to: Option<DateTime<Utc>>,
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:read"]), ("api_key" = ["bookables:read"])), params(("id" = Uuid, Path), InstantRange),
    responses((status = 200, body = Vec<BlockedTimeView>)))]
#[get("/bookables/{id}/blocked-times")]
pub async fn blocked_times_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    range: web::Query<InstantRange>,
) -> Result<web::Json<Vec<BlockedTimeView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(calendar::blocked_times(&tx, &scope, *id, range.from, range.to).await?))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:write"]), ("api_key" = ["bookables:write"])), params(("id" = Uuid, Path)),
    request_body = BlockedTimeInput, responses((status = 201, body = BlockedTimeView)))]
#[post("/bookables/{id}/blocked-times")]
pub async fn blocked_times_create(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<BlockedTimeInput>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let input = body.into_inner();
    let tx = ctx.write().await?;
    let view = calendar::create_blocked_time(&tx, &AuditActor::of(&ctx), &scope, *id, &input).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/bookables/{}/blocked-times/{}", view.bookable_id, view.id), &view, None))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:read"]), ("api_key" = ["bookables:read"])),
    params(("id" = Uuid, Path), ("blocked_time_id" = Uuid, Path)), responses((status = 200, body = BlockedTimeView)))]
#[get("/bookables/{id}/blocked-times/{blocked_time_id}")]
pub async fn blocked_times_get(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<BlockedTimeView>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.read().await?;
    Ok(web::Json(calendar::find_blocked_time(&tx, &scope, bookable, id).await?))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:write"]), ("api_key" = ["bookables:write"])),
    params(("id" = Uuid, Path), ("blocked_time_id" = Uuid, Path)), responses((status = 204, description = "Removed")))]
#[delete("/bookables/{id}/blocked-times/{blocked_time_id}")]
pub async fn blocked_times_delete(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.write().await?;
    calendar::remove_blocked_time(&tx, &AuditActor::of(&ctx), &scope, bookable, id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
