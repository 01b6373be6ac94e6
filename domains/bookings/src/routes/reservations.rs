//! `/v1/reservations`: holds. A hold occupies its slot for its holder until `expires_at`
//! (the template's hold minutes), can be extended up to the template's maximum, and ends
//! converted into a booking, released, or expired (by the sweeper, and at read time: an
//! expired hold never blocks anyone).

use actix_web::{HttpResponse, get, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::RequestContext;
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, created, ok_versioned};
use atrium_service_templates::quote::QuoteRequest;
use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::engine::{Claim, Owner, allocate, load_template, release, within_reach};
use crate::entities::{allocations, reservations};
use crate::events::BookingsEvent;
use crate::{READ, WRITE};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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

fn status_of(r: &reservations::Model, now: DateTime<Utc>) -> ReservationStatus {
    match r.status.as_str() {
        "active" if r.expires_at <= now => ReservationStatus::Expired,
        "active" => ReservationStatus::Active,
        "converted" => ReservationStatus::Converted,
        "released" => ReservationStatus::Released,
        _ => ReservationStatus::Expired,
    }
}

pub fn view(r: &reservations::Model, bookables: Vec<Uuid>, now: DateTime<Utc>) -> ReservationView {
    ReservationView {
        id: r.id,
        service_template_id: r.service_template_id,
        holder_user_id: r.holder_user_id,
        status: status_of(r, now),
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

async fn bookables_of(tx: &TenantTx, reservation: Uuid) -> Result<Vec<Uuid>, ApiError> {
    Ok(allocations::Entity::find()
        .filter(allocations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(allocations::Column::ReservationId.eq(reservation))
        .order_by_asc(allocations::Column::Id)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|a| a.bookable_id)
        .collect())
}

/// Holds a slot for the caller.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), request_body = ReservationCreate,
    responses((status = 201, body = ReservationView)))]
#[post("/reservations")]
pub async fn reservations_create(ctx: RequestContext, body: Json<ReservationCreate>) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let input = body.into_inner();
    let now = Utc::now();
    within_reach("start", input.start, now)?;
    let tx = ctx.write().await?;
    let template = load_template(&tx, input.service_template_id, "service_template_id").await?;
    template.must_be_active("service_template_id")?;
    let settings = &template.state.reservation;
    if !settings.enabled {
        return Err(ApiError::validation(vec![FieldError::new("service_template_id", "this service takes no holds")]));
    }
    let request = QuoteRequest {
        start: input.start,
        duration_minutes: input.duration_minutes,
        nights: input.nights,
        participants: input.participants,
    };
    let minutes = template.price(&request, now)?.duration_minutes;
    let id = Uuid::now_v7();
    let expires_at = now + Duration::minutes(i64::from(settings.hold_duration_minutes));
    let max_expires_at = now + Duration::minutes(i64::from(settings.max_hold_minutes));
    let owner = Owner::Hold { reservation: id, expires_at };
    // The reservation row first: the allocations point at it.
    let r = reservations::ActiveModel {
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
    }
    .insert(tx.conn())
    .await?;
    let claim = Claim {
        start: input.start,
        duration_minutes: minutes,
        participants: input.participants,
        chosen: input.bookable_ids,
        technician: None,
        owner,
    };
    let rows = allocate(&tx, &template, claim, now).await?;
    let v = view(&r, rows.iter().map(|a| a.bookable_id).collect(), now);
    let change = Change::new(BookingsEvent::ReservationCreated, "reservation", id, None, serde_json::to_value(&v).ok());
    audit::record(&tx, &AuditActor::of(&ctx), change).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/reservations/{id}"), &v, Some(r.version)))
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery),
    responses((status = 200, body = Page<ReservationView>)))]
#[get("/reservations")]
pub async fn reservations_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ReservationView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let mut q = reservations::Entity::find().filter(reservations::Column::TenantId.eq(ctx.tenant_id().0));
    if let Some(after) = query.cursor()? {
        q = q.filter(reservations::Column::Id.gt(after));
    }
    let rows = q.order_by_asc(reservations::Column::Id).limit(limit + 1).all(tx.conn()).await?;
    let now = Utc::now();
    let mut views = Vec::new();
    for r in &rows {
        views.push(view(r, bookables_of(&tx, r.id).await?, now));
    }
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<reservations::Model, ApiError> {
    reservations::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?.ok_or_else(ApiError::not_found)
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ReservationView)))]
#[get("/reservations/{id}")]
pub async fn reservations_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let r = find(&tx, *id).await?;
    Ok(ok_versioned(&view(&r, bookables_of(&tx, r.id).await?, Utc::now()), r.version))
}

