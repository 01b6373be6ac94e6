//! Response types. Handlers return these, never table models.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::{locations, memberships, roles, tenants, users};
use crate::model::{Branding, CustomerRegistration, DefaultConfig, LocationCreate, Plan, TenantStatus, TenantType};

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    pub id: Uuid,
    #[schema(example = "acme-salon")]
    pub slug: String,
    #[schema(example = "Acme Salon")]
    pub name: String,
    #[serde(rename = "type")]
    pub tenant_type: TenantType,
    pub status: TenantStatus,
    #[schema(example = "Europe/Paris")]
    pub timezone: String,
    #[schema(example = "EUR")]
    pub currency: String,
    /// Domain plugins switched on for this tenant.
    #[schema(example = json!(["bookables", "bookings"]))]
    pub enabled_plugins: Vec<String>,
    pub default_config: DefaultConfig,
    pub branding: Branding,
    #[schema(example = json!(["book.acme.example"]))]
    pub custom_domains: Vec<String>,
    pub customer_registration: CustomerRegistration,
    /// Customers may name guests (people without an account) as participants.
    pub customer_guests_allowed: bool,
    pub plan: Plan,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&tenants::Model> for TenantView {
    fn from(t: &tenants::Model) -> Self {
        Self {
            id: t.id,
            slug: t.slug.clone(),
            name: t.name.clone(),
            tenant_type: TenantType::parse(&t.tenant_type).unwrap_or(TenantType::SmallBusiness),
            status: TenantStatus::parse(&t.status).unwrap_or(TenantStatus::Active),
            timezone: t.timezone.clone(),
            currency: t.currency.clone(),
            enabled_plugins: strings(&t.enabled_plugins),
            default_config: serde_json::from_value(t.default_config.clone()).unwrap_or_default(),
            branding: serde_json::from_value(t.branding.clone()).unwrap_or_default(),
            custom_domains: strings(&t.custom_domains),
            customer_registration: CustomerRegistration::parse(&t.customer_registration).unwrap_or_default(),
            customer_guests_allowed: t.customer_guests_allowed,
            plan: serde_json::from_value(t.plan.clone()).unwrap_or_default(),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// Public white-label branding of a tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicBranding {
    #[schema(example = "acme-salon")]
    pub slug: String,
    #[schema(example = "Acme Salon")]
    pub name: String,
    pub branding: Branding,
}

impl From<&tenants::Model> for PublicBranding {
    fn from(t: &tenants::Model) -> Self {
        Self {
            slug: t.slug.clone(),
            name: t.name.clone(),
            branding: serde_json::from_value(t.branding.clone()).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[schema(example = "ana@acme.example")]
    pub email: String,
    #[schema(example = "Ana Lima")]
    pub name: String,
    #[schema(example = "+33612345678")]
    pub phone: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&users::Model> for UserView {
    fn from(u: &users::Model) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            phone: u.phone.clone(),
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// The membership's id.
    pub id: Uuid,
    pub user: UserView,
    #[schema(example = json!(["manager"]))]
    pub roles: Vec<String>,
    /// Limits the member to one location, when set.
    pub location_id: Option<Uuid>,
    #[schema(example = "active")]
    pub status: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl MemberView {
    pub fn new(m: &memberships::Model, user: &users::Model) -> Self {
        Self {
            id: m.id,
            user: user.into(),
            roles: strings(&m.roles),
            location_id: m.location_id,
            status: m.status.clone(),
            version: m.version,
            created_at: m.created_at,
        }
    }
}

/// Tokens from sign-in, signup, refresh or accepting an invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Single use: each refresh returns a new one; reusing a spent one revokes them all.
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocationView {
    pub id: Uuid,
    #[serde(flatten)]
    pub body: LocationCreate,
    pub version: i32,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl LocationView {
    pub fn from_row(m: &locations::Model) -> Result<Self, serde_json::Error> {
        Ok(Self {
            id: m.id,
            body: LocationCreate::from_row(m)?,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
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

pub fn strings(value: &serde_json::Value) -> Vec<String> {
    value.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}
