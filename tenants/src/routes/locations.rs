//! Locations (Bizing §1): physical, virtual or mobile places of business, each with its
//! IANA time zone, operating hours in local time, optional config override and, for
//! mobile services, a service area.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::RequestContext;
use atrium_core::error::{ApiError, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, double_option, ok_versioned};
use atrium_core::schedule::{WeeklySchedule, check_weekly};
use atrium_core::validate::Name;
use chrono::Utc;
use sea_orm::{IntoActiveModel, Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entities::locations;
use crate::events::TenantsEvent;
use crate::model::{check_currency, check_timezone};
use crate::{perm, repo};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocationType {
    Physical,
    Virtual,
    Mobile,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocationStatus {
    Active,
    Inactive,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Coordinates {
    #[schema(example = 38.7223)]
    pub lat: f64,
    #[schema(example = -9.1393)]
    pub lng: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[schema(example = "Rua Augusta 100")]
    pub street: String,
    #[schema(example = "Lisbon")]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[schema(example = "1100-053")]
    pub zip: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "PT")]
    pub country: String,
    pub coordinates: Option<Coordinates>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigOverride {
    pub timezone: Option<String>,
    pub currency: Option<String>,
    pub cancellation_notice_hours: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceArea {
    /// Miles from the center, more than 0 and at most 500.
    #[schema(example = 15)]
    pub radius_miles: f64,
    pub center: Coordinates,
}

/// A location's full state, as created or after a patch; checked as a whole.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Downtown", "type": "physical", "timezone": "Europe/Lisbon",
    "address": {"street": "Rua Augusta 100", "city": "Lisbon", "zip": "1100-053", "country": "PT",
                "coordinates": {"lat": 38.7103, "lng": -9.1366}},
    "operating_hours": {"monday": [{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}]}}))]
pub struct LocationCreate {
    #[schema(example = "Downtown")]
    pub name: String,
    #[serde(rename = "type")]
    pub location_type: LocationType,
    pub address: Option<Address>,
    #[schema(example = "Europe/Lisbon")]
    pub timezone: String,
    #[serde(default)]
    pub operating_hours: WeeklySchedule,
    pub config_override: Option<ConfigOverride>,
    pub service_area: Option<ServiceArea>,
    #[serde(default = "active")]
    pub status: LocationStatus,
}

fn active() -> LocationStatus {
    LocationStatus::Active
}

fn check_coordinates(path: &str, c: &Coordinates, errors: &mut Vec<FieldError>) {
    if !(-90.0..=90.0).contains(&c.lat) {
        errors.push(FieldError::new(format!("{path}.lat"), "must be between -90 and 90"));
    }
    if !(-180.0..=180.0).contains(&c.lng) {
        errors.push(FieldError::new(format!("{path}.lng"), "must be between -180 and 180"));
    }
}

impl LocationCreate {
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Err(m) = Name::parse(&self.name) {
            errors.push(FieldError::new("name", m));
        }
        check_timezone("timezone", &self.timezone, &mut errors);
        match (&self.location_type, &self.address, &self.service_area) {
            (LocationType::Physical, None, _) => {
                errors.push(FieldError::new("address", "is required for a physical location"))
            }
            (LocationType::Mobile, _, None) => {
                errors.push(FieldError::new("service_area", "is required for a mobile location"))
            }
            _ => {}
        }
        if let Some(a) = &self.address {
            for (field, value, max) in [("street", &a.street, 200), ("city", &a.city, 100), ("zip", &a.zip, 20)] {
                if value.trim().is_empty() || value.chars().count() > max {
                    errors.push(FieldError::new(format!("address.{field}"), format!("must be 1–{max} characters")));
                }
            }
            if a.state.chars().count() > 100 {
                errors.push(FieldError::new("address.state", "must be at most 100 characters"));
            }
            if !(a.country.len() == 2 && a.country.bytes().all(|b| b.is_ascii_uppercase())) {
                errors.push(FieldError::new("address.country", "must be an ISO 3166-1 alpha-2 code such as PT"));
            }
            if let Some(c) = &a.coordinates {
                check_coordinates("address.coordinates", c, &mut errors);
            }
        }
        check_weekly("operating_hours", &self.operating_hours, &mut errors);
        if let Some(c) = &self.config_override {
            if let Some(tz) = &c.timezone {
                check_timezone("config_override.timezone", tz, &mut errors);
            }
            if let Some(cur) = &c.currency {
                check_currency("config_override.currency", cur, &mut errors);
            }
            if c.cancellation_notice_hours.is_some_and(|h| h > 8760) {
                errors.push(FieldError::new("config_override.cancellation_notice_hours", "must be at most 8760"));
            }
        }
        if let Some(area) = &self.service_area {
            if !(area.radius_miles > 0.0 && area.radius_miles <= 500.0) {
                errors.push(FieldError::new("service_area.radius_miles", "must be more than 0 and at most 500"));
            }
            check_coordinates("service_area.center", &area.center, &mut errors);
        }
        errors
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocationView {
    pub id: Uuid,
    #[serde(flatten)]
    pub body: LocationCreate,
    pub version: i32,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

pub fn to_state(m: &locations::Model) -> Result<LocationCreate, ApiError> {
    let status = if m.status == "inactive" { LocationStatus::Inactive } else { LocationStatus::Active };
    let location_type = serde_json::from_value(serde_json::json!(m.location_type)).map_err(ApiError::internal)?;
    Ok(LocationCreate {
        name: m.name.clone(),
        location_type,
        address: m.address.clone().map(serde_json::from_value).transpose().map_err(ApiError::internal)?,
        timezone: m.timezone.clone(),
        operating_hours: serde_json::from_value(m.operating_hours.clone()).map_err(ApiError::internal)?,
        config_override: m
            .config_override
            .clone()
            .map(serde_json::from_value)
            .transpose()
            .map_err(ApiError::internal)?,
        service_area: m.service_area.clone().map(serde_json::from_value).transpose().map_err(ApiError::internal)?,
        status,
    })
}

fn view(m: &locations::Model) -> Result<LocationView, ApiError> {
    Ok(LocationView {
        id: m.id,
        body: to_state(m)?,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

pub fn apply(am: &mut locations::ActiveModel, s: &LocationCreate) {
    am.name = Set(s.name.trim().to_owned());
    am.location_type = Set(json(&s.location_type).as_str().unwrap_or("physical").to_owned());
    am.address = Set(s.address.as_ref().map(json));
    am.timezone = Set(s.timezone.clone());
    am.operating_hours = Set(json(&s.operating_hours));
    am.config_override = Set(s.config_override.as_ref().map(json));
    am.service_area = Set(s.service_area.as_ref().map(json));
    am.status = Set(json(&s.status).as_str().unwrap_or("active").to_owned());
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationFilter {
    pub status: Option<LocationStatus>,
}

#[utoipa::path(tag = "locations", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery, LocationFilter),
    responses((status = 200, body = Page<LocationView>)))]
#[get("/locations")]
pub async fn locations_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<LocationFilter>,
) -> Result<web::Json<Page<LocationView>>, ApiError> {
    ctx.require(perm::LOCATIONS_READ)?;
    let limit = query.limit()?;
    let status = filter.status.map(|s| if s == LocationStatus::Active { "active" } else { "inactive" });
    let tx = ctx.read().await?;
    let rows = repo::locations_page(&tx, query.cursor()?, limit, status).await?;
    let views = rows.iter().map(view).collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(Page::from_overfetch(views, limit, |l| l.id)))
}

#[utoipa::path(tag = "locations", security(("bearer_jwt" = []), ("api_key" = [])), request_body = LocationCreate,
    responses((status = 201, body = LocationView)))]
