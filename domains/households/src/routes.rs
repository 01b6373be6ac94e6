//! `/v1/households` and their members.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, double_option, ok_versioned};
use atrium_core::ids::UserId;
use atrium_core::validate::Name;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::entities::{households, members};
use crate::events::HouseholdsEvent;
use crate::rules::{ApprovalRequiredFor, MemberRole};
use crate::{READ, WRITE};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdType {
    Family,
    Company,
    Group,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    Spouse,
    Child,
    Parent,
    Sibling,
    Guardian,
    Dependent,
    Employee,
}

fn to_str<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn from_str<T: serde::de::DeserializeOwned>(value: &str) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(ApiError::internal)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInfo {
    #[schema(example = "US-12-3456789")]
    pub tax_id: Option<String>,
    #[schema(example = "plumbing")]
    pub industry: Option<String>,
    #[schema(example = "https://abc-plumbing.example")]
    pub website: Option<String>,
}

impl CompanyInfo {
    fn check(&self, errors: &mut Vec<FieldError>) {
        for (field, value) in [("tax_id", &self.tax_id), ("industry", &self.industry), ("website", &self.website)] {
            if value.as_ref().is_some_and(|v| v.trim().is_empty() || v.chars().count() > 200) {
                errors.push(FieldError::new(format!("company_info.{field}"), "must be 1–200 characters"));
            }
        }
        if self.website.as_ref().is_some_and(|w| !(w.starts_with("https://") || w.starts_with("http://"))) {
            errors.push(FieldError::new("company_info.website", "must be an http(s) URL"));
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: Uuid,
    #[schema(example = "Smith Family")]
    pub name: String,
    #[serde(rename = "type")]
    pub household_type: HouseholdType,
    /// The member who is the household's primary contact.
    pub primary_contact_id: Uuid,
    pub company_info: Option<CompanyInfo>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn household_view(h: &households::Model) -> Result<HouseholdView, ApiError> {
    Ok(HouseholdView {
        id: h.id,
        name: h.name.clone(),
        household_type: from_str(&h.household_type)?,
        primary_contact_id: h.primary_contact_id,
        company_info: h.company_info.clone().map(serde_json::from_value).transpose().map_err(ApiError::internal)?,
        version: h.version,
        created_at: h.created_at,
        updated_at: h.updated_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Smith Family", "type": "family"}))]
pub struct HouseholdCreate {
    pub name: String,
    #[serde(rename = "type")]
    pub household_type: HouseholdType,
    /// Only for `company` households.
    pub company_info: Option<CompanyInfo>,
    /// The user who becomes the primary member and contact; the caller when absent.
    pub primary_contact_user_id: Option<Uuid>,
}

async fn must_be_tenant_member(dir: &dyn Directory, tx: &TenantTx, user: Uuid, field: &str) -> Result<(), ApiError> {
    if dir.is_member(tx, UserId(user)).await? {
        Ok(())
    } else {
        Err(ApiError::validation(vec![FieldError::new(field, "is not a member of this tenant")]))
    }
}

fn check_household(name: &str, kind: HouseholdType, info: Option<&CompanyInfo>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(m) = Name::parse(name) {
        errors.push(FieldError::new("name", m));
    }
    match (kind, info) {
        (HouseholdType::Company, Some(info)) => info.check(&mut errors),
        (HouseholdType::Company, None) => {}
        (_, Some(_)) => errors.push(FieldError::new("company_info", "is only for company households")),
        (_, None) => {}
    }
    errors
}

/// Creates a household with its primary member.
#[utoipa::path(tag = "households", security(("bearer_jwt" = []), ("api_key" = [])), request_body = HouseholdCreate,
    responses((status = 201, body = HouseholdView)))]
#[post("/households")]
pub async fn households_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<HouseholdCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let input = body.into_inner();
    let errors = check_household(&input.name, input.household_type, input.company_info.as_ref());
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let tx = ctx.write().await?;
    let user = input.primary_contact_user_id.unwrap_or(ctx.principal().user_id().0);
    must_be_tenant_member(dir.get_ref(), &tx, user, "primary_contact_user_id").await?;
    let now = Utc::now();
    let (household_id, member_id) = (Uuid::now_v7(), Uuid::now_v7());
    let h = households::ActiveModel {
        tenant_id: Set(ctx.tenant_id().0),
        id: Set(household_id),
        name: Set(input.name.trim().to_owned()),
        household_type: Set(to_str(&input.household_type)),
        primary_contact_id: Set(member_id),
        company_info: Set(input.company_info.as_ref().and_then(|c| serde_json::to_value(c).ok())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    let primary = MemberState {
        user_id: user,
        role: MemberRole::Primary,
        can_book_for_others: true,
        can_view_others_bookings: true,
        can_modify_others_bookings: true,
        approval_required_for: ApprovalRequiredFor::None,
        managed_by: Vec::new(),
        relationship: None,
        date_of_birth: None,
    };
    let m = insert_member(&tx, household_id, member_id, &primary).await?;
    let view = household_view(&h)?;
    let actor = AuditActor::of(&ctx);
    audit::record(
        &tx,
        &actor,
        Change::new(HouseholdsEvent::HouseholdCreated, "household", h.id, None, serde_json::to_value(&view).ok()),
    )
    .await?;
    audit::record(
        &tx,
        &actor,
        Change::new(
            HouseholdsEvent::HouseholdMemberAdded,
            "household_member",
            m.id,
            None,
            serde_json::to_value(member_view(&m)?).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(created(format!("/v1/households/{}", h.id), &view, Some(h.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseholdFilter {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub household_type: Option<HouseholdType>,
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery, HouseholdFilter),
    responses((status = 200, body = Page<HouseholdView>)))]
#[get("/households")]
pub async fn households_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
    filter: web::Query<HouseholdFilter>,
) -> Result<web::Json<Page<HouseholdView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let mut q = households::Entity::find()
        .filter(households::Column::TenantId.eq(ctx.tenant_id().0))
        .filter(households::Column::DeletedAt.is_null());
    if let Some(after) = query.cursor()? {
        q = q.filter(households::Column::Id.gt(after));
    }
    if let Some(kind) = filter.household_type {
        q = q.filter(households::Column::HouseholdType.eq(to_str(&kind)));
    }
    let rows = q.order_by_asc(households::Column::Id).limit(limit + 1).all(tx.conn()).await?;
    let views = rows.iter().map(household_view).collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(Page::from_overfetch(views, limit, |h| h.id)))
}

async fn find_household(tx: &TenantTx, id: Uuid) -> Result<households::Model, ApiError> {
    households::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(households::Column::DeletedAt.is_null())
        .one(tx.conn())
        .await?
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = HouseholdView)))]
#[get("/households/{id}")]
pub async fn households_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let h = find_household(&tx, *id).await?;
    Ok(ok_versioned(&household_view(&h)?, h.version))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<CompanyInfo>)]
    pub company_info: Option<Option<CompanyInfo>>,
    /// A primary member of this household.
    pub primary_contact_id: Option<Uuid>,
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body = HouseholdPatch, responses((status = 200, body = HouseholdView)))]
#[patch("/households/{id}")]
pub async fn households_update(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<HouseholdPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let p = body.into_inner();
    let tx = ctx.write().await?;
    let h = find_household(&tx, *id).await?;
    check_if_match(&req, h.version)?;
    let before = household_view(&h)?;
    let name = p.name.clone().unwrap_or_else(|| h.name.clone());
    let info = match &p.company_info {
        Some(info) => info.clone(),
        None => before.company_info.clone(),
    };
    let errors = check_household(&name, before.household_type, info.as_ref());
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if let Some(contact) = p.primary_contact_id {
        let m = find_member(&tx, h.id, contact).await.map_err(|_| {
            ApiError::validation(vec![FieldError::new("primary_contact_id", "is not a member of this household")])
        })?;
        if m.role != to_str(&MemberRole::Primary) {
            return Err(ApiError::validation(vec![FieldError::new("primary_contact_id", "must be a primary member")]));
        }
    }
    let version = h.version + 1;
    let mut am = h.into_active_model();
    am.name = Set(name.trim().to_owned());
    am.company_info = Set(info.as_ref().and_then(|c| serde_json::to_value(c).ok()));
    if let Some(contact) = p.primary_contact_id {
        am.primary_contact_id = Set(contact);
    }
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    let h = am.update(tx.conn()).await?;
    let view = household_view(&h)?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            HouseholdsEvent::HouseholdUpdated,
            "household",
            h.id,
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(ok_versioned(&view, h.version))
}

