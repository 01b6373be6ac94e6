//! `/v1/bookables`: the polymorphic resource (providers, company providers, assets, venues).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::extract::parse_field;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use atrium_core::ids::UserId;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::calendar::{BlockedTimeInput, DateOverrideInput, add_blocked_time, add_override};
use super::certifications::{CertificationInput, add_certification};
use crate::entities::bookables;
use crate::events::BookablesEvent;
use crate::model::*;
use crate::repo::{self, Stats};
use crate::{READ, WRITE};

/// A new bookable; besides the bookable's own fields it may carry its first date
/// overrides, blocked times and (providers only) certifications.
#[derive(Debug)]
pub struct BookableCreate {
    pub state: BookableState,
    pub date_overrides: Vec<DateOverrideInput>,
    pub blocked_times: Vec<BlockedTimeInput>,
    pub certifications: Vec<CertificationInput>,
}

impl BookableCreate {
    fn from_json(mut object: serde_json::Map<String, Value>) -> Result<Self, ApiError> {
        let mut list = |key: &str| object.remove(key).unwrap_or_else(|| json!([]));
        let (date_overrides, blocked_times, certifications) =
            (list("date_overrides"), list("blocked_times"), list("certifications"));
        Ok(Self {
            date_overrides: parse_field("date_overrides", date_overrides)?,
            blocked_times: parse_field("blocked_times", blocked_times)?,
            certifications: parse_field("certifications", certifications)?,
            state: BookableState::from_json(object)?,
        })
    }
}

/// What the server keeps beside the input state.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookableMeta {
    pub id: Uuid,
    /// How many bookings may overlap on it at one instant (1, a venue's
    /// `max_simultaneous_bookings`, or a company's number of technicians).
    #[schema(example = 1)]
    pub capacity: u32,
    /// Providers only: average review rating, when reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub rating: Option<Decimal>,
    /// Providers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_count: Option<u32>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct BookableView {
    #[serde(flatten)]
    pub meta: BookableMeta,
    #[serde(flatten)]
    pub state: BookableState,
}

fn view(b: &bookables::Model, state: BookableState, stats: Stats) -> BookableView {
    let provider = state.details.bookable_type() == BookableType::Provider;
    BookableView {
        meta: BookableMeta {
            id: b.id,
            capacity: state.details.capacity(),
            rating: stats.rating,
            review_count: provider.then_some(stats.review_count),
            version: b.version,
            created_at: b.created_at,
            updated_at: b.updated_at,
        },
        state,
    }
}

pub fn provider_example() -> Value {
    json!({
        "type": "provider", "name": "Maria Silva", "email": "maria@salon.example",
        "specialties": ["balayage"], "languages": ["pt", "en"], "tags": ["stylist", "senior"],
        "max_daily_bookings": 8, "min_rest_between_bookings_minutes": 10,
        "calendar": {"timezone": "Europe/Lisbon", "slot_duration_minutes": 30, "slot_interval_minutes": 30,
            "weekly_schedule": {"tuesday": [{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}],
                                "saturday": [{"start": "10:00", "end": "16:00"}]}},
        "date_overrides": [{"date": "2031-12-24", "type": "modified_hours", "hours": [{"start": "09:00", "end": "13:00"}]}],
        "blocked_times": [{"start_at": "2031-08-01T00:00:00Z", "end_at": "2031-08-15T00:00:00Z", "type": "time_off"}],
        "certifications": [{"type": "cosmetology", "issued_by": "State Board of Cosmetology", "issued_at": "2024-03-01T00:00:00Z"}]
    })
}