#[post("/locations")]
pub async fn locations_create(ctx: RequestContext, body: Json<LocationCreate>) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::LOCATIONS_WRITE)?;
    let state = body.into_inner();
    let errors = state.check();
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = Utc::now();
    let mut am = locations::ActiveModel {
        tenant_id: Set(ctx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    apply(&mut am, &state);
    let tx = ctx.write().await?;
    let saved = repo::save_location(&tx, am, true).await?;
    let v = view(&saved)?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            TenantsEvent::LocationCreated,
            "location",
            saved.id.to_string(),
            None,
            serde_json::to_value(&v).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(created(format!("/v1/locations/{}", saved.id), &v, Some(saved.version)))
}

#[utoipa::path(tag = "locations", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = LocationView)))]
#[get("/locations/{id}")]
pub async fn locations_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::LOCATIONS_READ)?;
    let tx = ctx.read().await?;
    let m = repo::location(&tx, *id).await?.ok_or_else(ApiError::not_found)?;
    Ok(ok_versioned(&view(&m)?, m.version))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationPatch {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub location_type: Option<LocationType>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Address>)]
    pub address: Option<Option<Address>>,
    pub timezone: Option<String>,
    pub operating_hours: Option<WeeklySchedule>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<ConfigOverride>)]
    pub config_override: Option<Option<ConfigOverride>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<ServiceArea>)]
    pub service_area: Option<Option<ServiceArea>>,
    pub status: Option<LocationStatus>,
}

#[utoipa::path(tag = "locations", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body = LocationPatch, responses((status = 200, body = LocationView)))]
#[patch("/locations/{id}")]
pub async fn locations_update(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<LocationPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::LOCATIONS_WRITE)?;
    let p = body.into_inner();
    let tx = ctx.write().await?;
    let m = repo::location(&tx, *id).await?.ok_or_else(ApiError::not_found)?;
    check_if_match(&req, m.version)?;
    let before = view(&m)?;
    let mut state = before.body.clone();
    if let Some(v) = p.name {
        state.name = v;
    }
    if let Some(v) = p.location_type {
        state.location_type = v;
    }
    if let Some(v) = p.address {
        state.address = v;
    }
    if let Some(v) = p.timezone {
        state.timezone = v;
    }
    if let Some(v) = p.operating_hours {
        state.operating_hours = v;
    }
    if let Some(v) = p.config_override {
        state.config_override = v;
    }
    if let Some(v) = p.service_area {
        state.service_area = v;
    }
    if let Some(v) = p.status {
        state.status = v;
    }
    let errors = state.check();
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let version = m.version + 1;
    let mut am = m.into_active_model();
    apply(&mut am, &state);
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    let saved = repo::save_location(&tx, am, false).await?;
    let after = view(&saved)?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            TenantsEvent::LocationUpdated,
            "location",
            saved.id.to_string(),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(ok_versioned(&after, saved.version))
}

/// Soft-deletes a location.
#[utoipa::path(tag = "locations", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
#[delete("/locations/{id}")]
pub async fn locations_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::LOCATIONS_WRITE)?;
    let tx = ctx.write().await?;
    let m = repo::location(&tx, *id).await?.ok_or_else(ApiError::not_found)?;
    check_if_match(&req, m.version)?;
    let before = view(&m)?;
    let version = m.version + 1;
    let mut am = m.into_active_model();
    am.deleted_at = Set(Some(Utc::now()));
    am.version = Set(version);
    let saved = repo::save_location(&tx, am, false).await?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            TenantsEvent::LocationDeleted,
            "location",
            saved.id.to_string(),
            serde_json::to_value(&before).ok(),
            None,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
