//! Holds (reservations): a hold occupies its slot for its holder until `expires_at` (the
//! template's hold minutes), can be extended up to the template's maximum, and ends
//! converted into a booking, released, or expired (by the sweeper, and at read time: an
//! expired hold never blocks anyone). An ended hold's slot goes to the waitlist.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::booking_ext::{self, BookingKind, Changed, Created, Transition};
use atrium_core::context::RequestContext;
use atrium_core::db::TenantTx;
use atrium_service_templates::quote::QuoteRequest;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{IntoActiveModel, Set};
use uuid::Uuid;

use crate::engine::{Claim, Owner, allocate, load_template, release, within_reach};
use crate::entities::reservations;
use crate::error::{BookingsError, invalid};
use crate::events::BookingsEvent;
use crate::model::reservations::{ReservationCreate, ReservationStatus, ReservationView};
use crate::repo;

/// Holds a slot for the caller, inside `tx` (not committed).
pub async fn hold(
    ctx: &RequestContext,
    tx: &TenantTx,
    input: ReservationCreate,
    now: DateTime<Utc>,
) -> Result<ReservationView, BookingsError> {
    within_reach("start", input.start, now)?;
    let template = load_template(tx, input.service_template_id, "service_template_id").await?;
    template.must_be_active("service_template_id")?;
    let settings = &template.state.reservation;
    if !settings.enabled {
        return Err(invalid("service_template_id", "this service takes no holds"));
    }
    let request = QuoteRequest {
        start: input.start,
        duration_minutes: input.duration_minutes,
        nights: input.nights,
        participants: input.participants,
    };
    let quoted = template.price(&request, now)?;
    let minutes = quoted.duration_minutes;
    let extensions = booking_ext::installed();
    let runs = extensions.for_create(tx, BookingKind::Hold, &input.extensions).await?;
    let id = Uuid::now_v7();
    let expires_at = now + Duration::minutes(i64::from(settings.hold_duration_minutes));
    let max_expires_at = now + Duration::minutes(i64::from(settings.max_hold_minutes));
    // The reservation row first: the allocations point at it.
    let row = reservations::ActiveModel {
        tenant_id: Set(ctx.tenant_id().0),
        id: Set(id),
        service_template_id: Set(template.id),
        holder_user_id: Set(ctx.principal().user_id().0),
        status: Set(ReservationStatus::Active.as_str().to_owned()),
        start_at: Set(input.start),
        end_at: Set(input.start + Duration::minutes(i64::from(minutes))),
        participants: Set(i32::try_from(input.participants).unwrap_or(i32::MAX)),
        expires_at: Set(expires_at),
        max_expires_at: Set(max_expires_at),
        extension_count: Set(0),
        booking_id: Set(None),
        version: Set(1),
        created_at: Set(now),
    };
    let r = repo::reservations::insert(tx, row).await?;
    let claim = Claim {
        start: input.start,
        duration_minutes: minutes,
        participants: input.participants,
        chosen: input.bookable_ids,
        technician: None,
        owner: Owner::Hold { reservation: id, expires_at },
    };
    let rows = allocate(tx, &template, claim, now).await?;
    if !runs.is_empty() {
        let state = serde_json::to_value(&template.state)?;
        let (actor, scope) = (AuditActor::of(ctx), ctx.require_scoped(crate::WRITE)?);
        let holder = ctx.principal().user_id().0;
        let created = Created {
            tenant_id: tx.tenant_id(),
            kind: BookingKind::Hold,
            id,
            converted_hold_id: None,
            expires_at: Some(expires_at),
            service_template_id: template.id,
            template: &state,
            location_id: template.state.location_id,
            bookable_ids: rows.iter().map(|a| a.bookable_id).collect(),
            start: quoted.start,
            end: quoted.end,
            currency: &quoted.currency,
            price: quoted.total,
            timezone: &quoted.timezone,
            customer_user_ids: vec![holder],
            booked_by: holder,
            actor: &actor,
            scope: &scope,
            now,
        };
        for (extension, fields) in &runs {
            extension.on_create(tx, &created, fields).await?;
        }
    }
    let v = ReservationView::of(&r, rows.iter().map(|a| a.bookable_id).collect(), now);
    let change = Change::new(BookingsEvent::ReservationCreated, "reservation", id, None, serde_json::to_value(&v).ok());
    audit::record(tx, &AuditActor::of(ctx), change).await?;
    Ok(v)
}

/// A live hold of the caller's, or the reason why not.
pub fn held_by_caller(ctx: &RequestContext, r: &reservations::Model, now: DateTime<Utc>) -> Result<(), BookingsError> {
    if r.holder_user_id != ctx.principal().user_id().0 {
        return Err(BookingsError::Forbidden("only the holder may use this hold"));
    }
    match ReservationStatus::of(r, now) {
        ReservationStatus::Active => Ok(()),
        other => Err(BookingsError::InvalidTransition(format!("the hold is {}", other.as_str()))),
    }
}

