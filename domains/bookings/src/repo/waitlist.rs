//! Waitlist entries: the queries (queue order is id order), and an entry's view.

use atrium_core::db::TenantTx;
use atrium_core::schedule::TimeRange;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    Condition, ConnectionTrait, DatabaseConnection, DbBackend, PaginatorTrait, QueryOrder, QuerySelect, Statement,
};

use crate::entities::waitlist_entries as entries;
use crate::error::BookingsError;
use crate::model::waitlist::{WaitlistEntryView, WaitlistFilter, WaitlistStatus};

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<entries::Model, BookingsError> {
    entries::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?.ok_or(BookingsError::NotFound)
}

/// Record `id` when `owner` (an own-scoped caller) is its creator, or any when `None`;
/// 404 otherwise, as for another tenant's.
pub async fn find_owned(tx: &TenantTx, id: Uuid, owner: Option<Uuid>) -> Result<entries::Model, BookingsError> {
    let mut q = entries::Entity::find_by_id((tx.tenant_id().0, id));
    if let Some(owner) = owner {
        q = q.filter(entries::Column::UserId.eq(owner));
    }
    q.one(tx.conn()).await?.ok_or(BookingsError::NotFound)
}

/// One page in id order after `after`, with one row more than `limit` when there is a next
/// page; the status filter as shown at `now`.
pub async fn page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    owner: Option<Uuid>,
    filter: &WaitlistFilter,
    now: DateTime<Utc>,
) -> Result<Vec<entries::Model>, BookingsError> {
    let mut q = entries::Entity::find().filter(entries::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(owner) = owner {
        q = q.filter(entries::Column::UserId.eq(owner));
    }
    if let Some(after) = after {
        q = q.filter(entries::Column::Id.gt(after));
    }
    if let Some(template) = filter.service_template_id {
        q = q.filter(entries::Column::ServiceTemplateId.eq(template));
    }
    let offered = WaitlistStatus::Offered.as_str();
    q = match filter.status {
        None => q,
        Some(WaitlistStatus::Offered) => {
            q.filter(entries::Column::Status.eq(offered)).filter(entries::Column::OfferExpiresAt.gt(now))
        }
        Some(WaitlistStatus::Expired) => {
            q.filter(Condition::any().add(entries::Column::Status.eq(WaitlistStatus::Expired.as_str())).add(
                Condition::all().add(entries::Column::Status.eq(offered)).add(entries::Column::OfferExpiresAt.lte(now)),
            ))
        }
        Some(s) => q.filter(entries::Column::Status.eq(s.as_str())),
    };
    Ok(q.order_by_asc(entries::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

/// The entry's place among those waiting for its service and date.
async fn position(tx: &TenantTx, e: &entries::Model) -> Result<Option<u32>, BookingsError> {
    if e.status != WaitlistStatus::Waiting.as_str() {
        return Ok(None);
    }
    let ahead = entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::ServiceTemplateId.eq(e.service_template_id))
        .filter(entries::Column::PreferredDate.eq(e.preferred_date))
        .filter(entries::Column::Status.eq(WaitlistStatus::Waiting.as_str()))
        .filter(entries::Column::Id.lt(e.id))
        .count(tx.conn())
        .await?;
    Ok(Some(u32::try_from(ahead).unwrap_or(u32::MAX).saturating_add(1)))
}

/// Entries `rows` as seen at `now`; the queue positions of the page are read in one
/// statement (every waiting entry of the page's template-and-day queues).
pub async fn views(
    tx: &TenantTx,
    rows: &[entries::Model],
    now: DateTime<Utc>,
) -> Result<Vec<WaitlistEntryView>, BookingsError> {
    let waiting = WaitlistStatus::Waiting.as_str();
    let queued: Vec<&entries::Model> = rows.iter().filter(|e| e.status == waiting).collect();
    let mut queues: Vec<(Uuid, NaiveDate, Uuid)> = Vec::new();
    if !queued.is_empty() {
        let templates: Vec<Uuid> = queued.iter().map(|e| e.service_template_id).collect();
        let dates: Vec<NaiveDate> = queued.iter().map(|e| e.preferred_date).collect();
        queues = entries::Entity::find()
            .select_only()
            .columns([entries::Column::ServiceTemplateId, entries::Column::PreferredDate, entries::Column::Id])
            .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
            .filter(entries::Column::Status.eq(waiting))
            .filter(entries::Column::ServiceTemplateId.is_in(templates))
            .filter(entries::Column::PreferredDate.is_in(dates))
            .into_tuple()
            .all(tx.conn())
            .await?;
    }
    rows.iter()
        .map(|e| {
            let position = (e.status == waiting).then(|| {
                let ahead = queues
                    .iter()
                    .filter(|(t, d, id)| *t == e.service_template_id && *d == e.preferred_date && *id < e.id)
                    .count();
                u32::try_from(ahead).unwrap_or(u32::MAX).saturating_add(1)
            });
            assemble(e, WaitlistStatus::of(e, now), position)
        })
        .collect()
}

/// Entry `e` as seen at `now`.
pub async fn view(tx: &TenantTx, e: &entries::Model, now: DateTime<Utc>) -> Result<WaitlistEntryView, BookingsError> {
    view_as(tx, e, WaitlistStatus::of(e, now)).await
}

/// Entry `e` shown with `status`.
pub async fn view_as(
    tx: &TenantTx,
    e: &entries::Model,
    status: WaitlistStatus,
) -> Result<WaitlistEntryView, BookingsError> {
    assemble(e, status, position(tx, e).await?)
}

fn assemble(
    e: &entries::Model,
    status: WaitlistStatus,
    position: Option<u32>,
) -> Result<WaitlistEntryView, BookingsError> {
    let preferred_time_range = match (&e.preferred_start, &e.preferred_end) {
        (Some(start), Some(end)) => Some(TimeRange { start: start.clone(), end: end.clone() }),
        _ => None,
    };
    Ok(WaitlistEntryView {
        id: e.id,
        service_template_id: e.service_template_id,
        user_id: e.user_id,
        household_id: e.household_id,
        preferred_date: e.preferred_date,
        preferred_time_range,
        participant_count: u32::try_from(e.participant_count).unwrap_or(0),
        technician_user_id: e.technician_user_id,
        position,
        status,
        offered_at: e.offered_at,
        offered_start: e.offered_start,
        offered_end: e.offered_end,
        offer_expires_at: e.offer_expires_at,
        reservation_id: e.reservation_id,
        booking_id: e.booking_id,
        version: e.version,
        created_at: e.created_at,
    })
}

pub async fn insert(tx: &TenantTx, row: entries::ActiveModel) -> Result<entries::Model, BookingsError> {
    Ok(row.insert(tx.conn()).await?)
}

pub async fn update(tx: &TenantTx, row: entries::ActiveModel) -> Result<entries::Model, BookingsError> {
    Ok(row.update(tx.conn()).await?)
}

/// Marks entry `id` expired if it is still offered; `false` when it was not.
pub async fn expire_if_offered(tx: &TenantTx, id: Uuid, now: DateTime<Utc>) -> Result<bool, BookingsError> {
    let updated = entries::Entity::update_many()
        .col_expr(entries::Column::Status, Expr::value(WaitlistStatus::Expired.as_str()))
        .col_expr(entries::Column::Version, ExprTrait::add(Expr::col(entries::Column::Version), 1))
        .col_expr(entries::Column::UpdatedAt, Expr::value(now))
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::Id.eq(id))
        .filter(entries::Column::Status.eq(WaitlistStatus::Offered.as_str()))
        .exec(tx.conn())
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Offers of `template`'s slot at `start` that lapsed by `now`, still marked offered.
pub async fn lapsed_offers_of_slot(
    tx: &TenantTx,
    template: Uuid,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<entries::Model>, BookingsError> {
    Ok(entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::ServiceTemplateId.eq(template))
        .filter(entries::Column::Status.eq(WaitlistStatus::Offered.as_str()))
        .filter(entries::Column::OfferedStart.eq(start))
        .filter(entries::Column::OfferExpiresAt.lte(now))
        .order_by_asc(entries::Column::Id)
        .all(tx.conn())
        .await?)
}

/// Entries waiting for `template` on local date `date`, in queue order.
pub async fn waiting_for(tx: &TenantTx, template: Uuid, date: NaiveDate) -> Result<Vec<entries::Model>, BookingsError> {
    Ok(entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::ServiceTemplateId.eq(template))
        .filter(entries::Column::Status.eq(WaitlistStatus::Waiting.as_str()))
        .filter(entries::Column::PreferredDate.eq(date))
        .order_by_asc(entries::Column::Id)
        .all(tx.conn())
        .await?)
}

/// Up to `batch` offers that lapsed by `now`, still marked offered, oldest first.
pub async fn lapsed_offers(
    tx: &TenantTx,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<Vec<entries::Model>, BookingsError> {
    Ok(entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::Status.eq(WaitlistStatus::Offered.as_str()))
        .filter(entries::Column::OfferExpiresAt.lte(now))
        .order_by_asc(entries::Column::Id)
        .limit(batch)
        .all(tx.conn())
        .await?)
}

/// Tenants with lapsed offers: across row-level security through a narrow function on
/// PostgreSQL (as for holds).
pub async fn tenants_with_lapsed_offers(db: &DatabaseConnection) -> Result<Vec<Uuid>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT tenant_id FROM atrium_tenants_with_lapsed_offers(50)",
        _ => {
            "SELECT DISTINCT tenant_id FROM waitlist_entries WHERE status = 'offered' AND offer_expires_at <= ? LIMIT 50"
        }
    };
    let values: Vec<sea_orm::Value> = if backend == DbBackend::Postgres { Vec::new() } else { vec![Utc::now().into()] };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "tenant_id")).collect()
}
