//! The only place that builds bookables queries: a bookable's base row and subtype row
//! to and from its typed [`BookableState`] (here), its calendar exceptions
//! ([`calendar`]) and its certifications ([`certifications`]). Every query filters by the
//! transaction's tenant.

pub mod calendar;
pub mod certifications;
pub mod owners;

use std::collections::HashMap;
use std::str::FromStr;

use atrium_core::context::Scope;
use atrium_core::db::TenantTx;
use atrium_core::schedule::WeeklySchedule;
use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::entity::prelude::*;
use sea_orm::{Condition, ConnectionTrait, DbBackend, IntoActiveModel, QueryOrder, QuerySelect, QueryTrait, Set};
use serde::de::DeserializeOwned;

use crate::entities::{assets, bookables, company_providers, providers, venues};
use crate::error::{BookablesError, Result};
use crate::model::*;
use crate::tags::{tag_needle, tags_column, tags_of};

fn json<T: serde::Serialize>(value: &T) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

fn corrupt(e: impl std::fmt::Display) -> BookablesError {
    BookablesError::Corrupt(format!("a stored bookable does not read: {e}"))
}

fn from_json<T: DeserializeOwned>(value: &Json) -> Result<T> {
    serde_json::from_value(value.clone()).map_err(corrupt)
}

fn decimal(value: Option<&String>) -> Result<Option<Decimal>> {
    value.map(|v| Decimal::from_str(v).map_err(corrupt)).transpose()
}

fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn uint(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// The bookables `scope` reaches: the whole tenant's; a location-scoped membership's
/// locations only (a bookable without a location is outside); under own scope the
/// provider bookables whose `user_id` is the caller.
fn within(tenant: Uuid, scope: &Scope) -> Condition {
    match scope {
        Scope::Tenant => Condition::all(),
        Scope::Locations(ids) => Condition::all().add(bookables::Column::LocationId.is_in(ids.iter().copied())),
        Scope::Own(user) => {
            let mine = providers::Entity::find()
                .select_only()
                .column(providers::Column::Id)
                .filter(providers::Column::TenantId.eq(tenant))
                .filter(providers::Column::UserId.eq(user.0))
                .into_query();
            Condition::all().add(bookables::Column::Id.in_subquery(mine))
        }
    }
}

/// A non-deleted bookable of the transaction's tenant that `scope` reaches (404 otherwise).
pub async fn find(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<bookables::Model> {
    let tenant = tx.tenant_id().0;
    bookables::Entity::find_by_id((tenant, id))
        .filter(bookables::Column::DeletedAt.is_null())
        .filter(within(tenant, scope))
        .one(tx.conn())
        .await?
        .ok_or(BookablesError::NotFound)
}

/// The tenant's non-deleted bookables among `ids`; ids of other tenants are simply absent.
pub async fn find_many(tx: &TenantTx, ids: &[Uuid]) -> Result<Vec<bookables::Model>> {
    Ok(bookables::Entity::find()
        .filter(bookables::Column::TenantId.eq(tx.tenant_id().0))
        .filter(bookables::Column::Id.is_in(ids.iter().copied()))
        .filter(bookables::Column::DeletedAt.is_null())
        .all(tx.conn())
        .await?)
}

/// What a list may be narrowed to (the names as stored).
#[derive(Debug, Default)]
pub struct ListFilter {
    pub bookable_type: Option<String>,
    pub status: Option<String>,
    pub location_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    /// Already checked to be a tag.
    pub tag: Option<String>,
}

/// One page of the non-deleted bookables `scope` reaches, in id order, with one row more
/// than `limit` when there is a next page.
pub async fn page(
    tx: &TenantTx,
    scope: &Scope,
    after: Option<Uuid>,
    limit: u64,
    f: &ListFilter,
) -> Result<Vec<bookables::Model>> {
    let tenant = tx.tenant_id().0;
    let mut q = bookables::Entity::find()
        .filter(bookables::Column::TenantId.eq(tenant))
        .filter(bookables::Column::DeletedAt.is_null())
        .filter(within(tenant, scope));
    if let Some(after) = after {
        q = q.filter(bookables::Column::Id.gt(after));
    }
    if let Some(kind) = &f.bookable_type {
        q = q.filter(bookables::Column::BookableType.eq(kind));
    }
    if let Some(status) = &f.status {
        q = q.filter(bookables::Column::Status.eq(status));
    }
    if let Some(location) = f.location_id {
        q = q.filter(bookables::Column::LocationId.eq(location));
    }
    if let Some(category) = f.category_id {
        q = q.filter(bookables::Column::CategoryId.eq(category));
    }
    if let Some(tag) = &f.tag {
        q = q.filter(bookables::Column::Tags.contains(tag_needle(tag)));
    }
    Ok(q.order_by_asc(bookables::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

/// Which bookables one requirement may use (the names as stored).
#[derive(Debug, Default)]
pub struct Candidates<'a> {
    pub bookable_type: Option<String>,
    pub ids: Option<&'a [Uuid]>,
    /// Every one of these tags.
    pub tags: &'a [String],
    /// Any of these categories (none: any category).
    pub category_ids: &'a [Uuid],
    pub location_id: Option<Uuid>,
}

/// The tenant's active, non-deleted bookables matching any of `wanted`, in id order.
pub async fn active_candidates(tx: &TenantTx, wanted: &[Candidates<'_>]) -> Result<Vec<bookables::Model>> {
    let mut any = Condition::any();
    for f in wanted {
        let mut all = Condition::all();
        if let Some(kind) = &f.bookable_type {
            all = all.add(bookables::Column::BookableType.eq(kind));
        }
        if let Some(ids) = f.ids {
            all = all.add(bookables::Column::Id.is_in(ids.iter().copied()));
        }
        for tag in f.tags {
            all = all.add(bookables::Column::Tags.contains(tag_needle(tag)));
        }
        if !f.category_ids.is_empty() {
            all = all.add(bookables::Column::CategoryId.is_in(f.category_ids.iter().copied()));
        }
        if let Some(location) = f.location_id {
            all = all.add(bookables::Column::LocationId.eq(location));
        }
        any = any.add(all);
    }
    Ok(bookables::Entity::find()
        .filter(bookables::Column::TenantId.eq(tx.tenant_id().0))
        .filter(bookables::Column::DeletedAt.is_null())
        .filter(bookables::Column::Status.eq(name_of(&BookableStatus::Active)))
        .filter(any)
        .order_by_asc(bookables::Column::Id)
        .all(tx.conn())
        .await?)
}

/// Locks the bookables' rows until the transaction ends (PostgreSQL; SQLite's write
/// transactions are already serialized), in id order so two lockers never deadlock.
pub async fn lock(tx: &TenantTx, ids: &[Uuid]) -> Result<()> {
    if tx.conn().get_database_backend() != DbBackend::Postgres || ids.is_empty() {
        return Ok(());
    }
    bookables::Entity::find()
        .filter(bookables::Column::TenantId.eq(tx.tenant_id().0))
        .filter(bookables::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(bookables::Column::Id)
        .lock_exclusive()
        .all(tx.conn())
        .await?;
    Ok(())
}

pub async fn slug_taken(tx: &TenantTx, slug: &str, except: Option<Uuid>) -> Result<bool> {
    let mut q = bookables::Entity::find()
        .filter(bookables::Column::TenantId.eq(tx.tenant_id().0))
        .filter(bookables::Column::Slug.eq(slug));
    if let Some(id) = except {
        q = q.filter(bookables::Column::Id.ne(id));
    }
    Ok(q.one(tx.conn()).await?.is_some())
}

fn common_of(b: &bookables::Model) -> Result<BookableCommon> {
    let bad = || BookablesError::Corrupt(format!("bookable {} has an unknown status", b.id));
    Ok(BookableCommon {
        name: b.name.clone(),
        slug: Some(b.slug.clone()),
        description: b.description.clone(),
        location_id: b.location_id,
        category_id: b.category_id,
        tags: tags_of(&b.tags),
        status: parse_name(&b.status).ok_or_else(bad)?,
        calendar: Calendar {
            timezone: b.timezone.clone(),
            weekly_schedule: from_json::<WeeklySchedule>(&b.weekly_schedule)?,
            slot_duration_minutes: uint(b.slot_duration_minutes),
            slot_interval_minutes: uint(b.slot_interval_minutes),
            pre_buffer_minutes: uint(b.pre_buffer_minutes),
            post_buffer_minutes: uint(b.post_buffer_minutes),
            min_advance_hours: uint(b.min_advance_hours),
            max_advance_days: uint(b.max_advance_days),
        },
    })
}

fn set_common(am: &mut bookables::ActiveModel, c: &BookableCommon, slug: &str) {
    am.name = Set(c.name.trim().to_owned());
    am.slug = Set(slug.to_owned());
    am.description = Set(c.description.clone());
    am.location_id = Set(c.location_id);
    am.category_id = Set(c.category_id);
    am.tags = Set(tags_column(&c.tags));
    am.status = Set(name_of(&c.status));
    am.timezone = Set(c.calendar.timezone.clone());
    am.weekly_schedule = Set(json(&c.calendar.weekly_schedule));
    am.slot_duration_minutes = Set(int(c.calendar.slot_duration_minutes));
    am.slot_interval_minutes = Set(int(c.calendar.slot_interval_minutes));
    am.pre_buffer_minutes = Set(int(c.calendar.pre_buffer_minutes));
    am.post_buffer_minutes = Set(int(c.calendar.post_buffer_minutes));
    am.min_advance_hours = Set(int(c.calendar.min_advance_hours));
    am.max_advance_days = Set(int(c.calendar.max_advance_days));
}

/// Inserts the base row and the subtype row of a new bookable.
pub async fn insert(tx: &TenantTx, id: Uuid, s: &BookableState, slug: &str) -> Result<bookables::Model> {
    let now = Utc::now();
    let mut am = bookables::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(id),
        bookable_type: Set(name_of(&s.details.bookable_type())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        deletion_reason: Set(None),
        ..Default::default()
    };
    set_common(&mut am, &s.common, slug);
    let base = am.insert(tx.conn()).await.map_err(slug_conflict)?;
    save_details(tx, id, &s.details, true).await?;
    Ok(base)
}

/// Writes a changed state over an existing bookable (same type), bumping its version.
pub async fn update(tx: &TenantTx, base: bookables::Model, s: &BookableState, slug: &str) -> Result<bookables::Model> {
    let version = base.version + 1;
    let id = base.id;
    let mut am = base.into_active_model();
    set_common(&mut am, &s.common, slug);
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    let base = am.update(tx.conn()).await.map_err(slug_conflict)?;
    save_details(tx, id, &s.details, false).await?;
    Ok(base)
}

pub async fn soft_delete(tx: &TenantTx, base: bookables::Model, reason: Option<String>) -> Result<()> {
    let version = base.version + 1;
    let mut am = base.into_active_model();
    am.deleted_at = Set(Some(Utc::now()));
    am.deletion_reason = Set(reason);
    am.version = Set(version);
    am.update(tx.conn()).await?;
    Ok(())
}

/// A duplicate slug (the unique index) is a 409, whoever won the race.
fn slug_conflict(e: DbErr) -> BookablesError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => BookablesError::SlugTaken,
        _ => BookablesError::Db(e),
    }
}

async fn save_details(tx: &TenantTx, id: Uuid, details: &BookableDetails, insert: bool) -> Result<()> {
    let tenant_id = tx.tenant_id().0;
    let conn = tx.conn();
    match details {
        BookableDetails::Provider(p) => {
            let pay = p.payment_profile.as_ref();
            let am = providers::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                user_id: Set(p.user_id),
                email: Set(p.email.trim().to_lowercase()),
                phone: Set(p.phone.clone()),
                bio: Set(p.bio.clone()),
                specialties: Set(json(&p.specialties)),
                languages: Set(json(&p.languages)),
                can_work_at_locations: Set(json(&p.can_work_at_locations)),
                travel_radius_km: Set(p.travel_radius_km.map(int)),
                max_daily_bookings: Set(p.max_daily_bookings.map(int)),
                min_rest_between_bookings_minutes: Set(int(p.min_rest_between_bookings_minutes)),
                hourly_rate: Set(pay.and_then(|p| p.hourly_rate).map(|d| d.normalize().to_string())),
                commission_split: Set(pay.and_then(|p| p.commission_split).map(|d| d.normalize().to_string())),
                rating: if insert { Set(None) } else { sea_orm::ActiveValue::NotSet },
                review_count: if insert { Set(0) } else { sea_orm::ActiveValue::NotSet },
            };
            if insert { am.insert(conn).await.map(drop)? } else { am.update(conn).await.map(drop)? }
        }
        BookableDetails::CompanyProvider(c) => {
            let am = company_providers::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                household_id: Set(c.household_id),
                email: Set(c.email.trim().to_lowercase()),
                phone: Set(c.phone.clone()),
                website: Set(c.website.clone()),
                available_technicians: Set(json(&c.available_technicians)),
                dispatch_method: Set(name_of(&c.dispatch_method)),
                service_radius_km: Set(int(c.service_radius_km)),
                business_hours: Set(json(&c.business_hours)),
            };
            if insert { am.insert(conn).await.map(drop)? } else { am.update(conn).await.map(drop)? }
        }
        BookableDetails::Asset(a) => {
            let schedule = a.maintenance_schedule.as_ref();
            let am = assets::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                asset_type: Set(name_of(&a.asset_type)),
                serial_number: Set(a.serial_number.clone()),
                inventory_number: Set(a.inventory_number.clone()),
                specifications: Set(json(&a.specifications)),
                maintenance_every_hours: Set(schedule.and_then(|m| m.every_hours).map(int)),
                maintenance_every_days: Set(schedule.and_then(|m| m.every_days).map(int)),
                last_serviced_at: Set(a.last_serviced_at),
                next_service_due: Set(a.next_service_due),
            };
            if insert { am.insert(conn).await.map(drop)? } else { am.update(conn).await.map(drop)? }
        }
        BookableDetails::Venue(v) => {
            let am = venues::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                capacity_min: Set(v.capacity.min.map(int)),
                capacity_max: Set(int(v.capacity.max)),
                square_footage: Set(v.square_footage.map(int)),
                amenities: Set(json(&v.amenities)),
                allow_simultaneous_bookings: Set(v.allow_simultaneous_bookings),
                max_simultaneous_bookings: Set(v.max_simultaneous_bookings.map(int)),
                default_setup_minutes: Set(int(v.default_setup_minutes)),
                default_teardown_minutes: Set(int(v.default_teardown_minutes)),
            };
            if insert { am.insert(conn).await.map(drop)? } else { am.update(conn).await.map(drop)? }
        }
    }
    Ok(())
}

