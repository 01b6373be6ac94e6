//! `/v1/products`: the catalog.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::{Directory, RequestContext};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::model::{ProductCreate, ProductPatch, ProductStatus, ProductType, ProductView, name_of};
use crate::products;
use crate::repo::ProductFilter;
use crate::{READ, WRITE};

/// Adds a product to the catalog. Its SKU is unique among the tenant's products (409
/// otherwise); its price is in the tenant's currency unless it names one.
#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:write"]), ("api_key" = ["products:write"])),
    request_body = ProductCreate, responses((status = 201, body = ProductView)))]
#[post("/products")]
pub async fn products_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<ProductCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let input = body.into_inner();
    let tx = ctx.write().await?;
    let view = products::create(&tx, dir.get_ref(), &AuditActor::of(&ctx), input).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/products/{}", view.id), &view, Some(view.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductListFilter {
    pub status: Option<ProductStatus>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub product_type: Option<ProductType>,
    /// Exactly this SKU.
    pub sku: Option<String>,
    pub tax_category: Option<String>,
    /// Products stocked at this location.
    pub location_id: Option<Uuid>,
}

#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:read"]), ("api_key" = ["products:read"])),
    params(ListQuery, ProductListFilter), responses((status = 200, body = Page<ProductView>)))]
#[get("/products")]
pub async fn products_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<ProductListFilter>,
) -> Result<web::Json<Page<ProductView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let f = ProductFilter {
        status: filter.status.map(|s| name_of(&s)),
        product_type: filter.product_type.map(|t| name_of(&t)),
        sku: filter.sku.as_deref(),
        tax_category: filter.tax_category.as_deref(),
        location_id: filter.location_id,
    };
    let tx = ctx.read().await?;
    let views = products::list(&tx, query.cursor()?, limit, &f).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |p| p.id)))
}

#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:read"]), ("api_key" = ["products:read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ProductView)))]
#[get("/products/{id}")]
pub async fn products_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let p = products::find(&tx, *id).await?;
    Ok(ok_versioned(&ProductView::of(&p)?, p.version))
}

/// Changes a product (`If-Match` with its `ETag` guards against lost updates). A location
/// that still holds stock of it cannot be removed from `location_ids`.
#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:write"]), ("api_key" = ["products:write"])),
    params(("id" = Uuid, Path)), request_body = ProductPatch, responses((status = 200, body = ProductView)))]
#[patch("/products/{id}")]
pub async fn products_update(
    req: HttpRequest,
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    id: web::Path<Uuid>,
    body: Json<ProductPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let patch = body.into_inner();
    let tx = ctx.write().await?;
    let p = products::find(&tx, *id).await?;
    check_if_match(&req, p.version)?;
    let view = products::update(&tx, dir.get_ref(), &AuditActor::of(&ctx), p, patch).await?;
    tx.commit().await?;
    Ok(ok_versioned(&view, view.version))
}

/// Soft-deletes a product (409 while stock of it is reserved); its ledger is kept.
#[utoipa::path(tag = "products", security(("bearer_jwt" = ["products:write"]), ("api_key" = ["products:write"])),
    params(("id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
#[delete("/products/{id}")]
pub async fn products_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let tx = ctx.write().await?;
    let p = products::find(&tx, *id).await?;
    check_if_match(&req, p.version)?;
    products::delete(&tx, &AuditActor::of(&ctx), p).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
