//! Bookings with their participants and status history: the queries, and a booking's view.

use atrium_core::db::TenantTx;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect, QueryTrait};

use crate::entities::{allocations, bookings, participants, status_history};
use crate::error::BookingsError;
use crate::model::bookings::{
    AssignedBookableView, BookingFilter, BookingSource, BookingView, ParticipantRole, ParticipantView, StatusChangeView,
};
use crate::ownership::Reach;
use crate::status::BookingStatus;

/// Booking `id` when `reach` reaches it (404 otherwise, as for another tenant's).
pub async fn find(tx: &TenantTx, id: Uuid, reach: &Reach) -> Result<bookings::Model, BookingsError> {
    let mut q = bookings::Entity::find_by_id((tx.tenant_id().0, id));
    if let Some(within) = reach.bookings(tx.tenant_id().0) {
        q = q.filter(within);
    }
    q.one(tx.conn()).await?.ok_or(BookingsError::NotFound)
}

/// [`find`], locked until the transaction ends.
pub async fn find_locked(tx: &TenantTx, id: Uuid, reach: &Reach) -> Result<bookings::Model, BookingsError> {
    let mut q = bookings::Entity::find_by_id((tx.tenant_id().0, id));
    if let Some(within) = reach.bookings(tx.tenant_id().0) {
        q = q.filter(within);
    }
    q.lock_exclusive().one(tx.conn()).await?.ok_or(BookingsError::NotFound)
}

