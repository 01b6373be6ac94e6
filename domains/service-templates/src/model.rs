//! The service template as the API states it (Bizing §5): one typed input,
//! [`ServiceTemplateState`], that a POST carries whole and a PATCH merges into, checked as a
//! whole by [`ServiceTemplateState::check`](crate::rules). Money, percentages and
//! multipliers are [`Decimal`]s written as JSON strings (`"12.50"`), never floats.

use atrium_bookables::model::BookableType;
use atrium_core::schedule::{TimeRange, Weekday};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceTemplateType {
    /// One client, one or more bookables, a set time (a haircut).
    Appointment,
    /// A group session with a participant range (a yoga class); needs `group` capacity.
    Class,
    /// Renting a bookable by the hour (a kayak, a studio).
    Rental,
    /// Stays counted in nights (a cabin); needs a `multi_day` duration.
    MultiDay,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceTemplateStatus {
    Draft,
    Active,
    Paused,
    Archived,
}

/// How long a booking lasts, chosen by `type`; buffers are kept free around it. Minutes
/// and nights are whole numbers; out-of-range ones (zero or negative included) are
/// answered with the field's path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(example = json!({"type": "fixed", "fixed_minutes": 45, "pre_buffer_minutes": 0, "post_buffer_minutes": 10}))]
pub enum ServiceDuration {
    /// Always the same length.
    Fixed {
        /// 5–1440.
        #[schema(example = 45)]
        fixed_minutes: i64,
        /// 0–240.
        #[serde(default)]
        pre_buffer_minutes: i64,
        /// 0–240.
        #[serde(default)]
        #[schema(example = 10)]
        post_buffer_minutes: i64,
    },
    /// The client picks a length from `min_minutes` to `max_minutes` in steps of
    /// `interval_minutes`.
    Variable {
        /// 1–1440.
        #[schema(example = 60)]
        min_minutes: i64,
        /// `min_minutes`–1440.
        #[schema(example = 480)]
        max_minutes: i64,
        /// At least 5, and it divides `max_minutes − min_minutes`.
        #[schema(example = 30)]
        interval_minutes: i64,
        /// 0–240.
        #[serde(default)]
        pre_buffer_minutes: i64,
        /// 0–240.
        #[serde(default)]
        post_buffer_minutes: i64,
    },
    /// Whole nights, check-out at the check-in's local time.
    MultiDay {
        /// 1–365.
        #[schema(example = 1)]
        min_nights: i64,
        /// `min_nights`–365.
        #[schema(example = 14)]
        max_nights: i64,
        /// 0–240.
        #[serde(default)]
        pre_buffer_minutes: i64,
        /// Turnover time after check-out, 0–240.
        #[serde(default)]
        #[schema(example = 120)]
        post_buffer_minutes: i64,
    },
}

impl ServiceDuration {
    pub fn buffers(&self) -> (i64, i64) {
        match *self {
            Self::Fixed { pre_buffer_minutes, post_buffer_minutes, .. }
            | Self::Variable { pre_buffer_minutes, post_buffer_minutes, .. }
            | Self::MultiDay { pre_buffer_minutes, post_buffer_minutes, .. } => {
                (pre_buffer_minutes, post_buffer_minutes)
            }
        }
    }

    pub fn is_multi_day(&self) -> bool {
        matches!(self, Self::MultiDay { .. })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookableRole {
    Primary,
    Assistant,
    Technician,
}

/// Which bookables of the type may fill a requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"category_ids": [], "tags": ["stylist"], "min_rating": "4.5"}))]
pub struct RequirementCriteria {
    #[serde(default)]
    pub category_ids: Vec<Uuid>,
    /// Every tag listed must be on the bookable (up to 20).
    #[serde(default)]
    #[schema(example = json!(["stylist"]))]
    pub tags: Vec<String>,
    /// 0–5.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "4.5")]
    pub min_rating: Option<Decimal>,
}

/// A bookable the service needs: one specific bookable, or any that meets the criteria
/// (none given: any bookable of the type).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"bookable_type": "provider", "criteria": {"tags": ["stylist"]}, "count": 1,
    "role": "primary", "allow_substitution": true}))]
pub struct BookableRequirement {
    pub bookable_type: BookableType,
    /// A bookable of this tenant, of `bookable_type`; not with `criteria`.
    pub specific_bookable_id: Option<Uuid>,
    pub criteria: Option<RequirementCriteria>,
    /// 1–20 (1 with a specific bookable).
    #[serde(default = "one")]
    #[schema(example = 1)]
    pub count: u32,
    #[serde(default = "primary")]
    pub role: BookableRole,
    /// Whether another bookable meeting the requirement may stand in.
    #[serde(default)]
    pub allow_substitution: bool,
}

fn one() -> u32 {
    1
}

fn primary() -> BookableRole {
    BookableRole::Primary
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CapacityType {
    Individual,
    Group,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"min_participants": 3, "max_participants": 12, "auto_cancel_if_under_min": true,
    "enable_waitlist": true}))]
