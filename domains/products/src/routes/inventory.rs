//! `/v1/products/{id}/inventory` and `/v1/products/{id}/movements`: stock per location,
//! the ledger, and the four stock requests. Each request carries an `idempotency_key`: a
//! retry answers the original movement (with `Idempotent-Replayed: true`) and writes
//! nothing.

use actix_web::{HttpResponse, get, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::views::{
    AdjustRequest, InventoryView, MovementType, MovementView, Operation, ReceiveRequest, ReleaseRequest, ReserveRequest,
};
use crate::{INVENTORY, READ, inventory, products};

#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:read"]), ("api_key" = ["products:read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = InventoryView)))]
#[get("/products/{id}/inventory")]
pub async fn inventory_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<InventoryView>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let p = products::find(&tx, *id).await?;
    Ok(web::Json(inventory::stock(&tx, &p).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementFilter {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub movement_type: Option<MovementType>,
    pub location_id: Option<Uuid>,
}

/// The product's ledger, oldest first.
#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:read"]), ("api_key" = ["products:read"])),
    params(("id" = Uuid, Path), ListQuery, MovementFilter), responses((status = 200, body = Page<MovementView>)))]
#[get("/products/{id}/movements")]
pub async fn movements_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
    filter: web::Query<MovementFilter>,
) -> Result<web::Json<Page<MovementView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let p = products::find(&tx, *id).await?;
    let views = inventory::movements(&tx, &p, query.cursor()?, limit, filter.movement_type, filter.location_id).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |m| m.id)))
}

async fn apply(ctx: RequestContext, id: Uuid, op: (Operation, String)) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(INVENTORY)?;
    let tx = ctx.write().await?;
    let p = products::find(&tx, id).await?;
    let (op, key) = op;
    let applied = inventory::apply(&tx, &AuditActor::of(&ctx), &scope, &p, op, key).await?;
    tx.commit().await?;
    let mut res = HttpResponse::Created();
    if applied.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(applied.movement))
}

/// Stock arrived: on hand grows by `quantity`.
#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:inventory"]), ("api_key" = ["products:inventory"])),
    params(("id" = Uuid, Path)), request_body = ReceiveRequest, responses((status = 201, body = MovementView)))]
#[post("/products/{id}/inventory/receive")]
pub async fn inventory_receive(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<ReceiveRequest>,
) -> Result<HttpResponse, ApiError> {
    ctx.require_scoped(INVENTORY)?;
    let op = body.into_inner().checked()?;
    apply(ctx, *id, op).await
}

/// Corrects on hand by a `delta` (never below what is reserved: 409 `insufficient_stock`),
/// or sets it to `set_on_hand` if it still is `expected_on_hand` (409 `stock_changed`
/// otherwise).
#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:inventory"]), ("api_key" = ["products:inventory"])),
    params(("id" = Uuid, Path)), request_body = AdjustRequest, responses((status = 201, body = MovementView)))]
#[post("/products/{id}/inventory/adjust")]
pub async fn inventory_adjust(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<AdjustRequest>,
) -> Result<HttpResponse, ApiError> {
    ctx.require_scoped(INVENTORY)?;
    let op = body.into_inner().checked()?;
    apply(ctx, *id, op).await
}

/// Reserves `quantity` if that much is available (409 `insufficient_stock` with what is,
/// otherwise); the movement's `reservation_id` names the reservation to release.
#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:inventory"]), ("api_key" = ["products:inventory"])),
    params(("id" = Uuid, Path)), request_body = ReserveRequest, responses((status = 201, body = MovementView)))]
#[post("/products/{id}/inventory/reserve")]
pub async fn inventory_reserve(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<ReserveRequest>,
) -> Result<HttpResponse, ApiError> {
    ctx.require_scoped(INVENTORY)?;
    let op = body.into_inner().checked(Utc::now())?;
    apply(ctx, *id, op).await
}

/// Releases a reservation, once (409 when it was already released or has expired).
#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:inventory"]), ("api_key" = ["products:inventory"])),
    params(("id" = Uuid, Path)), request_body = ReleaseRequest, responses((status = 201, body = MovementView)))]
#[post("/products/{id}/inventory/release")]
pub async fn inventory_release(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<ReleaseRequest>,
) -> Result<HttpResponse, ApiError> {
    ctx.require_scoped(INVENTORY)?;
    let op = body.into_inner().checked()?;
    apply(ctx, *id, op).await
}
