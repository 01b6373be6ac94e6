//! Webhook endpoints of a tenant: where its events are delivered, signed with the
//! endpoint's `whsec_…` secret. Also the event-type catalog, the delivery log, retries
//! and test deliveries.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::RequestContext;
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use atrium_core::plugin::Catalog;
use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::delivery::WebhookSettings;
use crate::events::IntegrationsEvent;
use crate::{WEBHOOKS_READ, WEBHOOKS_WRITE, signing, ssrf};

pub mod endpoints {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_endpoints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub url: String,
        pub description: String,
        pub event_types: Json,
        pub enabled: bool,
        pub secret: String,
        pub previous_secret: Option<String>,
        pub previous_valid_until: Option<DateTimeUtc>,
        pub disabled_reason: Option<String>,
        pub failing_since: Option<DateTimeUtc>,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod deliveries {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub endpoint_id: Uuid,
        pub event_id: Uuid,
        pub state: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub leased_until: Option<DateTimeUtc>,
        pub last_status: Option<i32>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod attempts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub delivery_id: Uuid,
        pub endpoint_id: Uuid,
        pub attempted_at: DateTimeUtc,
        pub status_code: Option<i32>,
        pub error: Option<String>,
        pub latency_ms: i32,
        pub response_excerpt: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Until then the secret before the last rotation signs too.
const ROTATION_OVERLAP_HOURS: i64 = 24;

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointView {
    pub id: Uuid,
    #[schema(example = "https://hooks.example.com/atrium")]
    pub url: String,
    pub description: String,
    /// Event types delivered here; `["*"]` for all.
    #[schema(example = json!(["member.added", "tenant.updated"]))]
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why the platform disabled it (`410 Gone`, failing for days).
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&endpoints::Model> for WebhookEndpointView {
    fn from(e: &endpoints::Model) -> Self {
        Self {
            id: e.id,
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: atrium_core::json::strings(&e.event_types),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            failing_since: e.failing_since,
            previous_secret_valid_until: e.previous_valid_until,
            version: e.version,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// An endpoint with its signing secret (shown at creation and on rotation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpointView,
    /// `whsec_…`: verify deliveries with it (Standard Webhooks).
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/atrium", "event_types": ["*"], "description": "CRM sync"}))]
pub struct WebhookEndpointCreate {
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Event types to deliver, or `["*"]` for all.
    pub event_types: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// Re-enabling clears `disabled_reason`.
    pub enabled: Option<bool>,
}

/// A subscription delivers what the events carry: the caller must be able to read it
/// (every event type's read permission, for `*`).
fn check_subscription(ctx: &RequestContext, catalog: &Catalog, types: &[String]) -> Result<(), ApiError> {
    let all = types.iter().any(|t| t == "*");
    let missing = catalog
        .event_types
        .iter()
        .filter(|e| all || types.iter().any(|t| t == e.name))
        .find(|e| !ctx.principal().permissions.contains(e.read_permission));
    match missing {
        Some(e) => Err(ApiError::new(ErrorCode::Forbidden)
            .with_detail(format!("subscribing to `{}` needs the `{}` permission", e.name, e.read_permission))),
        None => Ok(()),
    }
}

async fn check_fields(
    settings: &WebhookSettings,
    catalog: &Catalog,
    url: Option<&str>,
    event_types: Option<&[String]>,
    description: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let mut errors = Vec::new();
    let mut checked = None;
    if let Some(url) = url {
        match ssrf::check_url(url, settings.allow_private).await {
            Ok(u) => checked = Some(u.to_string()),
            Err(m) => errors.push(FieldError::new("url", m)),
        }
    }
    if let Some(types) = event_types {
        if types.is_empty() {
            errors.push(FieldError::new("event_types", "must name at least one event type, or \"*\""));
        }
        for (i, t) in types.iter().enumerate() {
            if t != "*" && !catalog.event_types.iter().any(|e| e.name == t) && t != "webhook.test" {
                errors.push(FieldError::new(format!("event_types[{i}]"), format!("`{t}` is not an event type")));
            }
        }
    }
    if description.is_some_and(|d| d.chars().count() > 500) {
        errors.push(FieldError::new("description", "must be at most 500 characters"));
    }
    if errors.is_empty() { Ok(checked) } else { Err(ApiError::validation(errors)) }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Registers an endpoint. The answer carries its signing secret.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])), request_body = WebhookEndpointCreate,
    responses((status = 201, body = WebhookEndpointSecret)))]
#[post("/webhook-endpoints")]
pub async fn webhook_endpoints_create(
    ctx: RequestContext,
    settings: web::Data<WebhookSettings>,
    catalog: web::Data<Catalog>,
    body: Json<WebhookEndpointCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let input = body.into_inner();
    let url = check_fields(&settings, &catalog, Some(&input.url), Some(&input.event_types), Some(&input.description))
        .await?
        .unwrap_or_default();
    check_subscription(&ctx, &catalog, &input.event_types)?;
    let secret = signing::new_secret();
    let sealed = settings.sealer.seal(secret.as_bytes()).ok_or_else(|| ApiError::internal("cannot seal the secret"))?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let endpoint = endpoints::ActiveModel {
        tenant_id: Set(ctx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        url: Set(url),
        description: Set(input.description),
        event_types: Set(serde_json::json!(sorted(input.event_types))),
        enabled: Set(input.enabled),
        secret: Set(sealed),
        previous_secret: Set(None),
        previous_valid_until: Set(None),
        disabled_reason: Set(None),
        failing_since: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let view = WebhookEndpointView::from(&endpoint);
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            IntegrationsEvent::WebhookEndpointCreated,
            "webhook_endpoint",
            endpoint.id.to_string(),
            None,
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    let body = WebhookEndpointSecret { endpoint: view, secret };
    Ok(created(format!("/v1/webhook-endpoints/{}", endpoint.id), &body, Some(endpoint.version)))
}

#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery),
    responses((status = 200, body = Page<WebhookEndpointView>)))]
#[get("/webhook-endpoints")]
pub async fn webhook_endpoints_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<WebhookEndpointView>>, ApiError> {
    ctx.require(WEBHOOKS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let mut q = endpoints::Entity::find().filter(endpoints::Column::TenantId.eq(ctx.tenant_id().0));
    if let Some(after) = query.cursor()? {
        q = q.filter(endpoints::Column::Id.gt(after));
    }
    let rows = q.order_by_asc(endpoints::Column::Id).limit(limit + 1).all(tx.conn()).await?;
    Ok(web::Json(Page::from_overfetch(rows.iter().map(WebhookEndpointView::from).collect(), limit, |e| e.id)))
}

pub async fn find_endpoint(tx: &TenantTx, id: Uuid) -> Result<endpoints::Model, ApiError> {
    endpoints::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?.ok_or_else(ApiError::not_found)
}

#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookEndpointView)))]
#[get("/webhook-endpoints/{id}")]
pub async fn webhook_endpoints_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_READ)?;
    let tx = ctx.read().await?;
    let e = find_endpoint(&tx, *id).await?;
    Ok(ok_versioned(&WebhookEndpointView::from(&e), e.version))
}

#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body = WebhookEndpointPatch, responses((status = 200, body = WebhookEndpointView)))]
#[patch("/webhook-endpoints/{id}")]
pub async fn webhook_endpoints_update(
    req: HttpRequest,
    ctx: RequestContext,
    settings: web::Data<WebhookSettings>,
    catalog: web::Data<Catalog>,
    id: web::Path<Uuid>,
    body: Json<WebhookEndpointPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let p = body.into_inner();
    let url =
        check_fields(&settings, &catalog, p.url.as_deref(), p.event_types.as_deref(), p.description.as_deref()).await?;
    let tx = ctx.write().await?;
    let e = find_endpoint(&tx, *id).await?;
    check_if_match(&req, e.version)?;
    let before = WebhookEndpointView::from(&e);
    let version = e.version + 1;
    let mut am = e.into_active_model();
    if let Some(url) = url {
        am.url = Set(url);
    }
    if let Some(d) = p.description {
        am.description = Set(d);
    }
    if let Some(t) = p.event_types {
        am.event_types = Set(serde_json::json!(sorted(t)));
    }
    if let Some(enabled) = p.enabled {
        am.enabled = Set(enabled);
        if enabled {
            am.disabled_reason = Set(None);
            am.failing_since = Set(None);
        }
    }
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    let e = am.update(tx.conn()).await?;
    let view = WebhookEndpointView::from(&e);
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            IntegrationsEvent::WebhookEndpointUpdated,
            "webhook_endpoint",
            e.id.to_string(),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(ok_versioned(&view, e.version))
}

/// Deletes an endpoint with its delivery log.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
#[delete("/webhook-endpoints/{id}")]
pub async fn webhook_endpoints_delete(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let tx = ctx.write().await?;
    let e = find_endpoint(&tx, *id).await?;
    let tenant = ctx.tenant_id().0;
    attempts::Entity::delete_many()
        .filter(attempts::Column::TenantId.eq(tenant))
        .filter(attempts::Column::EndpointId.eq(e.id))
        .exec(tx.conn())
        .await?;
    deliveries::Entity::delete_many()
        .filter(deliveries::Column::TenantId.eq(tenant))
        .filter(deliveries::Column::EndpointId.eq(e.id))
        .exec(tx.conn())
        .await?;
    endpoints::Entity::delete_by_id((tenant, e.id)).exec(tx.conn()).await?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            IntegrationsEvent::WebhookEndpointDeleted,
            "webhook_endpoint",
            e.id.to_string(),
            serde_json::to_value(WebhookEndpointView::from(&e)).ok(),
            None,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issues a new signing secret; for 24 hours deliveries carry signatures by both.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookEndpointSecret)))]
