//! `/v1/bookings`: participants (users, household members, guests), the bookables it
//! occupies, the pricing snapshot of the template's quote, and the status machine with its
//! append-only history.

use actix_web::{HttpResponse, get, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, created, ok_versioned};
use atrium_core::ids::UserId;
use atrium_core::validate::{CurrencyCode, Email};
use atrium_households::rules::{Decision, may_book_for};
use atrium_service_templates::model::CancellationPolicy;
use atrium_service_templates::quote::{PricingSnapshot, QuoteRequest, refund};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QueryOrder, QuerySelect, QueryTrait, Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::reservations::{self, ReservationStatus, end_hold, held_by_caller};
use crate::engine::{Claim, Owner, allocate, load_template, release, within_reach};
use crate::entities::{allocations, bookings, participants, status_history};
use crate::events::BookingsEvent;
use crate::status::{Action, BookingStatus};
use crate::{READ, WRITE};

/// A booking at or above this total (in the currency's major units) counts as expensive
/// for a household member's `approval_required_for: expensive_only`.
const EXPENSIVE_FROM: Decimal = Decimal::ONE_HUNDRED;

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

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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

fn decimal(value: Option<&String>) -> Option<Decimal> {
    value.and_then(|v| v.parse().ok())
}

async fn view(tx: &TenantTx, b: &bookings::Model) -> Result<BookingView, ApiError> {
    let tenant = tx.tenant_id().0;
    let people = participants::Entity::find()
        .filter(participants::Column::TenantId.eq(tenant))
        .filter(participants::Column::BookingId.eq(b.id))
        .order_by_asc(participants::Column::Id)
        .all(tx.conn())
        .await?;
    let assigned = allocations::Entity::find()
        .filter(allocations::Column::TenantId.eq(tenant))
        .filter(allocations::Column::BookingId.eq(b.id))
        .order_by_asc(allocations::Column::Id)
        .all(tx.conn())
        .await?;
    let bad = || ApiError::internal(format!("booking {} cannot be read", b.id));
    Ok(BookingView {
        id: b.id,
        service_template_id: b.service_template_id,
        status: BookingStatus::parse(&b.status).ok_or_else(bad)?,
        start: b.start_at,
        end: b.end_at,
        timezone: b.timezone.clone(),
        duration_minutes: u32::try_from(b.duration_minutes).unwrap_or(0),
        booked_by: b.booked_by,
        household_id: b.household_id,
        participants: people
            .into_iter()
            .map(|p| ParticipantView {
                id: p.id,
                user_id: p.user_id,
                household_member_id: p.household_member_id,
                name: p.name,
                email: p.email,
                role: serde_json::from_value(serde_json::Value::String(p.role)).unwrap_or(ParticipantRole::Guest),
                status: p.status,
            })
            .collect(),
        assigned_bookables: assigned
            .into_iter()
            .map(|a| AssignedBookableView {
                bookable_id: a.bookable_id,
                bookable_type: a.bookable_type,
                role: a.role,
                technician_user_id: a.technician_user_id,
            })
            .collect(),
        pricing_snapshot: serde_json::from_value(b.pricing_snapshot.clone()).map_err(|_| bad())?,
        refund_amount: decimal(b.refund_amount.as_ref()),
        refund_percent: decimal(b.refund_percent.as_ref()),
        cancelled_at: b.cancelled_at,
        cancellation_reason: b.cancellation_reason.clone(),
        checked_in_at: b.checked_in_at,
        completed_at: b.completed_at,
        source: serde_json::from_value(serde_json::Value::String(b.source.clone())).unwrap_or(BookingSource::Web),
        reservation_id: b.reservation_id,
        version: b.version,
        created_at: b.created_at,
    })
}

/// A participant row to insert, checked.
struct Person {
    user_id: Option<Uuid>,
    household_member_id: Option<Uuid>,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    role: ParticipantRole,
}

