//! Making a booking — the one way every booking is made, by the route, a waitlist offer
//! accepted or a recurring rule's occurrence: the template's quote prices it, the
//! participants and the household's rules are checked, a hold of the caller's is taken
//! over, the bookables are occupied, and the first status is recorded.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::booking_ext::{self, BookingKind, Created};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::mail::MailKind;
use atrium_service_templates::quote::{PricingSnapshot, QuoteRequest};
use chrono::{DateTime, Utc};
use sea_orm::{IntoActiveModel, Set};
use uuid::Uuid;

use crate::engine::{Claim, Owner, Template, allocate, load_template, within_reach};
use crate::entities::{bookings, participants};
use crate::error::{BookingsError, invalid};
use crate::events::BookingsEvent;
use crate::holds::{end_hold, held_by_caller};
use crate::model::bookings::{BookingCreate, BookingView};
use crate::model::reservations::ReservationStatus;
use crate::ownership::Reach;
use crate::participants::{Person, party};
use crate::repo;
use crate::status::BookingStatus;
use crate::transitions::record_status;

/// Makes a booking inside `tx` (not committed); 409 `slot_unavailable` when someone else
/// was first.
pub async fn book(
    ctx: &RequestContext,
    tx: &TenantTx,
    dir: &dyn Directory,
    input: BookingCreate,
    reach: &Reach,
    now: DateTime<Utc>,
) -> Result<BookingView, BookingsError> {
    within_reach("start", input.start, now)?;
    let template = load_template(tx, input.service_template_id, "service_template_id").await?;
    template.must_be_active("service_template_id")?;
    if !reach.reaches_location(template.state.location_id) {
        return Err(BookingsError::Forbidden("the service is at a location outside your membership's"));
    }
    let count = party_size(&input);
    let request = QuoteRequest {
        start: input.start,
        duration_minutes: input.duration_minutes,
        nights: input.nights,
        participants: count,
    };
    let mut snapshot = template.price(&request, now)?;
    // The plugins' fields first: an unknown one, or one of a plugin switched off, is a 422.
    let extensions = booking_ext::installed();
    let runs = extensions.for_create(tx, BookingKind::Booking, &input.extensions).await?;
    let party = party(ctx, tx, dir, &input, snapshot.total, reach.is_own()).await?;
    let id = Uuid::now_v7();
    let actor = AuditActor::of(ctx);
    let mut chosen = input.bookable_ids.clone();
    if let Some(hold) = input.reservation_id {
        let held = take_over_hold(ctx, tx, &template, &input, hold, id, now).await?;
        chosen = chosen.or(Some(held));
    }
    let status = if party.needs_approval { BookingStatus::PendingApproval } else { BookingStatus::Pending };
    // The household whose rules applied is the booking's, named or not.
    let input = BookingCreate { household_id: party.household_id, ..input };
    let mut b = repo::bookings::insert(tx, row(ctx, id, &template, &snapshot, status, &input, now)?).await?;
    let claim = Claim {
        start: input.start,
        duration_minutes: snapshot.duration_minutes,
        participants: count,
        chosen,
        technician: input.technician_user_id,
        owner: Owner::Booking(id),
    };
    let allocated = allocate(tx, &template, claim, now).await?;
    let mut customers: Vec<Uuid> = party.people.iter().filter_map(|p| p.user_id).collect();
    customers.dedup();
    for p in party.people {
        repo::bookings::insert_participant(tx, participant(tx, id, p)).await?;
    }
    if !runs.is_empty() {
        let state = serde_json::to_value(&template.state)?;
        let scope = reach.scope();
        let created = Created {
            tenant_id: tx.tenant_id(),
            kind: BookingKind::Booking,
            id,
            converted_hold_id: input.reservation_id,
            expires_at: None,
            service_template_id: template.id,
            template: &state,
            location_id: template.state.location_id,
            bookable_ids: allocated.iter().map(|a| a.bookable_id).collect(),
            start: snapshot.start,
            end: snapshot.end,
            currency: &snapshot.currency,
            price: snapshot.total,
            timezone: &snapshot.timezone,
            customer_user_ids: customers,
            booked_by: ctx.principal().user_id().0,
            actor: &actor,
            scope: &scope,
            now,
        };
        let mut lines = Vec::new();
        for (extension, fields) in &runs {
            lines.extend(extension.on_create(tx, &created, fields).await?);
        }
        if !lines.is_empty() {
            snapshot.total += booking_ext::lines_total(&lines, &snapshot.currency)?;
            snapshot.lines = lines;
            let mut am = b.into_active_model();
            am.pricing_snapshot = Set(serde_json::to_value(&snapshot)?);
            am.total = Set(snapshot.total.to_string());
            b = repo::bookings::update(tx, am).await?;
        }
    }
    record_status(tx, ctx, ctx.actor_kind(&reach.scope()), id, None, status, None).await?;
    crate::notify::enqueue(tx, MailKind::BookingConfirmation, &b, &template.state.name).await?;
    let v = repo::bookings::view(tx, &b).await?;
    let change = Change::new(BookingsEvent::BookingCreated, "booking", id, None, serde_json::to_value(&v).ok());
    audit::record(tx, &actor, change).await?;
    Ok(v)
}

