//! Queries on a bookable's date overrides and blocked times.

use atrium_core::db::TenantTx;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect, Set};

use crate::entities::{blocked_times, date_overrides};
use crate::error::{BookablesError, Result};
use crate::model::name_of;
use crate::views::calendar::{BlockedTimeInput, DateOverrideInput};

/// Lists answer at most this many rows.
const LIST_LIMIT: u64 = 1000;

/// One override per bookable and date: a second is a 409, whoever won the race.
pub async fn insert_override(
    tx: &TenantTx,
    bookable: Uuid,
    input: &DateOverrideInput,
) -> Result<date_overrides::Model> {
    date_overrides::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        bookable_id: Set(bookable),
        date: Set(input.date),
        override_type: Set(name_of(&input.override_type)),
        hours: Set(serde_json::to_value(&input.hours).map_err(|e| BookablesError::Corrupt(e.to_string()))?),
        pricing_multiplier: Set(input.pricing_multiplier.map(|d| d.normalize().to_string())),
        reason: Set(input.reason.clone()),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => BookablesError::OverrideExists,
        _ => BookablesError::Db(e),
    })
}

/// `bookable`'s overrides between two local dates (both included), by date.
pub async fn overrides(
    tx: &TenantTx,
    bookable: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<date_overrides::Model>> {
    let mut q = date_overrides::Entity::find()
        .filter(date_overrides::Column::TenantId.eq(tx.tenant_id().0))
        .filter(date_overrides::Column::BookableId.eq(bookable));
    if let Some(from) = from {
        q = q.filter(date_overrides::Column::Date.gte(from));
    }
    if let Some(to) = to {
        q = q.filter(date_overrides::Column::Date.lte(to));
    }
    Ok(q.order_by_asc(date_overrides::Column::Date).limit(LIST_LIMIT).all(tx.conn()).await?)
}

/// The overrides of any of `bookables` between two local dates (both included).
pub async fn overrides_of(
    tx: &TenantTx,
    bookables: &[Uuid],
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<date_overrides::Model>> {
    Ok(date_overrides::Entity::find()
        .filter(date_overrides::Column::TenantId.eq(tx.tenant_id().0))
        .filter(date_overrides::Column::BookableId.is_in(bookables.iter().copied()))
        .filter(date_overrides::Column::Date.between(first, last))
        .all(tx.conn())
        .await?)
}

pub async fn find_override(tx: &TenantTx, bookable: Uuid, id: Uuid) -> Result<date_overrides::Model> {
    date_overrides::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(date_overrides::Column::BookableId.eq(bookable))
        .one(tx.conn())
        .await?
        .ok_or(BookablesError::NotFound)
}

pub async fn delete_override(tx: &TenantTx, id: Uuid) -> Result<()> {
    date_overrides::Entity::delete_by_id((tx.tenant_id().0, id)).exec(tx.conn()).await?;
    Ok(())
}

pub async fn insert_blocked_time(
    tx: &TenantTx,
    bookable: Uuid,
    input: &BlockedTimeInput,
) -> Result<blocked_times::Model> {
    Ok(blocked_times::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        bookable_id: Set(bookable),
        start_at: Set(input.start_at),
        end_at: Set(input.end_at),
        block_type: Set(name_of(&input.block_type)),
        reason: Set(input.reason.clone()),
        allow_override: Set(input.allow_override),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?)
}

/// `bookable`'s blocked times ending after `from` and starting before `to`, by start.
pub async fn blocked_times(
    tx: &TenantTx,
    bookable: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<blocked_times::Model>> {
    let mut q = blocked_times::Entity::find()
        .filter(blocked_times::Column::TenantId.eq(tx.tenant_id().0))
        .filter(blocked_times::Column::BookableId.eq(bookable));
    if let Some(from) = from {
        q = q.filter(blocked_times::Column::EndAt.gt(from));
    }
    if let Some(to) = to {
        q = q.filter(blocked_times::Column::StartAt.lt(to));
    }
    Ok(q.order_by_asc(blocked_times::Column::StartAt).limit(LIST_LIMIT).all(tx.conn()).await?)
}

/// The blocked times of any of `bookables` that staff may not book over, overlapping
/// `[from, to)`.
pub async fn hard_blocks_of(
    tx: &TenantTx,
    bookables: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<blocked_times::Model>> {
    Ok(blocked_times::Entity::find()
        .filter(blocked_times::Column::TenantId.eq(tx.tenant_id().0))
        .filter(blocked_times::Column::BookableId.is_in(bookables.iter().copied()))
        .filter(blocked_times::Column::EndAt.gt(from))
        .filter(blocked_times::Column::StartAt.lt(to))
        .filter(blocked_times::Column::AllowOverride.eq(false))
        .all(tx.conn())
        .await?)
}

pub async fn find_blocked_time(tx: &TenantTx, bookable: Uuid, id: Uuid) -> Result<blocked_times::Model> {
    blocked_times::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(blocked_times::Column::BookableId.eq(bookable))
        .one(tx.conn())
        .await?
        .ok_or(BookablesError::NotFound)
}

pub async fn delete_blocked_time(tx: &TenantTx, id: Uuid) -> Result<()> {
    blocked_times::Entity::delete_by_id((tx.tenant_id().0, id)).exec(tx.conn()).await?;
    Ok(())
}