/// Soft-deletes a household.
#[utoipa::path(tag = "households", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
#[delete("/households/{id}")]
pub async fn households_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let tx = ctx.write().await?;
    let h = find_household(&tx, *id).await?;
    check_if_match(&req, h.version)?;
    let before = household_view(&h)?;
    let version = h.version + 1;
    let mut am = h.into_active_model();
    am.deleted_at = Set(Some(Utc::now()));
    am.version = Set(version);
    let h = am.update(tx.conn()).await?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(HouseholdsEvent::HouseholdDeleted, "household", h.id, serde_json::to_value(&before).ok(), None),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A member's full state, as created or after a patch; checked as a whole.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "role": "adult", "can_book_for_others": true}))]
pub struct MemberState {
    pub user_id: Uuid,
    pub role: MemberRole,
    #[serde(default)]
    pub can_book_for_others: bool,
    #[serde(default)]
    pub can_view_others_bookings: bool,
    #[serde(default)]
    pub can_modify_others_bookings: bool,
    #[serde(default = "no_approval")]
    pub approval_required_for: ApprovalRequiredFor,
    /// Members of this household who manage this one (required for minors and dependents).
    #[serde(default)]
    pub managed_by: Vec<Uuid>,
    pub relationship: Option<Relationship>,
    pub date_of_birth: Option<NaiveDate>,
}

