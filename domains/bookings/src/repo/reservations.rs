//! Holds (`reservations`): the queries, and a hold's view.

use atrium_core::db::TenantTx;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryOrder, QuerySelect, Statement};

use super::allocations;
use crate::entities::reservations;
use crate::error::BookingsError;
use crate::model::reservations::{ReservationStatus, ReservationView};

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<reservations::Model, BookingsError> {
    reservations::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?.ok_or(BookingsError::NotFound)
}

/// Record `id` when `owner` (an own-scoped caller) is its holder, or any when `None`;
/// 404 otherwise, as for another tenant's.
pub async fn find_owned(tx: &TenantTx, id: Uuid, owner: Option<Uuid>) -> Result<reservations::Model, BookingsError> {
    let mut q = reservations::Entity::find_by_id((tx.tenant_id().0, id));
    if let Some(owner) = owner {
        q = q.filter(reservations::Column::HolderUserId.eq(owner));
    }
    q.one(tx.conn()).await?.ok_or(BookingsError::NotFound)
}

/// One page in id order after `after`, with one row more than `limit` when there is a next page.
pub async fn page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    owner: Option<Uuid>,
) -> Result<Vec<reservations::Model>, BookingsError> {
    let mut q = reservations::Entity::find().filter(reservations::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(owner) = owner {
        q = q.filter(reservations::Column::HolderUserId.eq(owner));
    }
    if let Some(after) = after {
        q = q.filter(reservations::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(reservations::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

/// The bookables hold `reservation` occupies (or occupied), in allocation order.
pub async fn bookables_of(tx: &TenantTx, reservation: Uuid) -> Result<Vec<Uuid>, BookingsError> {
    Ok(allocations::of_reservation(tx, reservation).await?.into_iter().map(|a| a.bookable_id).collect())
}

/// Hold `r` as seen at `now`, with its bookables.
pub async fn view(
    tx: &TenantTx,
    r: &reservations::Model,
    now: DateTime<Utc>,
) -> Result<ReservationView, BookingsError> {
    Ok(ReservationView::of(r, bookables_of(tx, r.id).await?, now))
}

/// Holds `rows` as seen at `now`, with their bookables read in one statement.
pub async fn views(
    tx: &TenantTx,
    rows: &[reservations::Model],
    now: DateTime<Utc>,
) -> Result<Vec<ReservationView>, BookingsError> {
    let mut bookables = allocations::of_reservations(tx, rows.iter().map(|r| r.id).collect()).await?;
    Ok(rows.iter().map(|r| ReservationView::of(r, bookables.remove(&r.id).unwrap_or_default(), now)).collect())
}

pub async fn insert(tx: &TenantTx, row: reservations::ActiveModel) -> Result<reservations::Model, BookingsError> {
    Ok(row.insert(tx.conn()).await?)
}

pub async fn update(tx: &TenantTx, row: reservations::ActiveModel) -> Result<reservations::Model, BookingsError> {
    Ok(row.update(tx.conn()).await?)
}

/// Sets hold `id`'s status to `to` if it is still active; `false` when it was not.
pub async fn end_if_active(tx: &TenantTx, id: Uuid, to: ReservationStatus) -> Result<bool, BookingsError> {
    let ended = reservations::Entity::update_many()
        .col_expr(reservations::Column::Status, Expr::value(to.as_str()))
        .filter(reservations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(reservations::Column::Id.eq(id))
        .filter(reservations::Column::Status.eq(ReservationStatus::Active.as_str()))
        .exec(tx.conn())
        .await?;
    Ok(ended.rows_affected > 0)
}

/// Up to `batch` holds still marked active past their expiry.
pub async fn expired(tx: &TenantTx, now: DateTime<Utc>, batch: u64) -> Result<Vec<reservations::Model>, BookingsError> {
    Ok(reservations::Entity::find()
        .filter(reservations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(reservations::Column::Status.eq(ReservationStatus::Active.as_str()))
        .filter(reservations::Column::ExpiresAt.lte(now))
        .limit(batch)
        .all(tx.conn())
        .await?)
}

/// Tenants with holds to expire: across row-level security through a narrow function on
/// PostgreSQL.
pub async fn tenants_with_expired_holds(db: &DatabaseConnection) -> Result<Vec<Uuid>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT tenant_id FROM atrium_tenants_with_expired_holds(50)",
        _ => "SELECT DISTINCT tenant_id FROM reservations WHERE status = 'active' AND expires_at <= ? LIMIT 50",
    };
    let values: Vec<sea_orm::Value> = if backend == DbBackend::Postgres { Vec::new() } else { vec![Utc::now().into()] };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "tenant_id")).collect()
}
