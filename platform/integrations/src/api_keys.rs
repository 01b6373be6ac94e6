//! API keys: `atr_` + key id (tenant and key) + a high-entropy secret. Shown once, stored
//! as a SHA-256 hash. A key acts for its tenant with its scopes, and never beyond what its
//! creator may do now: its permissions are its scopes ∩ its creator's current ones.
//! Rotation issues a new secret and keeps the old one valid for a stated grace period.

use actix_web::{HttpResponse, get, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::auth;
use atrium_core::context::RequestContext;
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, created};
use atrium_core::ids::{TenantId, UserId};
use atrium_core::plugin::Catalog;
use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::events::IntegrationsEvent;
use crate::{API_KEYS_READ, API_KEYS_WRITE};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub prefix: String,
        pub secret_hash: String,
        pub previous_secret_hash: Option<String>,
        pub previous_valid_until: Option<DateTimeUtc>,
        pub scopes: Json,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub last_used_at: Option<DateTimeUtc>,
        pub expires_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Grace period of the old secret after a rotation, unless the request says otherwise.
pub const DEFAULT_GRACE_SECONDS: u32 = 24 * 3600;
const MAX_GRACE_SECONDS: u32 = 7 * 24 * 3600;
/// `last_used_at` is written at most this often per key, not on every request.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

/// A parsed `atr_<tenant><key>_<secret>`.
pub struct PresentedKey<'a> {
    pub tenant: TenantId,
    pub key_id: Uuid,
    pub whole: &'a str,
}

pub fn parse_key(token: &str) -> Option<PresentedKey<'_>> {
    let rest = token.strip_prefix("atr_")?;
    let (ids, secret) = rest.split_once('_')?;
    if ids.len() != 64 || secret.len() < 32 {
        return None;
    }
    let tenant = Uuid::try_parse(&ids[..32]).ok()?;
    let key_id = Uuid::try_parse(&ids[32..]).ok()?;
    Some(PresentedKey { tenant: TenantId(tenant), key_id, whole: token })
}

fn mint(tenant: TenantId, key_id: Uuid) -> (String, String) {
    let secret = format!("atr_{}{}_{}", tenant.0.simple(), key_id.simple(), auth::random_secret(32).expose());
    // `atr_` + the key id: public, no character of the secret.
    let prefix = format!("{}_…", &secret[..68]);
    (secret, prefix)
}

/// The key's row when `presented` matches it (current secret, or the previous one within
/// its grace period) and it is neither revoked nor expired.
pub async fn verify(db: &DatabaseConnection, presented: &PresentedKey<'_>) -> Result<Option<entity::Model>, DbErr> {
    let tx = TenantTx::begin(db, presented.tenant, false).await?;
    let row = entity::Entity::find_by_id((presented.tenant.0, presented.key_id)).one(tx.conn()).await?;
    tx.commit().await?;
    let now = Utc::now();
    let hash = auth::sha256_hex(presented.whole);
    Ok(row.filter(|k| {
        let current = k.secret_hash == hash;
        let previous = k.previous_secret_hash.as_deref() == Some(hash.as_str())
            && k.previous_valid_until.is_some_and(|until| until > now);
        (current || previous) && k.revoked_at.is_none() && k.expires_at.is_none_or(|e| e > now)
    }))
}