#[post("/webhook-endpoints/{id}/rotate-secret")]
pub async fn webhook_endpoints_rotate_secret(
    ctx: RequestContext,
    settings: web::Data<WebhookSettings>,
    id: web::Path<Uuid>,
) -> Result<web::Json<WebhookEndpointSecret>, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let secret = signing::new_secret();
    let sealed = settings.sealer.seal(secret.as_bytes()).ok_or_else(|| ApiError::internal("cannot seal the secret"))?;
    let tx = ctx.write().await?;
    let e = find_endpoint(&tx, *id).await?;
    let version = e.version + 1;
    let old = e.secret.clone();
    let mut am = e.into_active_model();
    am.previous_secret = Set(Some(old));
    am.previous_valid_until = Set(Some(Utc::now() + Duration::hours(ROTATION_OVERLAP_HOURS)));
    am.secret = Set(sealed);
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    let e = am.update(tx.conn()).await?;
    let view = WebhookEndpointView::from(&e);
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            IntegrationsEvent::WebhookEndpointSecretRotated,
            "webhook_endpoint",
            e.id.to_string(),
            None,
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(WebhookEndpointSecret { endpoint: view, secret }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status; `null` when no answer came (refused, timed out).
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub latency_ms: i32,
    /// The start of the receiver's answer.
    pub response_excerpt: Option<String>,
}

