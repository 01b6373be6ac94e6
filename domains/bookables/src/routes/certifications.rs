//! `/v1/bookables/{id}/certifications`: a provider's qualifications, with expiry.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::RequestContext;
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{check_if_match, ok_versioned, patched};
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::{bookables, certifications};
use crate::events::BookablesEvent;
use crate::model::{BookableType, name_of};
use crate::{READ, WRITE, repo};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "cosmetology", "issued_by": "State Board of Cosmetology",
    "issued_at": "2024-03-01T00:00:00Z", "expires_at": "2034-03-01T00:00:00Z"}))]
pub struct CertificationInput {
    /// What it certifies (`cosmetology`, `cpr`).
    #[serde(rename = "type")]
    #[schema(example = "cosmetology")]
    pub certification_type: String,
    #[schema(example = "State Board of Cosmetology")]
    pub issued_by: String,
    pub issued_at: DateTime<Utc>,
    /// After `issued_at`; none when it does not expire.
    pub expires_at: Option<DateTime<Utc>>,
    pub document_url: Option<String>,
    #[serde(default)]
    pub is_verified: bool,
}

impl CertificationInput {
    pub fn check(&self, path: &str, errors: &mut Vec<FieldError>) {
        for (field, value, max) in [("type", &self.certification_type, 100), ("issued_by", &self.issued_by, 200)] {
            if value.trim().is_empty() || value.chars().count() > max {
                errors.push(FieldError::new(format!("{path}{field}"), format!("must be 1–{max} characters")));
            }
        }
        if self.expires_at.is_some_and(|e| e <= self.issued_at) {
            errors.push(FieldError::new(format!("{path}expires_at"), "must be after issued_at"));
        }
        if self.issued_at > Utc::now() {
            errors.push(FieldError::new(format!("{path}issued_at"), "must not be in the future"));
        }
        if let Some(url) = &self.document_url
            && (url.chars().count() > 2000 || !(url.starts_with("https://") || url.starts_with("http://")))
        {
            errors.push(FieldError::new(format!("{path}document_url"), "must be an http(s) URL"));
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificationView {
    pub id: Uuid,
    pub bookable_id: Uuid,
    #[serde(flatten)]
    pub input: CertificationInput,
    /// Whether `expires_at` has passed.
    pub expired: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

fn view(m: &certifications::Model) -> CertificationView {
    CertificationView {
        id: m.id,
        bookable_id: m.bookable_id,
        input: CertificationInput {
            certification_type: m.certification_type.clone(),
            issued_by: m.issued_by.clone(),
            issued_at: m.issued_at,
            expires_at: m.expires_at,
            document_url: m.document_url.clone(),
            is_verified: m.is_verified,
        },
        expired: m.expires_at.is_some_and(|e| e <= Utc::now()),
        version: m.version,
        created_at: m.created_at,
    }
}

fn set(am: &mut certifications::ActiveModel, input: &CertificationInput) {
    am.certification_type = Set(input.certification_type.trim().to_owned());
    am.issued_by = Set(input.issued_by.trim().to_owned());
    am.issued_at = Set(input.issued_at);
    am.expires_at = Set(input.expires_at);
    am.document_url = Set(input.document_url.clone());
    am.is_verified = Set(input.is_verified);
}

/// The bookable, when it is a provider (certifications belong to providers only).
async fn find_provider(tx: &TenantTx, id: Uuid) -> Result<bookables::Model, ApiError> {
    let b = repo::find(tx, id).await?;
    if b.bookable_type != name_of(&BookableType::Provider) {
        return Err(ApiError::new(ErrorCode::Conflict).with_detail("only providers have certifications"));
    }
    Ok(b)
}

/// Adds a checked certification to provider `bookable` and records it.
pub async fn add_certification(
    tx: &TenantTx,
    actor: &AuditActor,
    bookable: Uuid,
    input: &CertificationInput,
) -> Result<CertificationView, ApiError> {
    let mut am = certifications::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        bookable_id: Set(bookable),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    set(&mut am, input);
    let m = am.insert(tx.conn()).await?;
    let v = view(&m);
    let after = serde_json::to_value(&v).ok();
    audit::record(
        tx,
        actor,
        Change::new(BookablesEvent::BookableCertificationAdded, "provider_certification", m.id, None, after),
    )
    .await?;
    Ok(v)
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<CertificationView>)))]
#[get("/bookables/{id}/certifications")]
pub async fn certifications_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<CertificationView>>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let b = repo::find(&tx, *id).await?;
    let rows = certifications::Entity::find()
        .filter(certifications::Column::TenantId.eq(ctx.tenant_id().0))
        .filter(certifications::Column::BookableId.eq(b.id))
        .order_by_asc(certifications::Column::Id)
        .all(tx.conn())
        .await?;
    Ok(web::Json(rows.iter().map(view).collect()))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body = CertificationInput, responses((status = 201, body = CertificationView)))]
