//! Finding slots for a search: the checks of the query, the template's reach, and the pure
//! search ([`crate::availability`]) over what the engine loads.

use std::sync::Arc;

use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode};
use atrium_service_templates::quote::QuoteRequest;
use chrono::{Duration, Utc};
use uuid::Uuid;

use crate::availability::search;
use crate::engine::{Ask, inputs, load_template, within_reach};
use crate::model::availability::{AvailabilityQuery, AvailabilityView, SlotView};

/// What a search may cover.
pub struct Limits {
    /// The widest window, in days.
    window_days: i64,
    /// The most slots one answer carries.
    max_slots: usize,
    /// Only `active` templates (customers and the public page).
    active_only: bool,
    /// Only templates at these locations (a location-scoped member).
    locations: Option<Arc<[Uuid]>>,
}

impl Limits {
    pub fn team(locations: Option<Arc<[Uuid]>>) -> Self {
        Self { window_days: 62, max_slots: usize::MAX, active_only: false, locations }
    }

    pub fn customer() -> Self {
        Self { window_days: 62, max_slots: usize::MAX, active_only: true, locations: None }
    }

    /// Anonymous callers: a month at a time and a bounded answer.
    pub fn public() -> Self {
        Self { window_days: 31, max_slots: 1_000, active_only: true, locations: None }
    }
}

/// The slots of the query's template in its window, within `limits`.
pub async fn find(tx: &TenantTx, q: AvailabilityQuery, limits: &Limits) -> Result<AvailabilityView, ApiError> {
    let days = limits.window_days;
    if q.to <= q.from || q.to - q.from > Duration::days(days) {
        return Err(ApiError::new(ErrorCode::InvalidParameter)
            .with_detail(format!("`to` must be after `from`, by at most {days} days")));
    }
    let now = Utc::now();
    within_reach("from", q.from, now)?;
    within_reach("to", q.to, now)?;
    let template = load_template(tx, q.service_template_id, "service_template_id").await?;
    if limits.active_only {
        template.must_be_active("service_template_id")?;
    }
    if let Some(locations) = &limits.locations
        && !template.state.location_id.is_some_and(|l| locations.contains(&l))
    {
        return Err(ApiError::not_found());
    }
    let participants = q.participants.unwrap_or(1);
    let request = QuoteRequest { start: q.from, duration_minutes: q.duration_minutes, nights: q.nights, participants };
    let duration_minutes = template.price(&request, now)?.duration_minutes;
    let ask = Ask {
        from: q.from,
        to: q.to,
        duration_minutes,
        participants,
        bookable_id: q.bookable_id,
        location_id: q.location_id,
    };
    let inputs = inputs(tx, &template, &ask, now).await?;
    let mut slots: Vec<SlotView> = search(&inputs.search, &inputs.calendars, &inputs.existing)
        .into_iter()
        .map(|s| SlotView { start: s.start, end: s.end, options: s.options, seats_left: s.seats_left })
        .collect();
    let truncated = slots.len() > limits.max_slots;
    slots.truncate(limits.max_slots);
    Ok(AvailabilityView { service_template_id: template.id, duration_minutes, slots, truncated })
}