/// The subtype rows of `bases`, one query per type present.
#[derive(Default)]
struct Subtypes {
    providers: HashMap<Uuid, providers::Model>,
    company_providers: HashMap<Uuid, company_providers::Model>,
    assets: HashMap<Uuid, assets::Model>,
    venues: HashMap<Uuid, venues::Model>,
}

fn ids_of(bases: &[bookables::Model], kind: BookableType) -> Vec<Uuid> {
    let kind = name_of(&kind);
    bases.iter().filter(|b| b.bookable_type == kind).map(|b| b.id).collect()
}

async fn subtypes(tx: &TenantTx, bases: &[bookables::Model]) -> Result<Subtypes> {
    let tenant = tx.tenant_id().0;
    let mut out = Subtypes::default();
    let ids = ids_of(bases, BookableType::Provider);
    if !ids.is_empty() {
        out.providers = providers::Entity::find()
            .filter(providers::Column::TenantId.eq(tenant))
            .filter(providers::Column::Id.is_in(ids))
            .all(tx.conn())
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    }
    let ids = ids_of(bases, BookableType::CompanyProvider);
    if !ids.is_empty() {
        out.company_providers = company_providers::Entity::find()
            .filter(company_providers::Column::TenantId.eq(tenant))
            .filter(company_providers::Column::Id.is_in(ids))
            .all(tx.conn())
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    }
    let ids = ids_of(bases, BookableType::Asset);
    if !ids.is_empty() {
        out.assets = assets::Entity::find()
            .filter(assets::Column::TenantId.eq(tenant))
            .filter(assets::Column::Id.is_in(ids))
            .all(tx.conn())
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    }
    let ids = ids_of(bases, BookableType::Venue);
    if !ids.is_empty() {
        out.venues = venues::Entity::find()
            .filter(venues::Column::TenantId.eq(tenant))
            .filter(venues::Column::Id.is_in(ids))
            .all(tx.conn())
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    }
    Ok(out)
}

