//! The care calendar: events of the §12.4 categories with a load level, a rest buffer, the
//! status machine ([`EventStatus::next`]) with completion quality, and an RRULE
//! ([`crate::rrule`]) expanded over a horizon. `booking_service` events are made from
//! bookings only, never by clients.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::Scope;
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::validate::Name;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::events;
use crate::error::{HairError, Result, checked};
use crate::events::HairEvent;
pub use crate::input::{EventFilter, EventInput};
use crate::model::*;
use crate::repo;
use crate::rrule::RRule;

/// The longest one event may last.
const MAX_EVENT: Duration = Duration::days(7);
/// The longest horizon an expansion covers.
pub const MAX_HORIZON: Duration = Duration::days(366);

impl EventInput {
    pub fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        if self.event_category == EventCategory::BookingService {
            e.push(FieldError::new("event_category", "booking_service events come from bookings only"));
        }
        let type_ok = (1..=64).contains(&self.event_type.len())
            && self.event_type.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !type_ok {
            e.push(FieldError::new("event_type", "must be 1–64 characters of a–z, 0–9, _"));
        }
        if let Err(m) = Name::parse(&self.title) {
            e.push(FieldError::new("title", m));
        }
        if self.description.as_ref().is_some_and(|d| d.chars().count() > 4000) {
            e.push(FieldError::new("description", "must be at most 4000 characters"));
        }
        if self.scheduled_end < self.scheduled_start {
            e.push(FieldError::new("scheduled_end", "must not be before scheduled_start"));
        } else if self.scheduled_end - self.scheduled_start > MAX_EVENT {
            e.push(FieldError::new("scheduled_end", "an event lasts at most 7 days"));
        }
        if self.recommended_rest_hours_after.is_some_and(|h| !(0..=720).contains(&h)) {
            e.push(FieldError::new("recommended_rest_hours_after", "must be between 0 and 720"));
        }
        if self.linked_education_content_id.as_ref().is_some_and(|h| !(1..=100).contains(&h.len())) {
            e.push(FieldError::new("linked_education_content_id", "must be 1–100 characters"));
        }
        if let Some(r) = &self.recurrence_rule
            && let Err(m) = RRule::parse(r)
        {
            e.push(FieldError::new("recurrence_rule", m));
        }
        e
    }

    fn of(ev: &events::Model) -> Self {
        Self {
            event_category: parse_text(&ev.event_category).unwrap_or(EventCategory::HairRitual),
            event_type: ev.event_type.clone(),
            title: ev.title.clone(),
            description: ev.description.clone(),
            scheduled_start: ev.scheduled_start,
            scheduled_end: ev.scheduled_end,
            load_level: ev.load_level.as_deref().and_then(parse_text),
            requires_rest_buffer: ev.requires_rest_buffer,
            recommended_rest_hours_after: ev.recommended_rest_hours_after,
            linked_ritual_id: ev.linked_ritual_id,
            linked_education_content_id: ev.linked_education_content_id.clone(),
            recurrence_rule: ev.recurrence_rule.clone(),
        }
    }
}

