//! `GET /v1/availability`: bookable slots of a service template in a window — for the
//! tenant's team and its customers, and without credentials for a public booking page.

use actix_web::{get, web};
use atrium_core::context::{Directory, RequestContext, Scope};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode};
use sea_orm::DatabaseConnection;

use crate::READ;
use crate::model::availability::{AvailabilityQuery, AvailabilityView};
use crate::slots::{self, Limits};

/// Slots of a service template between `from` and `to`: each candidate bookable's calendar
/// in its own time zone (weekly pattern, date overrides, blocked times), minus existing
/// bookings and live holds with their buffers, setup/teardown and rest, within each
/// bookable's booking window and daily limit; every required bookable free at once.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:read"]), ("api_key" = ["bookings:read"])), params(AvailabilityQuery),
    responses((status = 200, body = AvailabilityView)))]
#[get("/availability")]
pub async fn availability_search(
    ctx: RequestContext,
    query: web::Query<AvailabilityQuery>,
) -> Result<web::Json<AvailabilityView>, ApiError> {
    // Availability shows no one's records: any scope of `bookings:read` may search. A
    // customer sees active services only; a location-scoped member, their locations'.
    let scope = ctx.require_scoped(READ)?;
    let limits = match scope {
        Scope::Tenant => Limits::team(None),
        Scope::Locations(ids) => Limits::team(Some(ids)),
        Scope::Own(_) => Limits::customer(),
    };
    let tx = ctx.read().await?;
    Ok(web::Json(slots::find(&tx, query.into_inner(), &limits).await?))
}

/// The same search for a customer-facing booking page: no credentials, the tenant named
/// by its slug, active templates only, a window of at most 31 days and at most 1,000 slots
/// per answer.
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
    Ok(web::Json(slots::find(&tx, query.into_inner(), &Limits::public()).await?))
}
