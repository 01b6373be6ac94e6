//! Availability searches: the query and what it answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    pub service_template_id: Uuid,
    /// Slots starting at or after this instant (RFC 3339).
    pub from: DateTime<Utc>,
    /// …and before this one; at most 62 days after `from` (31 on the public search).
    pub to: DateTime<Utc>,
    /// Only this bookable for the template's primary requirement.
    pub bookable_id: Option<Uuid>,
    /// Only bookables at this location.
    pub location_id: Option<Uuid>,
    /// For variable-length services.
    pub duration_minutes: Option<u32>,
    /// For multi-day services.
    pub nights: Option<u32>,
    /// Seats needed (classes), 1 by default.
    pub participants: Option<u32>,
}

/// One bookable slot.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Per required bookable of the template (in its order): the bookables free for this slot.
    pub options: Vec<Vec<Uuid>>,
    /// Classes only: seats left in the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats_left: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    pub service_template_id: Uuid,
    pub duration_minutes: u32,
    pub slots: Vec<SlotView>,
    /// More slots exist past the last one shown (the public search answers at most 1,000):
    /// search again from the last `start`.
    pub truncated: bool,
}
