//! `/v1/hair-profiles`: profiles, their versions, and the customer's data rights.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, created};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::events::HairEvent;
use crate::model::*;
use crate::profiles::{self, ProfileFilter, ProfileInput, ProfileVersionView, ProfileView};
use crate::repo;
use crate::routes::reader;
use crate::{PROFILES_READ, PROFILES_WRITE};

/// Creates the caller's hair profile (one per customer per tenant: 409 when it exists).
/// `retention_risk` is derived, never given.
#[utoipa::path(operation_id = "hair_profiles_create", tag = "hair-health", security(("bearer_jwt" = ["hair-health:profiles_write"]), ("api_key" = ["hair-health:profiles_write"])),
    request_body = ProfileInput, responses((status = 201, body = ProfileView)))]
#[post("/hair-profiles")]
pub async fn create(ctx: RequestContext, body: Json<ProfileInput>) -> Result<HttpResponse, ApiError> {
    let r = reader(&ctx, PROFILES_WRITE)?;
    let tx = ctx.write().await?;
    let view = profiles::create(&tx, &AuditActor::of(&ctx), r.user, body.into_inner()).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/hair-profiles/{}", view["id"].as_str().unwrap_or_default()), &view, None))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProfileListFilter {
    pub texture_class: Option<TextureClass>,
    pub pattern_family: Option<PatternFamily>,
    pub porosity_level: Option<Level4>,
    pub retention_risk: Option<Level>,
    pub scalp_sensitivity: Option<Level>,
    pub routine_type: Option<RoutineType>,
}

/// The profiles the caller may see: their own; for a stylist, consenting clients' with only
/// the shared fields (filtering on a field a consent withholds is 403); tenant-wide with
/// `hair-health:profiles_read`. Every read of someone else's profile is logged.
#[utoipa::path(operation_id = "hair_profiles_list", tag = "hair-health", security(("bearer_jwt" = ["hair-health:profiles_read"]), ("api_key" = ["hair-health:profiles_read"])),
    params(ListQuery, ProfileListFilter), responses((status = 200, body = Page<ProfileView>)))]
#[get("/hair-profiles")]
pub async fn list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    f: web::Query<ProfileListFilter>,
) -> Result<web::Json<Page<Value>>, ApiError> {
    let r = reader(&ctx, PROFILES_READ)?;
    let limit = query.limit()?;
    let mut filter = ProfileFilter::default();
    let mut add = |field: &'static str, v: Option<String>| {
        if let Some(v) = v {
            filter.fields.push((field, v));
        }
    };
    add("texture_class", f.texture_class.map(|v| v.as_str().to_owned()));
    add("pattern_family", f.pattern_family.map(|v| v.as_str().to_owned()));
    add("porosity_level", f.porosity_level.map(|v| v.as_str().to_owned()));
    add("retention_risk", f.retention_risk.map(|v| v.as_str().to_owned()));
    add("scalp_sensitivity", f.scalp_sensitivity.map(|v| v.as_str().to_owned()));
    add("routine_type", f.routine_type.map(|v| v.as_str().to_owned()));
    let tx = ctx.write().await?;
    let views = profiles::list(&tx, &r, query.cursor()?, limit, &filter).await?;
    tx.commit().await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |v| {
        v["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or_default()
    })))
}

/// A profile: its owner's in full; a stylist's with only the fields in the live consent's
/// scope at the moment of the read (no consent: 404, exactly like no profile).
#[utoipa::path(operation_id = "hair_profiles_get", tag = "hair-health", security(("bearer_jwt" = ["hair-health:profiles_read"]), ("api_key" = ["hair-health:profiles_read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ProfileView)))]
#[get("/hair-profiles/{id}")]
pub async fn get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<Value>, ApiError> {
    let r = reader(&ctx, PROFILES_READ)?;
    let tx = ctx.write().await?;
    let view = profiles::read_view(&tx, &r, *id).await?;
    tx.commit().await?;
    Ok(web::Json(view))
}

/// Changes a profile (a JSON merge patch over `ProfileInput`); every change is a version.
#[utoipa::path(operation_id = "hair_profiles_update", tag = "hair-health", security(("bearer_jwt" = ["hair-health:profiles_write"]), ("api_key" = ["hair-health:profiles_write"])),
    params(("id" = Uuid, Path)), request_body = ProfileInput, responses((status = 200, body = ProfileView)))]
