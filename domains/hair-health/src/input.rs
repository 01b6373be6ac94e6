//! What clients send and what rules produce, as plain types: the operations' modules
//! ([`crate::calendar`], [`crate::profiles`], [`crate::rituals`], [`crate::insights`]) check
//! and use them, and `repo` stores them, without either importing the other.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::*;

/// Booking statuses whose calendar event is hidden.
pub const GONE_BOOKING_STATUSES: [&str; 2] = ["cancelled", "no_show"];

/// An event as created, and the state a PATCH merges into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"event_category": "hair_ritual", "event_type": "wash_day_full", "title": "Wash day",
    "scheduled_start": "2030-01-06T09:00:00Z", "scheduled_end": "2030-01-06T12:00:00Z", "load_level": "high",
    "requires_rest_buffer": true, "recommended_rest_hours_after": 48, "recurrence_rule": "FREQ=WEEKLY;INTERVAL=1"}))]
pub struct EventInput {
    /// Any category but `booking_service` (made from bookings).
    pub event_category: EventCategory,
    /// The specific ritual or service type (1–64 characters), e.g. `wash_day_full`, `takedown`.
    pub event_type: String,
    pub title: String,
    pub description: Option<String>,
    pub scheduled_start: DateTime<Utc>,
    /// At or after the start, at most 7 days later.
    pub scheduled_end: DateTime<Utc>,
    pub load_level: Option<Level>,
    #[serde(default)]
    pub requires_rest_buffer: bool,
    /// 0–720.
    pub recommended_rest_hours_after: Option<i32>,
    /// One of the caller's visible rituals.
    pub linked_ritual_id: Option<Uuid>,
    pub linked_education_content_id: Option<String>,
    /// RFC 5545 RRULE (the supported subset: FREQ DAILY/WEEKLY/MONTHLY, INTERVAL, COUNT,
    /// UNTIL, BYDAY, BYMONTHDAY), repeating from `scheduled_start`.
    pub recurrence_rule: Option<String>,
}

pub struct EventFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub status: Option<EventStatus>,
    pub category: Option<EventCategory>,
}

/// One condition of a rule as it was evaluated.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Condition {
    pub condition: String,
    #[schema(value_type = Object)]
    pub value: Value,
    pub result: bool,
}

/// What would be stored when a rule fires.
#[derive(Clone, Debug, Serialize)]
pub struct Draft {
    pub insight_type: InsightType,
    pub title: String,
    pub body: String,
    pub confidence_hundredths: i32,
    pub priority: Priority,
    pub display_start: DateTime<Utc>,
    pub display_end: Option<DateTime<Utc>>,
    pub linked_event_id: Option<Uuid>,
    pub linked_booking_id: Option<Uuid>,
}

/// One evaluation of a rule for one subject (an event, or the profile at a date).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Evaluation {
    pub rule_id: String,
    pub rule_version: i32,
    pub subject: String,
    pub fired: bool,
    /// The input facts, by name, with their values.
    #[schema(value_type = Object)]
    pub facts: Value,
    #[schema(value_type = Object)]
    pub thresholds: Value,
    pub trace: Vec<Condition>,
    /// The field groups the facts come from (a stylist sees the insight only when their
    /// consent shares all of them and `insights`).
    pub field_groups: Vec<FieldGroup>,
    #[serde(skip)]
    pub draft: Option<Draft>,
}

/// The profile as its owner states it (create, and the state a PATCH merges into).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"texture_class": "4c", "pattern_family": "coily", "strand_thickness": "fine",
    "density_level": "high", "shrinkage_tendency": "extreme", "porosity_level": "high",
    "detangle_tolerance": "low", "manipulation_tolerance": "medium", "tension_sensitivity": "high",
    "scalp_sensitivity": "medium", "wash_day_load_factor": "heavy", "estimated_wash_day_minutes": 180,
    "routine_type": "growth", "learning_nodes_unlocked": ["POROSITY_BASICS"]}))]
pub struct ProfileInput {
    pub texture_class: Option<TextureClass>,
    pub pattern_family: Option<PatternFamily>,
    pub strand_thickness: Option<StrandThickness>,
    pub density_level: Option<Level4>,
    pub shrinkage_tendency: Option<ShrinkageTendency>,
    pub porosity_level: Option<Level4>,
    pub detangle_tolerance: Option<Level>,
    pub manipulation_tolerance: Option<Level>,
    pub tension_sensitivity: Option<Level>,
    pub scalp_sensitivity: Option<Level>,
    pub wash_day_load_factor: Option<WashDayLoadFactor>,
    /// 30–480.
    pub estimated_wash_day_minutes: Option<i32>,
    pub routine_type: Option<RoutineType>,
    /// Concepts the customer has unlocked, e.g. `POROSITY_BASICS` (A–Z, 0–9, `_`; at most 100).
    #[serde(default)]
    pub learning_nodes_unlocked: Vec<String>,
    pub last_reviewed_at: Option<DateTime<Utc>>,
}

/// The filters a profile list accepts, by field.
#[derive(Clone, Debug, Default)]
pub struct ProfileFilter {
    pub fields: Vec<(&'static str, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// Unique within the ritual; steps are listed by it.
    pub step_order: i32,
    pub step_type: StepType,
    /// Required when `step_type` is `custom`.
    pub name: Option<String>,
    /// 0–600.
    pub estimated_minutes: i32,
    #[serde(default)]
    pub optional: bool,
    pub notes: Option<String>,
}

/// A ritual as created, and the state a PATCH merges into (`steps`, when patched, replace
/// the ritual's steps).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ritual_type": "wash_day_full", "name": "Sunday wash day", "load_level": "high",
    "steps": [{"step_order": 1, "step_type": "pre_poo", "estimated_minutes": 30},
              {"step_order": 2, "step_type": "shampoo", "estimated_minutes": 15},
              {"step_order": 3, "step_type": "deep_condition", "estimated_minutes": 45, "optional": true}]}))]
pub struct RitualInput {
    pub ritual_type: RitualType,
    pub name: String,
    pub description: Option<String>,
    /// 0–1440; the sum of the non-optional steps when not given.
    pub default_duration_minutes: Option<i32>,
    pub load_level: Level,
    pub education_hint_id: Option<String>,
    /// A tenant template (tenant-wide `rituals_write` only).
    #[serde(default)]
    pub is_template: bool,
    /// Share with this client (a stylist, with the client's consent including `routine`).
    pub for_user_id: Option<Uuid>,
    #[serde(default)]
    pub steps: Vec<StepInput>,
}