/// One page in id order after `after`, with one row more than `limit` when there is a next page.
pub async fn page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    filter: &BookingFilter,
    reach: &Reach,
) -> Result<Vec<bookings::Model>, BookingsError> {
    let tenant = tx.tenant_id().0;
    let mut q = bookings::Entity::find().filter(bookings::Column::TenantId.eq(tenant));
    if let Some(within) = reach.bookings(tenant) {
        q = q.filter(within);
    }
    if let Some(after) = after {
        q = q.filter(bookings::Column::Id.gt(after));
    }
    if let Some(status) = filter.status {
        q = q.filter(bookings::Column::Status.eq(status.as_str()));
    }
    if let Some(from) = filter.from {
        q = q.filter(bookings::Column::StartAt.gte(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(bookings::Column::StartAt.lt(to));
    }
    if let Some(bookable) = filter.bookable_id {
        let ids = allocations::Entity::find()
            .select_only()
            .column(allocations::Column::BookingId)
            .filter(allocations::Column::TenantId.eq(tenant))
            .filter(allocations::Column::BookableId.eq(bookable))
            .filter(allocations::Column::BookingId.is_not_null())
            .into_query();
        q = q.filter(bookings::Column::Id.in_subquery(ids));
    }
    if let Some(user) = filter.participant_user_id {
        let ids = participants::Entity::find()
            .select_only()
            .column(participants::Column::BookingId)
            .filter(participants::Column::TenantId.eq(tenant))
            .filter(participants::Column::UserId.eq(user))
            .into_query();
        q = q.filter(bookings::Column::Id.in_subquery(ids));
    }
    Ok(q.order_by_asc(bookings::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

fn decimal(value: Option<&String>) -> Option<rust_decimal::Decimal> {
    value.and_then(|v| v.parse().ok())
}

/// Booking `b` with its participants and the bookables it occupies.
pub async fn view(tx: &TenantTx, b: &bookings::Model) -> Result<BookingView, BookingsError> {
    let mut one = views(tx, std::slice::from_ref(b)).await?;
    one.pop().ok_or_else(|| BookingsError::Corrupt(format!("booking {} cannot be read", b.id)))
}

/// Bookings `rows` with their participants and bookables, in two statements whatever
/// their number (a page of 200 is not 400 queries).
pub async fn views(tx: &TenantTx, rows: &[bookings::Model]) -> Result<Vec<BookingView>, BookingsError> {
    use std::collections::HashMap;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let tenant = tx.tenant_id().0;
    let ids: Vec<Uuid> = rows.iter().map(|b| b.id).collect();
    let mut people: HashMap<Uuid, Vec<participants::Model>> = HashMap::new();
    for p in participants::Entity::find()
        .filter(participants::Column::TenantId.eq(tenant))
        .filter(participants::Column::BookingId.is_in(ids.clone()))
        .order_by_asc(participants::Column::Id)
        .all(tx.conn())
        .await?
    {
        people.entry(p.booking_id).or_default().push(p);
    }
    let mut assigned: HashMap<Uuid, Vec<allocations::Model>> = HashMap::new();
    for a in allocations::Entity::find()
        .filter(allocations::Column::TenantId.eq(tenant))
        .filter(allocations::Column::BookingId.is_in(ids))
        .order_by_asc(allocations::Column::Id)
        .all(tx.conn())
        .await?
    {
        if let Some(booking) = a.booking_id {
            assigned.entry(booking).or_default().push(a);
        }
    }
    rows.iter()
        .map(|b| assemble(b, people.remove(&b.id).unwrap_or_default(), assigned.remove(&b.id).unwrap_or_default()))
        .collect()
}

fn assemble(
    b: &bookings::Model,
    people: Vec<participants::Model>,
    assigned: Vec<allocations::Model>,
) -> Result<BookingView, BookingsError> {
    let bad = || BookingsError::Corrupt(format!("booking {} cannot be read", b.id));
    Ok(BookingView {
        id: b.id,
        service_template_id: b.service_template_id,
        status: BookingStatus::parse(&b.status).ok_or_else(bad)?,
        start: b.start_at,
        end: b.end_at,
        timezone: b.timezone.clone(),
        duration_minutes: u32::try_from(b.duration_minutes).unwrap_or(0),
        booked_by: b.booked_by,
        household_id: b.household_id,
        participants: people
            .into_iter()
            .map(|p| ParticipantView {
                id: p.id,
                user_id: p.user_id,
                household_member_id: p.household_member_id,
                name: p.name,
                email: p.email,
                role: serde_json::from_value(serde_json::Value::String(p.role)).unwrap_or(ParticipantRole::Guest),
                status: p.status,
            })
            .collect(),
        assigned_bookables: assigned
            .into_iter()
            .map(|a| AssignedBookableView {
                bookable_id: a.bookable_id,
                bookable_type: a.bookable_type,
                role: a.role,
                technician_user_id: a.technician_user_id,
            })
            .collect(),
        pricing_snapshot: serde_json::from_value(b.pricing_snapshot.clone()).map_err(|_| bad())?,
        refund_amount: decimal(b.refund_amount.as_ref()),
        refund_percent: decimal(b.refund_percent.as_ref()),
        cancelled_at: b.cancelled_at,
        cancellation_reason: b.cancellation_reason.clone(),
        checked_in_at: b.checked_in_at,
        completed_at: b.completed_at,
        source: serde_json::from_value(serde_json::Value::String(b.source.clone())).unwrap_or(BookingSource::Web),
        reservation_id: b.reservation_id,
        version: b.version,
        created_at: b.created_at,
    })
}

/// Every status booking `booking` went through, oldest first.
pub async fn history(tx: &TenantTx, booking: Uuid) -> Result<Vec<StatusChangeView>, BookingsError> {
    let rows = status_history::Entity::find()
        .filter(status_history::Column::TenantId.eq(tx.tenant_id().0))
        .filter(status_history::Column::BookingId.eq(booking))
        .order_by_asc(status_history::Column::Id)
        .all(tx.conn())
        .await?;
    Ok(rows
        .into_iter()
        .map(|h| StatusChangeView {
            from_status: h.from_status.as_deref().and_then(BookingStatus::parse),
            to_status: BookingStatus::parse(&h.to_status).unwrap_or(BookingStatus::Pending),
            actor_type: h.actor_type,
            actor_id: h.actor_id,
            reason: h.reason,
            at: h.at,
        })
        .collect())
}

pub async fn insert(tx: &TenantTx, row: bookings::ActiveModel) -> Result<bookings::Model, BookingsError> {
    Ok(row.insert(tx.conn()).await?)
}

pub async fn update(tx: &TenantTx, row: bookings::ActiveModel) -> Result<bookings::Model, BookingsError> {
    Ok(row.update(tx.conn()).await?)
}

pub async fn insert_participant(tx: &TenantTx, row: participants::ActiveModel) -> Result<(), BookingsError> {
    row.insert(tx.conn()).await?;
    Ok(())
}

/// Appends to a booking's status history (never updated or deleted).
pub async fn insert_status_change(tx: &TenantTx, row: status_history::ActiveModel) -> Result<(), BookingsError> {
    row.insert(tx.conn()).await?;
    Ok(())
}

/// Bookings (pending or confirmed, not yet reminded) starting after `from` and at or
/// before `to`, soonest first.
pub async fn to_remind(
    tx: &TenantTx,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<bookings::Model>, BookingsError> {
    Ok(bookings::Entity::find()
        .filter(bookings::Column::TenantId.eq(tx.tenant_id().0))
        .filter(bookings::Column::Status.is_in([BookingStatus::Pending.as_str(), BookingStatus::Confirmed.as_str()]))
        .filter(bookings::Column::RemindedAt.is_null())
        .filter(bookings::Column::StartAt.gt(from))
        .filter(bookings::Column::StartAt.lte(to))
        .order_by_asc(bookings::Column::StartAt)
        .limit(500)
        .all(tx.conn())
        .await?)
}

/// Records that the reminders of `ids` were enqueued at `at`.
pub async fn set_reminded(tx: &TenantTx, ids: Vec<Uuid>, at: chrono::DateTime<chrono::Utc>) -> Result<(), DbErr> {
    bookings::Entity::update_many()
        .col_expr(bookings::Column::RemindedAt, Expr::value(at))
        .filter(bookings::Column::TenantId.eq(tx.tenant_id().0))
        .filter(bookings::Column::Id.is_in(ids))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Tenants with bookings still to remind that start within `ahead` (the reminder job's;
/// every tenant's, through the finder function on PostgreSQL, whose window is the same 24
/// hours). A tenant drops out once its bookings are reminded, so none waits behind others.
pub async fn tenants_to_remind(db: &sea_orm::DatabaseConnection, ahead: chrono::Duration) -> Result<Vec<Uuid>, DbErr> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let now = chrono::Utc::now();
    let (sql, values): (&str, Vec<sea_orm::Value>) = match backend {
        DbBackend::Postgres => ("SELECT tenant_id FROM atrium_tenants_with_bookings_to_remind(50)", Vec::new()),
        _ => (
            "SELECT DISTINCT tenant_id FROM bookings WHERE status IN ('pending', 'confirmed') \
             AND reminded_at IS NULL AND start_at > ? AND start_at <= ? LIMIT 50",
            vec![now.into(), (now + ahead).into()],
        ),
    };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "tenant_id")).collect()
}
