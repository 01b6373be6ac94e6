//! The caller's tenant: settings, branding, plugins, custom domains; and the public
//! white-label branding of any tenant, by slug or by host name.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{check_if_match, ok_versioned};
use atrium_core::plugin::{Catalog, Deployment};
use atrium_core::validate::DomainName;
use sea_orm::DatabaseConnection;
use utoipa::ToSchema;

use crate::domain_verification::{self, CustomDomainView};
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

/// The tenant's custom domains (set with `PATCH /v1/tenant`), each with the DNS TXT
/// record that proves it and whether it was found. A domain shows the tenant only once
/// verified.
#[utoipa::path(tag = "tenant", security(("bearer_jwt" = ["tenants:read"]), ("api_key" = ["tenants:read"])),
    responses((status = 200, body = Vec<CustomDomainView>)))]
#[get("/tenant/custom-domains")]
pub async fn custom_domains_list(ctx: RequestContext) -> Result<web::Json<Vec<CustomDomainView>>, ApiError> {
    ctx.require(perm::TENANT_READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(domain_verification::list(&tx).await?))
}

/// A domain to add to the tenant's custom domains.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomDomainCreate {
    #[schema(example = "book.example.com")]
    pub domain: String,
}

/// Adds a custom domain (pending until its TXT record is verified). The same as listing
/// it in `PATCH /v1/tenant`; 409 when another tenant holds it or this one already lists it.
#[utoipa::path(tag = "tenant", security(("bearer_jwt" = ["tenants:write"]), ("api_key" = ["tenants:write"])),
    request_body = CustomDomainCreate,
    responses((status = 201, body = CustomDomainView),
        (status = 409, description = "Another tenant holds the domain, or this one lists it already",
            body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a domain name", body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[post("/tenant/custom-domains")]
pub async fn custom_domain_create(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    db: web::Data<DatabaseConnection>,
    body: Json<CustomDomainCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::TENANT_WRITE)?;
    let domain = DomainName::parse(&body.domain)
        .map_err(|m| ApiError::validation(vec![atrium_core::error::FieldError::new("domain", m)]))?;
    let view = change_domains(&ctx, &catalog, &db, |domains| {
        if domains.iter().any(|d| d == domain.as_str()) {
            return Err(ApiError::new(atrium_core::error::ErrorCode::Conflict)
                .with_detail("the tenant lists this domain already"));
        }
        domains.push(domain.as_str().to_owned());
        Ok(())
    })
    .await?;
    let claim = view.into_iter().find(|c| c.domain == domain.as_str()).ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Created().json(claim))
}

/// Removes a custom domain (by name or id): its host stops showing the tenant, and
/// another tenant may claim it.
#[utoipa::path(tag = "tenant", security(("bearer_jwt" = ["tenants:write"]), ("api_key" = ["tenants:write"])),
    params(("domain" = String, Path, description = "The domain, or its claim's id")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "The tenant lists no such domain", body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[delete("/tenant/custom-domains/{domain}")]
pub async fn custom_domain_delete(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    db: web::Data<DatabaseConnection>,
    domain: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::TENANT_WRITE)?;
    let claim = {
        let tx = ctx.read().await?;
        domain_verification::claim(&tx, &domain).await?
    };
    change_domains(&ctx, &catalog, &db, |domains| {
        let before = domains.len();
        domains.retain(|d| *d != claim.domain);
        if domains.len() == before { Err(ApiError::not_found()) } else { Ok(()) }
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read-modify-write of the tenant's domain list under the tenant row's lock, through
/// the same checks, claims and audit as `PATCH /v1/tenant`.
async fn change_domains(
    ctx: &RequestContext,
    catalog: &Catalog,
    db: &DatabaseConnection,
    edit: impl FnOnce(&mut Vec<String>) -> Result<(), ApiError>,
) -> Result<Vec<CustomDomainView>, ApiError> {
    let tx = ctx.write().await?;
    let current = crate::repo::tenant_locked(&tx).await?.ok_or_else(ApiError::not_found)?;
    let mut domains = crate::views::strings(&current.custom_domains);
    edit(&mut domains)?;
    let patch = TenantPatch { custom_domains: Some(domains), ..TenantPatch::default() };
    let change = SettingsChange::parse(db, catalog, ctx.tenant_id(), patch).await?;
    tenant::update(&tx, &AuditActor::of(ctx), current, change).await?;
    let view = domain_verification::list(&tx).await?;
    tx.commit().await?;
    Ok(view)
}

/// Looks up the domain's TXT record (`verification.name`, with `verification.value`) and,
/// when it is there, marks the domain verified: from then on the host shows the tenant.
/// Checking a verified domain again changes nothing.
#[utoipa::path(tag = "tenant", security(("bearer_jwt" = ["tenants:write"]), ("api_key" = ["tenants:write"])),
    params(("domain" = String, Path, description = "A custom domain the tenant lists, or its claim's id")),
    responses((status = 200, body = CustomDomainView),
        (status = 404, description = "The tenant lists no such domain", body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The TXT record was not found with the expected value (`domain_not_verified`)",
            body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The DNS lookup failed; retry after `Retry-After`",
            body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[post("/tenant/custom-domains/{domain}/verify")]
pub async fn custom_domain_verify(
    ctx: RequestContext,
    domain: web::Path<String>,
    deployment: web::Data<Deployment>,
) -> Result<web::Json<CustomDomainView>, ApiError> {
    ctx.require(perm::TENANT_WRITE)?;
    // The lookup runs outside any transaction: a slow resolver holds no connection.
    let claim = {
        let tx = ctx.read().await?;
        domain_verification::claim(&tx, &domain).await?
    };
    if claim.verified_at.is_none() {
        domain_verification::check_record(deployment.dns_resolver, &claim).await?;
    }
    let tx = ctx.write().await?;
    // Looked up again: the claim may have been dropped (or dropped and made anew, with
    // another token) while the resolver was asked.
    let current = domain_verification::claim(&tx, &domain).await?;
    if current.id != claim.id {
        return Err(ApiError::new(atrium_core::error::ErrorCode::Conflict)
            .with_detail("the domain was listed again meanwhile, with a new token; check its record again"));
    }
    let view = domain_verification::mark_verified(&tx, &AuditActor::of(&ctx), &current).await?;
    tx.commit().await?;
    Ok(web::Json(view))
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