fn no_approval() -> ApprovalRequiredFor {
    ApprovalRequiredFor::None
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub id: Uuid,
    pub household_id: Uuid,
    #[serde(flatten)]
    pub state: MemberState,
    pub version: i32,
    pub joined_at: DateTime<Utc>,
}

fn member_state(m: &members::Model) -> Result<MemberState, ApiError> {
    Ok(MemberState {
        user_id: m.user_id,
        role: from_str(&m.role)?,
        can_book_for_others: m.can_book_for_others,
        can_view_others_bookings: m.can_view_others_bookings,
        can_modify_others_bookings: m.can_modify_others_bookings,
        approval_required_for: from_str(&m.approval_required_for)?,
        managed_by: serde_json::from_value(m.managed_by.clone()).map_err(ApiError::internal)?,
        relationship: m.relationship.as_deref().map(from_str).transpose()?,
        date_of_birth: m.date_of_birth,
    })
}

fn member_view(m: &members::Model) -> Result<MemberView, ApiError> {
    Ok(MemberView {
        id: m.id,
        household_id: m.household_id,
        state: member_state(m)?,
        version: m.version,
        joined_at: m.joined_at,
    })
}

async fn find_member(tx: &TenantTx, household: Uuid, id: Uuid) -> Result<members::Model, ApiError> {
    members::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(members::Column::HouseholdId.eq(household))
        .one(tx.conn())
        .await?
        .ok_or_else(ApiError::not_found)
}

async fn household_members(tx: &TenantTx, household: Uuid) -> Result<Vec<members::Model>, ApiError> {
    Ok(members::Entity::find()
        .filter(members::Column::TenantId.eq(tx.tenant_id().0))
        .filter(members::Column::HouseholdId.eq(household))
        .order_by_asc(members::Column::Id)
        .all(tx.conn())
        .await?)
}