#[post("/bookables/{id}/certifications")]
pub async fn certifications_create(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<CertificationInput>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let input = body.into_inner();
    let tx = ctx.write().await?;
    let b = find_provider(&tx, *id).await?;
    let mut errors = Vec::new();
    input.check("", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let v = add_certification(&tx, &AuditActor::of(&ctx), b.id, &input).await?;
    tx.commit().await?;
    Ok(atrium_core::http::created(format!("/v1/bookables/{}/certifications/{}", b.id, v.id), &v, Some(v.version)))
}

async fn find(tx: &TenantTx, bookable: Uuid, id: Uuid) -> Result<certifications::Model, ApiError> {
    certifications::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(certifications::Column::BookableId.eq(bookable))
        .one(tx.conn())
        .await?
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("certification_id" = Uuid, Path)), responses((status = 200, body = CertificationView)))]
#[get("/bookables/{id}/certifications/{certification_id}")]
pub async fn certifications_get(ctx: RequestContext, path: web::Path<(Uuid, Uuid)>) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.read().await?;
    let b = repo::find(&tx, bookable).await?;
    let m = find(&tx, b.id, id).await?;
    Ok(ok_versioned(&view(&m), m.version))
}

/// A merge patch over the certification.
#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("certification_id" = Uuid, Path)),
    request_body(content = CertificationInput, description = "A JSON merge patch (RFC 7396): only the fields that change"),
    responses((status = 200, body = CertificationView)))]
#[patch("/bookables/{id}/certifications/{certification_id}")]
pub async fn certifications_update(
    req: HttpRequest,
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.write().await?;
    let b = repo::find(&tx, bookable).await?;
    let m = find(&tx, b.id, id).await?;
    check_if_match(&req, m.version)?;
    let before = view(&m);
    let input: CertificationInput = patched(&before.input, &serde_json::Value::Object(body.into_inner()))?;
    let mut errors = Vec::new();
    input.check("", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let version = m.version + 1;
    let mut am = m.into_active_model();
    set(&mut am, &input);
    am.version = Set(version);
    let m = am.update(tx.conn()).await?;
    let after = view(&m);
    let change = Change::new(
        BookablesEvent::BookableCertificationUpdated,
        "provider_certification",
        m.id,
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    );
    audit::record(&tx, &AuditActor::of(&ctx), change).await?;
    tx.commit().await?;
    Ok(ok_versioned(&after, m.version))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("certification_id" = Uuid, Path)), responses((status = 204, description = "Removed")))]
#[delete("/bookables/{id}/certifications/{certification_id}")]
pub async fn certifications_delete(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let (bookable, id) = path.into_inner();
    let tx = ctx.write().await?;
    let b = repo::find(&tx, bookable).await?;
    let m = find(&tx, b.id, id).await?;
    let before = serde_json::to_value(view(&m)).ok();
    certifications::Entity::delete_by_id((ctx.tenant_id().0, m.id)).exec(tx.conn()).await?;
    let change =
        Change::new(BookablesEvent::BookableCertificationRemoved, "provider_certification", m.id, before, None);
    audit::record(&tx, &AuditActor::of(&ctx), change).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
