//! A bookable's calendar exceptions: `/v1/bookables/{id}/date-overrides` (closed days,
//! modified hours, special pricing, in the calendar's zone) and
//! `/v1/bookables/{id}/blocked-times` (UTC instants: time off, maintenance, unavailable).

use actix_web::{HttpResponse, delete, get, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::RequestContext;
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::schedule::{TimeRange, check_ranges};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::{IntoParams, ToSchema};

use crate::entities::{blocked_times, date_overrides};
use crate::events::BookablesEvent;
use crate::model::{name_of, parse_name};
use crate::{READ, WRITE, repo};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateOverrideType {
    /// Closed all day.
    Closed,
    /// Open only during `hours` that day.
    ModifiedHours,
    /// Usual hours at `pricing_multiplier` × the usual price.
    SpecialPricing,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2031-12-24", "type": "modified_hours", "hours": [{"start": "09:00", "end": "13:00"}], "reason": "Christmas Eve"}))]
pub struct DateOverrideInput {
    /// A local date in the calendar's zone.
    pub date: NaiveDate,
    #[serde(rename = "type")]
    pub override_type: DateOverrideType,
    /// With `modified_hours`: the day's local ranges.
    #[serde(default)]
    pub hours: Vec<TimeRange>,
    /// With `special_pricing`: more than 0, at most 10.
    #[schema(value_type = Option<String>, example = "1.5")]
    pub pricing_multiplier: Option<Decimal>,
    pub reason: Option<String>,
}

fn check_reason(path: &str, reason: Option<&String>, errors: &mut Vec<FieldError>) {
    if reason.is_some_and(|r| r.trim().is_empty() || r.chars().count() > 500) {
        errors.push(FieldError::new(path, "must be 1–500 characters"));
    }
}

impl DateOverrideInput {
    pub fn check(&self, path: &str, errors: &mut Vec<FieldError>) {
        match self.override_type {
            DateOverrideType::ModifiedHours if self.hours.is_empty() => {
                errors.push(FieldError::new(format!("{path}hours"), "modified_hours needs at least one range"))
            }
            DateOverrideType::ModifiedHours => check_ranges(&format!("{path}hours"), &self.hours, errors),
            _ if !self.hours.is_empty() => {
                errors.push(FieldError::new(format!("{path}hours"), "only with modified_hours"))
            }
            _ => {}
        }
        match (self.override_type, self.pricing_multiplier) {
            (DateOverrideType::SpecialPricing, Some(m)) if m > Decimal::ZERO && m <= Decimal::TEN => {}
            (DateOverrideType::SpecialPricing, _) => errors.push(FieldError::new(
                format!("{path}pricing_multiplier"),
                "special_pricing needs a multiplier more than 0 and at most 10",
            )),
            (_, Some(_)) => {
                errors.push(FieldError::new(format!("{path}pricing_multiplier"), "only with special_pricing"))
            }
            (_, None) => {}
        }
        check_reason(&format!("{path}reason"), self.reason.as_ref(), errors);
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DateOverrideView {
    pub id: Uuid,
    pub bookable_id: Uuid,
    #[serde(flatten)]
    pub input: DateOverrideInput,
    pub created_at: DateTime<Utc>,
}

fn override_view(m: &date_overrides::Model) -> Result<DateOverrideView, ApiError> {
    Ok(DateOverrideView {
        id: m.id,
        bookable_id: m.bookable_id,
        input: DateOverrideInput {
            date: m.date,
            override_type: parse_name(&m.override_type).ok_or_else(|| ApiError::internal("override type"))?,
            hours: serde_json::from_value(m.hours.clone()).map_err(ApiError::internal)?,
            pricing_multiplier: m
                .pricing_multiplier
                .as_deref()
                .map(Decimal::from_str)
                .transpose()
                .map_err(ApiError::internal)?,
            reason: m.reason.clone(),
        },
        created_at: m.created_at,
    })
}

/// Adds a checked override to `bookable` and records it.
pub async fn add_override(
    tx: &TenantTx,
    actor: &AuditActor,
    bookable: Uuid,
    input: &DateOverrideInput,
) -> Result<DateOverrideView, ApiError> {
    let m = date_overrides::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        bookable_id: Set(bookable),
        date: Set(input.date),
        override_type: Set(name_of(&input.override_type)),
        hours: Set(serde_json::to_value(&input.hours).map_err(ApiError::internal)?),
        pricing_multiplier: Set(input.pricing_multiplier.map(|d| d.normalize().to_string())),
        reason: Set(input.reason.clone()),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::new(ErrorCode::Conflict).with_detail("this date already has an override")
        }
        _ => ApiError::from(e),
    })?;
    let view = override_view(&m)?;
    let after = serde_json::to_value(&view).ok();
    audit::record(
        tx,
        actor,
        Change::new(BookablesEvent::BookableDateOverrideAdded, "bookable_date_override", m.id, None, after),
    )
    .await?;
    Ok(view)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateRange {
    /// First local date included.
    pub from: Option<NaiveDate>,
    /// Last local date included.
    pub to: Option<NaiveDate>,
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path), DateRange),
    responses((status = 200, body = Vec<DateOverrideView>)))]
