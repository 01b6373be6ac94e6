//! Bookings as the API takes and shows them: the request to book (participants, household,
//! bookables, hold), the booking with its participants and bookables, its status history.

use atrium_service_templates::quote::PricingSnapshot;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::status::BookingStatus;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    Primary,
    Guest,
    Observer,
}

/// Who receives the service: a user of the tenant, a member of the booking's household,
/// or a guest by name.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantInput {
    pub user_id: Option<Uuid>,
    /// A member of the booking's `household_id`.
    pub household_member_id: Option<Uuid>,
    /// Guests only (and then required).
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[serde(default = "primary")]
    pub role: ParticipantRole,
}

fn primary() -> ParticipantRole {
    ParticipantRole::Primary
}

/// Unknown fields are refused (422): the body's own below, and those the compiled
/// plugins' booking extensions add (see `atrium_core::booking_ext`), listed in the spec.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[schema(example = json!({"service_template_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "start": "2031-03-04T10:00:00Z"}))]
pub struct BookingCreate {
    pub service_template_id: Uuid,
    pub start: DateTime<Utc>,
    pub duration_minutes: Option<u32>,
    pub nights: Option<u32>,
    /// The caller alone when absent.
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
    /// Booking for a household: its rules decide who may book whom, and whether a primary
    /// member must approve first (`pending_approval`).
    pub household_id: Option<Uuid>,
    /// Per required bookable of the template, the bookables to book; chosen for you when absent.
    pub bookable_ids: Option<Vec<Vec<Uuid>>>,
    /// A hold of the caller's on this slot, converted into the booking.
    pub reservation_id: Option<Uuid>,
    /// For a company provider that lets customers choose: the technician wanted.
    pub technician_user_id: Option<Uuid>,
    #[serde(default = "web_source")]
    pub source: BookingSource,
    /// The fields of the plugins' booking extensions (`products`, …), checked by them.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingSource {
    Web,
    App,
    Walkin,
    Phone,
}

fn web_source() -> BookingSource {
    BookingSource::Web
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantView {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub household_member_id: Option<Uuid>,
    pub name: String,
    pub email: Option<String>,
    pub role: ParticipantRole,
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignedBookableView {
    pub bookable_id: Uuid,
    /// `provider`, `company_provider`, `asset` or `venue`.
    pub bookable_type: String,
    /// The template requirement's role (`primary`, `assistant`, `technician`).
    pub role: String,
    /// For a company provider: the technician sent.
    pub technician_user_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingView {
    pub id: Uuid,
    pub service_template_id: Uuid,
    pub status: BookingStatus,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub timezone: String,
    pub duration_minutes: u32,
    pub booked_by: Uuid,
    pub household_id: Option<Uuid>,
    pub participants: Vec<ParticipantView>,
    pub assigned_bookables: Vec<AssignedBookableView>,
    pub pricing_snapshot: PricingSnapshot,
    /// Set when cancelled: what the template's refund tier gives back.
    #[schema(value_type = Option<String>)]
    pub refund_amount: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub refund_percent: Option<Decimal>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancellation_reason: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub source: BookingSource,
    pub reservation_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingFilter {
    pub status: Option<BookingStatus>,
    /// Bookings occupying this bookable.
    pub bookable_id: Option<Uuid>,
    /// Bookings with this user among the participants.
    pub participant_user_id: Option<Uuid>,
    /// Bookings starting at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// …and before this one.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChangeView {
    pub from_status: Option<BookingStatus>,
    pub to_status: BookingStatus,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// Why (kept in the history; for cancellations also on the booking), up to 500 characters.
    pub reason: Option<String>,
}

/// What cancelling a booking now would do, before doing it: whether the caller may, and
/// the refund the service's terms give for the notice left. Nothing is changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancellationQuoteView {
    pub booking_id: Uuid,
    /// Whether `POST /v1/bookings/{id}/cancel` by the caller would be accepted now.
    pub allowed: bool,
    /// Why not, when not allowed.
    pub refused_because: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "30.00")]
    pub refund_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "50")]
    pub refund_percent: Decimal,
    #[schema(example = "EUR")]
    pub currency: String,
    /// The refund tier offers store credit instead.
    pub offer_store_credit: bool,
    /// The instant the quote is for; the notice (and so the refund) shrinks with time.
    pub quoted_at: DateTime<Utc>,
}
