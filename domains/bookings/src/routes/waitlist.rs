//! `/v1/waitlist`: join the waitlist of a service for a local date (optionally a time
//! range); a freed slot is offered, held for the entry's user, who accepts (booking it)
//! or declines. The offering itself lives in [`crate::waitlist`].

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::{Directory, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use atrium_core::schedule::TimeRange;
use atrium_service_templates::model::{CapacityType, ServiceDuration};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{Condition, QueryOrder, QuerySelect, Set};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::bookings::{BookingCreate, BookingSource, ParticipantInput, book};
use super::reservations::{self, ReservationStatus, end_hold};
use crate::engine::{Template, load_template};
use crate::entities::waitlist_entries as entries;
use crate::events::BookingsEvent;
use crate::waitlist::{WaitlistEntryView, WaitlistStatus, audit_change, find, status_of, view};
use crate::{READ, WRITE};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"service_template_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "preferred_date": "2031-03-04",
    "preferred_time_range": {"start": "09:00", "end": "12:00"}}))]
pub struct WaitlistCreate {
    pub service_template_id: Uuid,
    /// A local date in the template's pricing time zone; today or later.
    pub preferred_date: NaiveDate,
    /// Only slots starting inside this range (local, in the template's pricing time zone).
    pub preferred_time_range: Option<TimeRange>,
    /// As for a booking; the caller alone when absent. Checked in full when the offer is accepted.
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
    /// As for a booking: a household of which the caller is a member.
    pub household_id: Option<Uuid>,
    /// As for a booking: for a company provider that lets customers choose, the technician wanted.
    pub technician_user_id: Option<Uuid>,
}

/// Multi-day services are booked by the night, not by a freed slot; a class must enable
/// its waitlist.
pub(crate) fn check_waitlist_template(template: &Template, errors: &mut Vec<FieldError>) {
    if matches!(template.state.duration, ServiceDuration::MultiDay { .. }) {
        errors.push(FieldError::new("service_template_id", "a multi-day service has no waitlist"));
    }
    if template.state.capacity.capacity_type == CapacityType::Group
        && template.state.capacity.group.as_ref().is_some_and(|g| !g.enable_waitlist)
    {
        errors.push(FieldError::new("service_template_id", "this class does not enable a waitlist"));
    }
}

/// The participants' shape (the membership and household rules are checked when booking).
pub(crate) fn check_participants(given: &[ParticipantInput], errors: &mut Vec<FieldError>) {
    if given.len() > 100 {
        errors.push(FieldError::new("participants", "at most 100"));
    }
    for (i, p) in given.iter().enumerate() {
        let set = usize::from(p.user_id.is_some()) + usize::from(p.household_member_id.is_some());
        let named = p.name.as_ref().is_some_and(|n| !n.trim().is_empty() && n.chars().count() <= 200);
        let ok = match &p.name {
            None => set == 1,
            Some(_) => set == 0 && named,
        };
        if !ok {
            errors.push(FieldError::new(
                format!("participants[{i}]"),
                "give exactly one of user_id, household_member_id or name (a guest, 1–200 characters)",
            ));
        }
    }
}

/// Participants kept for later bookings, as given.
pub(crate) fn stored_participants(given: &[ParticipantInput]) -> serde_json::Value {
    serde_json::Value::Array(
        given
            .iter()
            .map(|p| {
                serde_json::json!({"user_id": p.user_id, "household_member_id": p.household_member_id,
                    "name": p.name, "email": p.email, "phone": p.phone, "role": p.role})
            })
            .collect(),
    )
}

pub(crate) fn participants_from(value: &serde_json::Value) -> Result<Vec<ParticipantInput>, ApiError> {
    serde_json::from_value(value.clone()).map_err(ApiError::internal)
}

/// A household the caller belongs to, as a booking needs.
pub(crate) async fn check_household(
    ctx: &RequestContext,
    tx: &TenantTx,
    household: Option<Uuid>,
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    let Some(h) = household else { return Ok(()) };
    let members = atrium_households::service::members(tx, h).await?;
    if members.is_empty() {
        errors.push(FieldError::new("household_id", "is not a household of this tenant"));
    } else if !members.iter().any(|m| m.user_id == ctx.principal().user_id().0) {
        errors.push(FieldError::new("household_id", "you are not a member of this household"));
    }
    Ok(())
}

/// Joins the waitlist of a service for a date: the first matching slot freed is offered,
/// held for the caller until the offer's `offer_expires_at`.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), request_body = WaitlistCreate,
    responses((status = 201, body = WaitlistEntryView)))]
