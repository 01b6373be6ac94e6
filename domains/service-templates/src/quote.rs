//! Prices, as pure functions of a template and a request (no clock, no database):
//! [`quote`] makes the [`PricingSnapshot`] a booking stores, and [`refund`] applies the
//! template's refund tiers to a cancellation.
//!
//! # How a quote is computed
//! 1. **Length.** A `fixed` duration lasts `fixed_minutes` (a different `duration_minutes`
//!    is refused); a `variable` one needs `duration_minutes` within `[min, max]` and on a
//!    step (`(d − min) % interval == 0`); a `multi_day` one needs `nights` within
//!    `[min_nights, max_nights]` and ends `nights` calendar days later at the same local
//!    time in `pricing.timezone` (so 23 or 25 hours across a daylight-saving change).
//! 2. **Unit price.** Timed: `base_price + hourly_rate × minutes / 60` (no hourly rate: 0).
//!    Multi-day: `base_price × nights`.
//! 3. **Multiplier.** The start is read in `pricing.timezone`. The time multiplier is the
//!    largest `multiplier` among the `time_multipliers` whose `days_of_week` holds the
//!    local weekday and whose `time_range` holds the local start time (`start ≤ t < end`);
//!    none: 1. The holiday multiplier is `holiday_multiplier` when the local start date is
//!    one of `holidays` (else, or when absent, 1). `multiplier = time × holiday`. Only the
//!    start counts: a booking that runs into an evening range keeps its start's price.
//! 4. **Participants.** `individual` capacity takes exactly 1; `group` takes
//!    `[min_participants, max_participants]`.
//! 5. **Total.** `subtotal = unit × multiplier × participants`, unrounded; `total` is the
//!    subtotal rounded to the currency's minor units, half away from zero (`24.985` USD →
//!    `24.99`; `1000.5` JPY → `1001`).
//! 6. **Deposit**, when the template's deposit is `required`: its `amount`, or
//!    `total × percentage / 100` rounded like the total; never more than the total.

use atrium_core::error::FieldError;
use atrium_core::schedule::Weekday;
use atrium_core::validate::{CurrencyCode, Timezone};
use chrono::{DateTime, Datelike, Days, TimeDelta, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{CancellationPolicy, CapacityType, ServiceDuration, ServiceTemplateState};

/// What to price: when, for how long, for how many.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"start": "2026-03-04T23:00:00Z", "participants": 1}))]
pub struct QuoteRequest {
    /// The booking's start (RFC 3339, UTC).
    pub start: DateTime<Utc>,
    /// Required for variable durations; for fixed ones only the template's own length.
    #[schema(example = 90)]
    pub duration_minutes: Option<u32>,
    /// Required for multi-day templates, refused for the others.
    #[schema(example = 3)]
    pub nights: Option<u32>,
    /// 1 (the default) for individual services; within the group's range for groups.
    #[serde(default = "one")]
    #[schema(example = 1)]
    pub participants: u32,
}

fn one() -> u32 {
    1
}

/// Which template version a quote prices and when: the caller's facts, so [`quote`] stays
/// pure.
#[derive(Clone, Copy, Debug)]
pub struct QuoteOrigin {
    pub template_id: Uuid,
    pub template_version: i32,
    pub quoted_at: DateTime<Utc>,
}

/// A price as quoted, with every input and step of it; a booking stores it as it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"template_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "template_version": 1,
    "currency": "USD", "timezone": "America/New_York", "start": "2026-03-04T23:00:00Z", "end": "2026-03-04T23:45:00Z",
    "duration_minutes": 45, "nights": null, "participants": 1, "base_price": "60.00", "hourly_rate": null,
    "unit_price": "60.00", "time_multiplier": "1.25", "holiday_multiplier": "1", "multiplier": "1.25",
    "subtotal": "75.0000", "total": "75.00", "deposit_amount": "15.00", "quoted_at": "2026-02-01T10:00:00Z"}))]
pub struct PricingSnapshot {
    pub template_id: Uuid,
    pub template_version: i32,
    #[schema(example = "USD")]
    pub currency: String,
    #[schema(example = "America/New_York")]
    pub timezone: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Minutes from start to end.
    pub duration_minutes: u32,
    /// Multi-day templates only.
    #[serde(default)]
    pub nights: Option<u32>,
    pub participants: u32,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "60.00")]
    pub base_price: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub hourly_rate: Option<Decimal>,
    /// Per participant, before multipliers.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "60.00")]
    pub unit_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "1.25")]
    pub time_multiplier: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "1")]
    pub holiday_multiplier: Decimal,
    /// `time_multiplier × holiday_multiplier`.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "1.25")]
    pub multiplier: Decimal,
    /// `unit_price × multiplier × participants`, unrounded.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "75.0000")]
    pub subtotal: Decimal,
    /// The subtotal in the currency's minor units, half away from zero.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "75.00")]
    pub total: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "15.00")]
    pub deposit_amount: Option<Decimal>,
    pub quoted_at: DateTime<Utc>,
    /// Lines the plugins' booking extensions added (products, package credits); their
    /// amounts are in `total`, the service's own price in `subtotal`.
    #[serde(default)]
    pub lines: Vec<atrium_core::booking_ext::PricingLine>,
}