#[get("/bookables/{id}/date-overrides")]
pub async fn bookable_date_overrides_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    range: web::Query<DateRange>,
) -> Result<web::Json<Vec<DateOverrideView>>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let b = repo::find(&tx, *id).await?;
    let mut q = date_overrides::Entity::find()
        .filter(date_overrides::Column::TenantId.eq(ctx.tenant_id().0))
        .filter(date_overrides::Column::BookableId.eq(b.id));
    if let Some(from) = range.from {
        q = q.filter(date_overrides::Column::Date.gte(from));
    }
    if let Some(to) = range.to {
        q = q.filter(date_overrides::Column::Date.lte(to));
    }
    let rows = q.order_by_asc(date_overrides::Column::Date).limit(1000).all(tx.conn()).await?;
    Ok(web::Json(rows.iter().map(override_view).collect::<Result<_, _>>()?))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body = DateOverrideInput, responses((status = 201, body = DateOverrideView)))]
#[post("/bookables/{id}/date-overrides")]
pub async fn bookable_date_overrides_create(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<DateOverrideInput>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let input = body.into_inner();
    let mut errors = Vec::new();
    input.check("", &mut errors);
    let tx = ctx.write().await?;
    let b = repo::find(&tx, *id).await?;
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let view = add_override(&tx, &AuditActor::of(&ctx), b.id, &input).await?;
    tx.commit().await?;
    Ok(atrium_core::http::created(format!("/v1/bookables/{}/date-overrides/{}", b.id, view.id), &view, None))
}

async fn find_override(tx: &TenantTx, bookable: Uuid, id: Uuid) -> Result<date_overrides::Model, ApiError> {
    date_overrides::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(date_overrides::Column::BookableId.eq(bookable))
        .one(tx.conn())
        .await?
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("override_id" = Uuid, Path)), responses((status = 200, body = DateOverrideView)))]
#[get("/bookables/{id}/date-overrides/{override_id}")]
pub async fn bookable_date_overrides_get(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<DateOverrideView>, ApiError> {
    ctx.require(READ)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.read().await?;
    let b = repo::find(&tx, bookable).await?;
    Ok(web::Json(override_view(&find_override(&tx, b.id, id).await?)?))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("override_id" = Uuid, Path)), responses((status = 204, description = "Removed")))]
#[delete("/bookables/{id}/date-overrides/{override_id}")]
pub async fn bookable_date_overrides_delete(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.write().await?;
    let b = repo::find(&tx, bookable).await?;
    let m = find_override(&tx, b.id, id).await?;
    let before = serde_json::to_value(override_view(&m)?).ok();
    date_overrides::Entity::delete_by_id((ctx.tenant_id().0, m.id)).exec(tx.conn()).await?;
    let change = Change::new(BookablesEvent::BookableDateOverrideRemoved, "bookable_date_override", m.id, before, None);
    audit::record(&tx, &AuditActor::of(&ctx), change).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockedTimeType {
    TimeOff,
    Maintenance,
    Unavailable,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"start_at": "2031-08-01T00:00:00Z", "end_at": "2031-08-15T00:00:00Z", "type": "time_off", "reason": "Summer holiday"}))]
pub struct BlockedTimeInput {
    pub start_at: DateTime<Utc>,
    /// After `start_at`, at most 366 days later.
    pub end_at: DateTime<Utc>,
    #[serde(rename = "type")]
    pub block_type: BlockedTimeType,
    pub reason: Option<String>,
    /// Whether staff may still book over it.
    #[serde(default)]
    pub allow_override: bool,
}

