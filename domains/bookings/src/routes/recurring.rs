//! `/v1/recurring-rules`: a service booked again and again — daily, weekly or monthly, with
//! exceptions. Creating a rule books its occurrences up to a horizon (its end, or 90 days
//! ahead, whichever is first), each through the one booking path; an occurrence whose slot
//! is not free is reported as a `conflict` and the others are booked all the same. The
//! series itself is [`crate::series`].

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use chrono::Utc;
use uuid::Uuid;

use crate::model::recurring::{RecurringRuleCreate, RecurringRuleView};
use crate::ownership::{self, Access, owner};
use crate::{READ, WRITE, repo, series};

/// Creates a recurring rule and books its occurrences up to the horizon (its end, or 90
/// days ahead): each is `booked`, a `conflict` (its slot is not free; the others are booked
/// regardless) or `skipped` by an exception.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), request_body = RecurringRuleCreate,
    responses((status = 201, body = RecurringRuleView)))]
#[post("/recurring-rules")]
pub async fn recurring_rules_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<RecurringRuleCreate>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let now = Utc::now();
    let input = body.into_inner();
    // The input's own checks hold no lock: a huge body is refused before the transaction.
    let parsed = series::parse_rule(&input, now);
    let tx = ctx.write().await?;
    let reach = ownership::reach(&tx, &scope, Access::Write).await?;
    let v = series::create(&ctx, &tx, dir.get_ref(), input, parsed, &reach, now).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/recurring-rules/{}", v.id), &v, Some(v.version)))
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:read"]), ("api_key" = ["bookings:read"])), params(ListQuery),
    responses((status = 200, body = Page<RecurringRuleView>)))]
#[get("/recurring-rules")]
pub async fn recurring_rules_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<RecurringRuleView>>, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let rows = repo::recurring::page(&tx, query.cursor()?, limit, owner(&scope)).await?;
    let views = repo::recurring::views(&tx, &rows).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:read"]), ("api_key" = ["bookings:read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = RecurringRuleView)))]
#[get("/recurring-rules/{id}")]
pub async fn recurring_rules_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(READ)?;
    let tx = ctx.read().await?;
    let r = repo::recurring::find_owned(&tx, *id, owner(&scope)).await?;
    Ok(ok_versioned(&repo::recurring::view(&tx, &r).await?, r.version))
}

/// Cancels the rule: it books nothing more, and its bookings still ahead (pending
/// approval, pending or confirmed) are cancelled as if one by one, refunds included.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = ["bookings:write"]), ("api_key" = ["bookings:write"])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Cancelled")))]
#[delete("/recurring-rules/{id}")]
pub async fn recurring_rules_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = ctx.require_scoped(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let r = repo::recurring::find_owned(&tx, *id, owner(&scope)).await?;
    check_if_match(&req, r.version)?;
    let reach = ownership::reach(&tx, &scope, Access::Write).await?;
    series::cancel(&ctx, &tx, r, &reach, now).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
