//! Bookings in the care calendar, from the bookings plugin's events. The kernel has no
//! in-process subscription, so the plugin consumes the transactional outbox (`events`):
//! before the calendar or the insights are read, [`sync`] applies, in the reader's
//! transaction, every `booking.*` event since the tenant's cursor. A booking appears as a
//! `booking_service` event for the customer who booked it, follows its times and status,
//! and disappears when cancelled or marked a no-show. Nothing polls the bookings tables.
//!
//! Events commit out of id order under concurrency, so each pass re-reads a window of
//! [`REPLAY`] before the cursor; applying is idempotent (an event older than the one a row
//! last applied is skipped, and a cancelled booking's row stays as a hidden tombstone).

use atrium_core::db::TenantTx;
use atrium_core::events::entity as outbox;
use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};
use serde::Deserialize;

use crate::calendar::EventInput;
use crate::error::Result;
use crate::model::{EventCategory, EventStatus, GeneratedBy};
use crate::repo;

/// The booking events applied.
pub const BOOKING_EVENTS: [&str; 7] = [
    "booking.created",
    "booking.approved",
    "booking.confirmed",
    "booking.checked_in",
    "booking.completed",
    "booking.cancelled",
    "booking.no_show",
];
const REPLAY: Duration = Duration::seconds(30);
const BATCH: u64 = 500;

#[derive(Deserialize)]
struct Booking {
    id: Uuid,
    status: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    booked_by: Uuid,
}

/// Applies the tenant's new booking events (see the module docs).
pub async fn sync(tx: &TenantTx) -> Result<()> {
    let cursor = repo::sync_cursor(tx).await?;
    let mut since = cursor.map(|c| c - REPLAY);
    let mut last = cursor;
    loop {
        let mut q = outbox::Entity::find()
            .filter(outbox::Column::TenantId.eq(tx.tenant_id().0))
            .filter(outbox::Column::EventType.is_in(BOOKING_EVENTS));
        if let Some(s) = since {
            q = q.filter(outbox::Column::OccurredAt.gte(s));
        }
        let batch = q
            .order_by_asc(outbox::Column::OccurredAt)
            .order_by_asc(outbox::Column::Id)
            .limit(BATCH)
            .all(tx.conn())
            .await?;
        for e in &batch {
            apply(tx, e).await?;
            last = Some(last.map_or(e.occurred_at, |l: DateTime<Utc>| l.max(e.occurred_at)));
        }
        if (batch.len() as u64) < BATCH {
            break;
        }
        // The next page starts at the last one's instant (re-applying it is harmless).
        since = batch.last().map(|e| e.occurred_at);
        if batch.first().map(|e| e.occurred_at) == since {
            break; // a whole page at one instant: take the rest on the next read
        }
    }
    if let Some(l) = last
        && Some(l) != cursor
    {
        repo::set_sync_cursor(tx, l, cursor.is_some()).await?;
    }
    Ok(())
}

async fn apply(tx: &TenantTx, e: &outbox::Model) -> Result<()> {
    let Some(b) = e.data.get("object").cloned().and_then(|o| serde_json::from_value::<Booking>(o).ok()) else {
        return Ok(());
    };
    let existing = repo::booking_event(tx, b.booked_by, b.id).await?;
    if existing.as_ref().is_some_and(|row| row.source_event_id.is_some_and(|s| s >= e.id)) {
        return Ok(());
    }
    let status = match b.status.as_str() {
        "completed" => EventStatus::Completed,
        "checked_in" => EventStatus::InProgress,
        _ => EventStatus::Planned,
    };
    let input = EventInput {
        event_category: EventCategory::BookingService,
        event_type: "booking".into(),
        title: "Appointment".into(),
        description: None,
        scheduled_start: b.start,
        scheduled_end: b.end,
        load_level: None,
        requires_rest_buffer: false,
        recommended_rest_hours_after: None,
        linked_ritual_id: None,
        linked_education_content_id: None,
        recurrence_rule: None,
    };
    match existing {
        Some(row) => repo::update_booking_event(tx, row, &input, status, &b.status, e.id).await?,
        None => {
            let row = repo::insert_event(tx, b.booked_by, &input, GeneratedBy::System, Some(b.id)).await?;
            repo::update_booking_event(tx, row, &input, status, &b.status, e.id).await?
        }
    };
    Ok(())
}
