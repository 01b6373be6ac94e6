//! The bookable as the API states it: one polymorphic input (common fields, a calendar,
//! and the fields of its `type`), checked as a whole by [`BookableState::check`].

use std::collections::BTreeMap;

use atrium_core::error::{ApiError, FieldError};
use atrium_core::extract::parse_field;
use atrium_core::http::merge_patch;
use atrium_core::schedule::{WeeklySchedule, check_weekly};
use atrium_core::validate::{Email, Name, Slug, Timezone};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookableType {
    Provider,
    CompanyProvider,
    Asset,
    Venue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookableStatus {
    Active,
    Inactive,
    Maintenance,
    Retired,
}

impl BookableStatus {
    /// `retired` is final; the other three move freely among themselves.
    pub fn may_become(self, to: Self) -> bool {
        self != Self::Retired && self != to
    }
}

/// A value's snake_case name, as serde writes it (for text columns).
pub fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The inverse of [`name_of`].
pub fn parse_name<T: serde::de::DeserializeOwned>(value: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
}

/// The bookable's own calendar: its weekly pattern in its own time zone, and how slots are
/// cut from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// IANA zone the weekly schedule and date overrides are read in.
    #[schema(example = "Europe/Lisbon")]
    pub timezone: String,
    /// Local opening ranges per weekday; an absent day is closed.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, Vec<atrium_core::schedule::TimeRange>>,
        example = json!({"monday": [{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}]}))]
    pub weekly_schedule: WeeklySchedule,
    /// Length of a slot, 5–1440 minutes.
    #[serde(default = "thirty")]
    #[schema(example = 30)]
    pub slot_duration_minutes: u32,
    /// Minutes between slot starts, 5–1440.
    #[serde(default = "thirty")]
    #[schema(example = 30)]
    pub slot_interval_minutes: u32,
    /// Kept free before each booking, 0–240 minutes.
    #[serde(default)]
    pub pre_buffer_minutes: u32,
    /// Kept free after each booking, 0–240 minutes.
    #[serde(default)]
    pub post_buffer_minutes: u32,
    /// Bookings start at least this many hours from now (0–8760).
    #[serde(default)]
    pub min_advance_hours: u32,
    /// …and at most this many days ahead (1–730).
    #[serde(default = "ninety")]
    #[schema(example = 90)]
    pub max_advance_days: u32,
}

fn thirty() -> u32 {
    30
}

fn ninety() -> u32 {
    90
}