/// A status change. `completed` needs `completion_quality`; `rescheduled` needs the new
/// `scheduled_start`/`scheduled_end` and creates the planned event at the new time.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "due"}))]
pub struct Transition {
    pub status: EventStatus,
    pub completion_quality: Option<CompletionQuality>,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub scheduled_end: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub event_category: EventCategory,
    pub event_type: String,
    pub title: String,
    pub description: Option<String>,
    pub scheduled_start: DateTime<Utc>,
    pub scheduled_end: DateTime<Utc>,
    pub load_level: Option<Level>,
    pub requires_rest_buffer: bool,
    pub recommended_rest_hours_after: Option<i32>,
    pub status: EventStatus,
    pub completion_quality: Option<CompletionQuality>,
    pub completed_at: Option<DateTime<Utc>>,
    pub linked_ritual_id: Option<Uuid>,
    pub linked_booking_id: Option<Uuid>,
    pub linked_education_content_id: Option<String>,
    pub generated_by: GeneratedBy,
    pub recurrence_rule: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EventView {
    pub fn of(ev: &events::Model) -> Self {
        let i = EventInput::of(ev);
        Self {
            id: ev.id,
            user_id: ev.user_id,
            event_category: i.event_category,
            event_type: i.event_type,
            title: i.title,
            description: i.description,
            scheduled_start: ev.scheduled_start,
            scheduled_end: ev.scheduled_end,
            load_level: i.load_level,
            requires_rest_buffer: ev.requires_rest_buffer,
            recommended_rest_hours_after: ev.recommended_rest_hours_after,
            status: parse_text(&ev.status).unwrap_or(EventStatus::Planned),
            completion_quality: ev.completion_quality.as_deref().and_then(parse_text),
            completed_at: ev.completed_at,
            linked_ritual_id: ev.linked_ritual_id,
            linked_booking_id: ev.linked_booking_id,
            linked_education_content_id: i.linked_education_content_id,
            generated_by: parse_text(&ev.generated_by).unwrap_or(GeneratedBy::User),
            recurrence_rule: i.recurrence_rule,
            version: ev.version,
            created_at: ev.created_at,
            updated_at: ev.updated_at,
        }
    }
}

/// One occurrence of an event within a horizon.
#[derive(Debug, Serialize, ToSchema)]
pub struct Occurrence {
    pub event_id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

fn own_user(scope: &Scope) -> Option<Uuid> {
    match scope {
        Scope::Own(u) => Some(u.0),
        _ => None,
    }
}

pub async fn find(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<events::Model> {
    repo::event(tx, id).await?.filter(|e| own_user(scope).is_none_or(|u| e.user_id == u)).ok_or(HairError::NotFound)
}

pub async fn list(
    tx: &TenantTx,
    scope: &Scope,
    after: Option<Uuid>,
    limit: u64,
    f: &EventFilter,
) -> Result<Vec<EventView>> {
    Ok(repo::events_page(tx, own_user(scope), after, limit, f).await?.iter().map(EventView::of).collect())
}

async fn check_links(tx: &TenantTx, user: Uuid, input: &EventInput) -> Result<()> {
    if let Some(r) = input.linked_ritual_id {
        let ok = repo::ritual(tx, r)
            .await?
            .is_some_and(|r| r.is_template || r.user_id == Some(user) || r.created_by_stylist_id == Some(user));
        if !ok {
            return Err(HairError::field("linked_ritual_id", "is not a ritual of this customer or a template"));
        }
    }
    Ok(())
}

pub async fn create(
    tx: &TenantTx,
    actor: &AuditActor,
    scope: &Scope,
    caller: Uuid,
    input: EventInput,
) -> Result<EventView> {
    checked(input.check())?;
    check_links(tx, caller, &input).await?;
    let generated_by = if matches!(scope, Scope::Own(_)) { GeneratedBy::User } else { GeneratedBy::Stylist };
    let ev = repo::insert_event(tx, caller, &input, generated_by, None).await?;
    audit::record(
        tx,
        actor,
        Change::new(HairEvent::CalendarEventCreated, "hair_calendar_event", ev.id, None, Some(json!({"id": ev.id}))),
    )
    .await?;
    Ok(EventView::of(&ev))
}

pub async fn update(
    tx: &TenantTx,
    actor: &AuditActor,
    ev: events::Model,
    patch: &serde_json::Value,
) -> Result<EventView> {
    if ev.event_category == EventCategory::BookingService.as_str() {
        return Err(HairError::Conflict("a booking's event follows the booking: change the booking".into()));
    }
    let input: EventInput = atrium_core::http::patched(&EventInput::of(&ev), patch).map_err(crate::error::from_api)?;
    checked(input.check())?;
    check_links(tx, ev.user_id, &input).await?;
    let ev = repo::update_event(tx, ev, &input).await?;
    audit::record(tx, actor, Change::new(HairEvent::CalendarEventUpdated, "hair_calendar_event", ev.id, None, None))
        .await?;
    Ok(EventView::of(&ev))
}

pub async fn transition(tx: &TenantTx, actor: &AuditActor, ev: events::Model, t: Transition) -> Result<EventView> {
    let current: EventStatus = parse_text(&ev.status).unwrap_or(EventStatus::Planned);
    if !current.next().contains(&t.status) {
        return Err(HairError::InvalidTransition(format!(
            "an event {} cannot become {}",
            current.as_str(),
            t.status.as_str()
        )));
    }
    let mut e = Vec::new();
    match (t.status, t.completion_quality) {
        (EventStatus::Completed, None) => e.push(FieldError::new("completion_quality", "is required to complete")),
        (s, Some(_)) if s != EventStatus::Completed => {
            e.push(FieldError::new("completion_quality", "is given only when completing"))
        }
        _ => {}
    }
    let moved = match (t.status, t.scheduled_start, t.scheduled_end) {
        (EventStatus::Rescheduled, Some(s), Some(end)) if end >= s && end - s <= MAX_EVENT => Some((s, end)),
        (EventStatus::Rescheduled, _, _) => {
            e.push(FieldError::new(
                "scheduled_start",
                "rescheduling needs a new scheduled_start and scheduled_end (at most 7 days apart)",
            ));
            None
        }
        (_, None, None) => None,
        _ => {
            e.push(FieldError::new("scheduled_start", "is given only when rescheduling"));
            None
        }
    };
    checked(e)?;
    if let Some((start, end)) = moved {
        let mut input = EventInput::of(&ev);
        input.scheduled_start = start;
        input.scheduled_end = end;
        let generated_by = parse_text(&ev.generated_by).unwrap_or(GeneratedBy::User);
        repo::insert_event(tx, ev.user_id, &input, generated_by, ev.linked_booking_id).await?;
    }
    let ev = repo::set_event_status(tx, ev, t.status, t.completion_quality).await?;
    audit::record(tx, actor, Change::new(HairEvent::CalendarEventUpdated, "hair_calendar_event", ev.id, None, None))
        .await?;
    Ok(EventView::of(&ev))
}

pub async fn delete(tx: &TenantTx, actor: &AuditActor, ev: events::Model) -> Result<()> {
    if ev.event_category == EventCategory::BookingService.as_str() {
        return Err(HairError::Conflict("a booking's event follows the booking: cancel the booking".into()));
    }
    repo::delete_event(tx, ev.id).await?;
    audit::record(tx, actor, Change::new(HairEvent::CalendarEventDeleted, "hair_calendar_event", ev.id, None, None))
        .await?;
    Ok(())
}

/// The occurrences of `ev` in `[from, to)`: its RRULE expanded, or the event itself.
pub fn occurrences(ev: &events::Model, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Occurrence>> {
    if to <= from || to - from > MAX_HORIZON {
        return Err(HairError::field("to", "must be after `from`, at most 366 days later"));
    }
    let length = ev.scheduled_end - ev.scheduled_start;
    let starts = match ev.recurrence_rule.as_deref().map(RRule::parse) {
        Some(Ok(rule)) => rule.expand(ev.scheduled_start, from, to),
        Some(Err(_)) | None => {
            if ev.scheduled_start < to && ev.scheduled_end >= from {
                vec![ev.scheduled_start]
            } else {
                vec![]
            }
        }
    };
    Ok(starts.into_iter().map(|start| Occurrence { event_id: ev.id, start, end: start + length }).collect())
}
