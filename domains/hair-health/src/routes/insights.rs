//! `/v1/hair-insights`: generated, explained, dismissed.

use actix_web::{get, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::insights::{self, Explanation, GenerateRequest, GenerateResult, InsightView};
use crate::routes::reader;
use crate::{INSIGHTS_READ, INSIGHTS_WRITE};

/// Runs every rule for the caller at `as_of` (default now) and stores what fires; running
/// again on the same inputs adds nothing.
#[utoipa::path(operation_id = "hair_insights_generate", tag = "hair-health", security(("bearer_jwt" = ["hair-health:insights_write"]), ("api_key" = ["hair-health:insights_write"])),
    request_body = GenerateRequest, responses((status = 200, body = GenerateResult)))]
#[post("/hair-insights/generate")]
pub async fn generate(ctx: RequestContext, body: Json<GenerateRequest>) -> Result<web::Json<GenerateResult>, ApiError> {
    let r = reader(&ctx, INSIGHTS_WRITE)?;
    let as_of = body.as_of.unwrap_or_else(Utc::now);
    let tx = ctx.write().await?;
    crate::booking_sync::sync(&tx).await?;
    let result = insights::generate(&tx, &AuditActor::of(&ctx), r.user, as_of).await?;
    tx.commit().await?;
    Ok(web::Json(result))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    /// One of `rest_after_high_load`, `moisture_need`, `protein_need`, `wash_day_reminder`,
    /// `recovery_window`, `stylist_prep`.
    #[param(required = true)]
    pub rule: Option<String>,
    /// Default: now.
    pub as_of: Option<DateTime<Utc>>,
}

/// Why a rule did or did not fire for the caller: its facts, thresholds and trace.
#[utoipa::path(operation_id = "hair_insights_explain", tag = "hair-health", security(("bearer_jwt" = ["hair-health:insights_read"]), ("api_key" = ["hair-health:insights_read"])),
    params(ExplainQuery), responses((status = 200, body = Explanation)))]
#[get("/hair-insights/explain")]
pub async fn explain(ctx: RequestContext, q: web::Query<ExplainQuery>) -> Result<web::Json<Explanation>, ApiError> {
    let r = reader(&ctx, INSIGHTS_READ)?;
    // Required (the spec says so); checked after the permission, so a caller without it
    // learns nothing about the parameters.
    let rule = q
        .rule
        .as_deref()
        .ok_or_else(|| ApiError::validation(vec![atrium_core::error::FieldError::new("rule", "is required")]))?;
    let tx = ctx.write().await?;
    crate::booking_sync::sync(&tx).await?;
    let explanation = insights::explain(&tx, r.user, rule, q.as_of.unwrap_or_else(Utc::now)).await?;
    tx.commit().await?;
    Ok(web::Json(explanation))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InsightFilter {
    #[serde(default)]
    pub include_dismissed: bool,
}

/// The caller's insights (a stylist also sees consenting clients' insights built only from
/// shared fields, when the consent shares `insights`).
#[utoipa::path(operation_id = "hair_insights_list", tag = "hair-health", security(("bearer_jwt" = ["hair-health:insights_read"]), ("api_key" = ["hair-health:insights_read"])),
    params(ListQuery, InsightFilter), responses((status = 200, body = Page<InsightView>)))]
#[get("/hair-insights")]
pub async fn list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    f: web::Query<InsightFilter>,
) -> Result<web::Json<Page<InsightView>>, ApiError> {
    let r = reader(&ctx, INSIGHTS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let views = insights::list(&tx, &r, query.cursor()?, limit, f.include_dismissed).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

#[utoipa::path(operation_id = "hair_insights_get", tag = "hair-health", security(("bearer_jwt" = ["hair-health:insights_read"]), ("api_key" = ["hair-health:insights_read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = InsightView)))]
#[get("/hair-insights/{id}")]
pub async fn get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<InsightView>, ApiError> {
    let r = reader(&ctx, INSIGHTS_READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(InsightView::of(&insights::find(&tx, &r, *id).await?)))
}

/// Dismisses one of the caller's insights (again: no change).
#[utoipa::path(operation_id = "hair_insights_dismiss", tag = "hair-health", security(("bearer_jwt" = ["hair-health:insights_write"]), ("api_key" = ["hair-health:insights_write"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = InsightView)))]
#[post("/hair-insights/{id}/dismiss")]
pub async fn dismiss(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<InsightView>, ApiError> {
    let r = reader(&ctx, INSIGHTS_WRITE)?;
    let tx = ctx.write().await?;
    let i = insights::find(&tx, &r, *id).await?;
    if i.user_id != r.user && matches!(r.scope, atrium_core::context::Scope::Own(_)) {
        return Err(ApiError::not_found());
    }
    let view = insights::dismiss(&tx, &AuditActor::of(&ctx), i).await?;
    tx.commit().await?;
    Ok(web::Json(view))
}
