//! `/v1/packages`: the catalog. Drafts and archived packages are shown only to those who
//! edit or sell packages.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::{Directory, RequestContext};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::PackagesError;
use crate::model::{PackageCreate, PackagePatch, PackageStatus, PackageView};
use crate::packages;
use crate::{READ, SELL, WRITE};

/// Drafts and archived packages are shown to those who edit or sell them; others see the
/// active ones.
fn sees_all(ctx: &RequestContext) -> bool {
    ctx.require(WRITE).is_ok() || ctx.require(SELL).is_ok()
}

/// Adds a package (a `draft` unless `status` says otherwise). Each item is a service
/// template of the tenant × a quantity, at a list price; the price is in the tenant's
/// currency unless it names one.
#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:write"]), ("api_key" = ["packages:write"])),
    request_body = PackageCreate, responses((status = 201, body = PackageView)))]
#[post("/packages")]
pub async fn packages_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<PackageCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let input = body.into_inner();
    let tx = ctx.write().await?;
    let view = packages::create(&tx, dir.get_ref(), &AuditActor::of(&ctx), input).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/packages/{}", view.id), &view, Some(view.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PackageListFilter {
    pub status: Option<PackageStatus>,
}

#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:read"]), ("api_key" = ["packages:read"])),
    params(ListQuery, PackageListFilter), responses((status = 200, body = Page<PackageView>)))]
#[get("/packages")]
pub async fn packages_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<PackageListFilter>,
) -> Result<web::Json<Page<PackageView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let status = match filter.status {
        _ if sees_all(&ctx) => filter.status,
        Some(s) if s != PackageStatus::Active => {
            return Ok(web::Json(Page::from_overfetch(Vec::new(), limit, |p: &PackageView| p.id)));
        }
        _ => Some(PackageStatus::Active),
    };
    let tx = ctx.read().await?;
    let views = packages::list(&tx, query.cursor()?, limit, status).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |p| p.id)))
}

#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:read"]), ("api_key" = ["packages:read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = PackageView)))]
#[get("/packages/{id}")]
pub async fn packages_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let p = packages::find(&tx, *id).await?;
    let view = PackageView::of(&p)?;
    if view.status != PackageStatus::Active && !sees_all(&ctx) {
        return Err(PackagesError::NotFound.into());
    }
    Ok(ok_versioned(&view, p.version))
}

/// Changes a package (`If-Match` with its `ETag` guards against lost updates). Purchases
/// keep the terms they were sold under; items change only while it is a draft.
#[utoipa::path(tag = "packages", security(("bearer_jwt" = ["packages:write"]), ("api_key" = ["packages:write"])),
    params(("id" = Uuid, Path)), request_body = PackagePatch, responses((status = 200, body = PackageView)))]
#[patch("/packages/{id}")]
pub async fn packages_update(
    req: HttpRequest,
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    id: web::Path<Uuid>,
    body: Json<PackagePatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let patch = body.into_inner();
    let tx = ctx.write().await?;
    let p = packages::find(&tx, *id).await?;
    check_if_match(&req, p.version)?;
    let view = packages::update(&tx, dir.get_ref(), &AuditActor::of(&ctx), p, patch).await?;
    tx.commit().await?;
    Ok(ok_versioned(&view, view.version))
}
