//! `/v1/waitlist`: join the waitlist of a service for a local date (optionally a time
//! range); a freed slot is offered, held for the entry's user, who accepts (booking it)
//! or declines. The entries' operations are in [`crate::waitlist_entries`], the offering
//! in [`crate::waitlist`].

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use chrono::Utc;
use uuid::Uuid;

use crate::model::waitlist::{WaitlistCreate, WaitlistEntryView, WaitlistFilter};
use crate::ownership::{self, Access, owner};
use crate::{READ, WRITE, repo, waitlist_entries};

/// Joins the waitlist of a service for a date: the first matching slot freed is offered,
/// held for the caller until the offer's `offer_expires_at`.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), request_body = WaitlistCreate,
    responses((status = 201, body = WaitlistEntryView)))]
#[post("/waitlist")]
pub async fn waitlist_create(ctx: RequestContext, body: Json<WaitlistCreate>) -> Result<HttpResponse, ApiError> {
    ctx.require_scoped(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let v = waitlist_entries::join(&ctx, &tx, body.into_inner(), now).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/waitlist/{}", v.id), &v, Some(v.version)))
}

/// Waitlist entries, oldest first — which is queue order for each service and date.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:read"]), ("api_key" = ["bookings:read"])), params(ListQuery, WaitlistFilter),
    responses((status = 200, body = Page<WaitlistEntryView>)))]
#[get("/waitlist")]
pub async fn waitlist_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<WaitlistFilter>,
) -> Result<web::Json<Page<WaitlistEntryView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let limit = query.limit()?;
    let now = Utc::now();
    let tx = ctx.read().await?;
    let rows = repo::waitlist::page(&tx, query.cursor()?, limit, owner(&scope), &filter, now).await?;
    let views = repo::waitlist::views(&tx, &rows, now).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:read"]), ("api_key" = ["bookings:read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WaitlistEntryView)))]
#[get("/waitlist/{id}")]
pub async fn waitlist_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    let e = repo::waitlist::find_owned(&tx, *id, owner(&scope)).await?;
    Ok(ok_versioned(&repo::waitlist::view(&tx, &e, Utc::now()).await?, e.version))
}

/// Leaves the waitlist; a pending offer is given up and passes to the next entry.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Cancelled")))]
#[delete("/waitlist/{id}")]
pub async fn waitlist_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let e = repo::waitlist::find_owned(&tx, *id, owner(&scope)).await?;
    check_if_match(&req, e.version)?;
    waitlist_entries::leave(&ctx, &tx, e, now).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accepts the offer: the held slot is booked for the entry's user (the caller), with the
/// entry's participants and household — as `POST /v1/bookings` with the hold would.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WaitlistEntryView)))]
#[post("/waitlist/{id}/accept")]
pub async fn waitlist_accept(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let reach = ownership::reach(&tx, &scope, Access::Write).await?;
    let v = waitlist_entries::accept(&ctx, &tx, dir.get_ref(), *id, &reach, now).await?;
    tx.commit().await?;
    let version = v.version;
    Ok(ok_versioned(&v, version))
}

/// Declines the offer: the entry leaves the waitlist (`cancelled`) and the slot passes to
/// the next matching entry.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WaitlistEntryView)))]
#[post("/waitlist/{id}/decline")]
pub async fn waitlist_decline(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let v = waitlist_entries::decline(&ctx, &tx, *id, owner(&scope), now).await?;
    tx.commit().await?;
    let version = v.version;
    Ok(ok_versioned(&v, version))
}
