//! The delivery worker's queries: leases on new events and on due deliveries (the only
//! queries that see every tenant's rows, through the claim functions of the event-leases
//! migration on PostgreSQL), then one tenant's batch read and its outcomes written, each
//! in that tenant's transaction.

use atrium_core::db::TenantTx;
use atrium_core::events::entity as event_entity;
use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{DatabaseConnection, DbBackend, IntoActiveModel, QueryOrder, Statement};

use crate::entities::{webhook_attempts, webhook_deliveries, webhook_endpoints};

/// Rows per insert, under SQLite's bound-parameter limit.
const CHUNK: usize = 500;

/// Leases up to `limit` events not yet dispatched; `(tenant_id, id)` of each.
pub async fn claim_events(db: &DatabaseConnection, limit: u64, lease: Duration) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    claim(
        db,
        "atrium_claim_events",
        "UPDATE events SET leased_until = $1
          WHERE (tenant_id, id) IN (
                SELECT tenant_id, id FROM events
                 WHERE dispatched_at IS NULL AND (leased_until IS NULL OR leased_until < $2)
                 ORDER BY id LIMIT $3)
      RETURNING tenant_id, id",
        limit,
        lease,
    )
    .await
}

/// Leases up to `limit` deliveries that are due (retries, and those a dead worker left
/// behind); `(tenant_id, id)` of each.
pub async fn claim_deliveries(
    db: &DatabaseConnection,
    limit: u64,
    lease: Duration,
) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    claim(
        db,
        "atrium_claim_deliveries",
        "UPDATE webhook_deliveries SET leased_until = $1
          WHERE (tenant_id, id) IN (
                SELECT tenant_id, id FROM webhook_deliveries
                 WHERE state = 'pending' AND next_attempt_at <= $2
                   AND (leased_until IS NULL OR leased_until < $2)
                 ORDER BY next_attempt_at LIMIT $3)
      RETURNING tenant_id, id",
        limit,
        lease,
    )
    .await
}

/// Leases up to `limit` rows for `lease`: through the PostgreSQL `function`
/// (`FOR UPDATE SKIP LOCKED`, row-level security aside), or the `sqlite` statement
/// (`$1` the lease's end, `$2` now, `$3` the limit). `(tenant_id, id)` of each row.
async fn claim(
    db: &DatabaseConnection,
    function: &str,
    sqlite: &str,
    limit: u64,
    lease: Duration,
) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    let backend = db.get_database_backend();
    let stmt = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            format!("SELECT tenant_id, id FROM {function}($1, $2)"),
            [(limit as i32).into(), (lease.num_seconds() as i32).into()],
        ),
        _ => {
            let now = Utc::now();
            Statement::from_sql_and_values(backend, sqlite, [(now + lease).into(), now.into(), (limit as i64).into()])
        }
    };
    let rows = db.query_all_raw(stmt).await?;
    rows.iter().map(|r| Ok((r.try_get::<Uuid>("", "tenant_id")?, r.try_get::<Uuid>("", "id")?))).collect()
}

/// Extends the lease on those of `events` not yet dispatched.
pub async fn renew_event_leases(tx: &TenantTx, events: &[Uuid], until: DateTime<Utc>) -> Result<(), DbErr> {
    event_entity::Entity::update_many()
        .col_expr(event_entity::Column::LeasedUntil, Expr::value(until))
        .filter(event_entity::Column::TenantId.eq(tx.tenant_id().0))
        .filter(event_entity::Column::Id.is_in(events.iter().copied()))
        .filter(event_entity::Column::DispatchedAt.is_null())
        .exec(tx.conn())
        .await
        .map(drop)
}

/// The tenant's events among `ids`, oldest first.
pub async fn events(tx: &TenantTx, ids: Vec<Uuid>) -> Result<Vec<event_entity::Model>, DbErr> {
    event_entity::Entity::find()
        .filter(event_entity::Column::TenantId.eq(tx.tenant_id().0))
        .filter(event_entity::Column::Id.is_in(ids))
        .order_by_asc(event_entity::Column::Id)
        .all(tx.conn())
        .await
}

pub async fn enabled_endpoints(tx: &TenantTx) -> Result<Vec<webhook_endpoints::Model>, DbErr> {
    webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::TenantId.eq(tx.tenant_id().0))
        .filter(webhook_endpoints::Column::Enabled.eq(true))
        .all(tx.conn())
        .await
}

