//! `/v1/households`. Under own scope (customers) a caller reaches the households they are
//! a member of; only their primary members change or delete them.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::{Directory, RequestContext};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::households;
use crate::model::{HouseholdCreate, HouseholdPatch, HouseholdType, HouseholdView};
use crate::{READ, WRITE};

/// Creates a household with its primary member, who is its contact. A caller who holds
/// `households:write` only for their own households (a customer) becomes that member:
/// `primary_contact_user_id` is then absent or the caller's own id.
#[utoipa::path(tag = "households", security(("bearer_jwt" = ["households:write"]), ("api_key" = ["households:write"])), request_body = HouseholdCreate,
    responses((status = 201, body = HouseholdView)))]
#[post("/households")]
pub async fn households_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<HouseholdCreate>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let input = body.into_inner().checked()?;
    let tx = ctx.write().await?;
    let caller = ctx.principal().user_id();
    let view = households::create(&tx, dir.get_ref(), &AuditActor::of(&ctx), &scope, caller, input).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/households/{}", view.id), &view, Some(view.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseholdFilter {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub household_type: Option<HouseholdType>,
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = ["households:read"]), ("api_key" = ["households:read"])), params(ListQuery, HouseholdFilter),
    responses((status = 200, body = Page<HouseholdView>)))]
#[get("/households")]
pub async fn households_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<HouseholdFilter>,
) -> Result<web::Json<Page<HouseholdView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let views = households::list(&tx, &scope, query.cursor()?, limit, filter.household_type).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |h| h.id)))
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = ["households:read"]), ("api_key" = ["households:read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = HouseholdView)))]
#[get("/households/{id}")]
pub async fn households_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    let h = households::find(&tx, &scope, *id).await?;
    Ok(ok_versioned(&HouseholdView::of(&h)?, h.version))
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = ["households:write"]), ("api_key" = ["households:write"])), params(("id" = Uuid, Path)),
    request_body = HouseholdPatch, responses((status = 200, body = HouseholdView)))]
#[patch("/households/{id}")]
pub async fn households_update(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<HouseholdPatch>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let patch = body.into_inner();
    let tx = ctx.write().await?;
    let h = households::find_to_change(&tx, &scope, *id).await?;
    check_if_match(&req, h.version)?;
    let view = households::update(&tx, &AuditActor::of(&ctx), h, patch).await?;
    tx.commit().await?;
    Ok(ok_versioned(&view, view.version))
}

/// Soft-deletes a household.
#[utoipa::path(tag = "households", security(("bearer_jwt" = ["households:write"]), ("api_key" = ["households:write"])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
#[delete("/households/{id}")]
pub async fn households_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let tx = ctx.write().await?;
    let h = households::find_to_change(&tx, &scope, *id).await?;
    check_if_match(&req, h.version)?;
    households::delete(&tx, &AuditActor::of(&ctx), h).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