/// The participants (the caller when none), checked against the tenant's members and the
/// household's rules; `true` when a primary member must approve first.
async fn people(
    ctx: &RequestContext,
    tx: &TenantTx,
    dir: &dyn Directory,
    input: &BookingCreate,
    total: Decimal,
) -> Result<(Vec<Person>, bool), ApiError> {
    let caller = ctx.principal().user_id().0;
    let given = if input.participants.is_empty() {
        vec![ParticipantInput {
            user_id: Some(caller),
            household_member_id: None,
            name: None,
            email: None,
            phone: None,
            role: ParticipantRole::Primary,
        }]
    } else {
        input.participants.clone()
    };
    if given.len() > 100 {
        return Err(ApiError::validation(vec![FieldError::new("participants", "at most 100")]));
    }
    let household = match input.household_id {
        Some(h) => {
            let members = atrium_households::service::members(tx, h).await?;
            if members.is_empty() {
                return Err(ApiError::validation(vec![FieldError::new(
                    "household_id",
                    "is not a household of this tenant",
                )]));
            }
            let actor = members.iter().find(|m| m.user_id == caller).cloned().ok_or_else(|| {
                ApiError::validation(vec![FieldError::new("household_id", "you are not a member of this household")])
            })?;
            Some((members, actor))
        }
        None => None,
    };
    let expensive = total >= EXPENSIVE_FROM;
    let (mut out, mut approval, mut errors) = (Vec::new(), false, Vec::new());
    for (i, p) in given.iter().enumerate() {
        let at = |f: &str| format!("participants[{i}].{f}");
        match (p.user_id, p.household_member_id, &p.name) {
            (Some(user), None, None) => {
                if !dir.is_member(tx, UserId(user)).await? {
                    errors.push(FieldError::new(at("user_id"), "is not a member of this tenant"));
                }
                // Naming a household member by user id does not step around the household's rules.
                let member = household.as_ref().and_then(|(members, actor)| {
                    members.iter().find(|m| m.user_id == user).map(|m| (m.facts.clone(), actor))
                });
                if let Some((facts, actor)) = &member {
                    match may_book_for(&actor.facts, facts, expensive) {
                        Decision::Allowed => {}
                        Decision::RequiresApproval => approval = true,
                        Decision::Denied(why) => return Err(ApiError::new(ErrorCode::Forbidden).with_detail(why)),
                    }
                }
                out.push(Person {
                    user_id: Some(user),
                    household_member_id: member.map(|(facts, _)| facts.id),
                    name: String::new(),
                    email: None,
                    phone: None,
                    role: p.role,
                });
            }
            (None, Some(member), None) => {
                let Some((members, actor)) = &household else {
                    errors.push(FieldError::new(at("household_member_id"), "needs the booking's household_id"));
                    continue;
                };
                let Some(m) = members.iter().find(|m| m.facts.id == member) else {
                    errors.push(FieldError::new(at("household_member_id"), "is not a member of the household"));
                    continue;
                };
                match may_book_for(&actor.facts, &m.facts, expensive) {
                    Decision::Allowed => {}
                    Decision::RequiresApproval => approval = true,
                    Decision::Denied(why) => return Err(ApiError::new(ErrorCode::Forbidden).with_detail(why)),
                }
                out.push(Person {
                    user_id: Some(m.user_id),
                    household_member_id: Some(member),
                    name: String::new(),
                    email: None,
                    phone: None,
                    role: p.role,
                });
            }
            (None, None, Some(name)) => {
                if name.trim().is_empty() || name.chars().count() > 200 {
                    errors.push(FieldError::new(at("name"), "must be 1–200 characters"));
                }
                let email = match &p.email {
                    Some(e) => match Email::parse(e) {
                        Ok(e) => Some(e.into_string()),
                        Err(m) => {
                            errors.push(FieldError::new(at("email"), m));
                            None
                        }
                    },
                    None => None,
                };
                if p.phone.as_ref().is_some_and(|ph| ph.trim().is_empty() || ph.chars().count() > 50) {
                    errors.push(FieldError::new(at("phone"), "must be 1–50 characters"));
                }
                out.push(Person {
                    user_id: None,
                    household_member_id: None,
                    name: name.trim().to_owned(),
                    email,
                    phone: p.phone.clone(),
                    role: ParticipantRole::Guest,
                });
            }
            _ => errors.push(FieldError::new(
                format!("participants[{i}]"),
                "give exactly one of user_id, household_member_id or name (a guest)",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok((out, approval))
}

async fn record_status(
    tx: &TenantTx,
    ctx: &RequestContext,
    booking: Uuid,
    from: Option<BookingStatus>,
    to: BookingStatus,
    reason: Option<String>,
) -> Result<(), ApiError> {
    status_history::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        booking_id: Set(booking),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        actor_type: Set("user".to_owned()),
        actor_id: Set(Some(ctx.principal().user_id().0)),
        reason: Set(reason),
        at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

/// Books a slot: prices it with the template's quote, checks the participants and the
/// household's rules, occupies the bookables (409 `slot_unavailable` when someone was
/// first), and records the first status.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), request_body = BookingCreate,
    responses((status = 201, body = BookingView)))]
#[post("/bookings")]
pub async fn bookings_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<BookingCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let tx = ctx.write().await?;
    let v = book(&ctx, &tx, dir.get_ref(), body.into_inner(), Utc::now()).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/bookings/{}", v.id), &v, Some(v.version)))
}

/// Makes a booking inside `tx` (not committed): the one way every booking is made — by
/// the route, a waitlist offer accepted, or a recurring rule's occurrence.
pub async fn book(
    ctx: &RequestContext,
    tx: &TenantTx,
    dir: &dyn Directory,
    input: BookingCreate,
    now: DateTime<Utc>,
) -> Result<BookingView, ApiError> {
    within_reach("start", input.start, now)?;
    let template = load_template(tx, input.service_template_id, "service_template_id").await?;
    template.must_be_active("service_template_id")?;
    let count = if input.participants.is_empty() { 1 } else { u32::try_from(input.participants.len()).unwrap_or(0) };
    let request = QuoteRequest {
        start: input.start,
        duration_minutes: input.duration_minutes,
        nights: input.nights,
        participants: count,
    };
    let snapshot = template.price(&request, now)?;
    let (persons, approval) = people(ctx, tx, dir, &input, snapshot.total).await?;
    let id = Uuid::now_v7();
    let actor = AuditActor::of(ctx);
    let mut chosen = input.bookable_ids.clone();
    if let Some(hold) = input.reservation_id {
        let r = reservations::find(tx, hold).await.map_err(|_| {
            ApiError::validation(vec![FieldError::new("reservation_id", "is not a reservation of this tenant")])
        })?;
        held_by_caller(ctx, &r, now)?;
        if r.start_at != input.start || r.service_template_id != template.id {
            return Err(ApiError::validation(vec![FieldError::new(
                "reservation_id",
                "holds another slot or service than this booking's",
            )]));
        }
        // The hold's bookables, given up and taken again in this one transaction.
        let held: Vec<allocations::Model> = allocations::Entity::find()
            .filter(allocations::Column::TenantId.eq(ctx.tenant_id().0))
            .filter(allocations::Column::ReservationId.eq(r.id))
            .order_by_asc(allocations::Column::Id)
            .all(tx.conn())
            .await?;
        if chosen.is_none() {
            chosen = Some(
                template
                    .state
                    .required_bookables
                    .iter()
                    .map(|req| {
                        let role = atrium_bookables::model::name_of(&req.role);
                        let kind = atrium_bookables::model::name_of(&req.bookable_type);
                        held.iter()
                            .filter(|a| a.role == role && a.bookable_type == kind)
                            .map(|a| a.bookable_id)
                            .collect()
                    })
                    .collect(),
            );
        }
        end_hold(tx, &actor, r, ReservationStatus::Converted, Some(id), now).await?;
    }
    let status = if approval { BookingStatus::PendingApproval } else { BookingStatus::Pending };
    let b = bookings::ActiveModel {
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
        participant_count: Set(i32::try_from(count).unwrap_or(i32::MAX)),
        pricing_snapshot: Set(serde_json::to_value(&snapshot).map_err(ApiError::internal)?),
        cancellation_policy: Set(serde_json::to_value(&template.state.cancellation).map_err(ApiError::internal)?),
        total: Set(snapshot.total.to_string()),
        currency: Set(snapshot.currency.clone()),
        refund_amount: Set(None),
        refund_percent: Set(None),
        cancelled_at: Set(None),
        cancelled_by: Set(None),
        cancellation_reason: Set(None),
        checked_in_at: Set(None),
        completed_at: Set(None),
        source: Set(serde_json::to_value(input.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()),
        reservation_id: Set(input.reservation_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let claim = Claim {
        start: input.start,
        duration_minutes: snapshot.duration_minutes,
        participants: count,
        chosen,
        technician: input.technician_user_id,
        owner: Owner::Booking(id),
    };
    allocate(tx, &template, claim, now).await?;
    for p in persons {
        participants::ActiveModel {
            tenant_id: Set(ctx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            booking_id: Set(id),
            user_id: Set(p.user_id),
            household_member_id: Set(p.household_member_id),
            name: Set(p.name),
            email: Set(p.email),
            phone: Set(p.phone),
            role: Set(serde_json::to_value(p.role)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()),
            status: Set("confirmed".to_owned()),
        }
        .insert(tx.conn())
        .await?;
    }
    record_status(tx, ctx, id, None, status, None).await?;
    let v = view(tx, &b).await?;
    audit::record(
        tx,
        &actor,
        Change::new(BookingsEvent::BookingCreated, "booking", id, None, serde_json::to_value(&v).ok()),
    )
    .await?;
    Ok(v)
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

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery, BookingFilter),
    responses((status = 200, body = Page<BookingView>)))]
#[get("/bookings")]
pub async fn bookings_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<BookingFilter>,
) -> Result<web::Json<Page<BookingView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let tenant = ctx.tenant_id().0;
    let tx = ctx.read().await?;
    let mut q = bookings::Entity::find().filter(bookings::Column::TenantId.eq(tenant));
    if let Some(after) = query.cursor()? {
        q = q.filter(bookings::Column::Id.gt(after));
    }
    if let Some(status) = filter.status {
        q = q.filter(bookings::Column::Status.eq(status.as_str()));
    }
    if let Some(from) = filter.from {
        q = q.filter(bookings::Column::StartAt.gte(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(bookings::Column::StartAt.lt(to));
    }
    if let Some(bookable) = filter.bookable_id {
        let ids = allocations::Entity::find()
            .select_only()
            .column(allocations::Column::BookingId)
            .filter(allocations::Column::TenantId.eq(tenant))
            .filter(allocations::Column::BookableId.eq(bookable))
            .filter(allocations::Column::BookingId.is_not_null())
            .into_query();
        q = q.filter(bookings::Column::Id.in_subquery(ids));
    }
    if let Some(user) = filter.participant_user_id {
        let ids = participants::Entity::find()
            .select_only()
            .column(participants::Column::BookingId)
            .filter(participants::Column::TenantId.eq(tenant))
            .filter(participants::Column::UserId.eq(user))
            .into_query();
        q = q.filter(bookings::Column::Id.in_subquery(ids));
    }
    let rows = q.order_by_asc(bookings::Column::Id).limit(limit + 1).all(tx.conn()).await?;
    let mut views = Vec::new();
    for b in &rows {
        views.push(view(&tx, b).await?);
    }
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

pub(crate) async fn find(tx: &TenantTx, id: Uuid) -> Result<bookings::Model, ApiError> {
    bookings::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?.ok_or_else(ApiError::not_found)
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = BookingView)))]
#[get("/bookings/{id}")]
pub async fn bookings_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let b = find(&tx, *id).await?;
    Ok(ok_versioned(&view(&tx, &b).await?, b.version))
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

/// Every status the booking went through, oldest first (append-only).
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<StatusChangeView>)))]
#[get("/bookings/{id}/history")]
pub async fn bookings_history(
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<StatusChangeView>>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let b = find(&tx, *id).await?;
    let rows = status_history::Entity::find()
        .filter(status_history::Column::TenantId.eq(ctx.tenant_id().0))
        .filter(status_history::Column::BookingId.eq(b.id))
        .order_by_asc(status_history::Column::Id)
        .all(tx.conn())
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|h| StatusChangeView {
                from_status: h.from_status.as_deref().and_then(BookingStatus::parse),
                to_status: BookingStatus::parse(&h.to_status).unwrap_or(BookingStatus::Pending),
                actor_type: h.actor_type,
                actor_id: h.actor_id,
                reason: h.reason,
                at: h.at,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// Why (kept in the history; for cancellations also on the booking), up to 500 characters.
    pub reason: Option<String>,
}

/// Moves a booking along one legal transition; 409 `invalid_transition` otherwise.
async fn transition(
    ctx: RequestContext,
    id: Uuid,
    action: Action,
    input: TransitionInput,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    if input.reason.as_ref().is_some_and(|r| r.trim().is_empty() || r.chars().count() > 500) {
        return Err(ApiError::validation(vec![FieldError::new("reason", "must be 1–500 characters")]));
    }
    let tx = ctx.write().await?;
    let after = apply(&ctx, &tx, id, action, input.reason, Utc::now()).await?;
    tx.commit().await?;
    let version = after.version;
    Ok(ok_versioned(&after, version))
}

/// Applies `action` to booking `id` inside `tx` (not committed): the one way a booking
/// changes status — by its routes, or a recurring rule cancelled.
pub async fn apply(
    ctx: &RequestContext,
    tx: &TenantTx,
    id: Uuid,
    action: Action,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<BookingView, ApiError> {
    let input = TransitionInput { reason };
    // Locked: two transitions of one booking never both start from the same status.
    let b = bookings::Entity::find_by_id((tx.tenant_id().0, id))
        .lock_exclusive()
        .one(tx.conn())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let from = BookingStatus::parse(&b.status).ok_or_else(|| ApiError::internal("booking status"))?;
    let to = from.after(action).ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidTransition).with_detail(format!("a {} booking cannot do that", from.as_str()))
    })?;
    if action == Action::Approve {
        must_be_household_primary(ctx, tx, b.household_id).await?;
    }
    let before = view(tx, &b).await?;
    let version = b.version + 1;
    let (start, total, currency) = (b.start_at, b.total.clone(), b.currency.clone());
    let policy: CancellationPolicy =
        serde_json::from_value(b.cancellation_policy.clone()).map_err(ApiError::internal)?;
    let mut am = b.into_active_model();
    am.status = Set(to.as_str().to_owned());
    am.version = Set(version);
    am.updated_at = Set(now);
    match action {
        Action::CheckIn => am.checked_in_at = Set(Some(now)),
        Action::Complete => am.completed_at = Set(Some(now)),
        Action::Cancel => {
            // On the booking's price (no payments are recorded yet), by the terms it was booked on.
            let paid: Decimal = total.parse().map_err(ApiError::internal)?;
            let minor = CurrencyCode::parse(&currency).map(|c| c.minor_units()).unwrap_or(2);
            let r = refund(&policy, start, now, paid, minor);
            am.refund_amount = Set(Some(r.amount.to_string()));
            am.refund_percent = Set(Some(r.refund_percent.to_string()));
            am.cancelled_at = Set(Some(now));
            am.cancelled_by = Set(Some("client".to_owned()));
            am.cancellation_reason = Set(input.reason.clone());
        }
        Action::Approve | Action::Confirm | Action::NoShow => {}
    }
    let b = am.update(tx.conn()).await?;
    if !to.occupies() {
        release(tx, Owner::Booking(b.id)).await?;
        crate::waitlist::slot_freed(tx, b.service_template_id, b.start_at, b.end_at, now).await?;
    }
    record_status(tx, ctx, b.id, Some(from), to, input.reason).await?;
    let after = view(tx, &b).await?;
    let change = Change::new(
        action.event(),
        "booking",
        b.id,
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    );
    audit::record(tx, &AuditActor::of(ctx), change).await?;
    Ok(after)
}