pub struct GroupCapacity {
    /// 1–`max_participants`.
    #[schema(example = 3)]
    pub min_participants: u32,
    /// Up to 1000.
    #[schema(example = 12)]
    pub max_participants: u32,
    #[serde(default)]
    pub auto_cancel_if_under_min: bool,
    #[serde(default)]
    pub enable_waitlist: bool,
}

/// One client per booking, or a group (required for classes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "group", "group": {"min_participants": 3, "max_participants": 12}}))]
pub struct TemplateCapacity {
    #[serde(rename = "type")]
    pub capacity_type: CapacityType,
    /// Only, and always, for `group`.
    pub group: Option<GroupCapacity>,
}

impl Default for TemplateCapacity {
    fn default() -> Self {
        Self { capacity_type: CapacityType::Individual, group: None }
    }
}

/// A price multiplier for bookings starting in `time_range` (local time, start included,
/// end excluded) on one of `days_of_week`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"time_range": {"start": "17:00", "end": "21:00"},
    "days_of_week": ["monday", "tuesday", "wednesday", "thursday", "friday"], "multiplier": "1.25"}))]
pub struct TimeMultiplier {
    pub time_range: TimeRange,
    pub days_of_week: Vec<Weekday>,
    /// More than 0, at most 100, up to 4 decimals.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "1.25")]
    pub multiplier: Decimal,
}

/// The price: a base, an hourly rate for timed services, and simple rules by local time
/// and holidays (see [`crate::quote`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"base_price": "60.00", "currency": "USD", "timezone": "America/New_York",
    "hourly_rate": null, "time_multipliers": [{"time_range": {"start": "17:00", "end": "21:00"},
    "days_of_week": ["friday"], "multiplier": "1.25"}], "holiday_multiplier": "1.5", "holidays": ["2026-12-25"]}))]
pub struct TemplatePricing {
    /// Per booking (per night for multi-day templates); at least 0, in the currency's
    /// minor units at most.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "60.00")]
    pub base_price: Decimal,
    /// ISO 4217.
    #[schema(example = "USD")]
    pub currency: String,
    /// IANA zone the multipliers' times and the holidays are read in.
    #[schema(example = "America/New_York")]
    pub timezone: String,
    /// Added per hour booked (pro rata by the minute); not for multi-day templates.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "30.00")]
    pub hourly_rate: Option<Decimal>,
    /// Up to 10; where several apply, the largest wins.
    #[serde(default)]
    pub time_multipliers: Vec<TimeMultiplier>,
    /// Applied, on top of any time multiplier, to bookings starting on one of `holidays`.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "1.5")]
    pub holiday_multiplier: Option<Decimal>,
    /// Local dates, each once (up to 366).
    #[serde(default)]
    #[schema(example = json!(["2026-12-25"]))]
    pub holidays: Vec<NaiveDate>,
}

/// The refund for a cancellation made at least `min_hours_before` the start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"min_hours_before": 24, "refund_percent": "50", "offer_store_credit": true}))]
pub struct RefundTier {
    /// Up to 8760 (a year).
    #[schema(example = 24)]
    pub min_hours_before: u32,
    /// 0–100.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "50")]
    pub refund_percent: Decimal,
    #[serde(default)]
    pub offer_store_credit: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompensationWhen {
    ClientCancels,
    OrgCancels,
}

/// What the provider is paid when a booking is cancelled with less than `notice_hours`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"when": "client_cancels", "notice_hours": 24, "compensation_percent": "50"}))]
pub struct CompensationRule {
    pub when: CompensationWhen,
    /// Up to 8760.
    #[schema(example = 24)]
    pub notice_hours: u32,
    /// 0–100 of the booking's price.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "50")]
    pub compensation_percent: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grace_period_minutes": 15, "charge_percent": "100", "provider_compensation_percent": "50"}))]
pub struct NoShowPolicy {
    /// 0–1440.
    #[serde(default)]
    #[schema(example = 15)]
    pub grace_period_minutes: u32,
    /// 0–100 of the price charged for a no-show.
    #[serde(default, with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "100")]
    pub charge_percent: Decimal,
    /// 0–100 of the price paid to the provider for a no-show.
    #[serde(default, with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "50")]
    pub provider_compensation_percent: Decimal,
}

impl Default for NoShowPolicy {
    fn default() -> Self {
        Self { grace_period_minutes: 0, charge_percent: Decimal::ZERO, provider_compensation_percent: Decimal::ZERO }
    }
}

/// Whether and until when clients may cancel, refunds by notice, provider compensation and
/// the no-show policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"allow_client_cancellation": true, "client_cancellation_cutoff_hours": 12,
    "refund_tiers": [{"min_hours_before": 48, "refund_percent": "100"}, {"min_hours_before": 24, "refund_percent": "50"}],
    "provider_compensation": [], "no_show_policy": {"grace_period_minutes": 15, "charge_percent": "100",
    "provider_compensation_percent": "50"}}))]