/// `value` in `minor_units` decimals, half away from zero, written with exactly that many.
pub fn round_money(value: Decimal, minor_units: u32) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(minor_units);
    rounded
}

/// Minutes, nights and end of the booking (step 1), or what is wrong with the request.
fn length(
    template: &ServiceTemplateState,
    request: &QuoteRequest,
    tz: chrono_tz::Tz,
) -> Result<(u32, Option<u32>, DateTime<Utc>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let minutes = match template.duration {
        ServiceDuration::Fixed { fixed_minutes, .. } => {
            if request.duration_minutes.is_some_and(|d| i64::from(d) != fixed_minutes) {
                errors.push(FieldError::new("duration_minutes", format!("this service lasts {fixed_minutes} minutes")));
            }
            Some(fixed_minutes)
        }
        ServiceDuration::Variable { min_minutes, max_minutes, interval_minutes, .. } => {
            match request.duration_minutes {
                None => {
                    errors.push(FieldError::new("duration_minutes", "is required for a variable duration"));
                    None
                }
                Some(d) => {
                    let d = i64::from(d);
                    if d < min_minutes
                        || d > max_minutes
                        || interval_minutes <= 0
                        || (d - min_minutes) % interval_minutes != 0
                    {
                        let why = format!("must be {min_minutes}–{max_minutes} in steps of {interval_minutes}");
                        errors.push(FieldError::new("duration_minutes", why));
                    }
                    Some(d)
                }
            }
        }
        ServiceDuration::MultiDay { .. } => {
            if request.duration_minutes.is_some() {
                errors.push(FieldError::new("duration_minutes", "a multi-day service is booked in nights"));
            }
            None
        }
    };
    let nights = match template.duration {
        ServiceDuration::MultiDay { min_nights, max_nights, .. } => match request.nights {
            None => {
                errors.push(FieldError::new("nights", "is required for a multi-day service"));
                None
            }
            Some(n) if i64::from(n) < min_nights || i64::from(n) > max_nights => {
                errors.push(FieldError::new("nights", format!("must be between {min_nights} and {max_nights}")));
                None
            }
            Some(n) => Some(n),
        },
        _ => {
            if request.nights.is_some() {
                errors.push(FieldError::new("nights", "only for multi-day services"));
            }
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let out_of_range = || vec![FieldError::new("start", "is out of range")];
    let end = end_of(request.start, minutes, nights, tz).ok_or_else(out_of_range)?;
    let minutes = u32::try_from((end - request.start).num_minutes()).map_err(|_| out_of_range())?;
    Ok((minutes, nights, end))
}

/// A timed booking ends `minutes` later; a stay `nights` calendar days later at the same
/// local time (the earlier instant when that time occurs twice, 24 h a night when it does
/// not occur at all).
fn end_of(start: DateTime<Utc>, minutes: Option<i64>, nights: Option<u32>, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    match (minutes, nights) {
        (Some(m), _) => start.checked_add_signed(TimeDelta::minutes(m)),
        (None, Some(n)) => start
            .with_timezone(&tz)
            .naive_local()
            .checked_add_days(Days::new(u64::from(n)))
            .and_then(|local| local.and_local_timezone(tz).earliest())
            .map(|end| end.with_timezone(&Utc))
            .or_else(|| start.checked_add_signed(TimeDelta::days(i64::from(n)))),
        (None, None) => None,
    }
}

fn check_participants(template: &ServiceTemplateState, participants: u32) -> Option<FieldError> {
    match (template.capacity.capacity_type, &template.capacity.group) {
        (CapacityType::Group, Some(g)) if participants < g.min_participants || participants > g.max_participants => {
            Some(FieldError::new(
                "participants",
                format!("must be between {} and {}", g.min_participants, g.max_participants),
            ))
        }
        (CapacityType::Group, Some(_)) => None,
        _ if participants != 1 => Some(FieldError::new("participants", "must be 1 for an individual service")),
        _ => None,
    }
}

/// Step 3: the time and holiday multipliers at the local start.
fn multipliers(template: &ServiceTemplateState, start: DateTime<Utc>, tz: chrono_tz::Tz) -> (Decimal, Decimal) {
    let local = start.with_timezone(&tz);
    let (day, time) = (Weekday::of(local.weekday()), local.time());
    let pricing = &template.pricing;
    let time_multiplier = pricing
        .time_multipliers
        .iter()
        .filter(|m| m.days_of_week.contains(&day) && m.time_range.bounds().is_some_and(|(s, e)| s <= time && time < e))
        .map(|m| m.multiplier)
        .max()
        .unwrap_or(Decimal::ONE);
    let holiday_multiplier = match pricing.holiday_multiplier {
        Some(m) if pricing.holidays.contains(&local.date_naive()) => m,
        _ => Decimal::ONE,
    };
    (time_multiplier, holiday_multiplier)
}

/// Prices `request` on `template` (see the module documentation); a request the template
/// cannot take is refused with the request's field paths.
pub fn quote(
    template: &ServiceTemplateState,
    request: &QuoteRequest,
    origin: QuoteOrigin,
) -> Result<PricingSnapshot, Vec<FieldError>> {
    let pricing = &template.pricing;
    let currency = CurrencyCode::parse(&pricing.currency).map_err(|m| vec![FieldError::new("pricing.currency", m)])?;
    let zone = Timezone::parse(&pricing.timezone).map_err(|m| vec![FieldError::new("pricing.timezone", m)])?;
    let tz = zone.tz();
    let lengths = length(template, request, tz);
    let participants = check_participants(template, request.participants);
    let (minutes, nights, end) = match (lengths, participants) {
        (Ok(l), None) => l,
        (Ok(_), Some(p)) => return Err(vec![p]),
        (Err(mut e), p) => {
            e.extend(p);
            return Err(e);
        }
    };
    let out_of_range = || vec![FieldError::new("", "the price is out of range")];
    let unit_price = match nights {
        Some(n) => pricing.base_price.checked_mul(Decimal::from(n)),
        None => pricing
            .hourly_rate
            .unwrap_or(Decimal::ZERO)
            .checked_mul(Decimal::from(minutes))
            .and_then(|x| x.checked_div(Decimal::from(60)))
            .and_then(|x| x.checked_add(pricing.base_price)),
    }
    .ok_or_else(out_of_range)?;
    let (time_multiplier, holiday_multiplier) = multipliers(template, request.start, tz);
    let multiplier = time_multiplier.checked_mul(holiday_multiplier).ok_or_else(out_of_range)?.normalize();
    let subtotal = unit_price
        .checked_mul(multiplier)
        .and_then(|x| x.checked_mul(Decimal::from(request.participants)))
        .ok_or_else(out_of_range)?;
    let minor = currency.minor_units();
    let total = round_money(subtotal, minor);
    let deposit_amount = match &template.deposit {
        Some(d) if d.required => {
            let raw = match (d.amount, d.percentage) {
                (Some(amount), _) => Some(amount),
                (None, Some(p)) => total.checked_mul(p).and_then(|x| x.checked_div(Decimal::ONE_HUNDRED)),
                (None, None) => None,
            };
            raw.map(|a| round_money(a, minor).min(total))
        }
        _ => None,
    };
    Ok(PricingSnapshot {
        template_id: origin.template_id,
        template_version: origin.template_version,
        currency: currency.into_string(),
        timezone: zone.into_string(),
        start: request.start,
        end,
        duration_minutes: minutes,
        nights,
        participants: request.participants,
        base_price: pricing.base_price,
        hourly_rate: pricing.hourly_rate,
        unit_price,
        time_multiplier: time_multiplier.normalize(),
        holiday_multiplier: holiday_multiplier.normalize(),
        multiplier,
        subtotal,
        total,
        deposit_amount,
        quoted_at: origin.quoted_at,
        lines: Vec::new(),
    })
}

/// What a cancellation gets back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Refund {
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "50")]
    pub refund_percent: Decimal,
    /// `paid × refund_percent / 100` in the currency's minor units, half away from zero.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "30.00")]
    pub amount: Decimal,
    pub offer_store_credit: bool,
    /// The tier applied; none when the notice is shorter than every tier's.
    pub tier_min_hours_before: Option<u32>,
}