/// The household rules on one member's state: managers are members of this household
/// (not the member itself), minors and dependents have one, birth dates are past.
fn check_member(state: &MemberState, self_id: Option<Uuid>, household: &[members::Model]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, manager) in state.managed_by.iter().enumerate() {
        if Some(*manager) == self_id || !household.iter().any(|m| m.id == *manager) {
            errors.push(FieldError::new(format!("managed_by[{i}]"), "is not another member of this household"));
        }
    }
    if matches!(state.role, MemberRole::Minor | MemberRole::Dependent) && state.managed_by.is_empty() {
        errors.push(FieldError::new("managed_by", "a minor or dependent needs a member who manages them"));
    }
    if state.date_of_birth.is_some_and(|d| d > Utc::now().date_naive()) {
        errors.push(FieldError::new("date_of_birth", "must not be in the future"));
    }
    errors
}

async fn insert_member(tx: &TenantTx, household: Uuid, id: Uuid, s: &MemberState) -> Result<members::Model, ApiError> {
    members::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(id),
        household_id: Set(household),
        user_id: Set(s.user_id),
        role: Set(to_str(&s.role)),
        can_book_for_others: Set(s.can_book_for_others),
        can_view_others_bookings: Set(s.can_view_others_bookings),
        can_modify_others_bookings: Set(s.can_modify_others_bookings),
        approval_required_for: Set(to_str(&s.approval_required_for)),
        managed_by: Set(serde_json::json!(s.managed_by)),
        relationship: Set(s.relationship.as_ref().map(to_str)),
        date_of_birth: Set(s.date_of_birth),
        version: Set(1),
        joined_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::new(ErrorCode::Conflict).with_detail("this user is already a member of the household")
        }
        _ => ApiError::from(e),
    })
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<MemberView>)))]
#[get("/households/{id}/members")]
pub async fn household_members_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<MemberView>>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let h = find_household(&tx, *id).await?;
    Ok(web::Json(household_members(&tx, h.id).await?.iter().map(member_view).collect::<Result<_, _>>()?))
}

/// Adds a member (a user who is a member of the tenant).
#[utoipa::path(tag = "households", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body = MemberState, responses((status = 201, body = MemberView)))]
#[post("/households/{id}/members")]
pub async fn household_members_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    id: web::Path<Uuid>,
    body: Json<MemberState>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let state = body.into_inner();
    let tx = ctx.write().await?;
    let h = find_household(&tx, *id).await?;
    let errors = check_member(&state, None, &household_members(&tx, h.id).await?);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    must_be_tenant_member(dir.get_ref(), &tx, state.user_id, "user_id").await?;
    let m = insert_member(&tx, h.id, Uuid::now_v7(), &state).await?;
    let view = member_view(&m)?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            HouseholdsEvent::HouseholdMemberAdded,
            "household_member",
            m.id,
            None,
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(created(format!("/v1/households/{}/members/{}", h.id, m.id), &view, Some(m.version)))
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("member_id" = Uuid, Path)), responses((status = 200, body = MemberView)))]
#[get("/households/{id}/members/{member_id}")]
pub async fn household_members_get(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let (household, member) = path.into_inner();
    let tx = ctx.read().await?;
    let h = find_household(&tx, household).await?;
    let m = find_member(&tx, h.id, member).await?;
    Ok(ok_versioned(&member_view(&m)?, m.version))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    pub role: Option<MemberRole>,
    pub can_book_for_others: Option<bool>,
    pub can_view_others_bookings: Option<bool>,
    pub can_modify_others_bookings: Option<bool>,
    pub approval_required_for: Option<ApprovalRequiredFor>,
    pub managed_by: Option<Vec<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Relationship>)]
    pub relationship: Option<Option<Relationship>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub date_of_birth: Option<Option<NaiveDate>>,
}

/// The household keeps at least one primary member.
fn other_primaries(all: &[members::Model], except: Uuid) -> usize {
    let primary = to_str(&MemberRole::Primary);
    all.iter().filter(|m| m.id != except && m.role == primary).count()
}