impl Calendar {
    fn check(&self, errors: &mut Vec<FieldError>) {
        if let Err(m) = Timezone::parse(&self.timezone) {
            errors.push(FieldError::new("calendar.timezone", m));
        }
        check_weekly("calendar.weekly_schedule", &self.weekly_schedule, errors);
        for (field, value, range) in [
            ("slot_duration_minutes", self.slot_duration_minutes, 5..=1440),
            ("slot_interval_minutes", self.slot_interval_minutes, 5..=1440),
            ("pre_buffer_minutes", self.pre_buffer_minutes, 0..=240),
            ("post_buffer_minutes", self.post_buffer_minutes, 0..=240),
            ("min_advance_hours", self.min_advance_hours, 0..=8760),
            ("max_advance_days", self.max_advance_days, 1..=730),
        ] {
            if !range.contains(&value) {
                errors.push(FieldError::new(
                    format!("calendar.{field}"),
                    format!("must be between {} and {}", range.start(), range.end()),
                ));
            }
        }
        if u64::from(self.min_advance_hours) > u64::from(self.max_advance_days) * 24 {
            errors.push(FieldError::new("calendar.min_advance_hours", "must not exceed max_advance_days"));
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentProfile {
    #[schema(value_type = Option<String>, example = "45.00")]
    pub hourly_rate: Option<Decimal>,
    /// The provider's share, 0–1 (0.7 = 70 %).
    #[schema(value_type = Option<String>, example = "0.7")]
    pub commission_split: Option<Decimal>,
}

/// An individual who provides services.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderFields {
    /// The member's user account, if the provider has one.
    pub user_id: Option<Uuid>,
    #[schema(example = "maria@salon.example")]
    pub email: String,
    #[schema(example = "+351 912 345 678")]
    pub phone: Option<String>,
    pub bio: Option<String>,
    #[serde(default)]
    #[schema(example = json!(["balayage", "curly cuts"]))]
    pub specialties: Vec<String>,
    #[serde(default)]
    #[schema(example = json!(["pt", "en"]))]
    pub languages: Vec<String>,
    /// Locations besides the bookable's own where the provider works.
    #[serde(default)]
    pub can_work_at_locations: Vec<Uuid>,
    /// For mobile services, 1–500 km.
    pub travel_radius_km: Option<u32>,
    /// 1–100.
    #[schema(example = 8)]
    pub max_daily_bookings: Option<u32>,
    /// Rest kept between two bookings, 0–240 minutes.
    #[serde(default)]
    #[schema(example = 10)]
    pub min_rest_between_bookings_minutes: u32,
    pub payment_profile: Option<PaymentProfile>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DispatchMethod {
    AutoAssign,
    Manual,
    CustomerChoice,
}

fn manual() -> DispatchMethod {
    DispatchMethod::Manual
}

/// A company acting as one provider (ABC Plumbing); its technicians are members of its
/// company household.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyProviderFields {
    /// A household of type `company`.
    pub household_id: Uuid,
    #[schema(example = "dispatch@abc-plumbing.example")]
    pub email: String,
    #[schema(example = "+1 555 0100")]
    pub phone: String,
    pub website: Option<String>,
    /// Users who are members of the company household and can be assigned to bookings.
    #[serde(default)]
    pub available_technicians: Vec<Uuid>,
    #[serde(default = "manual")]
    pub dispatch_method: DispatchMethod,
    /// 1–500 km.
    #[schema(example = 25)]
    pub service_radius_km: u32,
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, Vec<atrium_core::schedule::TimeRange>>)]
    pub business_hours: WeeklySchedule,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetType {
    Vehicle,
    Equipment,
    Tool,
    Instrument,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceSchedule {
    /// Service after this many hours of use (1–100000).
    pub every_hours: Option<u32>,
    /// Service every this many days (1–3650).
    pub every_days: Option<u32>,
}

/// Equipment, vehicles, tools and instruments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetFields {
    pub asset_type: AssetType,
    #[schema(example = "SN-2231-XY")]
    pub serial_number: Option<String>,
    pub inventory_number: Option<String>,
    /// Named specifications, as text (`{"power": "2 kW"}`).
    #[serde(default)]
    #[schema(example = json!({"power": "2 kW"}))]
    pub specifications: BTreeMap<String, String>,
    pub maintenance_schedule: Option<MaintenanceSchedule>,
    pub last_serviced_at: Option<DateTime<Utc>>,
    pub next_service_due: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueCapacity {
    pub min: Option<u32>,
    /// People the venue holds, 1–100000.
    #[schema(example = 12)]
    pub max: u32,
}

/// Rooms, studios, courts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueFields {
    pub capacity: VenueCapacity,
    pub square_footage: Option<u32>,
    #[serde(default)]
    #[schema(example = json!(["mirrors", "sound system"]))]
    pub amenities: Vec<String>,
    /// Whether several bookings may share the venue at once.
    #[serde(default)]
    pub allow_simultaneous_bookings: bool,
    /// With `allow_simultaneous_bookings`, how many at once (2–1000).
    pub max_simultaneous_bookings: Option<u32>,
    /// 0–240 minutes before each booking.
    #[serde(default)]
    pub default_setup_minutes: u32,
    /// 0–240 minutes after each booking.
    #[serde(default)]
    pub default_teardown_minutes: u32,
}

/// The fields of one bookable type, chosen by `type`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BookableDetails {
    Provider(ProviderFields),
    CompanyProvider(CompanyProviderFields),
    Asset(AssetFields),
    Venue(VenueFields),
}

impl BookableDetails {
    pub fn bookable_type(&self) -> BookableType {
        match self {
            Self::Provider(_) => BookableType::Provider,
            Self::CompanyProvider(_) => BookableType::CompanyProvider,
            Self::Asset(_) => BookableType::Asset,
            Self::Venue(_) => BookableType::Venue,
        }
    }

    /// How many bookings may overlap on it at one instant.
    pub fn capacity(&self) -> u32 {
        match self {
            Self::Venue(v) if v.allow_simultaneous_bookings => v.max_simultaneous_bookings.unwrap_or(1),
            Self::CompanyProvider(c) => u32::try_from(c.available_technicians.len()).unwrap_or(u32::MAX).max(1),
            _ => 1,
        }
    }
}

/// Fields every bookable has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookableCommon {
    #[schema(example = "Maria Silva")]
    pub name: String,
    /// Unique in the tenant; made from the name when absent.
    #[schema(example = "maria-silva")]
    pub slug: Option<String>,
    pub description: Option<String>,
    /// Where it is (none for mobile ones); one of the tenant's locations.
    pub location_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    /// Up to 20 tags of 1–40 characters of a-z, 0-9, '-' and '_'.
    #[serde(default)]
    #[schema(example = json!(["senior", "color"]))]
    pub tags: Vec<String>,
    #[serde(default = "active")]
    pub status: BookableStatus,
    pub calendar: Calendar,
}