/// Checks what needs the database: the tenant's locations and members, and for company
/// providers their company household.
async fn check_references(
    tx: &TenantTx,
    dir: &dyn Directory,
    state: &BookableState,
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    if let Some(location) = state.common.location_id
        && !dir.has_location(tx, location).await?
    {
        errors.push(FieldError::new("location_id", "is not one of this tenant's locations"));
    }
    match &state.details {
        BookableDetails::Provider(p) => {
            if let Some(user) = p.user_id
                && !dir.is_member(tx, UserId(user)).await?
            {
                errors.push(FieldError::new("user_id", "is not a member of this tenant"));
            }
            for (i, location) in p.can_work_at_locations.iter().enumerate() {
                if !dir.has_location(tx, *location).await? {
                    errors.push(FieldError::new(
                        format!("can_work_at_locations[{i}]"),
                        "is not one of this tenant's locations",
                    ));
                }
            }
        }
        BookableDetails::CompanyProvider(c) => check_company(tx, c, errors).await?,
        BookableDetails::Asset(_) | BookableDetails::Venue(_) => {}
    }
    Ok(())
}

/// A company provider's household is a `company` household of the tenant, and each of
/// its technicians is a member of it.
#[cfg(feature = "households")]
async fn check_company(tx: &TenantTx, c: &CompanyProviderFields, errors: &mut Vec<FieldError>) -> Result<(), ApiError> {
    match atrium_households::service::household(tx, c.household_id).await? {
        Some(h) if h.household_type == "company" => {
            for (i, tech) in c.available_technicians.iter().enumerate() {
                if !h.member_user_ids.contains(tech) {
                    errors.push(FieldError::new(
                        format!("available_technicians[{i}]"),
                        "is not a member of the company household",
                    ));
                }
            }
        }
        Some(_) => errors.push(FieldError::new("household_id", "must be a household of type company")),
        None => errors.push(FieldError::new("household_id", "is not one of this tenant's households")),
    }
    Ok(())
}

#[cfg(not(feature = "households"))]
async fn check_company(
    _tx: &TenantTx,
    _c: &CompanyProviderFields,
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    errors.push(FieldError::new("type", "company providers need the households plugin, which this server lacks"));
    Ok(())
}

fn nested_errors(create: &BookableCreate, errors: &mut Vec<FieldError>) {
    let mut dates = std::collections::HashSet::new();
    for (i, o) in create.date_overrides.iter().enumerate() {
        o.check(&format!("date_overrides[{i}]."), errors);
        if !dates.insert(o.date) {
            errors.push(FieldError::new(format!("date_overrides[{i}].date"), "appears twice"));
        }
    }
    for (i, b) in create.blocked_times.iter().enumerate() {
        b.check(&format!("blocked_times[{i}]."), errors);
    }
    if !create.certifications.is_empty() && create.state.details.bookable_type() != BookableType::Provider {
        errors.push(FieldError::new("certifications", "only providers have certifications"));
    }
    for (i, c) in create.certifications.iter().enumerate() {
        c.check(&format!("certifications[{i}]."), errors);
    }
}

/// The slug asked for (409 when taken), or one made from the name (made unique).
async fn resolve_slug(tx: &TenantTx, state: &BookableState, id: Uuid) -> Result<String, ApiError> {
    if let Some(slug) = &state.common.slug {
        if repo::slug_taken(tx, slug, Some(id)).await? {
            return Err(ApiError::new(ErrorCode::Conflict).with_detail("another bookable of this tenant has this slug"));
        }
        return Ok(slug.clone());
    }
    let slug = slugify(&state.common.name);
    if repo::slug_taken(tx, &slug, Some(id)).await? {
        let simple = id.simple().to_string();
        return Ok(format!("{slug}-{}", &simple[simple.len() - 8..]));
    }
    Ok(slug)
}