#[patch("/hair-profiles/{id}")]
pub async fn update(ctx: RequestContext, id: web::Path<Uuid>, body: Json<Value>) -> Result<web::Json<Value>, ApiError> {
    let r = reader(&ctx, PROFILES_WRITE)?;
    let tx = ctx.write().await?;
    let p = profiles::read(&tx, &r, *id).await?;
    let view = profiles::update(&tx, &AuditActor::of(&ctx), r.user, p, &body).await?;
    tx.commit().await?;
    Ok(web::Json(view))
}

/// The versions of a profile, oldest first (its owner, or tenant-wide readers).
#[utoipa::path(operation_id = "hair_profiles_versions", tag = "hair-health", security(("bearer_jwt" = ["hair-health:profiles_read"]), ("api_key" = ["hair-health:profiles_read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<ProfileVersionView>)))]
#[get("/hair-profiles/{id}/versions")]
pub async fn versions(
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<ProfileVersionView>>, ApiError> {
    let r = reader(&ctx, PROFILES_READ)?;
    let tx = ctx.read().await?;
    let p = profiles::read(&tx, &r, *id).await?;
    Ok(web::Json(profiles::versions(&tx, &p).await?))
}

/// Everything of the caller in this plugin, table by table.
#[derive(Debug, Serialize, ToSchema)]
pub struct HairExport {
    pub user_id: Uuid,
    pub exported_at: DateTime<Utc>,
    /// Table name → its rows of the caller.
    #[schema(value_type = Object)]
    pub tables: serde_json::Map<String, Value>,
}

/// Exports every row of the caller in this plugin as JSON.
#[utoipa::path(operation_id = "hair_profiles_export", tag = "hair-health", security(("bearer_jwt" = ["hair-health:profiles_read"]), ("api_key" = ["hair-health:profiles_read"])),
    responses((status = 200, body = HairExport)))]
#[get("/hair-profiles/me/export")]
pub async fn export(ctx: RequestContext) -> Result<web::Json<HairExport>, ApiError> {
    let r = reader(&ctx, PROFILES_READ)?;
    let tx = ctx.write().await?;
    crate::booking_sync::sync(&tx).await?;
    let tables =
        repo::export(&tx, r.user).await?.into_iter().map(|(t, rows)| (t.to_owned(), Value::Array(rows))).collect();
    tx.commit().await?;
    Ok(web::Json(HairExport { user_id: r.user, exported_at: Utc::now(), tables }))
}

/// Erases every row of the caller in this plugin; stylists' access ends with it.
#[utoipa::path(operation_id = "hair_profiles_erase", tag = "hair-health", security(("bearer_jwt" = ["hair-health:profiles_write"]), ("api_key" = ["hair-health:profiles_write"])),
    responses((status = 204, description = "Erased")))]
#[delete("/hair-profiles/me")]
pub async fn erase(ctx: RequestContext) -> Result<HttpResponse, ApiError> {
    let r = reader(&ctx, PROFILES_WRITE)?;
    let tx = ctx.write().await?;
    repo::erase(&tx, r.user).await?;
    audit::record(&tx, &AuditActor::of(&ctx), Change::new(HairEvent::ProfileErased, "hair_user", r.user, None, None))
        .await
        .map_err(ApiError::from)?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One read of the caller's profile by someone else.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogEntry {
    pub id: Uuid,
    pub profile_id: Uuid,
    pub reader_user_id: Uuid,
    /// The profile fields the reader saw.
    pub fields: Vec<String>,
    /// The consent (and its version) the read was allowed by; none for a tenant-wide reader.
    pub consent_id: Option<Uuid>,
    pub consent_version: Option<i32>,
    pub read_at: DateTime<Utc>,
}

/// Who read the caller's profile, which fields, under which consent version.
#[utoipa::path(operation_id = "hair_profiles_access_log", tag = "hair-health", security(("bearer_jwt" = ["hair-health:profiles_read"]), ("api_key" = ["hair-health:profiles_read"])),
    params(ListQuery), responses((status = 200, body = Page<AccessLogEntry>)))]
#[get("/hair-profiles/me/access-log")]
pub async fn access_log(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<AccessLogEntry>>, ApiError> {
    let r = reader(&ctx, PROFILES_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let rows = repo::access_log_of(&tx, r.user, query.cursor()?, limit).await?;
    let entries = rows
        .into_iter()
        .map(|a| AccessLogEntry {
            id: a.id,
            profile_id: a.profile_id,
            reader_user_id: a.reader_user_id,
            fields: serde_json::from_value(a.fields).unwrap_or_default(),
            consent_id: a.consent_id,
            consent_version: a.consent_version,
            read_at: a.created_at,
        })
        .collect();
    Ok(web::Json(Page::from_overfetch(entries, limit, |e| e.id)))
}
