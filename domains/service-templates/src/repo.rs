//! The only place that builds queries on `service_templates`, and the mapping between a
//! row and the typed [`ServiceTemplateState`]. Every query filters by the transaction's
//! tenant.

use atrium_bookables::model::{name_of, parse_name};
use atrium_core::context::Scope;
use atrium_core::db::TenantTx;
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::LikeExpr;
use sea_orm::{Condition, IntoActiveModel, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::entities::service_templates::{self, ActiveModel, Column, Entity, Model};
use crate::error::ServiceTemplatesError;
use crate::model::{ServiceTemplateState, ServiceTemplateStatus, ServiceTemplateType};

type Result<T> = std::result::Result<T, ServiceTemplatesError>;

/// What a list may be narrowed to.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub template_type: Option<ServiceTemplateType>,
    pub status: Option<ServiceTemplateStatus>,
    pub location_id: Option<Uuid>,
    /// Already checked to be a tag (`is_tag`: no `%`, no `,`).
    pub tag: Option<String>,
}

fn tags_column(tags: &[String]) -> String {
    if tags.is_empty() { String::new() } else { format!(",{},", tags.join(",")) }
}

fn json<T: Serialize>(id: Uuid, value: &T) -> Result<Json> {
    serde_json::to_value(value).map_err(|e| ServiceTemplatesError::Corrupt(id, e.to_string()))
}

fn read<T: DeserializeOwned>(id: Uuid, column: &str, value: &Json) -> Result<T> {
    serde_json::from_value(value.clone()).map_err(|e| ServiceTemplatesError::Corrupt(id, format!("{column}: {e}")))
}

fn read_name<T: DeserializeOwned>(id: Uuid, column: &str, value: &str) -> Result<T> {
    parse_name(value).ok_or_else(|| ServiceTemplatesError::Corrupt(id, format!("{column}: `{value}`")))
}

/// The template's state as stored (its slug always set).
pub fn state_of(m: &Model) -> Result<ServiceTemplateState> {
    let id = m.id;
    Ok(ServiceTemplateState {
        name: m.name.clone(),
        slug: Some(m.slug.clone()),
        description: m.description.clone(),
        location_id: m.location_id,
        category_id: m.category_id,
        tags: m.tags.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        template_type: read_name(id, "type", &m.template_type)?,
        duration: read(id, "duration", &m.duration)?,
        required_bookables: read(id, "required_bookables", &m.required_bookables)?,
        optional_bookables: read(id, "optional_bookables", &m.optional_bookables)?,
        capacity: read(id, "capacity", &m.capacity)?,
        pricing: read(id, "pricing", &m.pricing)?,
        cancellation: read(id, "cancellation", &m.cancellation)?,
        deposit: m.deposit.as_ref().map(|d| read(id, "deposit", d)).transpose()?,
        included_products: read(id, "included_products", &m.included_products)?,
        reservation: read(id, "reservation", &m.reservation)?,
        status: read_name(id, "status", &m.status)?,
    })
}

/// Sets every column that comes from the state.
fn fill(am: &mut ActiveModel, id: Uuid, s: &ServiceTemplateState) -> Result<()> {
    am.name = Set(s.name.trim().to_owned());
    am.slug = Set(s.effective_slug());
    am.description = Set(s.description.clone());
    am.location_id = Set(s.location_id);
    am.category_id = Set(s.category_id);
    am.tags = Set(tags_column(&s.tags));
    am.template_type = Set(name_of(&s.template_type));
    am.status = Set(name_of(&s.status));
    am.duration = Set(json(id, &s.duration)?);
    am.required_bookables = Set(json(id, &s.required_bookables)?);
    am.optional_bookables = Set(json(id, &s.optional_bookables)?);
    am.capacity = Set(json(id, &s.capacity)?);
    am.pricing = Set(json(id, &s.pricing)?);
    am.cancellation = Set(json(id, &s.cancellation)?);
    am.deposit = Set(s.deposit.as_ref().map(|d| json(id, d)).transpose()?);
    am.included_products = Set(json(id, &s.included_products)?);
    am.reservation = Set(json(id, &s.reservation)?);
    Ok(())
}