pub struct CancellationPolicy {
    /// Whether clients (customers acting on their own bookings) may cancel at all.
    #[serde(default = "yes")]
    pub allow_client_cancellation: bool,
    /// A client may cancel only at least this many hours before the start (0: until the
    /// start); up to 8760 (a year). The tenant's staff are not bound by it. Templates
    /// stored before this field existed read as 0.
    #[serde(default)]
    #[schema(example = 12)]
    pub client_cancellation_cutoff_hours: u32,
    /// From most notice to least: `min_hours_before` strictly descending, and a tier with
    /// less notice never refunds more (up to 10).
    #[serde(default)]
    pub refund_tiers: Vec<RefundTier>,
    /// Up to 10.
    #[serde(default)]
    pub provider_compensation: Vec<CompensationRule>,
    #[serde(default)]
    pub no_show_policy: NoShowPolicy,
}

fn yes() -> bool {
    true
}

impl Default for CancellationPolicy {
    fn default() -> Self {
        Self {
            allow_client_cancellation: true,
            client_cancellation_cutoff_hours: 0,
            refund_tiers: Vec::new(),
            provider_compensation: Vec::new(),
            no_show_policy: NoShowPolicy::default(),
        }
    }
}

/// A deposit: a fixed `amount` or a `percentage` of the total, exactly one of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"required": true, "percentage": "20", "refundable": true}))]
pub struct DepositPolicy {
    #[serde(default = "yes")]
    pub required: bool,
    /// At least 0, in the currency's minor units at most; never more than the total.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "25.00")]
    pub amount: Option<Decimal>,
    /// More than 0, at most 100.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "20")]
    pub percentage: Option<Decimal>,
    #[serde(default)]
    pub refundable: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductTiming {
    Before,
    During,
    After,
}

/// A product bundled with the service (checked by the products plugin when it books).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"product_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "quantity": 1, "timing": "during"}))]
pub struct IncludedProduct {
    pub product_id: Uuid,
    /// 1–100.
    #[schema(example = 1)]
    pub quantity: u32,
    pub timing: ProductTiming,
}

/// Holding a slot while the client completes the booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true, "hold_duration_minutes": 10, "max_hold_minutes": 30, "require_deposit": false}))]
pub struct ReservationSettings {
    #[serde(default)]
    pub enabled: bool,
    /// 1–1440.
    #[serde(default = "fifteen")]
    #[schema(example = 10)]
    pub hold_duration_minutes: u32,
    /// How long a hold may be extended to: `hold_duration_minutes`–1440.
    #[serde(default = "sixty")]
    #[schema(example = 30)]
    pub max_hold_minutes: u32,
    /// A hold needs the deposit paid (the template must have a required deposit).
    #[serde(default)]
    pub require_deposit: bool,
}

fn fifteen() -> u32 {
    15
}

fn sixty() -> u32 {
    60
}

impl Default for ReservationSettings {
    fn default() -> Self {
        Self { enabled: false, hold_duration_minutes: 15, max_hold_minutes: 60, require_deposit: false }
    }
}

/// A service template's full input state: the body of a POST, and what a PATCH (a JSON
/// merge patch) applies to; checked as a whole either way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = crate::examples::appointment)]
pub struct ServiceTemplateState {
    #[schema(example = "Haircut & style")]
    pub name: String,
    /// Unique in the tenant; made from the name when absent.
    #[schema(example = "haircut-style")]
    pub slug: Option<String>,
    /// Up to 5000 characters.
    pub description: Option<String>,
    /// A location of the tenant, for a location-specific template.
    pub location_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    /// Up to 20 tags of 1–40 characters of a-z, 0-9, '-' and '_'.
    #[serde(default)]
    #[schema(example = json!(["hair"]))]
    pub tags: Vec<String>,
    #[serde(rename = "type")]
    pub template_type: ServiceTemplateType,
    pub duration: ServiceDuration,
    /// Up to 10.
    #[serde(default)]
    pub required_bookables: Vec<BookableRequirement>,
    /// Up to 10.
    #[serde(default)]
    pub optional_bookables: Vec<BookableRequirement>,
    /// `individual` when absent.
    #[serde(default)]
    pub capacity: TemplateCapacity,
    pub pricing: TemplatePricing,
    #[serde(default)]
    pub cancellation: CancellationPolicy,
    pub deposit: Option<DepositPolicy>,
    /// Up to 50.
    #[serde(default)]
    pub included_products: Vec<IncludedProduct>,
    #[serde(default)]
    pub reservation: ReservationSettings,
    /// `draft` when absent.
    #[serde(default = "draft")]
    pub status: ServiceTemplateStatus,
}

fn draft() -> ServiceTemplateStatus {
    ServiceTemplateStatus::Draft
}
