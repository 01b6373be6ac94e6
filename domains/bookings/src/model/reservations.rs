//! Holds (reservations) as the API takes and shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::reservations;

/// Unknown fields are refused (422): the body's own below, and those the compiled
/// plugins' booking extensions add (see `atrium_core::booking_ext`), listed in the spec.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"service_template_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "start": "2031-03-04T10:00:00Z"}))]
pub struct ReservationCreate {
    pub service_template_id: Uuid,
    pub start: DateTime<Utc>,
    pub duration_minutes: Option<u32>,
    pub nights: Option<u32>,
    #[serde(default = "one")]
    pub participants: u32,
    /// Per required bookable of the template, the bookables to hold; chosen for you when absent.
    pub bookable_ids: Option<Vec<Vec<Uuid>>>,
    /// The fields of the plugins' booking extensions (`products`, …), checked by them.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Active,
    Converted,
    Released,
    Expired,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Converted => "converted",
            Self::Released => "released",
            Self::Expired => "expired",
        }
    }

    /// The hold's status at `now`: an active hold past `expires_at` is expired, swept or not.
    pub fn of(r: &reservations::Model, now: DateTime<Utc>) -> Self {
        match r.status.as_str() {
            "active" if r.expires_at <= now => Self::Expired,
            "active" => Self::Active,
            "converted" => Self::Converted,
            "released" => Self::Released,
            _ => Self::Expired,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReservationView {
    pub id: Uuid,
    pub service_template_id: Uuid,
    pub holder_user_id: Uuid,
    /// `active` only until `expires_at`, whether or not the sweeper has passed.
    pub status: ReservationStatus,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub participants: u32,
    pub expires_at: DateTime<Utc>,
    /// Extensions never go past this.
    pub max_expires_at: DateTime<Utc>,
    pub extension_count: u32,
    pub bookable_ids: Vec<Uuid>,
    pub booking_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl ReservationView {
    /// Hold `r` occupying `bookables`, as seen at `now`.
    pub fn of(r: &reservations::Model, bookables: Vec<Uuid>, now: DateTime<Utc>) -> Self {
        Self {
            id: r.id,
            service_template_id: r.service_template_id,
            holder_user_id: r.holder_user_id,
            status: ReservationStatus::of(r, now),
            start: r.start_at,
            end: r.end_at,
            participants: u32::try_from(r.participants).unwrap_or(0),
            expires_at: r.expires_at,
            max_expires_at: r.max_expires_at,
            extension_count: u32::try_from(r.extension_count).unwrap_or(0),
            bookable_ids: bookables,
            booking_id: r.booking_id,
            version: r.version,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationExtend {
    /// Minutes to add (the template's hold minutes by default); never past `max_expires_at`.
    pub minutes: Option<u32>,
}