/// A duplicate slug (the partial unique index) is a 409, whoever won the race.
fn slug_taken(err: DbErr, slug: String) -> ServiceTemplatesError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ServiceTemplatesError::SlugTaken(slug),
        _ => ServiceTemplatesError::Db(err),
    }
}

pub async fn insert(tx: &TenantTx, id: Uuid, s: &ServiceTemplateState) -> Result<Model> {
    let now = Utc::now();
    let mut am = ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    fill(&mut am, id, s)?;
    am.insert(tx.conn()).await.map_err(|e| slug_taken(e, s.effective_slug()))
}

pub async fn update(tx: &TenantTx, current: Model, s: &ServiceTemplateState) -> Result<Model> {
    let (id, version) = (current.id, current.version + 1);
    let mut am = current.into_active_model();
    fill(&mut am, id, s)?;
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    am.update(tx.conn()).await.map_err(|e| slug_taken(e, s.effective_slug()))
}

pub async fn soft_delete(tx: &TenantTx, current: Model) -> Result<Model> {
    let version = current.version + 1;
    let mut am = current.into_active_model();
    let now = Utc::now();
    am.deleted_at = Set(Some(now));
    am.updated_at = Set(now);
    am.version = Set(version);
    Ok(am.update(tx.conn()).await?)
}

/// The templates `scope` reaches: the whole tenant's, or a location-scoped membership's
/// locations only (a template without a location is outside). Templates belong to no
/// one, so an own scope (which the catalog does not offer for them) reaches none.
fn within(scope: &Scope) -> Condition {
    match scope {
        Scope::Tenant => Condition::all(),
        Scope::Locations(ids) => Condition::all().add(Column::LocationId.is_in(ids.iter().copied())),
        Scope::Own(_) => Condition::all().add(Column::Id.is_in(std::iter::empty::<Uuid>())),
    }
}

/// A template of the transaction's tenant that is not deleted (whoever asks: for other
/// plugins, which decide their callers' reach themselves).
pub async fn find(tx: &TenantTx, id: Uuid) -> Result<Model> {
    find_within(tx, &Scope::Tenant, id).await
}

/// A template of the transaction's tenant that is not deleted and that `scope` reaches.
pub async fn find_within(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<Model> {
    Entity::find_by_id((tx.tenant_id().0, id))
        .filter(Column::DeletedAt.is_null())
        .filter(within(scope))
        .one(tx.conn())
        .await?
        .ok_or(ServiceTemplatesError::NotFound)
}

/// One page of the templates `scope` reaches, in id order (ids are UUIDv7, so pages are
/// stable under inserts), with one row more than `limit` when there is a next page.
pub async fn page(
    tx: &TenantTx,
    scope: &Scope,
    after: Option<Uuid>,
    limit: u64,
    filter: &ListFilter,
) -> Result<Vec<Model>> {
    let mut q = Entity::find()
        .filter(Column::TenantId.eq(tx.tenant_id().0))
        .filter(Column::DeletedAt.is_null())
        .filter(within(scope));
    if let Some(after) = after {
        q = q.filter(Column::Id.gt(after));
    }
    if let Some(t) = filter.template_type {
        q = q.filter(Column::TemplateType.eq(name_of(&t)));
    }
    if let Some(s) = filter.status {
        q = q.filter(Column::Status.eq(name_of(&s)));
    }
    if let Some(l) = filter.location_id {
        q = q.filter(Column::LocationId.eq(l));
    }
    if let Some(tag) = &filter.tag {
        // `_` is a tag character and a LIKE wildcard: escaped, it matches only itself.
        let pattern = format!("%,{},%", tag.replace('_', "\\_"));
        q = q.filter(Column::Tags.like(LikeExpr::new(pattern).escape('\\')));
    }
    Ok(q.order_by_asc(service_templates::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}