/// Approval is a primary member's of the booking's household.
async fn must_be_household_primary(
    ctx: &RequestContext,
    tx: &TenantTx,
    household: Option<Uuid>,
) -> Result<(), ApiError> {
    let Some(household) = household else {
        return Err(ApiError::new(ErrorCode::InvalidTransition).with_detail("only household bookings need approval"));
    };
    let caller = ctx.principal().user_id().0;
    let members = atrium_households::service::members(tx, household).await?;
    let primary =
        members.iter().any(|m| m.user_id == caller && m.facts.role == atrium_households::rules::MemberRole::Primary);
    if primary {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::Forbidden).with_detail("only a primary member of the household approves"))
    }
}

macro_rules! transition_route {
    ($name:ident, $path:literal, $action:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
                                    request_body = TransitionInput, responses((status = 200, body = BookingView)))]
        #[post($path)]
        pub async fn $name(
            ctx: RequestContext,
            id: web::Path<Uuid>,
            body: Json<TransitionInput>,
        ) -> Result<HttpResponse, ApiError> {
            transition(ctx, *id, $action, body.into_inner()).await
        }
    };
}

transition_route!(
    bookings_approve,
    "/bookings/{id}/approve",
    Action::Approve,
    "A primary member approves a household booking."
);
transition_route!(bookings_confirm, "/bookings/{id}/confirm", Action::Confirm, "Confirms a pending booking.");
transition_route!(bookings_check_in, "/bookings/{id}/check-in", Action::CheckIn, "Checks a confirmed booking in.");
transition_route!(bookings_complete, "/bookings/{id}/complete", Action::Complete, "Completes a checked-in booking.");
transition_route!(
    bookings_cancel,
    "/bookings/{id}/cancel",
    Action::Cancel,
    "Cancels a booking: the template's refund tier for the notice given sets the refund, and the slot is freed."
);
transition_route!(bookings_no_show, "/bookings/{id}/no-show", Action::NoShow, "Marks a confirmed booking a no-show.");
