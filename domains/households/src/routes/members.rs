//! `/v1/households/{id}/members`. Under own scope the household's members read them and
//! its primary members manage them.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::{Directory, RequestContext};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{check_if_match, created, ok_versioned};
use uuid::Uuid;

use crate::members;
use crate::model::{MemberPatch, MemberState, MemberView};
use crate::{READ, WRITE};

#[utoipa::path(tag = "households", security(("bearer_jwt" = ["households:read"]), ("api_key" = ["households:read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<MemberView>)))]
#[get("/households/{id}/members")]
pub async fn household_members_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<MemberView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(members::list(&tx, &scope, *id).await?))
}

/// Adds a member (a user who is a member of the tenant). Under own scope only a primary
/// member of the household adds one.
#[utoipa::path(tag = "households", security(("bearer_jwt" = ["households:write"]), ("api_key" = ["households:write"])), params(("id" = Uuid, Path)),
    request_body = MemberState, responses((status = 201, body = MemberView)))]
#[post("/households/{id}/members")]
pub async fn household_members_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    id: web::Path<Uuid>,
    body: Json<MemberState>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let state = body.into_inner();
    let tx = ctx.write().await?;
    let view = members::add(&tx, dir.get_ref(), &AuditActor::of(&ctx), &scope, *id, state).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/households/{}/members/{}", view.household_id, view.id), &view, Some(view.version)))
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = ["households:read"]), ("api_key" = ["households:read"])),
    params(("id" = Uuid, Path), ("member_id" = Uuid, Path)), responses((status = 200, body = MemberView)))]
#[get("/households/{id}/members/{member_id}")]
pub async fn household_members_get(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let (household, member) = path.into_inner();
    let tx = ctx.read().await?;
    let (_, m) = members::find(&tx, &scope, household, member).await?;
    Ok(ok_versioned(&MemberView::of(&m)?, m.version))
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = ["households:write"]), ("api_key" = ["households:write"])),
    params(("id" = Uuid, Path), ("member_id" = Uuid, Path)), request_body = MemberPatch, responses((status = 200, body = MemberView)))]
#[patch("/households/{id}/members/{member_id}")]
pub async fn household_members_update(
    req: HttpRequest,
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<MemberPatch>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let (household, member) = path.into_inner();
    let patch = body.into_inner();
    let tx = ctx.write().await?;
    let (h, m) = members::find_to_change(&tx, &scope, household, member).await?;
    check_if_match(&req, m.version)?;
    let view = members::update(&tx, &AuditActor::of(&ctx), &h, m, patch).await?;
    tx.commit().await?;
    Ok(ok_versioned(&view, view.version))
}

/// Removes a member; not the household's contact, its last primary member, or someone
/// who still manages another member.
#[utoipa::path(tag = "households", security(("bearer_jwt" = ["households:write"]), ("api_key" = ["households:write"])),
    params(("id" = Uuid, Path), ("member_id" = Uuid, Path)), responses((status = 204, description = "Removed")))]
#[delete("/households/{id}/members/{member_id}")]
pub async fn household_members_delete(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let (household, member) = path.into_inner();
    let tx = ctx.write().await?;
    members::remove(&tx, &AuditActor::of(&ctx), &scope, household, member).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
