//! `/v1/service-templates`: CRUD (PATCH is a JSON merge patch over the full state) and
//! `POST /v1/service-templates/{id}/quote`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_bookables::model::is_tag;
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::error::{ApiError, ErrorCode};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned, patched};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entities::service_templates::Model;
use crate::events::ServiceTemplatesEvent;
use crate::model::{ServiceTemplateState, ServiceTemplateStatus, ServiceTemplateType};
use crate::quote::{PricingSnapshot, QuoteOrigin, QuoteRequest, quote};
use crate::repo::{self, ListFilter};
use crate::{READ, WRITE, service};

/// A service template: its state, as given and checked, with its identity and version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceTemplateView {
    pub id: Uuid,
    #[serde(flatten)]
    pub state: ServiceTemplateState,
    /// Goes up by one with every change; send it as `If-Match` to update safely.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn view(m: &Model) -> Result<ServiceTemplateView, ApiError> {
    Ok(ServiceTemplateView {
        id: m.id,
        state: repo::state_of(m)?,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn json_of(view: &ServiceTemplateView) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

/// Creates a service template. The body is the template's whole state; every problem
/// with it is listed in one 422.
#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = []), ("api_key" = [])),
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
    ctx.require(WRITE)?;
    let state = body.into_inner();
    let tx = ctx.write().await?;
    service::validate(&tx, dir.get_ref(), &state, None).await?;
    let m = repo::insert(&tx, Uuid::now_v7(), &state).await?;
    let view = view(&m)?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(ServiceTemplatesEvent::ServiceTemplateCreated, "service_template", m.id, None, json_of(&view)),
    )
    .await?;
    tx.commit().await?;
    Ok(created(format!("/v1/service-templates/{}", m.id), &view, Some(m.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceTemplateFilter {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub template_type: Option<ServiceTemplateType>,
    pub status: Option<ServiceTemplateStatus>,
    pub location_id: Option<Uuid>,
    /// Templates carrying this tag.
    pub tag: Option<String>,
}

/// Lists the tenant's service templates (not deleted), oldest first.
#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = []), ("api_key" = [])),
    params(ListQuery, ServiceTemplateFilter), responses((status = 200, body = Page<ServiceTemplateView>)))]
#[get("/service-templates")]
pub async fn service_templates_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<ServiceTemplateFilter>,
) -> Result<web::Json<Page<ServiceTemplateView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let filter = filter.into_inner();
    if filter.tag.as_deref().is_some_and(|t| !is_tag(t)) {
        return Err(ApiError::new(ErrorCode::InvalidParameter).with_detail("tag is not a tag"));
    }
    let filter = ListFilter {
        template_type: filter.template_type,
        status: filter.status,
        location_id: filter.location_id,
        tag: filter.tag,
    };
    let tx = ctx.read().await?;
    let rows = repo::page(&tx, query.cursor()?, limit, &filter).await?;
    let views = rows.iter().map(view).collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(Page::from_overfetch(views, limit, |t| t.id)))
}

#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ServiceTemplateView)))]
#[get("/service-templates/{id}")]
pub async fn service_templates_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let m = repo::find(&tx, *id).await?;
    Ok(ok_versioned(&view(&m)?, m.version))
}

/// Changes a service template with a JSON merge patch (RFC 7396) over its state: the
/// fields given replace the stored ones (objects merge key by key), `null` removes an
/// optional field, and the result is checked like a creation.
#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = []), ("api_key" = [])),
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
    ctx.require(WRITE)?;
    let patch = serde_json::Value::Object(body.into_inner());
    let tx = ctx.write().await?;
    let m = repo::find(&tx, *id).await?;
    check_if_match(&req, m.version)?;
    let before = view(&m)?;
    let state = patched(&before.state, &patch)?;
    service::validate(&tx, dir.get_ref(), &state, Some(&before.state)).await?;
    let m = repo::update(&tx, m, &state).await?;
    let after = view(&m)?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            ServiceTemplatesEvent::ServiceTemplateUpdated,
            "service_template",
            m.id,
            json_of(&before),
            json_of(&after),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(ok_versioned(&after, m.version))
}

/// Soft-deletes a service template; its slug may be used again.
#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag of the version to delete")),
    responses((status = 204, description = "Deleted"), (status = 412, description = "`If-Match` names another version")))]
#[delete("/service-templates/{id}")]
pub async fn service_templates_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let tx = ctx.write().await?;
    let m = repo::find(&tx, *id).await?;
    check_if_match(&req, m.version)?;
    let before = view(&m)?;
    let m = repo::soft_delete(&tx, m).await?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(ServiceTemplatesEvent::ServiceTemplateDeleted, "service_template", m.id, json_of(&before), None),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Quotes the price of a booking of this template (see the pricing rules in the
/// template's `pricing`): the snapshot a booking stores. A request the template cannot
/// take (a duration or participant count out of its range) is a 422 naming the field.
/// Templates of any status quote; which statuses may be booked is the bookings' rule.
#[utoipa::path(tag = "service-templates", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), request_body = QuoteRequest, responses((status = 200, body = PricingSnapshot)))]
#[post("/service-templates/{id}/quote")]
pub async fn service_templates_quote(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<QuoteRequest>,
) -> Result<web::Json<PricingSnapshot>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let m = repo::find(&tx, *id).await?;
    let state = repo::state_of(&m)?;
    let origin = QuoteOrigin { template_id: m.id, template_version: m.version, quoted_at: Utc::now() };
    quote(&state, &body, origin).map(web::Json).map_err(ApiError::validation)
}
