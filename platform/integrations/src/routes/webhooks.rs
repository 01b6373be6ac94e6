//! `/v1/webhook-endpoints`, `/v1/webhook-deliveries` and `/v1/event-types`: the tenant's
//! endpoints, their delivery log, retries and test deliveries, and the event-type
//! catalog. The rules are in [`crate::webhooks`].

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use atrium_core::plugin::Catalog;
use serde::Deserialize;
use uuid::Uuid;

use crate::model::{WebhookEndpointCreate, WebhookEndpointPatch};
use crate::perm::{WEBHOOKS_READ, WEBHOOKS_WRITE};
use crate::repo;
use crate::views::{AttemptView, DeliveryView, EventTypeView, WebhookEndpointSecret, WebhookEndpointView};
use crate::webhooks::{self, EndpointChange, NewEndpoint, WebhookSettings};

/// Registers an endpoint. The answer carries its signing secret.
///
/// A tenant has at most `ATRIUM_WEBHOOK_ENDPOINTS_PER_TENANT` endpoints (20 by default);
/// beyond it the answer is 409 `limit_reached`.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_write"]), ("api_key" = ["integrations:webhooks_write"])), request_body = WebhookEndpointCreate,
    responses((status = 201, body = WebhookEndpointSecret), (status = 409, description = "The tenant has as many endpoints as it may (`limit_reached`)",
        body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[post("/webhook-endpoints")]
pub async fn webhook_endpoints_create(
    ctx: RequestContext,
    settings: web::Data<WebhookSettings>,
    catalog: web::Data<Catalog>,
    body: Json<WebhookEndpointCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let new = NewEndpoint::parse(&settings, &catalog, ctx.principal(), body.into_inner()).await?;
    let tx = ctx.write().await?;
    let (endpoint, secret) = webhooks::create(&tx, &settings, &AuditActor::of(&ctx), new).await?;
    tx.commit().await?;
    let body = WebhookEndpointSecret { endpoint: (&endpoint).into(), secret };
    Ok(created(format!("/v1/webhook-endpoints/{}", endpoint.id), &body, Some(endpoint.version)))
}

#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_read"]), ("api_key" = ["integrations:webhooks_read"])), params(ListQuery),
    responses((status = 200, body = Page<WebhookEndpointView>)))]
#[get("/webhook-endpoints")]
pub async fn webhook_endpoints_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<WebhookEndpointView>>, ApiError> {
    ctx.require(WEBHOOKS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let rows = repo::webhooks::endpoints_page(&tx, query.cursor()?, limit).await?;
    Ok(web::Json(Page::from_overfetch(rows.iter().map(WebhookEndpointView::from).collect(), limit, |e| e.id)))
}

#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_read"]), ("api_key" = ["integrations:webhooks_read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookEndpointView)))]
#[get("/webhook-endpoints/{id}")]
pub async fn webhook_endpoints_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_READ)?;
    let tx = ctx.read().await?;
    let e = webhooks::find(&tx, *id).await?;
    Ok(ok_versioned(&WebhookEndpointView::from(&e), e.version))
}

#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_write"]), ("api_key" = ["integrations:webhooks_write"])), params(("id" = Uuid, Path)),
    request_body = WebhookEndpointPatch, responses((status = 200, body = WebhookEndpointView)))]
#[patch("/webhook-endpoints/{id}")]
pub async fn webhook_endpoints_update(
    req: HttpRequest,
    ctx: RequestContext,
    settings: web::Data<WebhookSettings>,
    catalog: web::Data<Catalog>,
    id: web::Path<Uuid>,
    body: Json<WebhookEndpointPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let change = EndpointChange::parse(&settings, &catalog, ctx.principal(), body.into_inner()).await?;
    let tx = ctx.write().await?;
    let e = webhooks::find(&tx, *id).await?;
    check_if_match(&req, e.version)?;
    let e = webhooks::update(&tx, &AuditActor::of(&ctx), e, change).await?;
    tx.commit().await?;
    Ok(ok_versioned(&WebhookEndpointView::from(&e), e.version))
}

