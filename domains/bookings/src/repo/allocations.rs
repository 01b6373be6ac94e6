//! What bookings and holds occupy (`booking_allocations`): the engine's reads and writes,
//! and a hold's bookables.

use atrium_core::db::TenantTx;
use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, QueryOrder};

use crate::entities::allocations;
use crate::error::BookingsError;

/// The allocations of hold `reservation`, in id order.
pub async fn of_reservation(tx: &TenantTx, reservation: Uuid) -> Result<Vec<allocations::Model>, BookingsError> {
    Ok(allocations::Entity::find()
        .filter(allocations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(allocations::Column::ReservationId.eq(reservation))
        .order_by_asc(allocations::Column::Id)
        .all(tx.conn())
        .await?)
}

/// The bookables each of `reservations` holds, in allocation order; one statement.
pub async fn of_reservations(
    tx: &TenantTx,
    reservations: Vec<Uuid>,
) -> Result<std::collections::HashMap<Uuid, Vec<Uuid>>, BookingsError> {
    let mut held: std::collections::HashMap<Uuid, Vec<Uuid>> = std::collections::HashMap::new();
    if reservations.is_empty() {
        return Ok(held);
    }
    for a in allocations::Entity::find()
        .filter(allocations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(allocations::Column::ReservationId.is_in(reservations))
        .order_by_asc(allocations::Column::Id)
        .all(tx.conn())
        .await?
    {
        if let Some(r) = a.reservation_id {
            held.entry(r).or_default().push(a.bookable_id);
        }
    }
    Ok(held)
}

/// Bookings' and live holds' allocations on `bookables` whose occupied interval comes
/// within two days of `[from, to)`.
pub async fn live_near(
    tx: &TenantTx,
    bookables: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<allocations::Model>, BookingsError> {
    Ok(allocations::Entity::find()
        .filter(allocations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(allocations::Column::BookableId.is_in(bookables.iter().copied()))
        .filter(allocations::Column::Active.eq(true))
        .filter(
            Condition::any()
                .add(allocations::Column::HoldExpiresAt.is_null())
                .add(allocations::Column::HoldExpiresAt.gt(now)),
        )
        .filter(allocations::Column::BusyEnd.gt(from - Duration::days(2)))
        .filter(allocations::Column::BusyStart.lt(to + Duration::days(2)))
        .all(tx.conn())
        .await?)
}

/// The technicians company provider `company` already sends somewhere overlapping `busy`.
pub async fn technicians_sent(
    tx: &TenantTx,
    company: Uuid,
    busy: (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<Uuid>, BookingsError> {
    Ok(allocations::Entity::find()
        .filter(allocations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(allocations::Column::BookableId.eq(company))
        .filter(allocations::Column::Active.eq(true))
        .filter(allocations::Column::BusyStart.lt(busy.1))
        .filter(allocations::Column::BusyEnd.gt(busy.0))
        .all(tx.conn())
        .await?
        .into_iter()
        .filter_map(|a| a.technician_user_id)
        .collect())
}

/// Inserts an allocation; the database's error as it is (the engine reads PostgreSQL's
/// exclusion constraint in it).
pub async fn insert(tx: &TenantTx, row: allocations::ActiveModel) -> Result<allocations::Model, DbErr> {
    row.insert(tx.conn()).await
}

/// Holds on `bookables` past their expiry stop occupying them.
pub async fn release_expired_holds(tx: &TenantTx, bookables: &[Uuid], now: DateTime<Utc>) -> Result<(), BookingsError> {
    if bookables.is_empty() {
        return Ok(());
    }
    allocations::Entity::update_many()
        .col_expr(allocations::Column::Active, Expr::value(false))
        .filter(allocations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(allocations::Column::BookableId.is_in(bookables.iter().copied()))
        .filter(allocations::Column::Active.eq(true))
        .filter(allocations::Column::HoldExpiresAt.lte(now))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Frees what booking `booking` occupies.
pub async fn release_booking(tx: &TenantTx, booking: Uuid) -> Result<(), BookingsError> {
    release(tx, allocations::Column::BookingId.eq(booking)).await
}

/// Frees what hold `reservation` occupies.
pub async fn release_hold(tx: &TenantTx, reservation: Uuid) -> Result<(), BookingsError> {
    release(tx, allocations::Column::ReservationId.eq(reservation)).await
}

async fn release(tx: &TenantTx, owner: impl sea_orm::sea_query::IntoCondition) -> Result<(), BookingsError> {
    allocations::Entity::update_many()
        .col_expr(allocations::Column::Active, Expr::value(false))
        .filter(allocations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(owner)
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Hold `reservation`'s allocations now last until `expires_at`.
pub async fn extend_hold(tx: &TenantTx, reservation: Uuid, expires_at: DateTime<Utc>) -> Result<(), BookingsError> {
    allocations::Entity::update_many()
        .col_expr(allocations::Column::HoldExpiresAt, Expr::value(expires_at))
        .filter(allocations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(allocations::Column::ReservationId.eq(reservation))
        .exec(tx.conn())
        .await?;
    Ok(())
}