fn details_of(b: &bookables::Model, subs: &mut Subtypes) -> Result<BookableDetails> {
    let missing = || BookablesError::Corrupt(format!("bookable {} has no {} row", b.id, b.bookable_type));
    let kind: BookableType =
        parse_name(&b.bookable_type).ok_or_else(|| BookablesError::Corrupt(format!("bookable {} type", b.id)))?;
    Ok(match kind {
        BookableType::Provider => {
            let p = subs.providers.remove(&b.id).ok_or_else(missing)?;
            let (hourly_rate, commission_split) =
                (decimal(p.hourly_rate.as_ref())?, decimal(p.commission_split.as_ref())?);
            BookableDetails::Provider(ProviderFields {
                user_id: p.user_id,
                email: p.email,
                phone: p.phone,
                bio: p.bio,
                specialties: from_json(&p.specialties)?,
                languages: from_json(&p.languages)?,
                can_work_at_locations: from_json(&p.can_work_at_locations)?,
                travel_radius_km: p.travel_radius_km.map(uint),
                max_daily_bookings: p.max_daily_bookings.map(uint),
                min_rest_between_bookings_minutes: uint(p.min_rest_between_bookings_minutes),
                payment_profile: (hourly_rate.is_some() || commission_split.is_some())
                    .then_some(PaymentProfile { hourly_rate, commission_split }),
            })
        }
        BookableType::CompanyProvider => {
            let c = subs.company_providers.remove(&b.id).ok_or_else(missing)?;
            BookableDetails::CompanyProvider(CompanyProviderFields {
                household_id: c.household_id,
                email: c.email,
                phone: c.phone,
                website: c.website,
                available_technicians: from_json(&c.available_technicians)?,
                dispatch_method: parse_name(&c.dispatch_method).ok_or_else(missing)?,
                service_radius_km: uint(c.service_radius_km),
                business_hours: from_json(&c.business_hours)?,
            })
        }
        BookableType::Asset => {
            let a = subs.assets.remove(&b.id).ok_or_else(missing)?;
            let schedule = (a.maintenance_every_hours.is_some() || a.maintenance_every_days.is_some()).then(|| {
                MaintenanceSchedule {
                    every_hours: a.maintenance_every_hours.map(uint),
                    every_days: a.maintenance_every_days.map(uint),
                }
            });
            BookableDetails::Asset(AssetFields {
                asset_type: parse_name(&a.asset_type).ok_or_else(missing)?,
                serial_number: a.serial_number,
                inventory_number: a.inventory_number,
                specifications: from_json(&a.specifications)?,
                maintenance_schedule: schedule,
                last_serviced_at: a.last_serviced_at,
                next_service_due: a.next_service_due,
            })
        }
        BookableType::Venue => {
            let v = subs.venues.remove(&b.id).ok_or_else(missing)?;
            BookableDetails::Venue(VenueFields {
                capacity: VenueCapacity { min: v.capacity_min.map(uint), max: uint(v.capacity_max) },
                square_footage: v.square_footage.map(uint),
                amenities: from_json(&v.amenities)?,
                allow_simultaneous_bookings: v.allow_simultaneous_bookings,
                max_simultaneous_bookings: v.max_simultaneous_bookings.map(uint),
                default_setup_minutes: uint(v.default_setup_minutes),
                default_teardown_minutes: uint(v.default_teardown_minutes),
            })
        }
    })
}

/// Provider-only figures kept beside the state (not input).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub rating: Option<Decimal>,
    pub review_count: u32,
}

/// Each base row with its typed state, in the order given.
pub async fn states(
    tx: &TenantTx,
    bases: Vec<bookables::Model>,
) -> Result<Vec<(bookables::Model, BookableState, Stats)>> {
    let mut subs = subtypes(tx, &bases).await?;
    let stats: HashMap<Uuid, Stats> = subs
        .providers
        .values()
        .map(|p| {
            let rating = decimal(p.rating.as_ref()).ok().flatten();
            (p.id, Stats { rating, review_count: uint(p.review_count) })
        })
        .collect();
    bases
        .into_iter()
        .map(|b| {
            let state = BookableState { common: common_of(&b)?, details: details_of(&b, &mut subs)? };
            let s = stats.get(&b.id).cloned().unwrap_or_default();
            Ok((b, state, s))
        })
        .collect()
}

pub async fn state(tx: &TenantTx, base: bookables::Model) -> Result<(bookables::Model, BookableState, Stats)> {
    states(tx, vec![base]).await?.pop().ok_or(BookablesError::NotFound)
}
