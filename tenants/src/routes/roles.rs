//! Roles: the built-in ones (read-only, granted by the plugins' declarations) and the
//! tenant's custom roles, made from the permission catalog. Also `GET /v1/permissions`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{check_if_match, created, ok_versioned};
use atrium_core::plugin::Catalog;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::perm;
use crate::roles::{self, NewRole, RoleChange};
use crate::views::RoleView;

#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionView {
    #[schema(example = "tenants:members_write")]
    pub name: &'static str,
    #[schema(example = "tenants")]
    pub plugin: &'static str,
    pub description: &'static str,
    /// Built-in roles that hold it for the whole tenant.
    #[schema(example = json!(["owner", "admin"]))]
    pub granted_to: Vec<&'static str>,
    /// What "own records" are for this permission, when it can be granted for them only
    /// (as `name@own`); `null` when it cannot.
    #[schema(example = "bookings the caller made or takes part in")]
    pub own: Option<&'static str>,
    /// Built-in roles that hold it for their own records only.
    #[schema(example = json!(["customer"]))]
    pub own_granted_to: Vec<&'static str>,
}

/// The permission catalog of this server: every permission a role can hold.
#[utoipa::path(tag = "roles", security(("bearer_jwt" = ["tenants:roles_read"]), ("api_key" = ["tenants:roles_read"])),
    responses((status = 200, body = Vec<PermissionView>)))]
#[get("/permissions")]
pub async fn permissions_list(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
) -> Result<web::Json<Vec<PermissionView>>, ApiError> {
    ctx.require(perm::ROLES_READ)?;
    Ok(web::Json(
        catalog
            .permissions
            .iter()
            .map(|(plugin, p)| PermissionView {
                name: p.name,
                plugin,
                description: p.description,
                granted_to: p.granted_to.iter().map(|r| r.as_str()).collect(),
                own: p.own,
                own_granted_to: p.own_granted_to.iter().map(|r| r.as_str()).collect(),
            })
            .collect(),
    ))
}

/// Built-in roles first, then the tenant's custom roles by name.
#[utoipa::path(tag = "roles", security(("bearer_jwt" = ["tenants:roles_read"]), ("api_key" = ["tenants:roles_read"])),
    responses((status = 200, body = Vec<RoleView>)))]
#[get("/roles")]
pub async fn roles_list(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
) -> Result<web::Json<Vec<RoleView>>, ApiError> {
    ctx.require(perm::ROLES_READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(roles::all(&tx, &catalog).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleCreate {
    /// `a-z 0-9 _`, not a built-in role's name; cannot be changed later.
    #[schema(example = "front_desk")]
    pub name: String,
    #[serde(default)]
    #[schema(example = "Reception: sees locations and members")]
    pub description: String,
    #[schema(example = json!(["tenants:read", "tenants:locations_read", "tenants:members_read"]))]
    pub permissions: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    pub description: Option<String>,
    #[schema(example = json!(["tenants:read"]))]
    pub permissions: Option<Vec<String>>,
}

/// Creates a custom role.
#[utoipa::path(tag = "roles", security(("bearer_jwt" = ["tenants:roles_write"]), ("api_key" = ["tenants:roles_write"])), request_body = RoleCreate,
    responses((status = 201, body = RoleView), (status = 409, description = "Name taken", body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[post("/roles")]
pub async fn roles_create(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    body: Json<RoleCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::ROLES_WRITE)?;
    let input = body.into_inner();
    let role = NewRole::parse(&catalog, ctx.principal(), input.name, input.description, &input.permissions)?;
    let tx = ctx.write().await?;
    let role = roles::create(&tx, &AuditActor::of(&ctx), role).await?;
    ctx.commit_policy_change(tx).await?;
    Ok(created(format!("/v1/roles/{}", role.id), &RoleView::from(&role), Some(role.version)))
}

#[utoipa::path(tag = "roles", security(("bearer_jwt" = ["tenants:roles_read"]), ("api_key" = ["tenants:roles_read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = RoleView)))]
#[get("/roles/{id}")]
pub async fn roles_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::ROLES_READ)?;
    let tx = ctx.read().await?;
    let role = roles::find(&tx, *id).await?;
    Ok(ok_versioned(&RoleView::from(&role), role.version))
}

/// Changes a custom role's description or permissions; takes effect on the next request
/// of every member who holds it.
#[utoipa::path(tag = "roles", security(("bearer_jwt" = ["tenants:roles_write"]), ("api_key" = ["tenants:roles_write"])), params(("id" = Uuid, Path)),
    request_body = RolePatch, responses((status = 200, body = RoleView)))]
#[patch("/roles/{id}")]
pub async fn roles_update(
    req: HttpRequest,
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    id: web::Path<Uuid>,
    body: Json<RolePatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::ROLES_WRITE)?;
    let patch = body.into_inner();
    let change = RoleChange::parse(&catalog, patch.description, patch.permissions.as_deref())?;
    let tx = ctx.write().await?;
    let role = roles::find(&tx, *id).await?;
    check_if_match(&req, role.version)?;
    let role = roles::update(&tx, ctx.principal(), &AuditActor::of(&ctx), role, change).await?;
    ctx.commit_policy_change(tx).await?;
    Ok(ok_versioned(&RoleView::from(&role), role.version))
}

/// Deletes a custom role that no member holds (409 otherwise).
#[utoipa::path(tag = "roles", security(("bearer_jwt" = ["tenants:roles_write"]), ("api_key" = ["tenants:roles_write"])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 409, description = "Still held by members",
        body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[delete("/roles/{id}")]
pub async fn roles_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::ROLES_WRITE)?;
    let tx = ctx.write().await?;
    let role = roles::find(&tx, *id).await?;
    check_if_match(&req, role.version)?;
    roles::delete(&tx, &AuditActor::of(&ctx), role).await?;
    ctx.commit_policy_change(tx).await?;
    Ok(HttpResponse::NoContent().finish())
}
