//! `GET /v1/availability`: bookable slots of a service template in a window.

use actix_web::{get, web};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode};
use atrium_service_templates::quote::QuoteRequest;
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::READ;
use crate::availability::search;
use crate::engine::{Ask, inputs, load_template, within_reach};

/// The widest window one search covers.
const MAX_WINDOW_DAYS: i64 = 62;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    pub service_template_id: Uuid,
    /// Slots starting at or after this instant (RFC 3339).
    pub from: DateTime<Utc>,
    /// …and before this one; at most 62 days after `from`.
    pub to: DateTime<Utc>,
    /// Only this bookable for the template's primary requirement.
    pub bookable_id: Option<Uuid>,
    /// Only bookables at this location.
    pub location_id: Option<Uuid>,
    /// For variable-length services.
    pub duration_minutes: Option<u32>,
    /// For multi-day services.
    pub nights: Option<u32>,
    /// Seats needed (classes), 1 by default.
    pub participants: Option<u32>,
}

/// One bookable slot.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Per required bookable of the template (in its order): the bookables free for this slot.
    pub options: Vec<Vec<Uuid>>,
    /// Classes only: seats left in the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats_left: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    pub service_template_id: Uuid,
    pub duration_minutes: u32,
    pub slots: Vec<SlotView>,
}

/// Slots of a service template between `from` and `to`: each candidate bookable's calendar
/// in its own time zone (weekly pattern, date overrides, blocked times), minus existing
/// bookings and live holds with their buffers, setup/teardown and rest, within each
/// bookable's booking window and daily limit; every required bookable free at once.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(AvailabilityQuery),
    responses((status = 200, body = AvailabilityView)))]
#[get("/availability")]
pub async fn availability_search(
    ctx: RequestContext,
    query: web::Query<AvailabilityQuery>,
) -> Result<web::Json<AvailabilityView>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(find_slots(&tx, query.into_inner(), false).await?))
}

/// The same search for a customer-facing booking page: no credentials, the tenant named
/// by its slug, active templates only.
#[utoipa::path(tag = "public", params(("tenant_slug" = String, Path, example = "acme-salon"), AvailabilityQuery),
    responses((status = 200, body = AvailabilityView)))]
#[get("/public/{tenant_slug}/availability")]
pub async fn public_availability_search(
    slug: web::Path<String>,
    query: web::Query<AvailabilityQuery>,
    db: web::Data<DatabaseConnection>,
    dir: web::Data<dyn Directory>,
) -> Result<web::Json<AvailabilityView>, ApiError> {
    let (tenant, plugins) = dir.public_tenant(db.get_ref(), &slug).await?.ok_or_else(ApiError::not_found)?;
    if !plugins.iter().any(|p| p == "bookings") {
        return Err(ApiError::new(ErrorCode::PluginDisabled).with_detail("the bookings plugin is off for this tenant"));
    }
    let tx = TenantTx::begin(db.get_ref(), tenant, false).await?;
    Ok(web::Json(find_slots(&tx, query.into_inner(), true).await?))
}

async fn find_slots(tx: &TenantTx, q: AvailabilityQuery, active_only: bool) -> Result<AvailabilityView, ApiError> {
    if q.to <= q.from || q.to - q.from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(ApiError::new(ErrorCode::InvalidParameter)
            .with_detail(format!("`to` must be after `from`, by at most {MAX_WINDOW_DAYS} days")));
    }
    let now = Utc::now();
    within_reach("from", q.from, now)?;
    within_reach("to", q.to, now)?;
    let template = load_template(tx, q.service_template_id, "service_template_id").await?;
    if active_only {
        template.must_be_active("service_template_id")?;
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
    let slots = search(&inputs.search, &inputs.calendars, &inputs.existing)
        .into_iter()
        .map(|s| SlotView { start: s.start, end: s.end, options: s.options, seats_left: s.seats_left })
        .collect();
    Ok(AvailabilityView { service_template_id: template.id, duration_minutes, slots })
}
