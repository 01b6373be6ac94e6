//! `/v1/hair-calendar`: the care calendar.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, created};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::calendar::{self, EventFilter, EventInput, EventView, Occurrence, Transition};
use crate::model::{EventCategory, EventStatus};
use crate::routes::reader;
use crate::{CALENDAR_READ, CALENDAR_WRITE};

/// Adds an event to the caller's care calendar (`booking_service` events come from bookings).
#[utoipa::path(operation_id = "hair_calendar_create", tag = "hair-health", security(("bearer_jwt" = ["hair-health:calendar_write"]), ("api_key" = ["hair-health:calendar_write"])),
    request_body = EventInput, responses((status = 201, body = EventView)))]
#[post("/hair-calendar")]
pub async fn create(ctx: RequestContext, body: Json<EventInput>) -> Result<HttpResponse, ApiError> {
    let r = reader(&ctx, CALENDAR_WRITE)?;
    let tx = ctx.write().await?;
    let view = calendar::create(&tx, &AuditActor::of(&ctx), &r.scope, r.user, body.into_inner()).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/hair-calendar/{}", view.id), &view, Some(view.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarFilter {
    /// Events ending at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Events starting before this instant.
    pub to: Option<DateTime<Utc>>,
    pub status: Option<EventStatus>,
    pub category: Option<EventCategory>,
}

/// The caller's calendar events (tenant-wide readers: everyone's).
#[utoipa::path(operation_id = "hair_calendar_list", tag = "hair-health", security(("bearer_jwt" = ["hair-health:calendar_read"]), ("api_key" = ["hair-health:calendar_read"])),
    params(ListQuery, CalendarFilter), responses((status = 200, body = Page<EventView>)))]
#[get("/hair-calendar")]
pub async fn list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    f: web::Query<CalendarFilter>,
) -> Result<web::Json<Page<EventView>>, ApiError> {
    let r = reader(&ctx, CALENDAR_READ)?;
    let limit = query.limit()?;
    let filter = EventFilter { from: f.from, to: f.to, status: f.status, category: f.category };
    let tx = ctx.write().await?;
    crate::booking_sync::sync(&tx).await?;
    let views = calendar::list(&tx, &r.scope, query.cursor()?, limit, &filter).await?;
    tx.commit().await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

#[utoipa::path(operation_id = "hair_calendar_get", tag = "hair-health", security(("bearer_jwt" = ["hair-health:calendar_read"]), ("api_key" = ["hair-health:calendar_read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = EventView)))]
#[get("/hair-calendar/{id}")]
pub async fn get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<EventView>, ApiError> {
    let r = reader(&ctx, CALENDAR_READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(EventView::of(&calendar::find(&tx, &r.scope, *id).await?)))
}

/// Changes an event (a JSON merge patch over `EventInput`); a booking's event follows its booking.
#[utoipa::path(operation_id = "hair_calendar_update", tag = "hair-health", security(("bearer_jwt" = ["hair-health:calendar_write"]), ("api_key" = ["hair-health:calendar_write"])),
    params(("id" = Uuid, Path)), request_body = EventInput, responses((status = 200, body = EventView)))]
#[patch("/hair-calendar/{id}")]
pub async fn update(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<Value>,
) -> Result<web::Json<EventView>, ApiError> {
    let r = reader(&ctx, CALENDAR_WRITE)?;
    let tx = ctx.write().await?;
    let ev = calendar::find(&tx, &r.scope, *id).await?;
    let view = calendar::update(&tx, &AuditActor::of(&ctx), ev, &body).await?;
    tx.commit().await?;
    Ok(web::Json(view))
}

#[utoipa::path(operation_id = "hair_calendar_delete", tag = "hair-health", security(("bearer_jwt" = ["hair-health:calendar_write"]), ("api_key" = ["hair-health:calendar_write"])),
    params(("id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
#[delete("/hair-calendar/{id}")]
pub async fn delete(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let r = reader(&ctx, CALENDAR_WRITE)?;
    let tx = ctx.write().await?;
    let ev = calendar::find(&tx, &r.scope, *id).await?;
    calendar::delete(&tx, &AuditActor::of(&ctx), ev).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Moves an event through `planned → due → in_progress → completed | skipped | rescheduled`
/// (409 `invalid_transition` otherwise).
#[utoipa::path(operation_id = "hair_calendar_transition", tag = "hair-health", security(("bearer_jwt" = ["hair-health:calendar_write"]), ("api_key" = ["hair-health:calendar_write"])),
    params(("id" = Uuid, Path)), request_body = Transition, responses((status = 200, body = EventView)))]
#[post("/hair-calendar/{id}/transition")]
pub async fn transition(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<Transition>,
) -> Result<web::Json<EventView>, ApiError> {
    let r = reader(&ctx, CALENDAR_WRITE)?;
    let tx = ctx.write().await?;
    let ev = calendar::find(&tx, &r.scope, *id).await?;
    let view = calendar::transition(&tx, &AuditActor::of(&ctx), ev, body.into_inner()).await?;
    tx.commit().await?;
    Ok(web::Json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Horizon {
    /// Default: now.
    pub from: Option<DateTime<Utc>>,
    /// Default: 90 days after `from`; at most 366 days after it.
    pub to: Option<DateTime<Utc>>,
}

/// The event's occurrences over a horizon: its RRULE expanded (at most 1000).
#[utoipa::path(operation_id = "hair_calendar_occurrences", tag = "hair-health", security(("bearer_jwt" = ["hair-health:calendar_read"]), ("api_key" = ["hair-health:calendar_read"])),
    params(("id" = Uuid, Path), Horizon), responses((status = 200, body = Vec<Occurrence>)))]
#[get("/hair-calendar/{id}/occurrences")]
pub async fn occurrences(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    h: web::Query<Horizon>,
) -> Result<web::Json<Vec<Occurrence>>, ApiError> {
    let r = reader(&ctx, CALENDAR_READ)?;
    let tx = ctx.read().await?;
    let ev = calendar::find(&tx, &r.scope, *id).await?;
    let from = h.from.unwrap_or_else(Utc::now);
    let to = h.to.unwrap_or(from + Duration::days(90));
    Ok(web::Json(calendar::occurrences(&ev, from, to)?))
}