/// Deletes an endpoint with its delivery log.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_write"]), ("api_key" = ["integrations:webhooks_write"])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
#[delete("/webhook-endpoints/{id}")]
pub async fn webhook_endpoints_delete(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let tx = ctx.write().await?;
    webhooks::delete(&tx, &AuditActor::of(&ctx), *id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issues a new signing secret; for 24 hours deliveries carry signatures by both.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_write"]), ("api_key" = ["integrations:webhooks_write"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookEndpointSecret)))]
#[post("/webhook-endpoints/{id}/rotate-secret")]
pub async fn webhook_endpoints_rotate_secret(
    ctx: RequestContext,
    settings: web::Data<WebhookSettings>,
    id: web::Path<Uuid>,
) -> Result<web::Json<WebhookEndpointSecret>, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let tx = ctx.write().await?;
    let (e, secret) = webhooks::rotate_secret(&tx, &settings, &AuditActor::of(&ctx), *id).await?;
    tx.commit().await?;
    Ok(web::Json(WebhookEndpointSecret { endpoint: (&e).into(), secret }))
}

/// Every delivery attempt to this endpoint, newest first.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_read"]), ("api_key" = ["integrations:webhooks_read"])), params(("id" = Uuid, Path), ListQuery),
    responses((status = 200, body = Page<AttemptView>)))]
#[get("/webhook-endpoints/{id}/deliveries")]
pub async fn webhook_endpoints_deliveries(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<AttemptView>>, ApiError> {
    ctx.require(WEBHOOKS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let e = webhooks::find(&tx, *id).await?;
    let rows = repo::webhooks::attempts_page(&tx, e.id, query.cursor()?, limit).await?;
    Ok(web::Json(Page::from_overfetch(rows.into_iter().map(AttemptView::from).collect(), limit, |a| a.id)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<Uuid>,
    /// `pending`, `succeeded` or `failed`.
    pub state: Option<String>,
}

/// Deliveries, newest first.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_read"]), ("api_key" = ["integrations:webhooks_read"])), params(ListQuery, DeliveryFilter),
    responses((status = 200, body = Page<DeliveryView>)))]
#[get("/webhook-deliveries")]
pub async fn webhook_deliveries_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<DeliveryFilter>,
) -> Result<web::Json<Page<DeliveryView>>, ApiError> {
    ctx.require(WEBHOOKS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let rows =
        repo::webhooks::deliveries_page(&tx, query.cursor()?, limit, filter.endpoint_id, filter.state.as_deref())
            .await?;
    Ok(web::Json(Page::from_overfetch(rows.iter().map(DeliveryView::from).collect(), limit, |d| d.id)))
}

/// Delivers again now (a failed delivery gets a new round of attempts).
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_write"]), ("api_key" = ["integrations:webhooks_write"])), params(("id" = Uuid, Path)),
    responses((status = 202, body = DeliveryView)))]
#[post("/webhook-deliveries/{id}/retry")]
pub async fn webhook_deliveries_retry(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let tx = ctx.write().await?;
    let d = webhooks::retry(&tx, *id).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(&d)))
}

/// Sends a `webhook.test` event to this endpoint only.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_write"]), ("api_key" = ["integrations:webhooks_write"])), params(("id" = Uuid, Path)),
    responses((status = 202, body = DeliveryView)))]
#[post("/webhook-endpoints/{id}/test")]
pub async fn webhook_endpoints_test(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let tx = ctx.write().await?;
    let d = webhooks::send_test(&tx, *id).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(&d)))
}

/// Every event type this server can emit, with the JSON schema of its `data`.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = ["integrations:webhooks_read"]), ("api_key" = ["integrations:webhooks_read"])),
    responses((status = 200, body = Vec<EventTypeView>)))]
#[get("/event-types")]
pub async fn event_types_list(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
) -> Result<web::Json<Vec<EventTypeView>>, ApiError> {
    ctx.require(WEBHOOKS_READ)?;
    Ok(web::Json(
        catalog
            .event_types
            .iter()
            .map(|e| EventTypeView {
                name: e.name,
                description: e.description,
                data_schema: serde_json::to_value(&e.data_schema).unwrap_or_default(),
            })
            .collect(),
    ))
}
