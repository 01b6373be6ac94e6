//! Roles: the built-in ones (read-only, granted by the plugins' declarations) and the
//! tenant's custom roles, made from the permission catalog. Also `GET /v1/permissions`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::RequestContext;
use atrium_core::error::{ApiError, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{check_if_match, created, ok_versioned};
use atrium_core::plugin::{BuiltinRole, Catalog};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::roles;
use crate::error::TenantsError;
use crate::events::TenantsEvent;
use crate::views::strings;
use crate::{perm, repo};

#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionView {
    #[schema(example = "tenants:members_write")]
    pub name: &'static str,
    #[schema(example = "tenants")]
    pub plugin: &'static str,
    pub description: &'static str,
    /// Built-in roles that hold it.
    #[schema(example = json!(["owner", "admin"]))]
    pub granted_to: Vec<&'static str>,
}

/// The permission catalog of this server: every permission a role can hold.
#[utoipa::path(tag = "roles", security(("bearer_jwt" = []), ("api_key" = [])),
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
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    /// `null` for built-in roles.
    pub id: Option<Uuid>,
    #[schema(example = "front_desk")]
    pub name: String,
    pub description: String,
    pub builtin: bool,
    #[schema(example = json!(["tenants:read", "tenants:locations_read"]))]
    pub permissions: Vec<String>,
    pub version: Option<i32>,
}

impl From<&roles::Model> for RoleView {
    fn from(r: &roles::Model) -> Self {
        Self {
            id: Some(r.id),
            name: r.name.clone(),
            description: r.description.clone(),
            builtin: false,
            permissions: strings(&r.permissions),
            version: Some(r.version),
        }
    }
}

/// Built-in roles first, then the tenant's custom roles by name.
#[utoipa::path(tag = "roles", security(("bearer_jwt" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<RoleView>)))]
#[get("/roles")]
pub async fn roles_list(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
) -> Result<web::Json<Vec<RoleView>>, ApiError> {
    ctx.require(perm::ROLES_READ)?;
    let tx = ctx.read().await?;
    let mut all: Vec<RoleView> = BuiltinRole::ALL
        .into_iter()
        .map(|role| RoleView {
            id: None,
            name: role.as_str().to_owned(),
            description: format!("Built-in role `{}`", role.as_str()),
            builtin: true,
            permissions: catalog.builtin_grants(role).into_iter().map(str::to_owned).collect(),
            version: None,
        })
        .collect();
    all.extend(repo::roles(&tx).await?.iter().map(RoleView::from));
    Ok(web::Json(all))
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

/// A custom role's name: 2–63 of `a-z 0-9 _`, starting with a letter (so it can never
/// look like a casbin subject such as `user:…`).
pub fn valid_role_name(name: &str) -> bool {
    (2..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_permissions(catalog: &Catalog, permissions: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    for (i, p) in permissions.iter().enumerate() {
        if catalog.permission(p).is_none() {
            errors
                .push(FieldError::new(format!("permissions[{i}]"), format!("`{p}` is not in the permission catalog")));
        }
    }
    let mut unique = permissions.to_vec();
    unique.sort();
    unique.dedup();
    unique
}

/// The caller may hand out only what it holds itself.
fn check_within_caller(ctx: &RequestContext, permissions: &[String]) -> Result<(), ApiError> {
    match permissions.iter().find(|p| !ctx.principal().permissions.contains(p)) {
        Some(p) => Err(TenantsError::Forbidden(format!("you cannot grant `{p}`, which you do not hold")).into()),
        None => Ok(()),
    }
}

/// Creates a custom role.
#[utoipa::path(tag = "roles", security(("bearer_jwt" = []), ("api_key" = [])), request_body = RoleCreate,
    responses((status = 201, body = RoleView), (status = 409, description = "Name taken", body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[post("/roles")]
pub async fn roles_create(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    body: Json<RoleCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::ROLES_WRITE)?;
    let input = body.into_inner();
    let mut errors = Vec::new();
    if !valid_role_name(&input.name) {
        errors.push(FieldError::new("name", "must be 2–63 characters of a-z, 0-9 and '_', starting with a letter"));
    } else if BuiltinRole::parse(&input.name).is_some() {
        errors.push(FieldError::new("name", "is the name of a built-in role"));
    }
    if input.description.chars().count() > 1000 {
        errors.push(FieldError::new("description", "must be at most 1000 characters"));
    }
    let permissions = check_permissions(&catalog, &input.permissions, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    check_within_caller(&ctx, &permissions)?;
    let tx = ctx.write().await?;
    let role = repo::insert_role(&tx, &input.name, &input.description, &permissions).await?;
    let view = RoleView::from(&role);
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(TenantsEvent::RoleCreated, "role", role.id.to_string(), None, serde_json::to_value(&view).ok()),
    )
    .await?;
    ctx.commit_policy_change(tx).await?;
    Ok(created(format!("/v1/roles/{}", role.id), &view, Some(role.version)))
}

#[utoipa::path(tag = "roles", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = RoleView)))]
#[get("/roles/{id}")]
pub async fn roles_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::ROLES_READ)?;
    let tx = ctx.read().await?;
    let role = repo::role(&tx, *id).await?.ok_or_else(ApiError::not_found)?;
    Ok(ok_versioned(&RoleView::from(&role), role.version))
}

/// Changes a custom role's description or permissions; takes effect on the next request
/// of every member who holds it.
#[utoipa::path(tag = "roles", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
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
    let mut errors = Vec::new();
    let permissions = patch.permissions.as_deref().map(|p| check_permissions(&catalog, p, &mut errors));
    if patch.description.as_ref().is_some_and(|d| d.chars().count() > 1000) {
        errors.push(FieldError::new("description", "must be at most 1000 characters"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if let Some(p) = &permissions {
        check_within_caller(&ctx, p)?;
    }
    let tx = ctx.write().await?;
    let role = repo::role(&tx, *id).await?.ok_or_else(ApiError::not_found)?;
    check_if_match(&req, role.version)?;
    let before = RoleView::from(&role);
    let description = patch.description.unwrap_or_else(|| role.description.clone());
    let permissions = permissions.unwrap_or_else(|| strings(&role.permissions));
    let role = repo::update_role(&tx, role, description, permissions).await?;
    let view = RoleView::from(&role);
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            TenantsEvent::RoleUpdated,
            "role",
            role.id.to_string(),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    ctx.commit_policy_change(tx).await?;
    Ok(ok_versioned(&view, role.version))
}

/// Deletes a custom role that no member holds (409 otherwise).
#[utoipa::path(tag = "roles", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
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
    let role = repo::role(&tx, *id).await?.ok_or_else(ApiError::not_found)?;
    check_if_match(&req, role.version)?;
    let held = repo::all_memberships(&tx).await?.iter().any(|m| strings(&m.roles).contains(&role.name))
        || repo::pending_invitations(&tx).await?.iter().any(|i| strings(&i.roles).contains(&role.name));
    if held {
        return Err(TenantsError::RoleInUse(role.name).into());
    }
    repo::delete_role(&tx, role.id).await?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            TenantsEvent::RoleDeleted,
            "role",
            role.id.to_string(),
            serde_json::to_value(RoleView::from(&role)).ok(),
            None,
        ),
    )
    .await?;
    ctx.commit_policy_change(tx).await?;
    Ok(HttpResponse::NoContent().finish())
}
