//! Bookables as the API states them beyond their input state ([`crate::model`]): a
//! creation with its first calendar exceptions and certifications, the view with what the
//! server keeps beside the state, and the query parameters of lists and deletes.

pub mod calendar;
pub mod certifications;

use std::collections::HashSet;

use atrium_core::error::{ApiError, FieldError};
use atrium_core::extract::parse_field;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use self::calendar::{BlockedTimeInput, DateOverrideInput};
use self::certifications::CertificationInput;
use crate::error::{BookablesError, Result};
use crate::model::{BookableState, BookableStatus, BookableType, is_tag};

/// A new bookable; besides the bookable's own fields it may carry its first date
/// overrides, blocked times and (providers only) certifications.
#[derive(Debug)]
pub struct BookableCreate {
    pub state: BookableState,
    pub date_overrides: Vec<DateOverrideInput>,
    pub blocked_times: Vec<BlockedTimeInput>,
    pub certifications: Vec<CertificationInput>,
}

impl BookableCreate {
    pub fn from_json(mut object: serde_json::Map<String, Value>) -> Result<Self, ApiError> {
        let mut list = |key: &str| object.remove(key).unwrap_or_else(|| json!([]));
        let (date_overrides, blocked_times, certifications) =
            (list("date_overrides"), list("blocked_times"), list("certifications"));
        Ok(Self {
            date_overrides: parse_field("date_overrides", date_overrides)?,
            blocked_times: parse_field("blocked_times", blocked_times)?,
            certifications: parse_field("certifications", certifications)?,
            state: BookableState::from_json(object)?,
        })
    }

    /// Every rule that needs no database. Its problems are kept, not returned, so that
    /// one 422 lists them with those of the references checked later.
    pub fn checked(self) -> CheckedCreate {
        let mut errors = self.state.check();
        let mut dates = HashSet::new();
        for (i, o) in self.date_overrides.iter().enumerate() {
            o.check(&format!("date_overrides[{i}]."), &mut errors);
            if !dates.insert(o.date) {
                errors.push(FieldError::new(format!("date_overrides[{i}].date"), "appears twice"));
            }
        }
        for (i, b) in self.blocked_times.iter().enumerate() {
            b.check(&format!("blocked_times[{i}]."), &mut errors);
        }
        if !self.certifications.is_empty() && self.state.details.bookable_type() != BookableType::Provider {
            errors.push(FieldError::new("certifications", "only providers have certifications"));
        }
        for (i, c) in self.certifications.iter().enumerate() {
            c.check(&format!("certifications[{i}]."), &mut errors);
        }
        CheckedCreate { create: self, errors }
    }
}

/// A [`BookableCreate`] with the problems [`BookableCreate::checked`] found.
#[derive(Debug)]
pub struct CheckedCreate {
    pub create: BookableCreate,
    pub errors: Vec<FieldError>,
}

/// What the server keeps beside the input state.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookableMeta {
    pub id: Uuid,
    /// How many bookings may overlap on it at one instant (1, a venue's
    /// `max_simultaneous_bookings`, or a company's number of technicians). Named apart from
    /// a venue's `capacity` (the people it holds): one name, one meaning.
    #[schema(example = 1)]
    pub max_overlapping_bookings: u32,
    /// Providers only: average review rating, when reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub rating: Option<Decimal>,
    /// Providers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_count: Option<u32>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct BookableView {
    #[serde(flatten)]
    pub meta: BookableMeta,
    #[serde(flatten)]
    pub state: BookableState,
}

pub fn provider_example() -> Value {
    json!({
        "type": "provider", "name": "Maria Silva", "email": "maria@salon.example",
        "specialties": ["balayage"], "languages": ["pt", "en"], "tags": ["stylist", "senior"],
        "max_daily_bookings": 8, "min_rest_between_bookings_minutes": 10,
        "calendar": {"timezone": "Europe/Lisbon", "slot_duration_minutes": 30, "slot_interval_minutes": 30,
            "weekly_schedule": {"tuesday": [{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}],
                                "saturday": [{"start": "10:00", "end": "16:00"}]}},
        "date_overrides": [{"date": "2031-12-24", "type": "modified_hours", "hours": [{"start": "09:00", "end": "13:00"}]}],
        "blocked_times": [{"start_at": "2031-08-01T00:00:00Z", "end_at": "2031-08-15T00:00:00Z", "type": "time_off"}],
        "certifications": [{"type": "cosmetology", "issued_by": "State Board of Cosmetology", "issued_at": "2024-03-01T00:00:00Z"}]
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookableFilter {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub bookable_type: Option<BookableType>,
    pub status: Option<BookableStatus>,
    pub location_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    /// Only bookables carrying this tag.
    pub tag: Option<String>,
}

impl BookableFilter {
    /// The filter, once its tag is known to be one.
    pub fn checked(self) -> Result<Self> {
        if self.tag.as_deref().is_some_and(|t| !is_tag(t)) {
            return Err(BookablesError::BadParameter("`tag` is not a valid tag"));
        }
        Ok(self)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeletionReason {
    /// Why it is deleted (kept with the bookable), up to 500 characters.
    pub reason: Option<String>,
}

impl DeletionReason {
    /// The reason trimmed (none when blank), at most 500 characters and no control ones.
    pub fn checked(self) -> Result<Option<String>> {
        let reason = self.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        if reason.as_ref().is_some_and(|r| r.chars().count() > 500 || r.chars().any(char::is_control)) {
            return Err(BookablesError::BadParameter("`reason` must be at most 500 characters"));
        }
        Ok(reason)
    }
}
