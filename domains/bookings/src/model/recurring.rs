//! Recurring rules as the API takes and shows them: the pattern, its exceptions, and what
//! became of each materialized occurrence.

use atrium_core::schedule::Weekday;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::bookings::ParticipantInput;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecurrenceFrequency {
    Daily,
    Weekly,
    Monthly,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"frequency": "weekly", "interval": 1, "days_of_week": ["tuesday"]}))]
pub struct RecurrencePattern {
    pub frequency: RecurrenceFrequency,
    /// Every `interval` days, weeks or months: 1–100 (1 by default).
    #[serde(default = "one")]
    pub interval: u32,
    /// Weekly only: the days (the start date's weekday when absent).
    #[serde(default)]
    pub days_of_week: Vec<Weekday>,
    /// Monthly only: 1–31 (the start date's day when absent); months without that day are skipped.
    pub day_of_month: Option<u32>,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecurrenceExceptionAction {
    Skip,
    Reschedule,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceException {
    /// A date the pattern gives.
    pub date: NaiveDate,
    pub action: RecurrenceExceptionAction,
    /// `reschedule` only: the date it happens instead, at the same local time.
    pub new_date: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"service_template_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "start_time": "10:00",
    "timezone": "Europe/Lisbon", "pattern": {"frequency": "weekly", "interval": 1, "days_of_week": ["tuesday"]},
    "start_date": "2031-03-04", "max_occurrences": 8,
    "exceptions": [{"date": "2031-03-11", "action": "skip"},
                   {"date": "2031-03-18", "action": "reschedule", "new_date": "2031-03-19"}]}))]
pub struct RecurringRuleCreate {
    pub service_template_id: Uuid,
    /// Local `HH:MM` in `timezone`: each occurrence starts then, whatever the DST.
    pub start_time: String,
    /// IANA time zone the dates and `start_time` are read in.
    pub timezone: String,
    pub pattern: RecurrencePattern,
    /// The first date the pattern may fall on; today or later.
    pub start_date: NaiveDate,
    /// The last date the pattern may fall on. Give it, `max_occurrences`, or both.
    pub end_date: Option<NaiveDate>,
    /// 1–366; skipped and rescheduled occurrences count.
    pub max_occurrences: Option<u32>,
    #[serde(default)]
    pub exceptions: Vec<RecurrenceException>,
    /// For variable-length services.
    pub duration_minutes: Option<u32>,
    /// As for a booking; the caller alone when absent.
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
    pub household_id: Option<Uuid>,
    /// As for a booking: per required bookable of the template, the bookables to book; chosen
    /// for each occurrence when absent.
    pub bookable_ids: Option<Vec<Vec<Uuid>>>,
    /// As for a booking: for a company provider that lets customers choose, the technician wanted.
    pub technician_user_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecurringRuleStatus {
    Active,
    Cancelled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OccurrenceStatus {
    Booked,
    /// The slot was not free; nothing was booked.
    Conflict,
    /// An exception skips it.
    Skipped,
}

impl OccurrenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Conflict => "conflict",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(value: &str) -> Self {
        match value {
            "booked" => Self::Booked,
            "skipped" => Self::Skipped,
            _ => Self::Conflict,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OccurrenceView {
    /// The local date it takes place on.
    pub date: NaiveDate,
    /// The pattern's date, when an exception rescheduled it.
    pub original_date: Option<NaiveDate>,
    pub start: DateTime<Utc>,
    pub status: OccurrenceStatus,
    pub booking_id: Option<Uuid>,
    /// Why it is a conflict or skipped.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecurringRuleView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub service_template_id: Uuid,
    pub household_id: Option<Uuid>,
    pub start_time: String,
    pub timezone: String,
    /// With its defaults filled in.
    pub pattern: RecurrencePattern,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub max_occurrences: Option<u32>,
    pub exceptions: Vec<RecurrenceException>,
    pub duration_minutes: Option<u32>,
    pub participant_count: u32,
    pub bookable_ids: Option<Vec<Vec<Uuid>>>,
    pub technician_user_id: Option<Uuid>,
    pub status: RecurringRuleStatus,
    /// Occurrences of the whole rule, skipped ones included.
    pub total_occurrences: u32,
    /// Occurrences up to this local date were booked when the rule was made (the rule's
    /// end, or 90 days ahead); later ones are not booked.
    pub materialized_until: NaiveDate,
    /// Each materialized occurrence and what became of it, in the pattern's order.
    pub occurrences: Vec<OccurrenceView>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}
