//! `/v1/bookables`: the polymorphic resource (providers, company providers, assets, venues).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::{Directory, RequestContext};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use serde_json::Value;
use uuid::Uuid;

use crate::bookables;
use crate::model::BookableState;
use crate::views::{BookableCreate, BookableFilter, BookableView, DeletionReason, provider_example};
use crate::{READ, WRITE};

/// Creates a bookable of any type, with its calendar.
#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:write"]), ("api_key" = ["bookables:write"])),
    request_body(content = BookableCreate, examples(
        ("provider" = (summary = "A provider (a stylist)", value = json!(provider_example()))),
        ("company_provider" = (summary = "A company provider (needs a company household)", value = json!({
            "type": "company_provider", "name": "ABC Plumbing", "household_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10",
            "email": "dispatch@abc-plumbing.example", "phone": "+1 555 0100", "service_radius_km": 25,
            "dispatch_method": "auto_assign", "business_hours": {"monday": [{"start": "08:00", "end": "17:00"}]},
            "calendar": {"timezone": "America/New_York", "slot_duration_minutes": 120, "slot_interval_minutes": 60}}))),
        ("asset" = (summary = "An asset (a rental bike)", value = json!({
            "type": "asset", "name": "E-bike #7", "asset_type": "vehicle", "serial_number": "EB-7-2291",
            "specifications": {"battery": "500 Wh"}, "maintenance_schedule": {"every_days": 90},
            "calendar": {"timezone": "Europe/Berlin", "slot_duration_minutes": 60, "slot_interval_minutes": 60,
                "weekly_schedule": {"saturday": [{"start": "09:00", "end": "19:00"}]}}}))),
        ("venue" = (summary = "A venue (a studio room)", value = json!({
            "type": "venue", "name": "Studio A", "capacity": {"min": 2, "max": 12}, "amenities": ["mirrors"],
            "allow_simultaneous_bookings": true, "max_simultaneous_bookings": 2, "default_setup_minutes": 10,
            "calendar": {"timezone": "Europe/London", "weekly_schedule": {"monday": [{"start": "07:00", "end": "22:00"}]}}})))
    )),
    responses((status = 201, body = BookableView)))]
#[post("/bookables")]
pub async fn bookables_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<serde_json::Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let create = BookableCreate::from_json(body.into_inner())?.checked();
    let tx = ctx.write().await?;
    let view = bookables::create(&tx, dir.get_ref(), &AuditActor::of(&ctx), &scope, create).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/bookables/{}", view.meta.id), &view, Some(view.meta.version)))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:read"]), ("api_key" = ["bookables:read"])), params(ListQuery, BookableFilter),
    responses((status = 200, body = Page<BookableView>)))]
#[get("/bookables")]
pub async fn bookables_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<BookableFilter>,
) -> Result<web::Json<Page<BookableView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let limit = query.limit()?;
    let after = query.cursor()?;
    let filter = filter.into_inner().checked()?;
    let tx = ctx.read().await?;
    let views = bookables::list(&tx, &scope, after, limit, filter).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |v: &BookableView| v.meta.id)))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:read"]), ("api_key" = ["bookables:read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = BookableView)))]
#[get("/bookables/{id}")]
pub async fn bookables_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    let view = bookables::get(&tx, &scope, *id).await?;
    Ok(ok_versioned(&view, view.meta.version))
}

/// Changes a bookable: a JSON merge patch (RFC 7396) over its input — send only what
/// changes. The type cannot change; `status` moves among `active`, `inactive` and
/// `maintenance`, and to `retired`, which is final.
#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:write"]), ("api_key" = ["bookables:write"])), params(("id" = Uuid, Path)),
    request_body(content = BookableState, description = "A JSON merge patch (RFC 7396) of the bookable's input",
        example = json!({"status": "maintenance", "calendar": {"post_buffer_minutes": 15}})),
    responses((status = 200, body = BookableView)))]
#[patch("/bookables/{id}")]
pub async fn bookables_update(
    req: HttpRequest,
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    id: web::Path<Uuid>,
    body: Json<serde_json::Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let patch = body.into_inner();
    let tx = ctx.write().await?;
    let b = bookables::find(&tx, &scope, *id).await?;
    check_if_match(&req, b.version)?;
    let view = bookables::update(&tx, dir.get_ref(), &AuditActor::of(&ctx), &scope, b, patch).await?;
    tx.commit().await?;
    Ok(ok_versioned(&view, view.meta.version))
}

/// Soft-deletes a bookable, keeping why.
#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:write"]), ("api_key" = ["bookables:write"])), params(("id" = Uuid, Path), DeletionReason),
    responses((status = 204, description = "Deleted")))]
#[delete("/bookables/{id}")]
pub async fn bookables_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    reason: web::Query<DeletionReason>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let reason = reason.into_inner().checked()?;
    let tx = ctx.write().await?;
    let b = bookables::find(&tx, &scope, *id).await?;
    check_if_match(&req, b.version)?;
    bookables::delete(&tx, &AuditActor::of(&ctx), b, reason).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
