//! `GET /v1/audit-log`: the tenant's append-only record of changes, newest first.

use actix_web::{get, web};
use atrium_core::audit::entity;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::http::{ListQuery, Page};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::perm;

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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<Uuid>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub to: Option<DateTime<Utc>>,
}

#[utoipa::path(tag = "audit", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery, AuditFilter),
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
    let mut q = entity::Entity::find().filter(entity::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(cursor) = query.cursor()? {
        q = q.filter(entity::Column::Id.lt(cursor));
    }
    if let Some(v) = &filter.action {
        q = q.filter(entity::Column::Action.eq(v.as_str()));
    }
    if let Some(v) = &filter.entity_type {
        q = q.filter(entity::Column::EntityType.eq(v.as_str()));
    }
    if let Some(v) = &filter.entity_id {
        q = q.filter(entity::Column::EntityId.eq(v.as_str()));
    }
    if let Some(v) = filter.actor_id {
        q = q.filter(entity::Column::ActorId.eq(v));
    }
    if let Some(v) = filter.from {
        q = q.filter(entity::Column::OccurredAt.gte(v));
    }
    if let Some(v) = filter.to {
        q = q.filter(entity::Column::OccurredAt.lt(v));
    }
    let rows = q.order_by_desc(entity::Column::Id).limit(limit + 1).all(tx.conn()).await?;
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
