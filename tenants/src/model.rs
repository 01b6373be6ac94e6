//! The module's value types as the API shows them: typed, validated, with examples —
//! the tenant's settings, and a location's full state (Bizing §1) with its checks.

use atrium_core::error::FieldError;
use atrium_core::http::double_option;
use atrium_core::schedule::{WeeklySchedule, check_weekly};
use atrium_core::validate::{CurrencyCode, Email, Name, Timezone};
use chrono::{DateTime, Utc};
use sea_orm::Set;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entities::locations;

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

/// Whether customers may register themselves (`POST /v1/public/{slug}/customers`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerRegistration {
    #[default]
    Open,
    /// Customers join only by invitation.
    Closed,
}

str_enum!(CustomerRegistration { Open = "open", Closed = "closed" });

/// The one role a customer who registered holds.
pub const CUSTOMER: &str = "customer";

/// Whether `roles` make a customer and nothing more (customers take no seat of the plan
/// and may leave by themselves).
pub fn is_customer_only(roles: &[String]) -> bool {
    !roles.is_empty() && roles.iter().all(|r| r == CUSTOMER)
}

/// White-label branding, shown on the tenant's public pages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"display_name": "Acme Salon", "logo_url": "https://cdn.example.com/acme.png",
    "primary_color": "#1a73e8", "secondary_color": "#ffffff", "support_email": "help@acme.example",
    "embed_origins": ["https://www.acme.example"]}))]
pub struct Branding {
    pub display_name: Option<String>,
    /// `https://` URL of the logo.
    pub logo_url: Option<String>,
    /// `#rrggbb`
    pub primary_color: Option<String>,
    /// `#rrggbb`
    pub secondary_color: Option<String>,
    pub support_email: Option<String>,
    /// Origins (`https://shop.example.com`, no path) whose pages may embed the booking page
    /// in a frame; none: only the deployment's own pages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["https://www.acme.example"]))]
    pub embed_origins: Vec<String>,
}

/// `scheme://host[:port]` with scheme http or https: nothing more, since it goes into the
/// booking page's `Content-Security-Policy` header.
fn is_plain_origin(origin: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    matches!(scheme, "https" | "http")
        && !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !host.starts_with(['.', '-'])
        && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
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
        if self.embed_origins.len() > 20 {
            errors.push(FieldError::new(format!("{path}.embed_origins"), "at most 20 origins"));
        }
        for (i, origin) in self.embed_origins.iter().enumerate() {
            if !is_plain_origin(origin) {
                errors.push(FieldError::new(
                    format!("{path}.embed_origins[{i}]"),
                    "must be an origin such as https://www.example.com (lower case, no path)",
                ));
            }
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

/// A partial update: absent fields stay as they are. `slug`, `status` and `plan` are the
/// platform's to change and are rejected here.
#[derive(Debug, Default, Deserialize, ToSchema)]
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
    pub customer_registration: Option<CustomerRegistration>,
    /// Customers may name guests (people without an account) as participants.
    pub customer_guests_allowed: Option<bool>,
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

// ---- locations: physical, virtual or mobile places of business, each with its IANA
// time zone, operating hours in local time, optional config override and, for mobile
// services, a service area ----

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocationType {
    Physical,
    Virtual,
    Mobile,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocationStatus {
    Active,
    Inactive,
}

str_enum!(LocationType { Physical = "physical", Virtual = "virtual", Mobile = "mobile" });
str_enum!(LocationStatus { Active = "active", Inactive = "inactive" });

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Coordinates {
    #[schema(example = 38.7223)]
    pub lat: f64,
    #[schema(example = -9.1393)]
    pub lng: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[schema(example = "Rua Augusta 100")]
    pub street: String,
    #[schema(example = "Lisbon")]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[schema(example = "1100-053")]
    pub zip: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "PT")]
    pub country: String,
    pub coordinates: Option<Coordinates>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigOverride {
    pub timezone: Option<String>,
    pub currency: Option<String>,
    pub cancellation_notice_hours: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceArea {
    /// Miles from the center, more than 0 and at most 500.
    #[schema(example = 15)]
    pub radius_miles: f64,
    pub center: Coordinates,
}

/// A location's full state, as created or after a patch; checked as a whole.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Downtown", "type": "physical", "timezone": "Europe/Lisbon",
    "address": {"street": "Rua Augusta 100", "city": "Lisbon", "zip": "1100-053", "country": "PT",
                "coordinates": {"lat": 38.7103, "lng": -9.1366}},
    "operating_hours": {"monday": [{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}]}}))]
pub struct LocationCreate {
    #[schema(example = "Downtown")]
    pub name: String,
    #[serde(rename = "type")]
    pub location_type: LocationType,
    pub address: Option<Address>,
    #[schema(example = "Europe/Lisbon")]
    pub timezone: String,
    #[serde(default)]
    pub operating_hours: WeeklySchedule,
    pub config_override: Option<ConfigOverride>,
    pub service_area: Option<ServiceArea>,
    #[serde(default = "active")]
    pub status: LocationStatus,
}

fn active() -> LocationStatus {
    LocationStatus::Active
}

fn check_coordinates(path: &str, c: &Coordinates, errors: &mut Vec<FieldError>) {
    if !(-90.0..=90.0).contains(&c.lat) {
        errors.push(FieldError::new(format!("{path}.lat"), "must be between -90 and 90"));
    }
    if !(-180.0..=180.0).contains(&c.lng) {
        errors.push(FieldError::new(format!("{path}.lng"), "must be between -180 and 180"));
    }
}