impl BlockedTimeInput {
    pub fn check(&self, path: &str, errors: &mut Vec<FieldError>) {
        if self.end_at <= self.start_at {
            errors.push(FieldError::new(format!("{path}end_at"), "must be after start_at"));
        } else if self.end_at - self.start_at > chrono::Duration::days(366) {
            errors.push(FieldError::new(format!("{path}end_at"), "must be at most 366 days after start_at"));
        }
        check_reason(&format!("{path}reason"), self.reason.as_ref(), errors);
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedTimeView {
    pub id: Uuid,
    pub bookable_id: Uuid,
    #[serde(flatten)]
    pub input: BlockedTimeInput,
    pub created_at: DateTime<Utc>,
}

fn blocked_view(m: &blocked_times::Model) -> Result<BlockedTimeView, ApiError> {
    Ok(BlockedTimeView {
        id: m.id,
        bookable_id: m.bookable_id,
        input: BlockedTimeInput {
            start_at: m.start_at,
            end_at: m.end_at,
            block_type: parse_name(&m.block_type).ok_or_else(|| ApiError::internal("blocked time type"))?,
            reason: m.reason.clone(),
            allow_override: m.allow_override,
        },
        created_at: m.created_at,
    })
}

/// Adds a checked blocked time to `bookable` and records it.
pub async fn add_blocked_time(
    tx: &TenantTx,
    actor: &AuditActor,
    bookable: Uuid,
    input: &BlockedTimeInput,
) -> Result<BlockedTimeView, ApiError> {
    let m = blocked_times::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        bookable_id: Set(bookable),
        start_at: Set(input.start_at),
        end_at: Set(input.end_at),
        block_type: Set(name_of(&input.block_type)),
        reason: Set(input.reason.clone()),
        allow_override: Set(input.allow_override),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    let view = blocked_view(&m)?;
    let after = serde_json::to_value(&view).ok();
    audit::record(tx, actor, Change::new(BookablesEvent::BookableBlockedTimeAdded, "blocked_time", m.id, None, after))
        .await?;
    Ok(view)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstantRange {
    /// Blocks ending after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Blocks starting before this instant.
    pub to: Option<DateTime<Utc>>,
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path), InstantRange),
    responses((status = 200, body = Vec<BlockedTimeView>)))]
#[get("/bookables/{id}/blocked-times")]
pub async fn blocked_times_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    range: web::Query<InstantRange>,
) -> Result<web::Json<Vec<BlockedTimeView>>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let b = repo::find(&tx, *id).await?;
    let mut q = blocked_times::Entity::find()
        .filter(blocked_times::Column::TenantId.eq(ctx.tenant_id().0))
        .filter(blocked_times::Column::BookableId.eq(b.id));
    if let Some(from) = range.from {
        q = q.filter(blocked_times::Column::EndAt.gt(from));
    }
    if let Some(to) = range.to {
        q = q.filter(blocked_times::Column::StartAt.lt(to));
    }
    let rows = q.order_by_asc(blocked_times::Column::StartAt).limit(1000).all(tx.conn()).await?;
    Ok(web::Json(rows.iter().map(blocked_view).collect::<Result<_, _>>()?))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body = BlockedTimeInput, responses((status = 201, body = BlockedTimeView)))]
#[post("/bookables/{id}/blocked-times")]
pub async fn blocked_times_create(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<BlockedTimeInput>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let input = body.into_inner();
    let mut errors = Vec::new();
    input.check("", &mut errors);
    let tx = ctx.write().await?;
    let b = repo::find(&tx, *id).await?;
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let view = add_blocked_time(&tx, &AuditActor::of(&ctx), b.id, &input).await?;
    tx.commit().await?;
    Ok(atrium_core::http::created(format!("/v1/bookables/{}/blocked-times/{}", b.id, view.id), &view, None))
}

async fn find_blocked(tx: &TenantTx, bookable: Uuid, id: Uuid) -> Result<blocked_times::Model, ApiError> {
    blocked_times::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(blocked_times::Column::BookableId.eq(bookable))
        .one(tx.conn())
        .await?
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("blocked_time_id" = Uuid, Path)), responses((status = 200, body = BlockedTimeView)))]
#[get("/bookables/{id}/blocked-times/{blocked_time_id}")]
pub async fn blocked_times_get(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<BlockedTimeView>, ApiError> {
    ctx.require(READ)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.read().await?;
    let b = repo::find(&tx, bookable).await?;
    Ok(web::Json(blocked_view(&find_blocked(&tx, b.id, id).await?)?))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("blocked_time_id" = Uuid, Path)), responses((status = 204, description = "Removed")))]
#[delete("/bookables/{id}/blocked-times/{blocked_time_id}")]
pub async fn blocked_times_delete(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.write().await?;
    let b = repo::find(&tx, bookable).await?;
    let m = find_blocked(&tx, b.id, id).await?;
    let before = serde_json::to_value(blocked_view(&m)?).ok();
    blocked_times::Entity::delete_by_id((ctx.tenant_id().0, m.id)).exec(tx.conn()).await?;
    let change = Change::new(BookablesEvent::BookableBlockedTimeRemoved, "blocked_time", m.id, before, None);
    audit::record(&tx, &AuditActor::of(&ctx), change).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