/// Creates a bookable of any type, with its calendar.
#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])),
    request_body(content = BookableCreate, examples(
        ("provider" = (summary = "A provider (a stylist)", value = json!(provider_example()))),
        ("company_provider" = (summary = "A company provider (needs a company household)", value = json!({
            "type": "company_provider", "name": "ABC Plumbing", "household_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10",
            "email": "dispatch@abc-plumbing.example", "phone": "+1 555 0100", "service_radius_km": 25,
            "dispatch_method": "auto_assign", "business_hours": {"monday": [{"start": "08:00", "end": "17:00"}]},
            "calendar": {"timezone": "America/New_York", "slot_duration_minutes": 120, "slot_interval_minutes": 60}}))),
        ("asset" = (summary = "An asset (a rental bike)", value = json!({
            "type": "asset", "name": "E-bike #7", "asset_type": "vehicle", "serial_number": "EB-7-2291",
            "specifications": {"battery": "500 Wh"}, "maintenance_schedule": {"every_days": 90},
            "calendar": {"timezone": "Europe/Berlin", "slot_duration_minutes": 60, "slot_interval_minutes": 60,
                "weekly_schedule": {"saturday": [{"start": "09:00", "end": "19:00"}]}}}))),
        ("venue" = (summary = "A venue (a studio room)", value = json!({
            "type": "venue", "name": "Studio A", "capacity": {"min": 2, "max": 12}, "amenities": ["mirrors"],
            "allow_simultaneous_bookings": true, "max_simultaneous_bookings": 2, "default_setup_minutes": 10,
            "calendar": {"timezone": "Europe/London", "weekly_schedule": {"monday": [{"start": "07:00", "end": "22:00"}]}}})))
    )),
    responses((status = 201, body = BookableView)))]
#[post("/bookables")]
pub async fn bookables_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<serde_json::Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let create = BookableCreate::from_json(body.into_inner())?;
    let mut errors = create.state.check();
    nested_errors(&create, &mut errors);
    let tx = ctx.write().await?;
    check_references(&tx, dir.get_ref(), &create.state, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let id = Uuid::now_v7();
    let slug = resolve_slug(&tx, &create.state, id).await?;
    let base = repo::insert(&tx, id, &create.state, &slug).await?;
    let (base, state, stats) = repo::state(&tx, base).await?;
    let view = view(&base, state, stats);
    let actor = AuditActor::of(&ctx);
    audit::record(
        &tx,
        &actor,
        Change::new(BookablesEvent::BookableCreated, "bookable", id, None, serde_json::to_value(&view).ok()),
    )
    .await?;
    for o in &create.date_overrides {
        add_override(&tx, &actor, id, o).await?;
    }
    for b in &create.blocked_times {
        add_blocked_time(&tx, &actor, id, b).await?;
    }
    for c in &create.certifications {
        add_certification(&tx, &actor, id, c).await?;
    }
    tx.commit().await?;
    Ok(created(format!("/v1/bookables/{id}"), &view, Some(base.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookableFilter {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub bookable_type: Option<BookableType>,
    pub status: Option<BookableStatus>,
    pub location_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    /// Only bookables carrying this tag.
    pub tag: Option<String>,
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery, BookableFilter),
    responses((status = 200, body = Page<BookableView>)))]
#[get("/bookables")]
pub async fn bookables_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<BookableFilter>,
) -> Result<web::Json<Page<BookableView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let mut q = bookables::Entity::find()
        .filter(bookables::Column::TenantId.eq(ctx.tenant_id().0))
        .filter(bookables::Column::DeletedAt.is_null());
    if let Some(after) = query.cursor()? {
        q = q.filter(bookables::Column::Id.gt(after));
    }
    if let Some(kind) = filter.bookable_type {
        q = q.filter(bookables::Column::BookableType.eq(name_of(&kind)));
    }
    if let Some(status) = filter.status {
        q = q.filter(bookables::Column::Status.eq(name_of(&status)));
    }
    if let Some(location) = filter.location_id {
        q = q.filter(bookables::Column::LocationId.eq(location));
    }
    if let Some(category) = filter.category_id {
        q = q.filter(bookables::Column::CategoryId.eq(category));
    }
    if let Some(tag) = &filter.tag {
        if !is_tag(tag) {
            return Err(ApiError::new(ErrorCode::InvalidParameter).with_detail("`tag` is not a valid tag"));
        }
        q = q.filter(bookables::Column::Tags.contains(format!(",{tag},")));
    }
    let tx = ctx.read().await?;
    let rows = q.order_by_asc(bookables::Column::Id).limit(limit + 1).all(tx.conn()).await?;
    let views = repo::states(&tx, rows).await?.into_iter().map(|(b, s, st)| view(&b, s, st)).collect();
    Ok(web::Json(Page::from_overfetch(views, limit, |v: &BookableView| v.meta.id)))
}

