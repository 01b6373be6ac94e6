//! A user's place on the waitlist: joining it for a service and a local date, leaving it,
//! and answering an offer — accepting books the held slot, declining passes it on. How
//! freed slots are offered is in [`crate::waitlist`].

use atrium_core::audit::AuditActor;
use atrium_core::context::{Directory, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_service_templates::model::{CapacityType, ServiceDuration};
use chrono::{DateTime, Utc};
use sea_orm::Set;
use uuid::Uuid;

use crate::booking::book;
use crate::engine::{Template, load_template};
use crate::entities::waitlist_entries as entries;
use crate::error::BookingsError;
use crate::events::BookingsEvent;
use crate::holds::end_hold;
use crate::model::bookings::{BookingCreate, BookingSource};
use crate::model::reservations::ReservationStatus;
use crate::model::waitlist::{WaitlistCreate, WaitlistEntryView, WaitlistStatus};
use crate::ownership::Reach;
use crate::participants;
use crate::repo;
use crate::waitlist::audit_change;

/// Multi-day services are booked by the night, not by a freed slot; a class must enable
/// its waitlist.
fn check_template(template: &Template, errors: &mut Vec<FieldError>) {
    if matches!(template.state.duration, ServiceDuration::MultiDay { .. }) {
        errors.push(FieldError::new("service_template_id", "a multi-day service has no waitlist"));
    }
    if template.state.capacity.capacity_type == CapacityType::Group
        && template.state.capacity.group.as_ref().is_some_and(|g| !g.enable_waitlist)
    {
        errors.push(FieldError::new("service_template_id", "this class does not enable a waitlist"));
    }
}

/// Puts the caller on the waitlist of a service for a date, inside `tx` (not committed).
pub async fn join(
    ctx: &RequestContext,
    tx: &TenantTx,
    input: WaitlistCreate,
    now: DateTime<Utc>,
) -> Result<WaitlistEntryView, BookingsError> {
    let template = load_template(tx, input.service_template_id, "service_template_id").await?;
    template.must_be_active("service_template_id")?;
    let mut errors = Vec::new();
    check_template(&template, &mut errors);
    let tz: chrono_tz::Tz = template.state.pricing.timezone.parse().unwrap_or(chrono_tz::UTC);
    let today = now.with_timezone(&tz).date_naive();
    if input.preferred_date < today {
        errors.push(FieldError::new("preferred_date", "must not be in the past (in the service's time zone)"));
    } else if input.preferred_date > today + chrono::Days::new(3660) {
        errors.push(FieldError::new("preferred_date", "must be within 10 years"));
    }
    if input.preferred_time_range.as_ref().is_some_and(|r| r.bounds().is_none()) {
        errors.push(FieldError::new("preferred_time_range", "start and end must be HH:MM, end after start"));
    }
    participants::check_shape(&input.participants, &mut errors);
    participants::check_household(ctx, tx, input.household_id, &mut errors).await?;
    if !errors.is_empty() {
        return Err(BookingsError::Invalid(errors));
    }
    let count = input.participants.len().max(1);
    let (preferred_start, preferred_end) = match input.preferred_time_range {
        Some(r) => (Some(r.start), Some(r.end)),
        None => (None, None),
    };
    let row = entries::ActiveModel {
        tenant_id: Set(ctx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        service_template_id: Set(template.id),
        user_id: Set(ctx.principal().user_id().0),
        household_id: Set(input.household_id),
        preferred_date: Set(input.preferred_date),
        preferred_start: Set(preferred_start),
        preferred_end: Set(preferred_end),
        participants: Set(participants::stored(&input.participants)),
        participant_count: Set(i32::try_from(count).unwrap_or(i32::MAX)),
        technician_user_id: Set(input.technician_user_id),
        status: Set(WaitlistStatus::Waiting.as_str().to_owned()),
        offered_at: Set(None),
        offered_start: Set(None),
        offered_end: Set(None),
        offer_expires_at: Set(None),
        reservation_id: Set(None),
        booking_id: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let e = repo::waitlist::insert(tx, row).await?;
    audit_change(tx, &AuditActor::of(ctx), BookingsEvent::WaitlistJoined, None, &e, now).await
}

fn not_now(status: WaitlistStatus) -> BookingsError {
    BookingsError::InvalidTransition(format!("the entry is {}", status.as_str()))
}

/// The entry's user alone answers an offer (the hold is theirs).
fn must_be_entry_user(ctx: &RequestContext, e: &entries::Model) -> Result<(), BookingsError> {
    if e.user_id == ctx.principal().user_id().0 {
        Ok(())
    } else {
        Err(BookingsError::Forbidden("only the entry's user answers its offer"))
    }
}

/// Takes a waiting or offered entry off the waitlist (`waitlist.cancelled`); a live offer's
/// hold is released, which offers the slot to the next matching entry.
pub async fn leave(
    ctx: &RequestContext,
    tx: &TenantTx,
    e: entries::Model,
    now: DateTime<Utc>,
) -> Result<WaitlistEntryView, BookingsError> {
    let status = WaitlistStatus::of(&e, now);
    if !matches!(status, WaitlistStatus::Waiting | WaitlistStatus::Offered) {
        return Err(not_now(status));
    }
    let actor = AuditActor::of(ctx);
    let before = repo::waitlist::view(tx, &e, now).await?;
    let (version, hold) = (e.version + 1, e.reservation_id);
    let mut am: entries::ActiveModel = e.into();
    am.status = Set(WaitlistStatus::Cancelled.as_str().to_owned());
    am.version = Set(version);
    am.updated_at = Set(now);
    let e = repo::waitlist::update(tx, am).await?;
    if status == WaitlistStatus::Offered
        && let Some(hold) = hold
    {
        let r = repo::reservations::find(tx, hold).await?;
        if r.status == ReservationStatus::Active.as_str() && r.expires_at > now {
            end_hold(tx, &actor, r, ReservationStatus::Released, None, now).await?;
        }
    }
    audit_change(tx, &actor, BookingsEvent::WaitlistCancelled, Some(&before), &e, now).await
}

/// Accepts the offer of entry `id`: the held slot is booked for the entry's user (the
/// caller), with the entry's participants and household — as a booking with the hold would.
pub async fn accept(
    ctx: &RequestContext,
    tx: &TenantTx,
    dir: &dyn Directory,
    id: Uuid,
    reach: &Reach,
    now: DateTime<Utc>,
) -> Result<WaitlistEntryView, BookingsError> {
    let e = repo::waitlist::find_owned(tx, id, reach.owner()).await?;
    must_be_entry_user(ctx, &e)?;
    let status = WaitlistStatus::of(&e, now);
    let (Some(start), Some(end), Some(hold), WaitlistStatus::Offered) =
        (e.offered_start, e.offered_end, e.reservation_id, status)
    else {
        return Err(not_now(status));
    };
    let template = load_template(tx, e.service_template_id, "service_template_id").await?;
    let duration_minutes = match template.state.duration {
        ServiceDuration::Variable { .. } => u32::try_from((end - start).num_minutes()).ok(),
        ServiceDuration::Fixed { .. } | ServiceDuration::MultiDay { .. } => None,
    };
    let input = BookingCreate {
        service_template_id: template.id,
        start,
        duration_minutes,
        nights: None,
        participants: participants::from_stored(&e.participants)?,
        household_id: e.household_id,
        bookable_ids: None,
        reservation_id: Some(hold),
        technician_user_id: e.technician_user_id,
        source: BookingSource::Web,
        extensions: Default::default(),
    };
    let booking = book(ctx, tx, dir, input, reach, now).await?;
    let before = repo::waitlist::view(tx, &e, now).await?;
    let version = e.version + 1;
    let mut am: entries::ActiveModel = e.into();
    am.status = Set(WaitlistStatus::Accepted.as_str().to_owned());
    am.booking_id = Set(Some(booking.id));
    am.version = Set(version);
    am.updated_at = Set(now);
    let e = repo::waitlist::update(tx, am).await?;
    audit_change(tx, &AuditActor::of(ctx), BookingsEvent::WaitlistAccepted, Some(&before), &e, now).await
}

/// Declines the offer of entry `id`: the entry leaves the waitlist (`cancelled`) and the
/// slot passes to the next matching entry.
pub async fn decline(
    ctx: &RequestContext,
    tx: &TenantTx,
    id: Uuid,
    owner: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<WaitlistEntryView, BookingsError> {
    let e = repo::waitlist::find_owned(tx, id, owner).await?;
    must_be_entry_user(ctx, &e)?;
    let status = WaitlistStatus::of(&e, now);
    if status != WaitlistStatus::Offered {
        return Err(not_now(status));
    }
    leave(ctx, tx, e, now).await
}