/// A live hold of the caller's, or the reason why not.
pub fn held_by_caller(ctx: &RequestContext, r: &reservations::Model, now: DateTime<Utc>) -> Result<(), ApiError> {
    if r.holder_user_id != ctx.principal().user_id().0 {
        return Err(ApiError::new(ErrorCode::Forbidden).with_detail("only the holder may use this hold"));
    }
    match status_of(r, now) {
        ReservationStatus::Active => Ok(()),
        other => {
            Err(ApiError::new(ErrorCode::InvalidTransition).with_detail(format!("the hold is {}", other.as_str())))
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationExtend {
    /// Minutes to add (the template's hold minutes by default); never past `max_expires_at`.
    pub minutes: Option<u32>,
}

/// Extends the caller's hold.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body = ReservationExtend, responses((status = 200, body = ReservationView)))]
#[post("/reservations/{id}/extend")]
pub async fn reservations_extend(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<ReservationExtend>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let r = find(&tx, *id).await?;
    held_by_caller(&ctx, &r, now)?;
    let template = load_template(&tx, r.service_template_id, "service_template_id").await?;
    let minutes = body.into_inner().minutes.unwrap_or(template.state.reservation.hold_duration_minutes);
    if minutes == 0 || minutes > 1440 {
        return Err(ApiError::validation(vec![FieldError::new("minutes", "must be between 1 and 1440")]));
    }
    if r.expires_at >= r.max_expires_at {
        return Err(ApiError::new(ErrorCode::Conflict).with_detail("the hold is at its maximum already"));
    }
    let expires_at = (r.expires_at + Duration::minutes(i64::from(minutes))).min(r.max_expires_at);
    let before = view(&r, bookables_of(&tx, r.id).await?, now);
    let (count, version) = (r.extension_count + 1, r.version + 1);
    let mut am = r.into_active_model();
    am.expires_at = Set(expires_at);
    am.extension_count = Set(count);
    am.version = Set(version);
    let r = am.update(tx.conn()).await?;
    allocations::Entity::update_many()
        .col_expr(allocations::Column::HoldExpiresAt, sea_orm::sea_query::Expr::value(expires_at))
        .filter(allocations::Column::TenantId.eq(ctx.tenant_id().0))
        .filter(allocations::Column::ReservationId.eq(r.id))
        .exec(tx.conn())
        .await?;
    let after = view(&r, before.bookable_ids.clone(), now);
    let change = Change::new(
        BookingsEvent::ReservationExtended,
        "reservation",
        r.id,
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    );
    audit::record(&tx, &AuditActor::of(&ctx), change).await?;
    tx.commit().await?;
    Ok(ok_versioned(&after, r.version))
}

/// Releases the caller's hold.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ReservationView)))]
#[post("/reservations/{id}/release")]
pub async fn reservations_release(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let r = find(&tx, *id).await?;
    held_by_caller(&ctx, &r, now)?;
    let r = end_hold(&tx, &AuditActor::of(&ctx), r, ReservationStatus::Released, None, now).await?;
    let v = view(&r, bookables_of(&tx, r.id).await?, now);
    tx.commit().await?;
    Ok(ok_versioned(&v, r.version))
}

/// Ends a hold (released, expired, or converted into `booking`): it stops occupying its slot.
pub async fn end_hold(
    tx: &TenantTx,
    actor: &AuditActor,
    r: reservations::Model,
    to: ReservationStatus,
    booking: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<reservations::Model, ApiError> {
    let bookables = bookables_of(tx, r.id).await?;
    // The bookables first, as every allocation does: never the other order, no deadlock.
    atrium_bookables::service::lock(tx, &bookables).await?;
    // Only a hold still active ends: a conversion and the sweeper never both win.
    let ended = reservations::Entity::update_many()
        .col_expr(reservations::Column::Status, sea_orm::sea_query::Expr::value(to.as_str()))
        .filter(reservations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(reservations::Column::Id.eq(r.id))
        .filter(reservations::Column::Status.eq(ReservationStatus::Active.as_str()))
        .exec(tx.conn())
        .await?;
    if ended.rows_affected == 0 {
        return Err(ApiError::new(ErrorCode::InvalidTransition).with_detail("the hold has ended already"));
    }
    release(tx, Owner::Hold { reservation: r.id, expires_at: r.expires_at }).await?;
    let before = view(&r, bookables.clone(), now);
    let version = r.version + 1;
    let mut am = r.into_active_model();
    am.status = Set(to.as_str().to_owned());
    am.booking_id = Set(booking);
    am.version = Set(version);
    let r = am.update(tx.conn()).await?;
    let action = match to {
        ReservationStatus::Expired => BookingsEvent::ReservationExpired,
        ReservationStatus::Converted => BookingsEvent::ReservationConverted,
        ReservationStatus::Released | ReservationStatus::Active => BookingsEvent::ReservationReleased,
    };
    if matches!(to, ReservationStatus::Expired | ReservationStatus::Released) {
        crate::waitlist::slot_freed(tx, r.service_template_id, r.start_at, r.end_at, now).await?;
    }
    let after = view(&r, bookables, now);
    let change =
        Change::new(action, "reservation", r.id, serde_json::to_value(&before).ok(), serde_json::to_value(&after).ok());
    audit::record(tx, actor, change).await?;
    Ok(r)
}