/// Seats taken: one per participant, the caller alone when none are given.
fn party_size(input: &BookingCreate) -> u32 {
    if input.participants.is_empty() { 1 } else { u32::try_from(input.participants.len()).unwrap_or(0) }
}

/// Ends the caller's hold `hold` as converted into booking `booking`, and says which
/// bookables it held per requirement of the template: they are given up and taken again in
/// this one transaction.
async fn take_over_hold(
    ctx: &RequestContext,
    tx: &TenantTx,
    template: &Template,
    input: &BookingCreate,
    hold: Uuid,
    booking: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Vec<Uuid>>, BookingsError> {
    let r = repo::reservations::find(tx, hold)
        .await
        .map_err(|_| invalid("reservation_id", "is not a reservation of this tenant"))?;
    held_by_caller(ctx, &r, now)?;
    if r.start_at != input.start || r.service_template_id != template.id {
        return Err(invalid("reservation_id", "holds another slot or service than this booking's"));
    }
    let held = repo::allocations::of_reservation(tx, r.id).await?;
    let chosen = template
        .state
        .required_bookables
        .iter()
        .map(|req| {
            let role = atrium_bookables::model::name_of(&req.role);
            let kind = atrium_bookables::model::name_of(&req.bookable_type);
            held.iter().filter(|a| a.role == role && a.bookable_type == kind).map(|a| a.bookable_id).collect()
        })
        .collect();
    end_hold(tx, &AuditActor::of(ctx), r, ReservationStatus::Converted, Some(booking), now).await?;
    Ok(chosen)
}

/// The booking's row: the quote's snapshot, and the cancellation terms it is booked on.
fn row(
    ctx: &RequestContext,
    id: Uuid,
    template: &Template,
    snapshot: &PricingSnapshot,
    status: BookingStatus,
    input: &BookingCreate,
    now: DateTime<Utc>,
) -> Result<bookings::ActiveModel, BookingsError> {
    Ok(bookings::ActiveModel {
        tenant_id: Set(ctx.tenant_id().0),
        id: Set(id),
        service_template_id: Set(template.id),
        template_version: Set(template.version),
        location_id: Set(template.state.location_id),
        status: Set(status.as_str().to_owned()),
        start_at: Set(snapshot.start),
        end_at: Set(snapshot.end),
        timezone: Set(snapshot.timezone.clone()),
        duration_minutes: Set(i32::try_from(snapshot.duration_minutes).unwrap_or(i32::MAX)),
        booked_by: Set(ctx.principal().user_id().0),
        household_id: Set(input.household_id),
        participant_count: Set(i32::try_from(party_size(input)).unwrap_or(i32::MAX)),
        pricing_snapshot: Set(serde_json::to_value(snapshot)?),
        cancellation_policy: Set(serde_json::to_value(&template.state.cancellation)?),
        total: Set(snapshot.total.to_string()),
        currency: Set(snapshot.currency.clone()),
        refund_amount: Set(None),
        refund_percent: Set(None),
        cancelled_at: Set(None),
        cancelled_by: Set(None),
        cancellation_reason: Set(None),
        checked_in_at: Set(None),
        completed_at: Set(None),
        reminded_at: Set(None),
        source: Set(serde_json::to_value(input.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()),
        reservation_id: Set(input.reservation_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

fn participant(tx: &TenantTx, booking: Uuid, p: Person) -> participants::ActiveModel {
    participants::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        booking_id: Set(booking),
        user_id: Set(p.user_id),
        household_member_id: Set(p.household_member_id),
        name: Set(p.name),
        email: Set(p.email),
        phone: Set(p.phone),
        role: Set(serde_json::to_value(p.role).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()),
        status: Set("confirmed".to_owned()),
    }
}
