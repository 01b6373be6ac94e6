//! `/v1/bookables/{id}/certifications`: a provider's qualifications, with expiry.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{check_if_match, created, ok_versioned};
use uuid::Uuid;

use crate::certifications;
use crate::views::certifications::{CertificationInput, CertificationView};
use crate::{READ, WRITE};

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:read"]), ("api_key" = ["bookables:read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<CertificationView>)))]
#[get("/bookables/{id}/certifications")]
pub async fn certifications_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<CertificationView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(certifications::list(&tx, &scope, *id).await?))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:write"]), ("api_key" = ["bookables:write"])), params(("id" = Uuid, Path)),
    request_body = CertificationInput, responses((status = 201, body = CertificationView)))]
#[post("/bookables/{id}/certifications")]
pub async fn certifications_create(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<CertificationInput>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let input = body.into_inner();
    let tx = ctx.write().await?;
    let v = certifications::create(&tx, &AuditActor::of(&ctx), &scope, *id, &input).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/bookables/{}/certifications/{}", v.bookable_id, v.id), &v, Some(v.version)))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:read"]), ("api_key" = ["bookables:read"])),
    params(("id" = Uuid, Path), ("certification_id" = Uuid, Path)), responses((status = 200, body = CertificationView)))]
#[get("/bookables/{id}/certifications/{certification_id}")]
pub async fn certifications_get(ctx: RequestContext, path: web::Path<(Uuid, Uuid)>) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.read().await?;
    let m = certifications::find(&tx, &scope, bookable, id).await?;
    Ok(ok_versioned(&CertificationView::of(&m), m.version))
}

/// A merge patch over the certification.
#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:write"]), ("api_key" = ["bookables:write"])),
    params(("id" = Uuid, Path), ("certification_id" = Uuid, Path)),
    request_body(content = CertificationInput, description = "A JSON merge patch (RFC 7396): only the fields that change"),
    responses((status = 200, body = CertificationView)))]
#[patch("/bookables/{id}/certifications/{certification_id}")]
pub async fn certifications_update(
    req: HttpRequest,
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.write().await?;
    let m = certifications::find(&tx, &scope, bookable, id).await?;
    check_if_match(&req, m.version)?;
    let after = certifications::update(&tx, &AuditActor::of(&ctx), m, body.into_inner()).await?;
    tx.commit().await?;
    Ok(ok_versioned(&after, after.version))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = ["bookables:write"]), ("api_key" = ["bookables:write"])),
    params(("id" = Uuid, Path), ("certification_id" = Uuid, Path)), responses((status = 204, description = "Removed")))]
#[delete("/bookables/{id}/certifications/{certification_id}")]
pub async fn certifications_delete(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.write().await?;
    certifications::remove(&tx, &AuditActor::of(&ctx), &scope, bookable, id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