fn active() -> BookableStatus {
    BookableStatus::Active
}

/// A bookable's full input state, as created or after a merge patch; checked as a whole.
/// It reads as one flat object (see [`BookableState::from_json`]) and writes as one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BookableState {
    #[serde(flatten)]
    pub common: BookableCommon,
    #[serde(flatten)]
    pub details: BookableDetails,
}

/// The keys of [`BookableCommon`]; every other key (but `type`) belongs to the type's fields.
const COMMON_FIELDS: [&str; 8] =
    ["name", "slug", "description", "location_id", "category_id", "tags", "status", "calendar"];

impl BookableState {
    /// Reads the flat input: `type` chooses the fields struct, the common keys go to
    /// [`BookableCommon`], the rest to the type's struct (which refuses what it does not
    /// know). Parsed part by part rather than with serde's `flatten`, which loses the
    /// path of a bad field (`calendar.slot_duration_minutes`).
    pub fn from_json(mut object: Map<String, Value>) -> Result<Self, ApiError> {
        let kind: BookableType = match object.remove("type") {
            Some(kind) => parse_field("type", kind)?,
            None => return Err(ApiError::validation(vec![FieldError::new("type", "is required")])),
        };
        let mut common = Map::new();
        for key in COMMON_FIELDS {
            if let Some(value) = object.remove(key) {
                common.insert(key.to_owned(), value);
            }
        }
        let common: BookableCommon = parse_field("", Value::Object(common))?;
        let rest = Value::Object(object);
        let details = match kind {
            BookableType::Provider => BookableDetails::Provider(parse_field("", rest)?),
            BookableType::CompanyProvider => BookableDetails::CompanyProvider(parse_field("", rest)?),
            BookableType::Asset => BookableDetails::Asset(parse_field("", rest)?),
            BookableType::Venue => BookableDetails::Venue(parse_field("", rest)?),
        };
        Ok(Self { common, details })
    }

    /// A JSON merge patch over this state, read again like a creation.
    pub fn patched(&self, patch: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut merged = serde_json::to_value(self).map_err(ApiError::internal)?;
        merge_patch(&mut merged, &Value::Object(patch.clone()));
        match merged {
            Value::Object(object) => Self::from_json(object),
            _ => Err(ApiError::internal("a merged bookable is not an object")),
        }
    }
}

fn check_text(path: &str, value: Option<&String>, max: usize, errors: &mut Vec<FieldError>) {
    if value.is_some_and(|v| v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control)) {
        errors.push(FieldError::new(path, format!("must be 1–{max} characters")));
    }
}

fn check_words(path: &str, values: &[String], errors: &mut Vec<FieldError>) {
    if values.len() > 50 {
        errors.push(FieldError::new(path, "at most 50 entries"));
    }
    for (i, v) in values.iter().enumerate() {
        check_text(&format!("{path}[{i}]"), Some(v), 100, errors);
    }
}

fn check_bound(path: &str, value: Option<u32>, range: std::ops::RangeInclusive<u32>, errors: &mut Vec<FieldError>) {
    if value.is_some_and(|v| !range.contains(&v)) {
        errors.push(FieldError::new(path, format!("must be between {} and {}", range.start(), range.end())));
    }
}

fn check_url(path: &str, value: Option<&String>, errors: &mut Vec<FieldError>) {
    check_text(path, value, 2000, errors);
    if value.is_some_and(|w| !(w.starts_with("https://") || w.starts_with("http://"))) {
        errors.push(FieldError::new(path, "must be an http(s) URL"));
    }
}

