//! The caller's tenant: settings, branding, plugins, custom domains; and the public
//! white-label branding of any tenant, by slug or by host name.

use actix_web::{HttpRequest, HttpResponse, get, patch, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::RequestContext;
use atrium_core::error::{ApiError, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{check_if_match, ok_versioned};
use atrium_core::plugin::{Catalog, Deployment};
use atrium_core::validate::{DomainName, Name};
use chrono::Utc;
use sea_orm::{DatabaseConnection, IntoActiveModel, Set};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::events::TenantsEvent;
use crate::model::{Branding, DefaultConfig, check_currency, check_timezone};
use crate::views::{PublicBranding, TenantView, strings};
use crate::{perm, repo};

/// The caller's tenant.
#[utoipa::path(tag = "tenant", security(("bearer_jwt" = []), ("api_key" = [])),
    responses((status = 200, body = TenantView, headers(("ETag" = String, description = "The version, for If-Match")))))]
#[get("/tenant")]
pub async fn tenant_get(ctx: RequestContext) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::TENANT_READ)?;
    let tx = ctx.read().await?;
    let tenant = repo::tenant_by_id(tx.conn(), ctx.tenant_id()).await?.ok_or_else(ApiError::not_found)?;
    Ok(ok_versioned(&TenantView::from(&tenant), tenant.version))
}

/// A partial update: absent fields stay as they are. `slug`, `status` and `plan` are the
/// platform's to change and are rejected here.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    #[schema(example = "Acme Salon & Spa")]
    pub name: Option<String>,
    #[schema(example = "Europe/Lisbon")]
    pub timezone: Option<String>,
    #[schema(example = "EUR")]
    pub currency: Option<String>,
    pub default_config: Option<DefaultConfig>,
    pub branding: Option<Branding>,
    /// Domain plugins to switch on; the others are off.
    #[schema(example = json!(["bookables"]))]
    pub enabled_plugins: Option<Vec<String>>,
    #[schema(example = json!(["book.acme.example"]))]
    pub custom_domains: Option<Vec<String>>,
}

/// Changes the tenant's settings. Honours `If-Match`.
#[utoipa::path(tag = "tenant", security(("bearer_jwt" = []), ("api_key" = [])), request_body = TenantPatch,
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
    let patch = body.into_inner();
    let mut errors = Vec::new();
    let name = patch.name.as_deref().map(|n| Name::parse(n).map_err(|m| errors.push(FieldError::new("name", m))).ok());
    let timezone = patch.timezone.as_deref().map(|t| check_timezone("timezone", t, &mut errors));
    let currency = patch.currency.as_deref().map(|c| check_currency("currency", c, &mut errors));
    if let Some(config) = &patch.default_config {
        config.check("default_config", &mut errors);
    }
    if let Some(branding) = &patch.branding {
        branding.check("branding", &mut errors);
    }
    if let Some(plugins) = &patch.enabled_plugins {
        for (i, p) in plugins.iter().enumerate() {
            if !catalog.optional_plugins.contains(&p.as_str()) {
                errors.push(FieldError::new(
                    format!("enabled_plugins[{i}]"),
                    format!("`{p}` is not a plugin of this server"),
                ));
            }
        }
    }
    let mut domains = Vec::new();
    for (i, d) in patch.custom_domains.iter().flatten().enumerate() {
        match DomainName::parse(d) {
            Ok(d) => domains.push(d.into_string()),
            Err(m) => errors.push(FieldError::new(format!("custom_domains[{i}]"), m)),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    for domain in &domains {
        if let Some(owner) = repo::tenant_by_domain(db.get_ref(), domain).await?
            && owner.id != ctx.tenant_id().0
        {
            return Err(crate::error::TenantsError::Taken("custom domain").into());
        }
    }

    let tx = ctx.write().await?;
    let tenant = repo::tenant_by_id(tx.conn(), ctx.tenant_id()).await?.ok_or_else(ApiError::not_found)?;
    check_if_match(&req, tenant.version)?;
    let before = TenantView::from(&tenant);
    let version = tenant.version + 1;
    let mut am = tenant.into_active_model();
    if let Some(Some(name)) = name {
        am.name = Set(name.into_string());
    }
    if let Some(Some(tz)) = timezone {
        am.timezone = Set(tz.into_string());
    }
    if let Some(Some(currency)) = currency {
        am.currency = Set(currency.into_string());
    }
    if let Some(config) = patch.default_config {
        am.default_config = Set(serde_json::to_value(config).unwrap_or_default());
    }
    if let Some(branding) = patch.branding {
        am.branding = Set(serde_json::to_value(branding).unwrap_or_default());
    }
    if let Some(mut plugins) = patch.enabled_plugins {
        plugins.sort();
        plugins.dedup();
        am.enabled_plugins = Set(serde_json::json!(plugins));
    }
    if patch.custom_domains.is_some() {
        domains.sort();
        domains.dedup();
        am.custom_domains = Set(serde_json::json!(domains));
    }
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    let updated = repo::update_tenant(&tx, am).await?;
    let after = TenantView::from(&updated);
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            TenantsEvent::TenantUpdated,
            "tenant",
            updated.id.to_string(),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        ),
    )
    .await?;
    // Enabled plugins take part in authorization decisions.
    ctx.commit_policy_change(tx).await?;
    Ok(ok_versioned(&after, updated.version))
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
#[utoipa::path(tag = "tenant", security(("bearer_jwt" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<PluginView>)))]
#[get("/plugins")]
pub async fn plugins_list(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
) -> Result<web::Json<Vec<PluginView>>, ApiError> {
    ctx.require(perm::TENANT_READ)?;
    let tx = ctx.read().await?;
    let tenant = repo::tenant_by_id(tx.conn(), ctx.tenant_id()).await?.ok_or_else(ApiError::not_found)?;
    let enabled = plugins_of(&tenant);
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
    let tenant = repo::tenant_by_slug(db.get_ref(), &slug).await?.ok_or_else(ApiError::not_found)?;
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
    let by_base = deployment
        .base_domain
        .as_deref()
        .and_then(|base| host.strip_suffix(base).and_then(|s| s.strip_suffix('.')))
        .filter(|slug| !slug.contains('.'));
    let tenant = match by_base {
        Some(slug) => repo::tenant_by_slug(db.get_ref(), slug).await?,
        None => match DomainName::parse(&host) {
            Ok(domain) => repo::tenant_by_domain(db.get_ref(), domain.as_str()).await?,
            Err(_) => None,
        },
    };
    let tenant = tenant.ok_or_else(ApiError::not_found)?;
    Ok(web::Json((&tenant).into()))
}

pub fn plugins_of(tenant: &crate::entities::tenants::Model) -> Vec<String> {
    strings(&tenant.enabled_plugins)
}