#[post("/waitlist")]
pub async fn waitlist_create(ctx: RequestContext, body: Json<WaitlistCreate>) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let input = body.into_inner();
    let now = Utc::now();
    let tx = ctx.write().await?;
    let template = load_template(&tx, input.service_template_id, "service_template_id").await?;
    template.must_be_active("service_template_id")?;
    let mut errors = Vec::new();
    check_waitlist_template(&template, &mut errors);
    let tz: chrono_tz::Tz = template.state.pricing.timezone.parse().unwrap_or(chrono_tz::UTC);
    if input.preferred_date < now.with_timezone(&tz).date_naive() {
        errors.push(FieldError::new("preferred_date", "must not be in the past (in the service's time zone)"));
    } else if input.preferred_date > now.with_timezone(&tz).date_naive() + chrono::Days::new(3660) {
        errors.push(FieldError::new("preferred_date", "must be within 10 years"));
    }
    if input.preferred_time_range.as_ref().is_some_and(|r| r.bounds().is_none()) {
        errors.push(FieldError::new("preferred_time_range", "start and end must be HH:MM, end after start"));
    }
    check_participants(&input.participants, &mut errors);
    check_household(&ctx, &tx, input.household_id, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let count = input.participants.len().max(1);
    let (preferred_start, preferred_end) = match input.preferred_time_range {
        Some(r) => (Some(r.start), Some(r.end)),
        None => (None, None),
    };
    let e = entries::ActiveModel {
        tenant_id: Set(ctx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        service_template_id: Set(template.id),
        user_id: Set(ctx.principal().user_id().0),
        household_id: Set(input.household_id),
        preferred_date: Set(input.preferred_date),
        preferred_start: Set(preferred_start),
        preferred_end: Set(preferred_end),
        participants: Set(stored_participants(&input.participants)),
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
    }
    .insert(tx.conn())
    .await?;
    let v = audit_change(&tx, &AuditActor::of(&ctx), BookingsEvent::WaitlistJoined, None, &e, now).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/waitlist/{}", e.id), &v, Some(e.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitlistFilter {
    pub service_template_id: Option<Uuid>,
    /// As shown: an offer past `offer_expires_at` counts as `expired`.
    pub status: Option<WaitlistStatus>,
}

/// Waitlist entries, oldest first — which is queue order for each service and date.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery, WaitlistFilter),
    responses((status = 200, body = Page<WaitlistEntryView>)))]
#[get("/waitlist")]
pub async fn waitlist_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<WaitlistFilter>,
) -> Result<web::Json<Page<WaitlistEntryView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let now = Utc::now();
    let tx = ctx.read().await?;
    let mut q = entries::Entity::find().filter(entries::Column::TenantId.eq(ctx.tenant_id().0));
    if let Some(after) = query.cursor()? {
        q = q.filter(entries::Column::Id.gt(after));
    }
    if let Some(template) = filter.service_template_id {
        q = q.filter(entries::Column::ServiceTemplateId.eq(template));
    }
    let offered = WaitlistStatus::Offered.as_str();
    q = match filter.status {
        None => q,
        Some(WaitlistStatus::Offered) => {
            q.filter(entries::Column::Status.eq(offered)).filter(entries::Column::OfferExpiresAt.gt(now))
        }
        Some(WaitlistStatus::Expired) => {
            q.filter(Condition::any().add(entries::Column::Status.eq(WaitlistStatus::Expired.as_str())).add(
                Condition::all().add(entries::Column::Status.eq(offered)).add(entries::Column::OfferExpiresAt.lte(now)),
            ))
        }
        Some(s) => q.filter(entries::Column::Status.eq(s.as_str())),
    };
    let rows = q.order_by_asc(entries::Column::Id).limit(limit + 1).all(tx.conn()).await?;
    let mut views = Vec::new();
    for e in &rows {
        views.push(view(&tx, e, now).await?);
    }
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WaitlistEntryView)))]
#[get("/waitlist/{id}")]
pub async fn waitlist_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let e = find(&tx, *id).await?;
    Ok(ok_versioned(&view(&tx, &e, Utc::now()).await?, e.version))
}

fn not_now(status: WaitlistStatus) -> ApiError {
    ApiError::new(ErrorCode::InvalidTransition).with_detail(format!("the entry is {}", status.as_str()))
}

