//! `/v1/bookings`: participants (users, household members, guests), the bookables it
//! occupies, the pricing snapshot of the template's quote, and the status machine with its
//! append-only history. Booking is [`crate::booking`]; its lifecycle [`crate::transitions`].

use actix_web::{HttpResponse, get, post, web};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, created, ok_versioned};
use chrono::Utc;
use uuid::Uuid;

use crate::model::bookings::{
    BookingCreate, BookingFilter, BookingView, CancellationQuoteView, StatusChangeView, TransitionInput,
};
use crate::ownership::{self, Access};
use crate::status::Action;
use crate::{READ, WRITE, booking, repo, transitions};

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:read"]), ("api_key" = ["bookings:read"])), params(ListQuery, BookingFilter),
    responses((status = 200, body = Page<BookingView>)))]
#[get("/bookings")]
pub async fn bookings_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<BookingFilter>,
) -> Result<web::Json<Page<BookingView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let reach = ownership::reach(&tx, &scope, Access::Read).await?;
    let rows = repo::bookings::page(&tx, query.cursor()?, limit, &filter, &reach).await?;
    let views = repo::bookings::views(&tx, &rows).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

/// Books a slot: prices it with the template's quote, checks the participants and the
/// household's rules, occupies the bookables (409 `slot_unavailable` when someone was
/// first), and records the first status.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), request_body = BookingCreate,
    responses((status = 201, body = BookingView)))]
#[post("/bookings")]
pub async fn bookings_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<BookingCreate>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let tx = ctx.write().await?;
    let reach = ownership::reach(&tx, &scope, Access::Write).await?;
    let v = booking::book(&ctx, &tx, dir.get_ref(), body.into_inner(), &reach, Utc::now()).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/bookings/{}", v.id), &v, Some(v.version)))
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:read"]), ("api_key" = ["bookings:read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = BookingView)))]
#[get("/bookings/{id}")]
pub async fn bookings_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    let reach = ownership::reach(&tx, &scope, Access::Read).await?;
    let b = repo::bookings::find(&tx, *id, &reach).await?;
    Ok(ok_versioned(&repo::bookings::view(&tx, &b).await?, b.version))
}

/// Every status the booking went through, oldest first (append-only).
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:read"]), ("api_key" = ["bookings:read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<StatusChangeView>)))]
#[get("/bookings/{id}/history")]
pub async fn bookings_history(
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<StatusChangeView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    let reach = ownership::reach(&tx, &scope, Access::Read).await?;
    let b = repo::bookings::find(&tx, *id, &reach).await?;
    Ok(web::Json(repo::bookings::history(&tx, b.id).await?))
}

/// What cancelling the booking now would give back, and whether the caller may: for a
/// booking page to show the refund before the customer confirms. Changes nothing.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CancellationQuoteView)))]
#[get("/bookings/{id}/cancellation-quote")]
pub async fn bookings_cancellation_quote(
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<web::Json<CancellationQuoteView>, ApiError> {
    // Write scope: the quote is for the caller's own cancelling, over what they may cancel.
    let scope = ctx.require_scoped(WRITE)?;
    let tx = ctx.read().await?;
    let reach = ownership::reach(&tx, &scope, Access::Write).await?;
    Ok(web::Json(transitions::cancellation_quote(&tx, *id, &reach, Utc::now()).await?))
}

/// Moves a booking along one legal transition; 409 `invalid_transition` otherwise.
async fn transition(
    ctx: RequestContext,
    id: Uuid,
    action: Action,
    input: TransitionInput,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    transitions::check_reason(input.reason.as_ref())?;
    let tx = ctx.write().await?;
    let reach = ownership::reach(&tx, &scope, Access::Write).await?;
    let after = transitions::apply(&ctx, &tx, id, action, input.reason, &reach, Utc::now()).await?;
    tx.commit().await?;
    let version = after.version;
    Ok(ok_versioned(&after, version))
}

macro_rules! transition_route {
    ($name:ident, $path:literal, $action:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), params(("id" = Uuid, Path)),
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
