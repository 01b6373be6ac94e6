//! `/v1/service-templates`: CRUD (PATCH is a JSON merge patch over the full state) and
//! `POST /v1/service-templates/{id}/quote`. A location-scoped member reaches the templates
//! of their locations only, and creates or moves one only there.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::{Directory, RequestContext};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use uuid::Uuid;

use crate::model::ServiceTemplateState;
use crate::quote::{PricingSnapshot, QuoteRequest};
use crate::views::{ServiceTemplateFilter, ServiceTemplateView};
use crate::{READ, WRITE, service};

/// Creates a service template. The body is the template's whole state; every problem
/// with it is listed in one 422.
#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = ["service-templates:write"]), ("api_key" = ["service-templates:write"])),
    request_body(content = ServiceTemplateState, examples(
        ("appointment" = (summary = "An appointment with time and holiday multipliers",
            value = json!(crate::examples::appointment()))),
        ("class" = (summary = "A group class", value = json!(crate::examples::class()))),
        ("rental" = (summary = "An hourly rental of variable length", value = json!(crate::examples::rental()))),
        ("multi_day" = (summary = "A stay priced per night", value = json!(crate::examples::multi_day()))),
    )),
    responses((status = 201, body = ServiceTemplateView), (status = 409, description = "The slug is taken")))]
#[post("/service-templates")]
pub async fn service_templates_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<ServiceTemplateState>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let state = body.into_inner();
    let tx = ctx.write().await?;
    let view = service::create(&tx, dir.get_ref(), &AuditActor::of(&ctx), &scope, state).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/service-templates/{}", view.id), &view, Some(view.version)))
}

/// Lists the tenant's service templates (not deleted), oldest first.
#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = ["service-templates:read"]), ("api_key" = ["service-templates:read"])),
    params(ListQuery, ServiceTemplateFilter), responses((status = 200, body = Page<ServiceTemplateView>)))]
#[get("/service-templates")]
pub async fn service_templates_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<ServiceTemplateFilter>,
) -> Result<web::Json<Page<ServiceTemplateView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let limit = query.limit()?;
    let filter = filter.into_inner().checked()?;
    let tx = ctx.read().await?;
    let views = service::list(&tx, &scope, query.cursor()?, limit, &filter).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |t| t.id)))
}

#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = ["service-templates:read"]), ("api_key" = ["service-templates:read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ServiceTemplateView)))]
#[get("/service-templates/{id}")]
pub async fn service_templates_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    let m = service::find(&tx, &scope, *id).await?;
    Ok(ok_versioned(&ServiceTemplateView::of(&m)?, m.version))
}

/// Changes a service template with a JSON merge patch (RFC 7396) over its state: the
/// fields given replace the stored ones (objects merge key by key), `null` removes an
/// optional field, and the result is checked like a creation.
#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = ["service-templates:write"]), ("api_key" = ["service-templates:write"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag of the version this patch is for")),
    request_body(content = ServiceTemplateState,
        description = "A JSON merge patch over the template's state (any subset of its fields; `null` removes an optional one), e.g. `{\"status\": \"paused\", \"pricing\": {\"base_price\": \"65.00\"}}`"),
    responses((status = 200, body = ServiceTemplateView), (status = 409, description = "The slug is taken"),
        (status = 412, description = "`If-Match` names another version")))]
#[patch("/service-templates/{id}")]
pub async fn service_templates_update(
    req: HttpRequest,
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    id: web::Path<Uuid>,
    body: Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let patch = serde_json::Value::Object(body.into_inner());
    let tx = ctx.write().await?;
    let m = service::find(&tx, &scope, *id).await?;
    check_if_match(&req, m.version)?;
    let after = service::update(&tx, dir.get_ref(), &AuditActor::of(&ctx), &scope, m, patch).await?;
    tx.commit().await?;
    Ok(ok_versioned(&after, after.version))
}

/// Soft-deletes a service template; its slug may be used again.
#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = ["service-templates:write"]), ("api_key" = ["service-templates:write"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag of the version to delete")),
    responses((status = 204, description = "Deleted"), (status = 412, description = "`If-Match` names another version")))]
#[delete("/service-templates/{id}")]
pub async fn service_templates_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let tx = ctx.write().await?;
    let m = service::find(&tx, &scope, *id).await?;
    check_if_match(&req, m.version)?;
    service::delete(&tx, &AuditActor::of(&ctx), m).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Quotes the price of a booking of this template (see the pricing rules in the
/// template's `pricing`): the snapshot a booking stores. A request the template cannot
/// take (a duration or participant count out of its range) is a 422 naming the field.
/// Templates of any status quote; which statuses may be booked is the bookings' rule.
#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = ["service-templates:read"]), ("api_key" = ["service-templates:read"])),
    params(("id" = Uuid, Path)), request_body = QuoteRequest, responses((status = 200, body = PricingSnapshot)))]
#[post("/service-templates/{id}/quote")]
pub async fn service_templates_quote(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<QuoteRequest>,
) -> Result<web::Json<PricingSnapshot>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(service::quote(&tx, &scope, *id, &body).await?))
}