pub fn is_tag(tag: &str) -> bool {
    (1..=40).contains(&tag.len())
        && tag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl BookableState {
    /// Every rule that needs no database; references are checked by [`crate::bookables`].
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let c = &self.common;
        if let Err(m) = Name::parse(&c.name) {
            errors.push(FieldError::new("name", m));
        }
        if let Some(slug) = &c.slug
            && let Err(m) = Slug::parse(slug)
        {
            errors.push(FieldError::new("slug", m));
        }
        check_text("description", c.description.as_ref(), 5000, &mut errors);
        if c.tags.len() > 20 {
            errors.push(FieldError::new("tags", "at most 20 tags"));
        }
        for (i, tag) in c.tags.iter().enumerate() {
            if !is_tag(tag) {
                errors.push(FieldError::new(format!("tags[{i}]"), "must be 1–40 characters of a-z, 0-9, '-' and '_'"));
            }
        }
        c.calendar.check(&mut errors);
        match &self.details {
            BookableDetails::Provider(p) => {
                if let Err(m) = Email::parse(&p.email) {
                    errors.push(FieldError::new("email", m));
                }
                check_text("phone", p.phone.as_ref(), 50, &mut errors);
                check_text("bio", p.bio.as_ref(), 5000, &mut errors);
                check_words("specialties", &p.specialties, &mut errors);
                check_words("languages", &p.languages, &mut errors);
                check_bound("travel_radius_km", p.travel_radius_km, 1..=500, &mut errors);
                check_bound("max_daily_bookings", p.max_daily_bookings, 1..=100, &mut errors);
                check_bound(
                    "min_rest_between_bookings_minutes",
                    Some(p.min_rest_between_bookings_minutes),
                    0..=240,
                    &mut errors,
                );
                if let Some(pay) = &p.payment_profile {
                    if pay.hourly_rate.is_some_and(|r| r.is_sign_negative() || r.scale() > 4) {
                        errors.push(FieldError::new("payment_profile.hourly_rate", "must be 0 or more"));
                    }
                    if pay.commission_split.is_some_and(|s| s < Decimal::ZERO || s > Decimal::ONE) {
                        errors.push(FieldError::new("payment_profile.commission_split", "must be between 0 and 1"));
                    }
                }
            }
            BookableDetails::CompanyProvider(cp) => {
                if let Err(m) = Email::parse(&cp.email) {
                    errors.push(FieldError::new("email", m));
                }
                check_text("phone", Some(&cp.phone), 50, &mut errors);
                check_url("website", cp.website.as_ref(), &mut errors);
                check_bound("service_radius_km", Some(cp.service_radius_km), 1..=500, &mut errors);
                check_weekly("business_hours", &cp.business_hours, &mut errors);
            }
            BookableDetails::Asset(a) => {
                check_text("serial_number", a.serial_number.as_ref(), 100, &mut errors);
                check_text("inventory_number", a.inventory_number.as_ref(), 100, &mut errors);
                if a.specifications.len() > 50 {
                    errors.push(FieldError::new("specifications", "at most 50 entries"));
                }
                for (k, v) in &a.specifications {
                    check_text(&format!("specifications.{k}"), Some(k), 100, &mut errors);
                    check_text(&format!("specifications.{k}"), Some(v), 500, &mut errors);
                }
                if let Some(m) = &a.maintenance_schedule {
                    check_bound("maintenance_schedule.every_hours", m.every_hours, 1..=100_000, &mut errors);
                    check_bound("maintenance_schedule.every_days", m.every_days, 1..=3650, &mut errors);
                }
                if let (Some(last), Some(next)) = (a.last_serviced_at, a.next_service_due)
                    && next < last
                {
                    errors.push(FieldError::new("next_service_due", "must not be before last_serviced_at"));
                }
            }
            BookableDetails::Venue(v) => {
                check_bound("capacity.max", Some(v.capacity.max), 1..=100_000, &mut errors);
                if v.capacity.min.is_some_and(|min| min == 0 || min > v.capacity.max) {
                    errors.push(FieldError::new("capacity.min", "must be between 1 and capacity.max"));
                }
                check_bound("square_footage", v.square_footage, 1..=10_000_000, &mut errors);
                check_words("amenities", &v.amenities, &mut errors);
                match (v.allow_simultaneous_bookings, v.max_simultaneous_bookings) {
                    (true, None) => errors.push(FieldError::new(
                        "max_simultaneous_bookings",
                        "is required when allow_simultaneous_bookings is true",
                    )),
                    (true, Some(_)) => {
                        check_bound("max_simultaneous_bookings", v.max_simultaneous_bookings, 2..=1000, &mut errors)
                    }
                    (false, Some(_)) => errors
                        .push(FieldError::new("max_simultaneous_bookings", "only with allow_simultaneous_bookings")),
                    (false, None) => {}
                }
                check_bound("default_setup_minutes", Some(v.default_setup_minutes), 0..=240, &mut errors);
                check_bound("default_teardown_minutes", Some(v.default_teardown_minutes), 0..=240, &mut errors);
            }
        }
        errors
    }
}

/// A slug from a name: lower-case ASCII letters and digits joined by '-'.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug = slug.trim_end_matches('-').chars().take(50).collect::<String>();
    if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        slug.insert_str(0, "b-");
    }
    while slug.len() < 3 {
        slug.push('x');
    }
    slug.trim_end_matches('-').to_owned()
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