/// Extends the caller's hold `id` by `minutes` (the template's hold minutes when absent),
/// never past its `max_expires_at`.
pub async fn extend(
    ctx: &RequestContext,
    tx: &TenantTx,
    id: Uuid,
    minutes: Option<u32>,
    owner: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<ReservationView, BookingsError> {
    let r = repo::reservations::find_owned(tx, id, owner).await?;
    held_by_caller(ctx, &r, now)?;
    let template = load_template(tx, r.service_template_id, "service_template_id").await?;
    let minutes = minutes.unwrap_or(template.state.reservation.hold_duration_minutes);
    if minutes == 0 || minutes > 1440 {
        return Err(invalid("minutes", "must be between 1 and 1440"));
    }
    if r.expires_at >= r.max_expires_at {
        return Err(BookingsError::HoldAtMaximum);
    }
    let expires_at = (r.expires_at + Duration::minutes(i64::from(minutes))).min(r.max_expires_at);
    let before = repo::reservations::view(tx, &r, now).await?;
    let (count, version) = (r.extension_count + 1, r.version + 1);
    let mut am = r.into_active_model();
    am.expires_at = Set(expires_at);
    am.extension_count = Set(count);
    am.version = Set(version);
    let r = repo::reservations::update(tx, am).await?;
    repo::allocations::extend_hold(tx, r.id, expires_at).await?;
    let actor = AuditActor::of(ctx);
    let changed = Changed {
        tenant_id: tx.tenant_id(),
        kind: BookingKind::Hold,
        id: r.id,
        transition: Transition::HoldExtended { expires_at },
        start: r.start_at,
        at: now,
        actor: &actor,
        cancellation_policy: None,
    };
    booking_ext::installed().transition(tx, &changed).await?;
    let after = ReservationView::of(&r, before.bookable_ids.clone(), now);
    let change = Change::new(
        BookingsEvent::ReservationExtended,
        "reservation",
        r.id,
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    );
    audit::record(tx, &AuditActor::of(ctx), change).await?;
    Ok(after)
}

/// Releases the caller's hold `id`.
pub async fn release_hold(
    ctx: &RequestContext,
    tx: &TenantTx,
    id: Uuid,
    owner: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<ReservationView, BookingsError> {
    let r = repo::reservations::find_owned(tx, id, owner).await?;
    held_by_caller(ctx, &r, now)?;
    let r = end_hold(tx, &AuditActor::of(ctx), r, ReservationStatus::Released, None, now).await?;
    repo::reservations::view(tx, &r, now).await
}

/// Ends a hold (released, expired, or converted into `booking`): it stops occupying its
/// slot, and a slot released or expired is offered to the waitlist.
pub async fn end_hold(
    tx: &TenantTx,
    actor: &AuditActor,
    r: reservations::Model,
    to: ReservationStatus,
    booking: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<reservations::Model, BookingsError> {
    let bookables = repo::reservations::bookables_of(tx, r.id).await?;
    // The bookables first, as every allocation does: never the other order, no deadlock.
    atrium_bookables::service::lock(tx, &bookables).await?;
    // Only a hold still active ends: a conversion and the sweeper never both win.
    if !repo::reservations::end_if_active(tx, r.id, to).await? {
        return Err(BookingsError::InvalidTransition("the hold has ended already".to_owned()));
    }
    release(tx, Owner::Hold { reservation: r.id, expires_at: r.expires_at }).await?;
    let transition = match (to, booking) {
        (ReservationStatus::Converted, Some(booking_id)) => Some(Transition::HoldConverted { booking_id }),
        (ReservationStatus::Released, _) => Some(Transition::HoldReleased),
        (ReservationStatus::Expired, _) => Some(Transition::HoldExpired),
        (ReservationStatus::Converted | ReservationStatus::Active, _) => None,
    };
    if let Some(transition) = transition {
        let changed = Changed {
            tenant_id: tx.tenant_id(),
            kind: BookingKind::Hold,
            id: r.id,
            transition,
            start: r.start_at,
            at: now,
            actor,
            cancellation_policy: None,
        };
        booking_ext::installed().transition(tx, &changed).await?;
    }
    let before = ReservationView::of(&r, bookables.clone(), now);
    let version = r.version + 1;
    let mut am = r.into_active_model();
    am.status = Set(to.as_str().to_owned());
    am.booking_id = Set(booking);
    am.version = Set(version);
    let r = repo::reservations::update(tx, am).await?;
    let action = match to {
        ReservationStatus::Expired => BookingsEvent::ReservationExpired,
        ReservationStatus::Converted => BookingsEvent::ReservationConverted,
        ReservationStatus::Released | ReservationStatus::Active => BookingsEvent::ReservationReleased,
    };
    if matches!(to, ReservationStatus::Expired | ReservationStatus::Released) {
        crate::waitlist::slot_freed(tx, r.service_template_id, r.start_at, r.end_at, now).await?;
    }
    let after = ReservationView::of(&r, bookables, now);
    let change =
        Change::new(action, "reservation", r.id, serde_json::to_value(&before).ok(), serde_json::to_value(&after).ok());
    audit::record(tx, actor, change).await?;
    Ok(r)
}
