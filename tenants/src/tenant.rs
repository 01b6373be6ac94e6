//! The tenant itself: its settings (name, zone, currency, defaults, branding, plugins,
//! custom domains) as its owners change them, and which tenant a public host name shows.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::ids::TenantId;
use atrium_core::plugin::Catalog;
use atrium_core::validate::{CurrencyCode, DomainName, Name, Timezone};
use chrono::Utc;
use sea_orm::{DatabaseConnection, IntoActiveModel, Set};

use crate::entities::tenants;
use crate::error::{Result, TenantsError, taken};
use crate::events::TenantsEvent;
use crate::model::{Branding, CustomerRegistration, DefaultConfig, TenantPatch, check_currency, check_timezone};
use crate::views::{TenantView, strings};
use crate::{plugins, repo};

/// The caller's tenant.
pub async fn current(tx: &TenantTx) -> Result<tenants::Model> {
    repo::tenant_by_id(tx.conn(), tx.tenant_id()).await?.ok_or(TenantsError::NotFound)
}

/// The optional plugins switched on for `tenant`.
pub fn plugins_of(tenant: &tenants::Model) -> Vec<String> {
    strings(&tenant.enabled_plugins)
}

/// A checked change of settings: absent fields stay as they are.
pub struct SettingsChange {
    name: Option<Name>,
    timezone: Option<Timezone>,
    currency: Option<CurrencyCode>,
    default_config: Option<DefaultConfig>,
    branding: Option<Branding>,
    /// Sorted, without repeats.
    enabled_plugins: Option<Vec<String>>,
    /// Lower-cased, sorted, without repeats.
    custom_domains: Option<Vec<String>>,
    customer_registration: Option<CustomerRegistration>,
    customer_guests_allowed: Option<bool>,
}

impl SettingsChange {
    /// Checks every field (one 422 lists them all), then that no custom domain belongs
    /// to another tenant (409).
    pub async fn parse(
        db: &DatabaseConnection,
        catalog: &Catalog,
        tenant: TenantId,
        patch: TenantPatch,
    ) -> Result<Self> {
        let mut errors = Vec::new();
        let name = patch
            .name
            .as_deref()
            .and_then(|n| Name::parse(n).map_err(|m| errors.push(FieldError::new("name", m))).ok());
        let timezone = patch.timezone.as_deref().and_then(|t| check_timezone("timezone", t, &mut errors));
        let currency = patch.currency.as_deref().and_then(|c| check_currency("currency", c, &mut errors));
        if let Some(config) = &patch.default_config {
            config.check("default_config", &mut errors);
        }
        if let Some(branding) = &patch.branding {
            branding.check("branding", &mut errors);
        }
        if let Some(enabled) = &patch.enabled_plugins {
            plugins::check_enabled(catalog, enabled, "enabled_plugins", &mut errors);
        }
        let mut domains = Vec::new();
        for (i, d) in patch.custom_domains.iter().flatten().enumerate() {
            match DomainName::parse(d) {
                Ok(d) => domains.push(d.into_string()),
                Err(m) => errors.push(FieldError::new(format!("custom_domains[{i}]"), m)),
            }
        }
        if !errors.is_empty() {
            return Err(TenantsError::Invalid(errors));
        }
        for domain in &domains {
            if let Some(owner) = repo::tenant_by_domain(db, domain).await?
                && owner.id != tenant.0
            {
                return Err(TenantsError::Taken("custom domain"));
            }
        }
        Ok(Self {
            name,
            timezone,
            currency,
            default_config: patch.default_config,
            branding: patch.branding,
            enabled_plugins: patch.enabled_plugins.map(sorted),
            custom_domains: patch.custom_domains.map(|_| sorted(domains)),
            customer_registration: patch.customer_registration,
            customer_guests_allowed: patch.customer_guests_allowed,
        })
    }
}

/// A unique-key violation on a domain's claim: another tenant holds it.
pub fn claimed(err: TenantsError) -> TenantsError {
    match err {
        TenantsError::Db(err) => taken("custom domain")(err),
        other => other,
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Applies `change` to `current` (already checked against `If-Match` by the caller).
/// Enabled plugins take part in authorization: the caller commits as a policy change.
pub async fn update(
    tx: &TenantTx,
    actor: &AuditActor,
    current: tenants::Model,
    change: SettingsChange,
) -> Result<tenants::Model> {
    let before = TenantView::from(&current);
    let version = current.version + 1;
    let mut am = current.into_active_model();
    if let Some(name) = change.name {
        am.name = Set(name.into_string());
    }
    if let Some(tz) = change.timezone {
        am.timezone = Set(tz.into_string());
    }
    if let Some(currency) = change.currency {
        am.currency = Set(currency.into_string());
    }
    if let Some(config) = change.default_config {
        am.default_config = Set(serde_json::to_value(config).unwrap_or_default());
    }
    if let Some(branding) = change.branding {
        am.branding = Set(serde_json::to_value(branding).unwrap_or_default());
    }
    if let Some(plugins) = change.enabled_plugins {
        am.enabled_plugins = Set(serde_json::json!(plugins));
    }
    if let Some(domains) = change.custom_domains {
        // The claims, not the check in `parse`, decide: two tenants claiming one domain at
        // once both pass that check, and one of them fails here (409).
        repo::replace_custom_domains(tx, &domains, false).await.map_err(claimed)?;
        am.custom_domains = Set(serde_json::json!(domains));
    }
    if let Some(registration) = change.customer_registration {
        am.customer_registration = Set(registration.as_str().to_owned());
    }
    if let Some(allowed) = change.customer_guests_allowed {
        am.customer_guests_allowed = Set(allowed);
    }
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    let updated = repo::update_tenant(tx, am).await?;
    audit::record(
        tx,
        actor,
        Change::new(
            TenantsEvent::TenantUpdated,
            "tenant",
            updated.id.to_string(),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(TenantView::from(&updated)).ok(),
        ),
    )
    .await?;
    Ok(updated)
}

/// A tenant by its slug, for its public pages.
pub async fn by_slug(db: &DatabaseConnection, slug: &str) -> Result<tenants::Model> {
    repo::tenant_by_slug(db, slug).await?.ok_or(TenantsError::NotFound)
}

/// The tenant a host name shows: `{slug}.{base_domain}`, or a tenant's custom domain.
pub async fn by_host(db: &DatabaseConnection, base_domain: Option<&str>, host: &str) -> Result<tenants::Model> {
    let by_base = base_domain
        .and_then(|base| host.strip_suffix(base).and_then(|s| s.strip_suffix('.')))
        .filter(|slug| !slug.contains('.'));
    let tenant = match by_base {
        Some(slug) => repo::tenant_by_slug(db, slug).await?,
        None => match DomainName::parse(host) {
            Ok(domain) => repo::tenant_by_domain(db, domain.as_str()).await?,
            Err(_) => None,
        },
    };
    tenant.ok_or(TenantsError::NotFound)
}
