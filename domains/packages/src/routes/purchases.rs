//! `/v1/package-purchases`: sales, their ledger, payment, extension, transfer and refund.
//! Customers read their own purchases (others' answer 404). POSTs honour the platform's
//! `Idempotency-Key`.

use actix_web::{HttpResponse, get, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::{Directory, RequestContext, Scope};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, created};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entities::purchases as rows;
use crate::model::{
    EntryView, ExtendRequest, PurchaseCreate, PurchaseView, RefundQuote, RefundRequest, TransferRequest,
};
use crate::repo::PurchaseFilter;
use crate::{PURCHASES_READ, REFUND, SELL, purchases};

/// Purchase `id`, if `ctx` may read it.
async fn readable(ctx: &RequestContext, tx: &atrium_core::db::TenantTx, id: Uuid) -> Result<rows::Model, ApiError> {
    let scope = ctx.require_scoped(PURCHASES_READ)?;
    let p = purchases::find(tx, id).await?;
    if let Scope::Own(me) = scope {
        purchases::owned_by(&p, me.0)?;
    }
    Ok(p)
}

/// Sells a package to a customer: its credits are granted at once (redeemable once paid).
#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:sell"]), ("api_key" = ["packages:sell"])),
    request_body = PurchaseCreate, responses((status = 201, body = PurchaseView)))]
#[post("/package-purchases")]
pub async fn purchases_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<PurchaseCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(SELL)?;
    let input = body.into_inner();
    let tx = ctx.write().await?;
    let view = purchases::sell(&tx, dir.get_ref(), &AuditActor::of(&ctx), input).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/package-purchases/{}", view.id), &view, Some(view.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PurchaseListFilter {
    pub purchaser_id: Option<Uuid>,
    pub package_id: Option<Uuid>,
}

#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:purchases_read"]), ("api_key" = ["packages:purchases_read"])),
    params(ListQuery, PurchaseListFilter), responses((status = 200, body = Page<PurchaseView>)))]
#[get("/package-purchases")]
pub async fn purchases_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<PurchaseListFilter>,
) -> Result<web::Json<Page<PurchaseView>>, ApiError> {
    let scope = ctx.require_scoped(PURCHASES_READ)?;
    let limit = query.limit()?;
    let purchaser_id = match scope {
        Scope::Own(me) => Some(me.0),
        _ => filter.purchaser_id,
    };
    let f = PurchaseFilter { purchaser_id, package_id: filter.package_id };
    let tx = ctx.read().await?;
    let views = purchases::list(&tx, query.cursor()?, limit, &f).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |p| p.id)))
}

/// A purchase with what is left of each item (`remaining` is 0 from the instant it expires).
#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:purchases_read"]), ("api_key" = ["packages:purchases_read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = PurchaseView)))]
#[get("/package-purchases/{id}")]
pub async fn purchases_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<PurchaseView>, ApiError> {
    let tx = ctx.read().await?;
    let p = readable(&ctx, &tx, *id).await?;
    Ok(web::Json(purchases::view(&tx, &p).await?))
}

/// The purchase's credit ledger, oldest first.
#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:purchases_read"]), ("api_key" = ["packages:purchases_read"])),
    params(("id" = Uuid, Path), ListQuery), responses((status = 200, body = Page<EntryView>)))]
#[get("/package-purchases/{id}/entries")]
pub async fn purchase_entries(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<EntryView>>, ApiError> {
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let p = readable(&ctx, &tx, *id).await?;
    let views = purchases::entries(&tx, &p, query.cursor()?, limit).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |e| e.id)))
}

/// Records the payment of a `pending_payment` purchase: its credits become redeemable.
#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:sell"]), ("api_key" = ["packages:sell"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = PurchaseView)))]
#[post("/package-purchases/{id}/pay")]
pub async fn purchase_pay(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<PurchaseView>, ApiError> {
    ctx.require(SELL)?;
    let tx = ctx.write().await?;
    let p = purchases::find(&tx, *id).await?;
    let view = purchases::pay(&tx, &AuditActor::of(&ctx), p).await?;
    tx.commit().await?;
    Ok(web::Json(view))
}

/// Extends the validity: per item, the credits left are written off and granted again
/// with the new expiry (a linked `expired` / `granted` pair).
#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:sell"]), ("api_key" = ["packages:sell"])),
    params(("id" = Uuid, Path)), request_body = ExtendRequest, responses((status = 200, body = PurchaseView)))]
#[post("/package-purchases/{id}/extend")]
pub async fn purchase_extend(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<ExtendRequest>,
) -> Result<web::Json<PurchaseView>, ApiError> {
    ctx.require(SELL)?;
    let req = body.into_inner();
    let tx = ctx.write().await?;
    let p = purchases::find(&tx, *id).await?;
    let view = purchases::extend(&tx, &AuditActor::of(&ctx), p, req).await?;
    tx.commit().await?;
    Ok(web::Json(view))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    /// The purchase the credits left (now `transferred`).
    pub from: PurchaseView,
    /// The recipient's new purchase holding them.
    pub to: PurchaseView,
}

/// Transfers the unused credits to another customer of the tenant (only for a
/// transferable package): a paired `transferred_out` / `transferred_in` per item.
#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:sell"]), ("api_key" = ["packages:sell"])),
    params(("id" = Uuid, Path)), request_body = TransferRequest, responses((status = 201, body = TransferView)))]
#[post("/package-purchases/{id}/transfer")]
pub async fn purchase_transfer(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    id: web::Path<Uuid>,
    body: Json<TransferRequest>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(SELL)?;
    let req = body.into_inner();
    let tx = ctx.write().await?;
    let p = purchases::find(&tx, *id).await?;
    let (from, to) = purchases::transfer(&tx, dir.get_ref(), &AuditActor::of(&ctx), p, req).await?;
    tx.commit().await?;
    let location = format!("/v1/package-purchases/{}", to.id);
    Ok(created(location, &TransferView { from, to }, None))
}

/// What a refund would pay now, under the package's rule (nothing is written).
#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:refund"]), ("api_key" = ["packages:refund"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = RefundQuote)))]
#[post("/package-purchases/{id}/refund-quote")]
pub async fn purchase_refund_quote(
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<web::Json<RefundQuote>, ApiError> {
    ctx.require(REFUND)?;
    let tx = ctx.read().await?;
    let p = purchases::find(&tx, *id).await?;
    Ok(web::Json(purchases::quote(&tx, &p).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    pub purchase: PurchaseView,
    pub refund: RefundQuote,
}

/// Refunds the purchase as quoted: its unused credits are voided (`refunded` entries) and
/// the amount recorded, together; consumed credits are never refunded.
#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:refund"]), ("api_key" = ["packages:refund"])),
    params(("id" = Uuid, Path)), request_body = RefundRequest, responses((status = 200, body = RefundView)))]
#[post("/package-purchases/{id}/refund")]
pub async fn purchase_refund(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<RefundRequest>,
) -> Result<web::Json<RefundView>, ApiError> {
    ctx.require(REFUND)?;
    let req = body.into_inner();
    let tx = ctx.write().await?;
    let p = purchases::find(&tx, *id).await?;
    let (purchase, refund) = purchases::refund(&tx, &AuditActor::of(&ctx), p, req).await?;
    tx.commit().await?;
    Ok(web::Json(RefundView { purchase, refund }))
}