/// The entry's user alone answers an offer (the hold is theirs).
fn must_be_entry_user(ctx: &RequestContext, e: &entries::Model) -> Result<(), ApiError> {
    if e.user_id == ctx.principal().user_id().0 {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::Forbidden).with_detail("only the entry's user answers its offer"))
    }
}

/// Takes a waiting or offered entry off the waitlist (`waitlist.cancelled`); a live offer's
/// hold is released, which offers the slot to the next matching entry.
async fn leave(
    ctx: &RequestContext,
    tx: &TenantTx,
    e: entries::Model,
    now: DateTime<Utc>,
) -> Result<WaitlistEntryView, ApiError> {
    let status = status_of(&e, now);
    if !matches!(status, WaitlistStatus::Waiting | WaitlistStatus::Offered) {
        return Err(not_now(status));
    }
    let actor = AuditActor::of(ctx);
    let before = view(tx, &e, now).await?;
    let (version, hold) = (e.version + 1, e.reservation_id);
    let mut am: entries::ActiveModel = e.into();
    am.status = Set(WaitlistStatus::Cancelled.as_str().to_owned());
    am.version = Set(version);
    am.updated_at = Set(now);
    let e = am.update(tx.conn()).await?;
    if status == WaitlistStatus::Offered
        && let Some(hold) = hold
    {
        let r = reservations::find(tx, hold).await?;
        if r.status == ReservationStatus::Active.as_str() && r.expires_at > now {
            end_hold(tx, &actor, r, ReservationStatus::Released, None, now).await?;
        }
    }
    audit_change(tx, &actor, BookingsEvent::WaitlistCancelled, Some(&before), &e, now).await
}

/// Leaves the waitlist; a pending offer is given up and passes to the next entry.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Cancelled")))]
#[delete("/waitlist/{id}")]
pub async fn waitlist_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let e = find(&tx, *id).await?;
    check_if_match(&req, e.version)?;
    leave(&ctx, &tx, e, now).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accepts the offer: the held slot is booked for the entry's user (the caller), with the
/// entry's participants and household — as `POST /v1/bookings` with the hold would.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WaitlistEntryView)))]
#[post("/waitlist/{id}/accept")]
pub async fn waitlist_accept(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let e = find(&tx, *id).await?;
    must_be_entry_user(&ctx, &e)?;
    let status = status_of(&e, now);
    let (Some(start), Some(end), Some(hold), WaitlistStatus::Offered) =
        (e.offered_start, e.offered_end, e.reservation_id, status)
    else {
        return Err(not_now(status));
    };
    let template = load_template(&tx, e.service_template_id, "service_template_id").await?;
    let duration_minutes = match template.state.duration {
        ServiceDuration::Variable { .. } => u32::try_from((end - start).num_minutes()).ok(),
        ServiceDuration::Fixed { .. } | ServiceDuration::MultiDay { .. } => None,
    };
    let input = BookingCreate {
        service_template_id: template.id,
        start,
        duration_minutes,
        nights: None,
        participants: participants_from(&e.participants)?,
        household_id: e.household_id,
        bookable_ids: None,
        reservation_id: Some(hold),
        technician_user_id: e.technician_user_id,
        source: BookingSource::Web,
    };
    let booking = book(&ctx, &tx, dir.get_ref(), input, now).await?;
    let before = view(&tx, &e, now).await?;
    let version = e.version + 1;
    let mut am: entries::ActiveModel = e.into();
    am.status = Set(WaitlistStatus::Accepted.as_str().to_owned());
    am.booking_id = Set(Some(booking.id));
    am.version = Set(version);
    am.updated_at = Set(now);
    let e = am.update(tx.conn()).await?;
    let v = audit_change(&tx, &AuditActor::of(&ctx), BookingsEvent::WaitlistAccepted, Some(&before), &e, now).await?;
    tx.commit().await?;
    Ok(ok_versioned(&v, e.version))
}

/// Declines the offer: the entry leaves the waitlist (`cancelled`) and the slot passes to
/// the next matching entry.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WaitlistEntryView)))]
#[post("/waitlist/{id}/decline")]
pub async fn waitlist_decline(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let e = find(&tx, *id).await?;
    must_be_entry_user(&ctx, &e)?;
    let status = status_of(&e, now);
    if status != WaitlistStatus::Offered {
        return Err(not_now(status));
    }
    let v = leave(&ctx, &tx, e, now).await?;
    tx.commit().await?;
    Ok(ok_versioned(&v, v.version))
}