#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = BookableView)))]
#[get("/bookables/{id}")]
pub async fn bookables_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let (b, state, stats) = repo::state(&tx, repo::find(&tx, *id).await?).await?;
    let version = b.version;
    Ok(ok_versioned(&view(&b, state, stats), version))
}

/// Changes a bookable: a JSON merge patch (RFC 7396) over its input — send only what
/// changes. The type cannot change; `status` moves among `active`, `inactive` and
/// `maintenance`, and to `retired`, which is final.
#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body(content = BookableState, description = "A JSON merge patch (RFC 7396) of the bookable's input",
        example = json!({"status": "maintenance", "calendar": {"post_buffer_minutes": 15}})),
    responses((status = 200, body = BookableView)))]
#[patch("/bookables/{id}")]
pub async fn bookables_update(
    req: HttpRequest,
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    id: web::Path<Uuid>,
    body: Json<serde_json::Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let patch = body.into_inner();
    let tx = ctx.write().await?;
    let b = repo::find(&tx, *id).await?;
    check_if_match(&req, b.version)?;
    let (b, current, stats) = repo::state(&tx, b).await?;
    let before = view(&b, current.clone(), stats);
    if current.common.status == BookableStatus::Retired {
        return Err(ApiError::new(ErrorCode::InvalidTransition).with_detail("a retired bookable does not change"));
    }
    if patch.get("type").is_some_and(|t| t.as_str() != Some(&name_of(&current.details.bookable_type()))) {
        return Err(ApiError::validation(vec![FieldError::new("type", "cannot change; create another bookable")]));
    }
    let next = current.patched(&patch)?;
    let mut errors = next.check();
    check_references(&tx, dir.get_ref(), &next, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (from, to) = (current.common.status, next.common.status);
    if from != to && !from.may_become(to) {
        return Err(ApiError::new(ErrorCode::InvalidTransition).with_detail(format!(
            "a bookable cannot go from {} to {}",
            name_of(&from),
            name_of(&to)
        )));
    }
    let slug = resolve_slug(&tx, &next, b.id).await?;
    let b = repo::update(&tx, b, &next, &slug).await?;
    let (b, state, stats) = repo::state(&tx, b).await?;
    let after = view(&b, state, stats);
    let action = if from != to { BookablesEvent::BookableStatusChanged } else { BookablesEvent::BookableUpdated };
    let change =
        Change::new(action, "bookable", b.id, serde_json::to_value(&before).ok(), serde_json::to_value(&after).ok());
    audit::record(&tx, &AuditActor::of(&ctx), change).await?;
    tx.commit().await?;
    Ok(ok_versioned(&after, b.version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeletionReason {
    /// Why it is deleted (kept with the bookable), up to 500 characters.
    pub reason: Option<String>,
}

/// Soft-deletes a bookable, keeping why.
#[utoipa::path(tag = "bookables", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path), DeletionReason),
    responses((status = 204, description = "Deleted")))]
#[delete("/bookables/{id}")]
pub async fn bookables_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    reason: web::Query<DeletionReason>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let reason = reason.into_inner().reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500 || r.chars().any(char::is_control)) {
        return Err(ApiError::new(ErrorCode::InvalidParameter).with_detail("`reason` must be at most 500 characters"));
    }
    let tx = ctx.write().await?;
    let b = repo::find(&tx, *id).await?;
    check_if_match(&req, b.version)?;
    let (b, state, stats) = repo::state(&tx, b).await?;
    // The event carries the bookable as it was, and why it went.
    let mut before = serde_json::to_value(view(&b, state, stats)).map_err(ApiError::internal)?;
    before["deletion_reason"] = json!(reason);
    let bookable_id = b.id;
    repo::soft_delete(&tx, b, reason).await?;
    let change = Change::new(BookablesEvent::BookableDeleted, "bookable", bookable_id, Some(before), None);
    audit::record(&tx, &AuditActor::of(&ctx), change).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
