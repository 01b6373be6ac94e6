//! The module's value types as the API shows them: typed, validated, with examples.

use atrium_core::error::FieldError;
use atrium_core::validate::{CurrencyCode, Email, Timezone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantType {
    Individual,
    SmallBusiness,
    Enterprise,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
}

macro_rules! str_enum {
    ($ty:ty { $($variant:ident = $s:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

str_enum!(TenantType { Individual = "individual", SmallBusiness = "small_business", Enterprise = "enterprise" });
str_enum!(TenantStatus { Active = "active", Suspended = "suspended" });

/// White-label branding, shown on the tenant's public pages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"display_name": "Acme Salon", "logo_url": "https://cdn.example.com/acme.png",
    "primary_color": "#1a73e8", "secondary_color": "#ffffff", "support_email": "help@acme.example"}))]
pub struct Branding {
    pub display_name: Option<String>,
    /// `https://` URL of the logo.
    pub logo_url: Option<String>,
    /// `#rrggbb`
    pub primary_color: Option<String>,
    /// `#rrggbb`
    pub secondary_color: Option<String>,
    pub support_email: Option<String>,
}

impl Branding {
    pub fn check(&self, path: &str, errors: &mut Vec<FieldError>) {
        if let Some(name) = &self.display_name
            && (name.trim().is_empty() || name.chars().count() > 200)
        {
            errors.push(FieldError::new(format!("{path}.display_name"), "must be 1–200 characters"));
        }
        if let Some(url) = &self.logo_url
            && (!url.starts_with("https://") || url.len() > 2000 || url.contains(char::is_whitespace))
        {
            errors.push(FieldError::new(format!("{path}.logo_url"), "must be an https:// URL"));
        }
        for (field, color) in [("primary_color", &self.primary_color), ("secondary_color", &self.secondary_color)] {
            if let Some(c) = color
                && !(c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit()))
            {
                errors.push(FieldError::new(format!("{path}.{field}"), "must be a colour #rrggbb"));
            }
        }
        if let Some(email) = &self.support_email
            && Email::parse(email).is_err()
        {
            errors.push(FieldError::new(format!("{path}.support_email"), "must be an email address"));
        }
    }
}

/// Defaults the tenant's locations and services inherit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultConfig {
    /// Bookings cancelled at least this many hours ahead are refunded in full unless a
    /// service says otherwise.
    #[schema(example = 24, maximum = 8760)]
    pub cancellation_notice_hours: u32,
}

impl Default for DefaultConfig {
    fn default() -> Self {
        Self { cancellation_notice_hours: 24 }
    }
}

impl DefaultConfig {
    pub fn check(&self, path: &str, errors: &mut Vec<FieldError>) {
        if self.cancellation_notice_hours > 8760 {
            errors.push(FieldError::new(format!("{path}.cancellation_notice_hours"), "must be at most 8760"));
        }
    }
}

/// Limits of the tenant's plan; set by the platform, not by the tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    #[schema(example = 600)]
    pub rate_limit_per_minute: u32,
    #[schema(example = 25)]
    pub seats: u32,
}

impl Default for Plan {
    fn default() -> Self {
        Self { rate_limit_per_minute: 600, seats: 25 }
    }
}

pub fn check_timezone(path: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<Timezone> {
    Timezone::parse(value).map_err(|m| errors.push(FieldError::new(path, m))).ok()
}

pub fn check_currency(path: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<CurrencyCode> {
    CurrencyCode::parse(value).map_err(|m| errors.push(FieldError::new(path, m))).ok()
}