/// Every delivery attempt to this endpoint, newest first.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path), ListQuery),
    responses((status = 200, body = Page<AttemptView>)))]
#[get("/webhook-endpoints/{id}/deliveries")]
pub async fn webhook_endpoints_deliveries(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<AttemptView>>, ApiError> {
    ctx.require(WEBHOOKS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let e = find_endpoint(&tx, *id).await?;
    let mut q = attempts::Entity::find()
        .filter(attempts::Column::TenantId.eq(ctx.tenant_id().0))
        .filter(attempts::Column::EndpointId.eq(e.id));
    if let Some(before) = query.cursor()? {
        q = q.filter(attempts::Column::Id.lt(before));
    }
    let rows = q.order_by_desc(attempts::Column::Id).limit(limit + 1).all(tx.conn()).await?;
    let views = rows
        .into_iter()
        .map(|a| AttemptView {
            id: a.id,
            delivery_id: a.delivery_id,
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            error: a.error,
            latency_ms: a.latency_ms,
            response_excerpt: a.response_excerpt,
        })
        .collect();
    Ok(web::Json(Page::from_overfetch(views, limit, |a| a.id)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    /// `evt_…`
    pub event_id: String,
    /// `pending`, `succeeded` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
}

impl From<&deliveries::Model> for DeliveryView {
    fn from(d: &deliveries::Model) -> Self {
        Self {
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_id: atrium_core::events::public_id(d.event_id),
            state: d.state.clone(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<Uuid>,
    /// `pending`, `succeeded` or `failed`.
    pub state: Option<String>,
}

/// Deliveries, newest first.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery, DeliveryFilter),
    responses((status = 200, body = Page<DeliveryView>)))]
#[get("/webhook-deliveries")]
pub async fn webhook_deliveries_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<DeliveryFilter>,
) -> Result<web::Json<Page<DeliveryView>>, ApiError> {
    ctx.require(WEBHOOKS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let mut q = deliveries::Entity::find().filter(deliveries::Column::TenantId.eq(ctx.tenant_id().0));
    if let Some(before) = query.cursor()? {
        q = q.filter(deliveries::Column::Id.lt(before));
    }
    if let Some(endpoint) = filter.endpoint_id {
        q = q.filter(deliveries::Column::EndpointId.eq(endpoint));
    }
    if let Some(state) = &filter.state {
        q = q.filter(deliveries::Column::State.eq(state.as_str()));
    }
    let rows = q.order_by_desc(deliveries::Column::Id).limit(limit + 1).all(tx.conn()).await?;
    Ok(web::Json(Page::from_overfetch(rows.iter().map(DeliveryView::from).collect(), limit, |d| d.id)))
}

/// Delivers again now (a failed delivery gets a new round of attempts).
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 202, body = DeliveryView)))]
#[post("/webhook-deliveries/{id}/retry")]
pub async fn webhook_deliveries_retry(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let tx = ctx.write().await?;
    let d = deliveries::Entity::find_by_id((ctx.tenant_id().0, *id))
        .one(tx.conn())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut am = d.into_active_model();
    am.state = Set("pending".into());
    am.attempts = Set(0);
    am.next_attempt_at = Set(Utc::now());
    am.leased_until = Set(None);
    am.updated_at = Set(Utc::now());
    let d = am.update(tx.conn()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(&d)))
}

