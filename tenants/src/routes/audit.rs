//! `GET /v1/audit-log`: the tenant's append-only record of changes, newest first.

use actix_web::{get, web};
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::http::{ListQuery, Page};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::AuditFilter;
use crate::{perm, repo};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// `user`, `api_key` or `system`.
    #[schema(example = "user")]
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    #[schema(example = "member.updated")]
    pub action: String,
    #[schema(example = "membership")]
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
}

#[utoipa::path(tag = "audit", security(("bearer_jwt" = ["tenants:audit_read"]), ("api_key" = ["tenants:audit_read"])), params(ListQuery, AuditFilter),
    responses((status = 200, body = Page<AuditEntryView>)))]
#[get("/audit-log")]
pub async fn audit_log_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<AuditFilter>,
) -> Result<web::Json<Page<AuditEntryView>>, ApiError> {
    ctx.require(perm::AUDIT_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let rows = repo::audit_page(&tx, query.cursor()?, limit, &filter).await?;
    let views = rows
        .into_iter()
        .map(|r| AuditEntryView {
            id: r.id,
            occurred_at: r.occurred_at,
            actor_type: r.actor_type,
            actor_id: r.actor_id,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
            request_id: r.request_id,
            client_ip: r.client_ip,
        })
        .collect();
    Ok(web::Json(Page::from_overfetch(views, limit, |e| e.id)))
}
