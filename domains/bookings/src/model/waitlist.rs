//! Waitlist entries as the API takes and shows them.

use atrium_core::schedule::TimeRange;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::bookings::ParticipantInput;
use crate::entities::waitlist_entries as entries;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"service_template_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "preferred_date": "2031-03-04",
    "preferred_time_range": {"start": "09:00", "end": "12:00"}}))]
pub struct WaitlistCreate {
    pub service_template_id: Uuid,
    /// A local date in the template's pricing time zone; today or later.
    pub preferred_date: NaiveDate,
    /// Only slots starting inside this range (local, in the template's pricing time zone).
    pub preferred_time_range: Option<TimeRange>,
    /// As for a booking; the caller alone when absent. Checked in full when the offer is accepted.
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
    /// As for a booking: a household of which the caller is a member.
    pub household_id: Option<Uuid>,
    /// As for a booking: for a company provider that lets customers choose, the technician wanted.
    pub technician_user_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitlistStatus {
    Waiting,
    /// A freed slot is held for the entry until `offer_expires_at`.
    Offered,
    Accepted,
    /// The offer lapsed unanswered.
    Expired,
    /// Left the waitlist, or declined the offer.
    Cancelled,
}

impl WaitlistStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Offered => "offered",
            Self::Accepted => "accepted",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// The entry's status at `now`: an offer past `offer_expires_at` is expired, swept or not.
    pub fn of(e: &entries::Model, now: DateTime<Utc>) -> Self {
        match e.status.as_str() {
            "waiting" => Self::Waiting,
            "offered" if e.offer_expires_at.is_some_and(|at| at <= now) => Self::Expired,
            "offered" => Self::Offered,
            "accepted" => Self::Accepted,
            "cancelled" => Self::Cancelled,
            _ => Self::Expired,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitlistEntryView {
    pub id: Uuid,
    pub service_template_id: Uuid,
    /// Who the offer is held for and who accepts it.
    pub user_id: Uuid,
    pub household_id: Option<Uuid>,
    /// A local date in the template's pricing time zone.
    pub preferred_date: NaiveDate,
    /// Local times in the template's pricing time zone; a slot matches when it starts inside.
    pub preferred_time_range: Option<TimeRange>,
    pub participant_count: u32,
    pub technician_user_id: Option<Uuid>,
    /// Place in line among the entries waiting for this service and date (1 is next);
    /// `null` once the entry is no longer waiting.
    pub position: Option<u32>,
    pub status: WaitlistStatus,
    pub offered_at: Option<DateTime<Utc>>,
    pub offered_start: Option<DateTime<Utc>>,
    pub offered_end: Option<DateTime<Utc>>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// The hold that keeps the offered slot.
    pub reservation_id: Option<Uuid>,
    /// Set once the offer is accepted.
    pub booking_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitlistFilter {
    pub service_template_id: Option<Uuid>,
    /// As shown: an offer past `offer_expires_at` counts as `expired`.
    pub status: Option<WaitlistStatus>,
}
