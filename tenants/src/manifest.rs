//! Declarative tenants: `atrium tenant apply FILE` makes a tenant look like its TOML
//! manifest — settings, branding, plugins, locations, custom roles, and an invitation for
//! its owner — creating or updating only what differs. Applying the same manifest twice
//! changes nothing the second time. Every change is audited as the `system` actor.

use std::collections::BTreeSet;

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::PolicyInvalidation;
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::ids::TenantId;
use atrium_core::plugin::{BuiltinRole, Catalog};
use atrium_core::validate::{CurrencyCode, DomainName, Email, Name, Slug, Timezone};
use chrono::Utc;
use sea_orm::{DatabaseConnection, IntoActiveModel, Set};
use serde::Deserialize;
use uuid::Uuid;

use crate::entities::{locations, tenants};
use crate::error::{Result, TenantsError};
use crate::events::TenantsEvent;
use crate::model::{Branding, CustomerRegistration, DefaultConfig, LocationCreate, Plan, TenantStatus, TenantType};
use crate::roles::valid_role_name;
use crate::views::strings;
use crate::{plugins, repo};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub tenant: TenantSpec,
    #[serde(default)]
    pub locations: Vec<LocationCreate>,
    #[serde(default)]
    pub roles: Vec<RoleSpec>,
    pub owner: Option<OwnerSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSpec {
    pub slug: String,
    pub name: String,
    #[serde(rename = "type")]
    pub tenant_type: TenantType,
    pub timezone: String,
    pub currency: String,
    #[serde(default)]
    pub enabled_plugins: Vec<String>,
    #[serde(default)]
    pub custom_domains: Vec<String>,
    #[serde(default)]
    pub branding: Branding,
    #[serde(default)]
    pub default_config: DefaultConfig,
    #[serde(default)]
    pub customer_registration: CustomerRegistration,
    #[serde(default)]
    pub customer_guests_allowed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub permissions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerSpec {
    pub email: String,
}

/// What an apply did; empty when the tenant already matched.
#[derive(Debug, Default)]
pub struct Report {
    pub changes: Vec<String>,
    /// Invitation tokens created for the owner (shown once).
    pub invitations: Vec<(String, String)>,
}

pub fn parse(text: &str) -> std::result::Result<Manifest, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

/// Checks everything before touching the database.
fn check(m: &Manifest, catalog: &Catalog) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let push = |errors: &mut Vec<FieldError>, field: String, r: std::result::Result<(), String>| {
        if let Err(msg) = r {
            errors.push(FieldError::new(field, msg));
        }
    };
    push(&mut errors, "tenant.slug".into(), Slug::parse(&m.tenant.slug).map(drop));
    push(&mut errors, "tenant.name".into(), Name::parse(&m.tenant.name).map(drop));
    push(&mut errors, "tenant.timezone".into(), Timezone::parse(&m.tenant.timezone).map(drop));
    push(&mut errors, "tenant.currency".into(), CurrencyCode::parse(&m.tenant.currency).map(drop));
    for (i, d) in m.tenant.custom_domains.iter().enumerate() {
        push(&mut errors, format!("tenant.custom_domains[{i}]"), DomainName::parse(d).map(drop));
    }
    plugins::check_enabled(catalog, &m.tenant.enabled_plugins, "tenant.enabled_plugins", &mut errors);
    if let Some(owner) = &m.owner {
        push(&mut errors, "owner.email".into(), Email::parse(&owner.email).map(drop));
    }
    m.tenant.branding.check("tenant.branding", &mut errors);
    m.tenant.default_config.check("tenant.default_config", &mut errors);
    let mut names = BTreeSet::new();
    for (i, l) in m.locations.iter().enumerate() {
        errors.extend(l.check().into_iter().map(|e| FieldError::new(format!("locations[{i}].{}", e.field), e.message)));
        if !names.insert(l.name.trim().to_owned()) {
            errors.push(FieldError::new(format!("locations[{i}].name"), "names a location twice"));
        }
    }
    for (i, r) in m.roles.iter().enumerate() {
        if BuiltinRole::parse(&r.name).is_some() || !valid_role_name(&r.name) {
            errors.push(FieldError::new(format!("roles[{i}].name"), "must be a custom role name of a-z, 0-9 and '_'"));
        }
        for (j, p) in r.permissions.iter().enumerate() {
            if catalog.permission(p).is_none() {
                errors.push(FieldError::new(
                    format!("roles[{i}].permissions[{j}]"),
                    format!("`{p}` is not in the catalog"),
                ));
            }
        }
    }
    errors
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Makes the tenant match `m`, in one transaction.
pub async fn apply(
    db: &DatabaseConnection,
    catalog: &Catalog,
    m: &Manifest,
    policies: &dyn PolicyInvalidation,
) -> Result<Report> {
    let errors = check(m, catalog);
    if !errors.is_empty() {
        return Err(TenantsError::Invalid(errors));
    }
    let mut report = Report::default();
    let system = AuditActor::system();
    let existing = repo::tenant_by_slug(db, &m.tenant.slug).await?;
    let tenant_id = existing.as_ref().map_or_else(TenantId::new, |t| TenantId(t.id));
    let tx = TenantTx::begin(db, tenant_id, true).await?;

    let want_plugins = serde_json::json!(sorted(m.tenant.enabled_plugins.clone()));
    let domains = sorted(m.tenant.custom_domains.iter().map(|d| d.trim().to_lowercase()).collect());
    let want_domains = serde_json::json!(domains);
    let want_branding = serde_json::to_value(&m.tenant.branding).unwrap_or_default();
    let want_config = serde_json::to_value(&m.tenant.default_config).unwrap_or_default();
    match existing {
        None => {
            let now = Utc::now();
            repo::insert_tenant(
                &tx,
                tenants::ActiveModel {
                    id: Set(tenant_id.0),
                    slug: Set(m.tenant.slug.clone()),
                    name: Set(m.tenant.name.trim().to_owned()),
                    tenant_type: Set(m.tenant.tenant_type.as_str().to_owned()),
                    status: Set(TenantStatus::Active.as_str().to_owned()),
                    timezone: Set(m.tenant.timezone.clone()),
                    currency: Set(m.tenant.currency.clone()),
                    enabled_plugins: Set(want_plugins),
                    default_config: Set(want_config),
                    branding: Set(want_branding),
                    custom_domains: Set(want_domains),
                    plan: Set(serde_json::to_value(Plan::default()).unwrap_or_default()),
                    customer_registration: Set(m.tenant.customer_registration.as_str().to_owned()),
                    customer_guests_allowed: Set(m.tenant.customer_guests_allowed),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                    deleted_at: Set(None),
                },
            )
            .await?;
            report.changes.push(format!("created tenant {}", m.tenant.slug));
        }
        Some(t) => {
            let differs = t.name != m.tenant.name.trim()
                || t.tenant_type != m.tenant.tenant_type.as_str()
                || t.timezone != m.tenant.timezone
                || t.currency != m.tenant.currency
                || t.enabled_plugins != want_plugins
                || t.custom_domains != want_domains
                || t.branding != want_branding
                || t.default_config != want_config
                || t.customer_registration != m.tenant.customer_registration.as_str()
                || t.customer_guests_allowed != m.tenant.customer_guests_allowed;
            if differs {
                let version = t.version + 1;
                let mut am = t.into_active_model();
                am.name = Set(m.tenant.name.trim().to_owned());
                am.tenant_type = Set(m.tenant.tenant_type.as_str().to_owned());
                am.timezone = Set(m.tenant.timezone.clone());
                am.currency = Set(m.tenant.currency.clone());
                am.enabled_plugins = Set(want_plugins);
                am.custom_domains = Set(want_domains);
                am.branding = Set(want_branding);
                am.default_config = Set(want_config);
                am.customer_registration = Set(m.tenant.customer_registration.as_str().to_owned());
                am.customer_guests_allowed = Set(m.tenant.customer_guests_allowed);
                am.version = Set(version);
                am.updated_at = Set(Utc::now());
                repo::update_tenant(&tx, am).await?;
                report.changes.push(format!("updated tenant {}", m.tenant.slug));
            }
        }
    }

    // The operator's manifest vouches for its domains: nothing to verify by DNS.
    repo::replace_custom_domains(&tx, &domains, true).await.map_err(crate::tenant::claimed)?;

    let current = repo::all_locations(&tx).await?;
    for want in &m.locations {
        let found = current.iter().find(|l| l.name == want.name.trim());
        let unchanged = found
            .map(|l| {
                LocationCreate::from_row(l)
                    .map(|s| serde_json::to_value(&s).ok() == serde_json::to_value(want).ok())
                    .unwrap_or(false)
            })
            .unwrap_or(false);
        if unchanged {
            continue;
        }
        let now = Utc::now();
        let (mut am, insert, verb) = match found {
            Some(l) => {
                let version = l.version + 1;
                let mut am = l.clone().into_active_model();
                am.version = Set(version);
                am.updated_at = Set(now);
                (am, false, "updated")
            }
            None => (
                locations::ActiveModel {
                    tenant_id: Set(tenant_id.0),
                    id: Set(Uuid::now_v7()),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                    deleted_at: Set(None),
                    ..Default::default()
                },
                true,
                "created",
            ),
        };
        want.write_to(&mut am);
        let saved = repo::save_location(&tx, am, insert).await?;
        audit::record(
            &tx,
            &system,
            Change::new(
                if insert { TenantsEvent::LocationCreated } else { TenantsEvent::LocationUpdated },
                "location",
                saved.id.to_string(),
                None,
                serde_json::to_value(want).ok(),
            ),
        )
        .await?;
        report.changes.push(format!("{verb} location {}", want.name.trim()));
    }

    let roles = repo::roles(&tx).await?;
    for want in &m.roles {
        let permissions = sorted(want.permissions.clone());
        match roles.iter().find(|r| r.name == want.name) {
            Some(r) if strings(&r.permissions) == permissions && r.description == want.description => {}
            Some(r) => {
                let saved = repo::update_role(&tx, r.clone(), want.description.clone(), permissions).await?;
                audit::record(
                    &tx,
                    &system,
                    Change::new(
                        TenantsEvent::RoleUpdated,
                        "role",
                        saved.id.to_string(),
                        None,
                        Some(serde_json::json!({"name": saved.name, "permissions": saved.permissions})),
                    ),
                )
                .await?;
                report.changes.push(format!("updated role {}", want.name));
            }
            None => {
                let saved = repo::insert_role(&tx, &want.name, &want.description, &permissions).await?;
                audit::record(
                    &tx,
                    &system,
                    Change::new(
                        TenantsEvent::RoleCreated,
                        "role",
                        saved.id.to_string(),
                        None,
                        Some(serde_json::json!({"name": saved.name, "permissions": saved.permissions})),
                    ),
                )
                .await?;
                report.changes.push(format!("created role {}", want.name));
            }
        }
    }

    if let Some(owner) = &m.owner {
        let email =
            Email::parse(&owner.email).map_err(|m| TenantsError::Invalid(vec![FieldError::new("owner.email", m)]))?;
        let user = repo::user_by_email(tx.conn(), email.as_str()).await?;
        let is_owner = match &user {
            Some(u) => repo::membership_of(&tx, atrium_core::ids::UserId(u.id))
                .await?
                .is_some_and(|m| strings(&m.roles).iter().any(|r| r == "owner")),
            None => false,
        };
        let pending = repo::pending_invitation_for(&tx, email.as_str()).await?;
        if !is_owner && pending.is_none() {
            let (_, token) =
                crate::service::create_invitation(&tx, &system, &email, &["owner".to_owned()], None, Uuid::nil())
                    .await?;
            report.changes.push(format!("invited owner {}", email));
            report.invitations.push((email.into_string(), token));
        }
    }

    if report.changes.is_empty() {
        // Nothing to write: leave the database exactly as it was.
        drop(tx);
        return Ok(report);
    }
    atrium_core::context::commit_policy_change(tx, policies)
        .await
        .map_err(|e| TenantsError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
    Ok(report)
}