pub async fn endpoints(tx: &TenantTx, ids: Vec<Uuid>) -> Result<Vec<webhook_endpoints::Model>, DbErr> {
    webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::TenantId.eq(tx.tenant_id().0))
        .filter(webhook_endpoints::Column::Id.is_in(ids))
        .all(tx.conn())
        .await
}

pub async fn deliveries(tx: &TenantTx, ids: Vec<Uuid>) -> Result<Vec<webhook_deliveries::Model>, DbErr> {
    webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(webhook_deliveries::Column::Id.is_in(ids))
        .all(tx.conn())
        .await
}

pub async fn insert_deliveries(tx: &TenantTx, rows: &[webhook_deliveries::Model]) -> Result<(), DbErr> {
    for chunk in rows.chunks(CHUNK) {
        webhook_deliveries::Entity::insert_many(chunk.iter().map(|d| d.clone().into_active_model()))
            .exec(tx.conn())
            .await?;
    }
    Ok(())
}

pub async fn insert_attempts(tx: &TenantTx, rows: &[webhook_attempts::ActiveModel]) -> Result<(), DbErr> {
    for chunk in rows.chunks(CHUNK) {
        webhook_attempts::Entity::insert_many(chunk.to_vec()).exec(tx.conn()).await?;
    }
    Ok(())
}

pub async fn insert_attempt(tx: &TenantTx, row: webhook_attempts::ActiveModel) -> Result<(), DbErr> {
    row.insert(tx.conn()).await.map(drop)
}

/// Marks the stored deliveries `ids` succeeded with `status`: one attempt more, lease
/// released.
pub async fn mark_succeeded(tx: &TenantTx, ids: Vec<Uuid>, status: i32, at: DateTime<Utc>) -> Result<(), DbErr> {
    webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::State, Expr::value("succeeded"))
        .col_expr(webhook_deliveries::Column::Attempts, Expr::col(webhook_deliveries::Column::Attempts).add(1))
        .col_expr(webhook_deliveries::Column::LastStatus, Expr::value(status))
        .col_expr(webhook_deliveries::Column::LeasedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(webhook_deliveries::Column::UpdatedAt, Expr::value(at))
        .filter(webhook_deliveries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(webhook_deliveries::Column::Id.is_in(ids))
        .exec(tx.conn())
        .await
        .map(drop)
}

/// Releases the stored deliveries `ids` unattempted (their host was busy): due again
/// `due`.
pub async fn defer(tx: &TenantTx, ids: Vec<Uuid>, due: DateTime<Utc>, at: DateTime<Utc>) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::NextAttemptAt, Expr::value(due))
        .col_expr(webhook_deliveries::Column::LeasedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(webhook_deliveries::Column::UpdatedAt, Expr::value(at))
        .filter(webhook_deliveries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(webhook_deliveries::Column::Id.is_in(ids))
        .exec(tx.conn())
        .await
        .map(drop)
}

/// Stores `endpoint`'s secrets sealed anew, if its row still holds the ones it was read
/// with (a rotation of its secret meanwhile is kept). Not a change of the endpoint: its
/// version stays.
pub async fn reseal(
    tx: &TenantTx,
    endpoint: &webhook_endpoints::Model,
    secret: String,
    previous_secret: Option<String>,
) -> Result<(), DbErr> {
    let mut q = webhook_endpoints::Entity::update_many()
        .col_expr(webhook_endpoints::Column::Secret, Expr::value(secret))
        .col_expr(webhook_endpoints::Column::PreviousSecret, Expr::value(previous_secret))
        .filter(webhook_endpoints::Column::TenantId.eq(tx.tenant_id().0))
        .filter(webhook_endpoints::Column::Id.eq(endpoint.id))
        .filter(webhook_endpoints::Column::Secret.eq(endpoint.secret.clone()));
    q = match &endpoint.previous_secret {
        Some(p) => q.filter(webhook_endpoints::Column::PreviousSecret.eq(p.clone())),
        None => q.filter(webhook_endpoints::Column::PreviousSecret.is_null()),
    };
    q.exec(tx.conn()).await.map(drop)
}

/// Marks `events` dispatched and releases their lease.
pub async fn mark_dispatched(
    tx: &TenantTx,
    events: impl IntoIterator<Item = Uuid>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    event_entity::Entity::update_many()
        .col_expr(event_entity::Column::DispatchedAt, Expr::value(at))
        .col_expr(event_entity::Column::LeasedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(event_entity::Column::TenantId.eq(tx.tenant_id().0))
        .filter(event_entity::Column::Id.is_in(events))
        .exec(tx.conn())
        .await
        .map(drop)
}