fn check_address(a: &Address, errors: &mut Vec<FieldError>) {
    for (field, value, max) in [("street", &a.street, 200), ("city", &a.city, 100), ("zip", &a.zip, 20)] {
        if value.trim().is_empty() || value.chars().count() > max {
            errors.push(FieldError::new(format!("address.{field}"), format!("must be 1–{max} characters")));
        }
    }
    if a.state.chars().count() > 100 {
        errors.push(FieldError::new("address.state", "must be at most 100 characters"));
    }
    if !(a.country.len() == 2 && a.country.bytes().all(|b| b.is_ascii_uppercase())) {
        errors.push(FieldError::new("address.country", "must be an ISO 3166-1 alpha-2 code such as PT"));
    }
    if let Some(c) = &a.coordinates {
        check_coordinates("address.coordinates", c, errors);
    }
}

fn check_config_override(c: &ConfigOverride, errors: &mut Vec<FieldError>) {
    if let Some(tz) = &c.timezone {
        check_timezone("config_override.timezone", tz, errors);
    }
    if let Some(cur) = &c.currency {
        check_currency("config_override.currency", cur, errors);
    }
    if c.cancellation_notice_hours.is_some_and(|h| h > 8760) {
        errors.push(FieldError::new("config_override.cancellation_notice_hours", "must be at most 8760"));
    }
}

impl LocationCreate {
    /// Every invalid field, by its path; empty when the state is valid.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Err(m) = Name::parse(&self.name) {
            errors.push(FieldError::new("name", m));
        }
        check_timezone("timezone", &self.timezone, &mut errors);
        match (&self.location_type, &self.address, &self.service_area) {
            (LocationType::Physical, None, _) => {
                errors.push(FieldError::new("address", "is required for a physical location"))
            }
            (LocationType::Mobile, _, None) => {
                errors.push(FieldError::new("service_area", "is required for a mobile location"))
            }
            _ => {}
        }
        if let Some(a) = &self.address {
            check_address(a, &mut errors);
        }
        check_weekly("operating_hours", &self.operating_hours, &mut errors);
        if let Some(c) = &self.config_override {
            check_config_override(c, &mut errors);
        }
        if let Some(area) = &self.service_area {
            if !(area.radius_miles > 0.0 && area.radius_miles <= 500.0) {
                errors.push(FieldError::new("service_area.radius_miles", "must be more than 0 and at most 500"));
            }
            check_coordinates("service_area.center", &area.center, &mut errors);
        }
        errors
    }

    /// The state a stored location is in.
    pub fn from_row(m: &locations::Model) -> Result<Self, serde_json::Error> {
        Ok(Self {
            name: m.name.clone(),
            location_type: serde_json::from_value(serde_json::json!(m.location_type))?,
            address: optional(&m.address)?,
            timezone: m.timezone.clone(),
            operating_hours: serde_json::from_value(m.operating_hours.clone())?,
            config_override: optional(&m.config_override)?,
            service_area: optional(&m.service_area)?,
            status: if m.status == "inactive" { LocationStatus::Inactive } else { LocationStatus::Active },
        })
    }

    /// Writes this state into a row about to be stored.
    pub fn write_to(&self, am: &mut locations::ActiveModel) {
        am.name = Set(self.name.trim().to_owned());
        am.location_type = Set(self.location_type.as_str().to_owned());
        am.address = Set(self.address.as_ref().map(json));
        am.timezone = Set(self.timezone.clone());
        am.operating_hours = Set(json(&self.operating_hours));
        am.config_override = Set(self.config_override.as_ref().map(json));
        am.service_area = Set(self.service_area.as_ref().map(json));
        am.status = Set(self.status.as_str().to_owned());
    }
}

fn optional<T: serde::de::DeserializeOwned>(v: &Option<serde_json::Value>) -> Result<Option<T>, serde_json::Error> {
    v.clone().map(serde_json::from_value).transpose()
}

fn json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationPatch {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub location_type: Option<LocationType>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Address>)]
    pub address: Option<Option<Address>>,
    pub timezone: Option<String>,
    pub operating_hours: Option<WeeklySchedule>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<ConfigOverride>)]
    pub config_override: Option<Option<ConfigOverride>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<ServiceArea>)]
    pub service_area: Option<Option<ServiceArea>>,
    pub status: Option<LocationStatus>,
}

impl LocationPatch {
    /// `state` with the fields this patch sets replaced (not yet checked).
    pub fn applied_to(self, mut state: LocationCreate) -> LocationCreate {
        if let Some(v) = self.name {
            state.name = v;
        }
        if let Some(v) = self.location_type {
            state.location_type = v;
        }
        if let Some(v) = self.address {
            state.address = v;
        }
        if let Some(v) = self.timezone {
            state.timezone = v;
        }
        if let Some(v) = self.operating_hours {
            state.operating_hours = v;
        }
        if let Some(v) = self.config_override {
            state.config_override = v;
        }
        if let Some(v) = self.service_area {
            state.service_area = v;
        }
        if let Some(v) = self.status {
            state.status = v;
        }
        state
    }
}

/// Which entries of the audit log to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<Uuid>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub to: Option<DateTime<Utc>>,
}