/// The refund for a booking starting at `start`, cancelled at `cancelled_at`, for which
/// `paid` was paid. The notice is exact (`start − cancelled_at`, to the second and
/// below); the tier applied is the one with the largest `min_hours_before` the notice
/// reaches (exactly at a threshold counts). No tier reached: nothing back. Whether the
/// client may cancel at all (`allow_client_cancellation`) is the caller's decision.
pub fn refund(
    cancellation: &CancellationPolicy,
    start: DateTime<Utc>,
    cancelled_at: DateTime<Utc>,
    paid: Decimal,
    minor_units: u32,
) -> Refund {
    let notice = start - cancelled_at;
    let tier = cancellation
        .refund_tiers
        .iter()
        .filter(|t| notice >= TimeDelta::hours(i64::from(t.min_hours_before)))
        .max_by_key(|t| t.min_hours_before);
    match tier {
        None => Refund {
            refund_percent: Decimal::ZERO,
            amount: round_money(Decimal::ZERO, minor_units),
            offer_store_credit: false,
            tier_min_hours_before: None,
        },
        Some(t) => {
            let amount = paid.checked_mul(t.refund_percent).map_or(paid, |x| x / Decimal::ONE_HUNDRED);
            Refund {
                refund_percent: t.refund_percent,
                amount: round_money(amount.min(paid), minor_units),
                offer_store_credit: t.offer_store_credit,
                tier_min_hours_before: Some(t.min_hours_before),
            }
        }
    }
}

#[cfg(test)]
#[path = "quote_tests.rs"]
mod tests;
