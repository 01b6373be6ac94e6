//! The caller's tenant: settings, branding, plugins, custom domains; and the public
//! white-label branding of any tenant, by slug or by host name.

use actix_web::{HttpRequest, HttpResponse, get, patch, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{check_if_match, ok_versioned};
use atrium_core::plugin::{Catalog, Deployment};
use sea_orm::DatabaseConnection;
use utoipa::ToSchema;

use crate::model::TenantPatch;
use crate::perm;
use crate::tenant::{self, SettingsChange};
use crate::views::{PublicBranding, TenantView};

/// The caller's tenant.
#[utoipa::path(tag = "tenant", security(("bearer_jwt" = ["tenants:read"]), ("api_key" = ["tenants:read"])),
    responses((status = 200, body = TenantView, headers(("ETag" = String, description = "The version, for If-Match")))))]
#[get("/tenant")]
pub async fn tenant_get(ctx: RequestContext) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::TENANT_READ)?;
    let tx = ctx.read().await?;
    let tenant = tenant::current(&tx).await?;
    Ok(ok_versioned(&TenantView::from(&tenant), tenant.version))
}

/// Changes the tenant's settings. Honours `If-Match`.
#[utoipa::path(tag = "tenant", security(("bearer_jwt" = ["tenants:write"]), ("api_key" = ["tenants:write"])), request_body = TenantPatch,
    params(("If-Match" = Option<String>, Header, description = "ETag of the version being changed")),
    responses((status = 200, body = TenantView), (status = 409, description = "A custom domain belongs to another tenant",
        body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match did not match", body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[patch("/tenant")]
pub async fn tenant_update(
    req: HttpRequest,
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    db: web::Data<DatabaseConnection>,
    body: Json<TenantPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::TENANT_WRITE)?;
    let change = SettingsChange::parse(&db, &catalog, ctx.tenant_id(), body.into_inner()).await?;
    let tx = ctx.write().await?;
    let current = tenant::current(&tx).await?;
    check_if_match(&req, current.version)?;
    let updated = tenant::update(&tx, &AuditActor::of(&ctx), current, change).await?;
    // Enabled plugins take part in authorization decisions.
    ctx.commit_policy_change(tx).await?;
    Ok(ok_versioned(&TenantView::from(&updated), updated.version))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct PluginView {
    #[schema(example = "households")]
    pub name: &'static str,
    /// Optional plugins are switched on per tenant (`enabled_plugins`); the others are always on.
    pub optional: bool,
    pub enabled: bool,
}

/// The plugins of this server, and which are on for the caller's tenant.
#[utoipa::path(tag = "tenant", security(("bearer_jwt" = ["tenants:read"]), ("api_key" = ["tenants:read"])),
    responses((status = 200, body = Vec<PluginView>)))]
#[get("/plugins")]
pub async fn plugins_list(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
) -> Result<web::Json<Vec<PluginView>>, ApiError> {
    ctx.require(perm::TENANT_READ)?;
    let tx = ctx.read().await?;
    let enabled = tenant::plugins_of(&tenant::current(&tx).await?);
    Ok(web::Json(
        catalog
            .plugins
            .iter()
            .map(|name| {
                let optional = catalog.optional_plugins.contains(name);
                PluginView { name, optional, enabled: !optional || enabled.iter().any(|e| e == name) }
            })
            .collect(),
    ))
}

/// A tenant's public branding, by slug (white-label booking pages).
#[utoipa::path(tag = "public", params(("tenant_slug" = String, Path, example = "acme-salon")),
    responses((status = 200, body = PublicBranding)))]
#[get("/public/{tenant_slug}/branding")]
pub async fn public_branding_get(
    slug: web::Path<String>,
    db: web::Data<DatabaseConnection>,
) -> Result<web::Json<PublicBranding>, ApiError> {
    let tenant = tenant::by_slug(db.get_ref(), &slug).await?;
    Ok(web::Json((&tenant).into()))
}

/// The branding of the tenant this host name belongs to: a custom domain, or
/// `{slug}.{base domain}`.
#[utoipa::path(tag = "public", responses((status = 200, body = PublicBranding)))]
#[get("/public/branding")]
pub async fn public_branding_by_host_get(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    deployment: web::Data<Deployment>,
) -> Result<web::Json<PublicBranding>, ApiError> {
    let host = req.connection_info().host().split(':').next().unwrap_or_default().to_lowercase();
    let tenant = tenant::by_host(db.get_ref(), deployment.base_domain.as_deref(), &host).await?;
    Ok(web::Json((&tenant).into()))
}