#[utoipa::path(tag = "households", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("member_id" = Uuid, Path)), request_body = MemberPatch, responses((status = 200, body = MemberView)))]
#[patch("/households/{id}/members/{member_id}")]
pub async fn household_members_update(
    req: HttpRequest,
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<MemberPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let (household, member) = path.into_inner();
    let p = body.into_inner();
    let tx = ctx.write().await?;
    let h = find_household(&tx, household).await?;
    let m = find_member(&tx, h.id, member).await?;
    check_if_match(&req, m.version)?;
    let before = member_view(&m)?;
    let mut s = before.state.clone();
    if let Some(v) = p.role {
        s.role = v;
    }
    if let Some(v) = p.can_book_for_others {
        s.can_book_for_others = v;
    }
    if let Some(v) = p.can_view_others_bookings {
        s.can_view_others_bookings = v;
    }
    if let Some(v) = p.can_modify_others_bookings {
        s.can_modify_others_bookings = v;
    }
    if let Some(v) = p.approval_required_for {
        s.approval_required_for = v;
    }
    if let Some(v) = p.managed_by {
        s.managed_by = v;
    }
    if let Some(v) = p.relationship {
        s.relationship = v;
    }
    if let Some(v) = p.date_of_birth {
        s.date_of_birth = v;
    }
    let all = household_members(&tx, h.id).await?;
    let errors = check_member(&s, Some(m.id), &all);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if before.state.role == MemberRole::Primary && s.role != MemberRole::Primary {
        if other_primaries(&all, m.id) == 0 {
            return Err(ApiError::new(ErrorCode::Conflict).with_detail("a household keeps at least one primary member"));
        }
        if h.primary_contact_id == m.id {
            return Err(ApiError::new(ErrorCode::Conflict).with_detail("make another primary member the contact first"));
        }
    }
    let version = m.version + 1;
    let mut am = m.into_active_model();
    am.role = Set(to_str(&s.role));
    am.can_book_for_others = Set(s.can_book_for_others);
    am.can_view_others_bookings = Set(s.can_view_others_bookings);
    am.can_modify_others_bookings = Set(s.can_modify_others_bookings);
    am.approval_required_for = Set(to_str(&s.approval_required_for));
    am.managed_by = Set(serde_json::json!(s.managed_by));
    am.relationship = Set(s.relationship.as_ref().map(to_str));
    am.date_of_birth = Set(s.date_of_birth);
    am.version = Set(version);
    let m = am.update(tx.conn()).await?;
    let view = member_view(&m)?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            HouseholdsEvent::HouseholdMemberUpdated,
            "household_member",
            m.id,
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(ok_versioned(&view, m.version))
}

/// Removes a member; not the household's contact, its last primary member, or someone
/// who still manages another member.
#[utoipa::path(tag = "households", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("member_id" = Uuid, Path)), responses((status = 204, description = "Removed")))]
#[delete("/households/{id}/members/{member_id}")]
pub async fn household_members_delete(
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let (household, member) = path.into_inner();
    let tx = ctx.write().await?;
    let h = find_household(&tx, household).await?;
    let m = find_member(&tx, h.id, member).await?;
    let all = household_members(&tx, h.id).await?;
    let conflict = |detail: &'static str| ApiError::new(ErrorCode::Conflict).with_detail(detail);
    if h.primary_contact_id == m.id {
        return Err(conflict("make another primary member the contact first"));
    }
    if m.role == to_str(&MemberRole::Primary) && other_primaries(&all, m.id) == 0 {
        return Err(conflict("a household keeps at least one primary member"));
    }
    let manages = all.iter().any(|o| member_state(o).is_ok_and(|s| s.managed_by.contains(&m.id)));
    if manages {
        return Err(conflict("this member still manages another member"));
    }
    let before = member_view(&m)?;
    members::Entity::delete_by_id((ctx.tenant_id().0, m.id)).exec(tx.conn()).await?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            HouseholdsEvent::HouseholdMemberRemoved,
            "household_member",
            m.id,
            serde_json::to_value(&before).ok(),
            None,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
