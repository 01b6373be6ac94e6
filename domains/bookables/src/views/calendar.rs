//! A bookable's calendar exceptions as the API states them: date overrides (closed days,
//! modified hours, special pricing, in the calendar's zone) and blocked times (UTC
//! instants: time off, maintenance, unavailable), with the rules on their own fields.

use std::str::FromStr;

use atrium_core::error::FieldError;
use atrium_core::schedule::{TimeRange, check_ranges};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::{blocked_times, date_overrides};
use crate::error::{BookablesError, Result};
use crate::model::parse_name;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateOverrideType {
    /// Closed all day.
    Closed,
    /// Open only during `hours` that day.
    ModifiedHours,
    /// Usual hours at `pricing_multiplier` × the usual price.
    SpecialPricing,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2031-12-24", "type": "modified_hours", "hours": [{"start": "09:00", "end": "13:00"}], "reason": "Christmas Eve"}))]
pub struct DateOverrideInput {
    /// A local date in the calendar's zone.
    pub date: NaiveDate,
    #[serde(rename = "type")]
    pub override_type: DateOverrideType,
    /// With `modified_hours`: the day's local ranges.
    #[serde(default)]
    pub hours: Vec<TimeRange>,
    /// With `special_pricing`: more than 0, at most 10.
    #[schema(value_type = Option<String>, example = "1.5")]
    pub pricing_multiplier: Option<Decimal>,
    pub reason: Option<String>,
}

fn check_reason(path: &str, reason: Option<&String>, errors: &mut Vec<FieldError>) {
    if reason.is_some_and(|r| r.trim().is_empty() || r.chars().count() > 500) {
        errors.push(FieldError::new(path, "must be 1–500 characters"));
    }
}

impl DateOverrideInput {
    pub fn check(&self, path: &str, errors: &mut Vec<FieldError>) {
        match self.override_type {
            DateOverrideType::ModifiedHours if self.hours.is_empty() => {
                errors.push(FieldError::new(format!("{path}hours"), "modified_hours needs at least one range"))
            }
            DateOverrideType::ModifiedHours => check_ranges(&format!("{path}hours"), &self.hours, errors),
            _ if !self.hours.is_empty() => {
                errors.push(FieldError::new(format!("{path}hours"), "only with modified_hours"))
            }
            _ => {}
        }
        match (self.override_type, self.pricing_multiplier) {
            (DateOverrideType::SpecialPricing, Some(m)) if m > Decimal::ZERO && m <= Decimal::TEN => {}
            (DateOverrideType::SpecialPricing, _) => errors.push(FieldError::new(
                format!("{path}pricing_multiplier"),
                "special_pricing needs a multiplier more than 0 and at most 10",
            )),
            (_, Some(_)) => {
                errors.push(FieldError::new(format!("{path}pricing_multiplier"), "only with special_pricing"))
            }
            (_, None) => {}
        }
        check_reason(&format!("{path}reason"), self.reason.as_ref(), errors);
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DateOverrideView {
    pub id: Uuid,
    pub bookable_id: Uuid,
    #[serde(flatten)]
    pub input: DateOverrideInput,
    pub created_at: DateTime<Utc>,
}

impl DateOverrideView {
    pub fn of(m: &date_overrides::Model) -> Result<Self> {
        let corrupt = |what: &str| BookablesError::Corrupt(format!("date override {}: {what}", m.id));
        Ok(Self {
            id: m.id,
            bookable_id: m.bookable_id,
            input: DateOverrideInput {
                date: m.date,
                override_type: parse_name(&m.override_type).ok_or_else(|| corrupt("override type"))?,
                hours: serde_json::from_value(m.hours.clone()).map_err(|e| corrupt(&e.to_string()))?,
                pricing_multiplier: m
                    .pricing_multiplier
                    .as_deref()
                    .map(Decimal::from_str)
                    .transpose()
                    .map_err(|e| corrupt(&e.to_string()))?,
                reason: m.reason.clone(),
            },
            created_at: m.created_at,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockedTimeType {
    TimeOff,
    Maintenance,
    Unavailable,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"start_at": "2031-08-01T00:00:00Z", "end_at": "2031-08-15T00:00:00Z", "type": "time_off", "reason": "Summer holiday"}))]
pub struct BlockedTimeInput {
    pub start_at: DateTime<Utc>,
    /// After `start_at`, at most 366 days later.
    pub end_at: DateTime<Utc>,
    #[serde(rename = "type")]
    pub block_type: BlockedTimeType,
    pub reason: Option<String>,
    /// Whether staff may still book over it.
    #[serde(default)]
    pub allow_override: bool,
}

impl BlockedTimeInput {
    pub fn check(&self, path: &str, errors: &mut Vec<FieldError>) {
        if self.end_at <= self.start_at {
            errors.push(FieldError::new(format!("{path}end_at"), "must be after start_at"));
        } else if self.end_at - self.start_at > chrono::Duration::days(366) {
            errors.push(FieldError::new(format!("{path}end_at"), "must be at most 366 days after start_at"));
        }
        check_reason(&format!("{path}reason"), self.reason.as_ref(), errors);
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedTimeView {
    pub id: Uuid,
    pub bookable_id: Uuid,
    #[serde(flatten)]
    pub input: BlockedTimeInput,
    pub created_at: DateTime<Utc>,
}

impl BlockedTimeView {
    pub fn of(m: &blocked_times::Model) -> Result<Self> {
        Ok(Self {
            id: m.id,
            bookable_id: m.bookable_id,
            input: BlockedTimeInput {
                start_at: m.start_at,
                end_at: m.end_at,
                block_type: parse_name(&m.block_type)
                    .ok_or_else(|| BookablesError::Corrupt(format!("blocked time {}: type", m.id)))?,
                reason: m.reason.clone(),
                allow_override: m.allow_override,
            },
            created_at: m.created_at,
        })
    }
}
