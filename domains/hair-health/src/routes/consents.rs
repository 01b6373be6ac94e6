//! `/v1/hair-consents`: the caller's consents to stylists.

use actix_web::{HttpResponse, get, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::{Directory, RequestContext, Scope};
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page};

use crate::CONSENTS;
use crate::consents::{self, ConsentGrant, ConsentRevoke, ConsentVersionView, ConsentView, StylistNotes};
use crate::repo;
use crate::routes::reader;

/// Grants a stylist (a member of the tenant) the named field groups of the caller's hair
/// data, optionally until `valid_until`; granting again changes the scope. Each grant is an
/// appended version.
#[utoipa::path(operation_id = "hair_consents_grant", tag = "hair-health", security(("bearer_jwt" = ["hair-health:consents"]), ("api_key" = ["hair-health:consents"])),
    request_body = ConsentGrant, responses((status = 201, body = ConsentView)))]
#[post("/hair-consents")]
pub async fn grant(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<ConsentGrant>,
) -> Result<HttpResponse, ApiError> {
    let r = reader(&ctx, CONSENTS)?;
    let tx = ctx.write().await?;
    let view = consents::grant(&tx, dir.get_ref(), &AuditActor::of(&ctx), r.user, body.into_inner()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

/// Revokes the caller's consent to a stylist: their next read, on any instance, sees nothing.
#[utoipa::path(operation_id = "hair_consents_revoke", tag = "hair-health", security(("bearer_jwt" = ["hair-health:consents"]), ("api_key" = ["hair-health:consents"])),
    request_body = ConsentRevoke, responses((status = 200, body = ConsentView)))]
#[post("/hair-consents/revoke")]
pub async fn revoke(ctx: RequestContext, body: Json<ConsentRevoke>) -> Result<web::Json<ConsentView>, ApiError> {
    let r = reader(&ctx, CONSENTS)?;
    let tx = ctx.write().await?;
    let view = consents::revoke(&tx, &AuditActor::of(&ctx), r.user, body.stylist_user_id).await?;
    tx.commit().await?;
    Ok(web::Json(view))
}

/// A stylist's notes on a client, kept in their consent's context (404 without a live consent).
#[utoipa::path(operation_id = "hair_consents_notes", tag = "hair-health", security(("bearer_jwt" = ["hair-health:consents"]), ("api_key" = ["hair-health:consents"])),
    request_body = StylistNotes, responses((status = 200, body = ConsentView)))]
#[post("/hair-consents/notes")]
pub async fn notes(ctx: RequestContext, body: Json<StylistNotes>) -> Result<web::Json<ConsentView>, ApiError> {
    let r = reader(&ctx, CONSENTS)?;
    let tx = ctx.write().await?;
    let view = consents::set_notes(&tx, r.user, body.into_inner()).await?;
    tx.commit().await?;
    Ok(web::Json(view))
}

fn own(scope: &Scope, user: uuid::Uuid) -> Option<uuid::Uuid> {
    matches!(scope, Scope::Own(_)).then_some(user)
}

/// Consents the caller gave or was given.
#[utoipa::path(operation_id = "hair_consents_list", tag = "hair-health", security(("bearer_jwt" = ["hair-health:consents"]), ("api_key" = ["hair-health:consents"])),
    params(ListQuery), responses((status = 200, body = Page<ConsentView>)))]
#[get("/hair-consents")]
pub async fn list(ctx: RequestContext, query: web::Query<ListQuery>) -> Result<web::Json<Page<ConsentView>>, ApiError> {
    let r = reader(&ctx, CONSENTS)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let rows = repo::consents_page(&tx, own(&r.scope, r.user), query.cursor()?, limit).await?;
    let views = rows.iter().map(ConsentView::of).collect();
    Ok(web::Json(Page::from_overfetch(views, limit, |c: &ConsentView| c.id)))
}

/// Every version of the consents the caller gave or was given (grants, changes, revocations).
#[utoipa::path(operation_id = "hair_consents_history", tag = "hair-health", security(("bearer_jwt" = ["hair-health:consents"]), ("api_key" = ["hair-health:consents"])),
    params(ListQuery), responses((status = 200, body = Page<ConsentVersionView>)))]
#[get("/hair-consents/history")]
pub async fn history(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ConsentVersionView>>, ApiError> {
    let r = reader(&ctx, CONSENTS)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let rows = repo::consent_versions_page(&tx, own(&r.scope, r.user), query.cursor()?, limit).await?;
    let views = rows.iter().map(ConsentVersionView::of).collect();
    Ok(web::Json(Page::from_overfetch(views, limit, |c: &ConsentVersionView| c.id)))
}