/// Records use, at most once a minute per key.
pub async fn touch(db: &DatabaseConnection, key: &entity::Model) -> Result<(), DbErr> {
    let now = Utc::now();
    if key.last_used_at.is_some_and(|t| now - t < Duration::seconds(LAST_USED_RESOLUTION_SECONDS)) {
        return Ok(());
    }
    let tx = TenantTx::begin(db, TenantId(key.tenant_id), true).await?;
    entity::Entity::update_many()
        .col_expr(entity::Column::LastUsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(entity::Column::TenantId.eq(key.tenant_id))
        .filter(entity::Column::Id.eq(key.id))
        .exec(tx.conn())
        .await?;
    tx.commit().await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    #[schema(example = "Zapier")]
    pub name: String,
    /// The key's public beginning, to recognise it.
    pub prefix: String,
    #[schema(example = json!(["tenants:read"]))]
    pub scopes: Vec<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Until then the secret before the last rotation still works.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
}

impl From<&entity::Model> for ApiKeyView {
    fn from(k: &entity::Model) -> Self {
        Self {
            id: k.id,
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            scopes: atrium_core::json::strings(&k.scopes),
            created_by: k.created_by,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            previous_secret_valid_until: k.previous_valid_until,
        }
    }
}

/// A key with its secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeySecret {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// Send as `Authorization: Bearer <secret>`. Store it now: it is not shown again.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Zapier", "scopes": ["tenants:read", "tenants:locations_read"]}))]
pub struct ApiKeyCreate {
    #[schema(example = "Zapier")]
    pub name: String,
    /// Permissions from the catalog; at most those the creator holds.
    #[schema(example = json!(["tenants:read"]))]
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

fn check_scopes(ctx: &RequestContext, catalog: &Catalog, scopes: &[String]) -> Result<Vec<String>, ApiError> {
    let mut errors = Vec::new();
    for (i, s) in scopes.iter().enumerate() {
        if catalog.permission(s).is_none() {
            errors.push(FieldError::new(format!("scopes[{i}]"), format!("`{s}` is not in the permission catalog")));
        }
    }
    if scopes.is_empty() {
        errors.push(FieldError::new("scopes", "must name at least one permission"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if let Some(s) = scopes.iter().find(|s| !ctx.principal().permissions.contains(s)) {
        return Err(ApiError::new(ErrorCode::Forbidden)
            .with_detail(format!("you cannot give a key `{s}`, which you do not hold")));
    }
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

/// Creates a key. The answer is the only place its secret ever appears.
#[utoipa::path(tag = "api_keys", security(("bearer_jwt" = []), ("api_key" = [])), request_body = ApiKeyCreate,
    responses((status = 201, body = ApiKeySecret)))]
#[post("/api-keys")]
pub async fn api_keys_create(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    body: Json<ApiKeyCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(API_KEYS_WRITE)?;
    let input = body.into_inner();
    let mut errors = Vec::new();
    let name =
        atrium_core::validate::Name::parse(&input.name).map_err(|m| errors.push(FieldError::new("name", m))).ok();
    if input.expires_at.is_some_and(|e| e <= Utc::now()) {
        errors.push(FieldError::new("expires_at", "must be in the future"));
    }
    let (Some(name), true) = (name, errors.is_empty()) else { return Err(ApiError::validation(errors)) };
    let scopes = check_scopes(&ctx, &catalog, &input.scopes)?;
    let id = Uuid::now_v7();
    let (secret, prefix) = mint(ctx.tenant_id(), id);
    let tx = ctx.write().await?;
    let key = entity::ActiveModel {
        tenant_id: Set(ctx.tenant_id().0),
        id: Set(id),
        name: Set(name.into_string()),
        prefix: Set(prefix),
        secret_hash: Set(auth::sha256_hex(&secret)),
        previous_secret_hash: Set(None),
        previous_valid_until: Set(None),
        scopes: Set(serde_json::json!(scopes)),
        created_by: Set(ctx.principal().user_id().0),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
        version: Set(1),
    }
    .insert(tx.conn())
    .await?;
    let view = ApiKeyView::from(&key);
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            IntegrationsEvent::ApiKeyCreated,
            "api_key",
            key.id.to_string(),
            None,
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(created(format!("/v1/api-keys/{id}"), &ApiKeySecret { key: view, secret }, Some(key.version)))
}

#[utoipa::path(tag = "api_keys", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery),
    responses((status = 200, body = Page<ApiKeyView>)))]
#[get("/api-keys")]
pub async fn api_keys_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ApiKeyView>>, ApiError> {
    ctx.require(API_KEYS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let mut q = entity::Entity::find().filter(entity::Column::TenantId.eq(ctx.tenant_id().0));
    if let Some(after) = query.cursor()? {
        q = q.filter(entity::Column::Id.gt(after));
    }
    let rows = q.order_by_asc(entity::Column::Id).limit(limit + 1).all(tx.conn()).await?;
    Ok(web::Json(Page::from_overfetch(rows.iter().map(ApiKeyView::from).collect(), limit, |k| k.id)))
}

async fn find(tx: &TenantTx, id: Uuid) -> Result<entity::Model, ApiError> {
    entity::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?.ok_or_else(ApiError::not_found)
}

#[utoipa::path(tag = "api_keys", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiKeyView)))]
#[get("/api-keys/{id}")]
pub async fn api_keys_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<ApiKeyView>, ApiError> {
    ctx.require(API_KEYS_READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json((&find(&tx, *id).await?).into()))
}

/// Revokes a key at once (and the previous secret of a rotation with it).
#[utoipa::path(tag = "api_keys", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiKeyView)))]
#[post("/api-keys/{id}/revoke")]
pub async fn api_keys_revoke(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<ApiKeyView>, ApiError> {
    ctx.require(API_KEYS_WRITE)?;
    let tx = ctx.write().await?;
    let key = find(&tx, *id).await?;
    if key.revoked_at.is_some() {
        return Ok(web::Json((&key).into()));
    }
    let version = key.version + 1;
    let mut am = key.into_active_model();
    am.revoked_at = Set(Some(Utc::now()));
    am.version = Set(version);
    let key = am.update(tx.conn()).await?;
    let view = ApiKeyView::from(&key);
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            IntegrationsEvent::ApiKeyRevoked,
            "api_key",
            key.id.to_string(),
            None,
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRotate {
    /// How long the old secret keeps working, 0 to 604800 s (default 86400).
    #[schema(example = 3600, maximum = 604800)]
    pub grace_period_seconds: Option<u32>,
}

/// Issues a new secret; the old one keeps working for the grace period.
#[utoipa::path(tag = "api_keys", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body = ApiKeyRotate, responses((status = 200, body = ApiKeySecret)))]
#[post("/api-keys/{id}/rotate")]
pub async fn api_keys_rotate(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<ApiKeyRotate>,
) -> Result<web::Json<ApiKeySecret>, ApiError> {
    ctx.require(API_KEYS_WRITE)?;
    let grace = body.grace_period_seconds.unwrap_or(DEFAULT_GRACE_SECONDS);
    if grace > MAX_GRACE_SECONDS {
        return Err(ApiError::validation(vec![FieldError::new("grace_period_seconds", "must be at most 604800")]));
    }
    let tx = ctx.write().await?;
    let key = find(&tx, *id).await?;
    if key.revoked_at.is_some() {
        return Err(ApiError::new(ErrorCode::Conflict).with_detail("the key is revoked"));
    }
    // A new secret acts as the key's creator: only the creator or an owner may take one,
    // and never for scopes beyond their own.
    let is_creator = key.created_by == ctx.principal().user_id().0;
    let is_owner = ctx.principal().roles.iter().any(|r| r == "owner");
    let scopes = atrium_core::json::strings(&key.scopes);
    if !(is_creator || is_owner) || scopes.iter().any(|s| !ctx.principal().permissions.contains(s)) {
        return Err(ApiError::new(ErrorCode::Forbidden)
            .with_detail("only the key's creator or an owner holding its scopes can rotate it"));
    }
    let (secret, prefix) = mint(ctx.tenant_id(), key.id);
    let version = key.version + 1;
    let old_hash = key.secret_hash.clone();
    let mut am = key.into_active_model();
    am.previous_secret_hash = Set(Some(old_hash));
    am.previous_valid_until = Set(Some(Utc::now() + Duration::seconds(grace.into())));
    am.secret_hash = Set(auth::sha256_hex(&secret));
    am.prefix = Set(prefix);
    am.version = Set(version);
    let key = am.update(tx.conn()).await?;
    let view = ApiKeyView::from(&key);
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            IntegrationsEvent::ApiKeyRotated,
            "api_key",
            key.id.to_string(),
            None,
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(ApiKeySecret { key: view, secret }))
}

/// The user a key acts for.
pub fn creator(key: &entity::Model) -> UserId {
    UserId(key.created_by)
}