/// Sends a `webhook.test` event to this endpoint only.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 202, body = DeliveryView)))]
#[post("/webhook-endpoints/{id}/test")]
pub async fn webhook_endpoints_test(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(WEBHOOKS_WRITE)?;
    let tx = ctx.write().await?;
    let e = find_endpoint(&tx, *id).await?;
    if !e.enabled {
        return Err(ApiError::new(ErrorCode::Conflict).with_detail("the endpoint is disabled"));
    }
    let now = Utc::now();
    let event_id = Uuid::now_v7();
    atrium_core::events::entity::ActiveModel {
        tenant_id: Set(ctx.tenant_id().0),
        id: Set(event_id),
        event_type: Set("webhook.test".into()),
        data: Set(serde_json::json!({"endpoint_id": e.id, "message": "This is a test delivery from Atrium."})),
        occurred_at: Set(now),
        // Already dispatched: it goes to this endpoint only.
        dispatched_at: Set(Some(now)),
        leased_until: Set(None),
    }
    .insert(tx.conn())
    .await?;
    let d = new_delivery(ctx.tenant_id().0, e.id, event_id).into_active_model().insert(tx.conn()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(&d)))
}

pub fn new_delivery(tenant: Uuid, endpoint: Uuid, event: Uuid) -> deliveries::Model {
    let now = Utc::now();
    deliveries::Model {
        tenant_id: tenant,
        id: Uuid::now_v7(),
        endpoint_id: endpoint,
        event_id: event,
        state: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        leased_until: None,
        last_status: None,
        created_at: now,
        updated_at: now,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventTypeView {
    #[schema(example = "member.added")]
    pub name: &'static str,
    pub description: &'static str,
    /// JSON schema of the event's `data`.
    #[schema(value_type = Object)]
    pub data_schema: serde_json::Value,
}

/// Every event type this server can emit, with the JSON schema of its `data`.
#[utoipa::path(tag = "webhooks", security(("bearer_jwt" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<EventTypeView>)))]
#[get("/event-types")]
pub async fn event_types_list(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
) -> Result<web::Json<Vec<EventTypeView>>, ApiError> {
    ctx.require(WEBHOOKS_READ)?;
    Ok(web::Json(
        catalog
            .event_types
            .iter()
            .map(|e| EventTypeView {
                name: e.name,
                description: e.description,
                data_schema: serde_json::to_value(&e.data_schema).unwrap_or_default(),
            })
            .collect(),
    ))
}
