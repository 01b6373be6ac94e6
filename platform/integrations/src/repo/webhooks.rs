//! Queries on `webhook_endpoints`, `webhook_deliveries` and `webhook_attempts` as the
//! routes need them, and the single-endpoint test event.

use atrium_core::db::TenantTx;
use atrium_core::events::entity as event_entity;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, PaginatorTrait, QueryOrder, QuerySelect};

use crate::entities::{webhook_attempts, webhook_deliveries, webhook_endpoints};

// ---- endpoints ----

pub async fn endpoint(tx: &TenantTx, id: Uuid) -> Result<Option<webhook_endpoints::Model>, DbErr> {
    webhook_endpoints::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await
}

/// Endpoints after the cursor `after`, oldest first, `limit + 1` of them.
pub async fn endpoints_page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<webhook_endpoints::Model>, DbErr> {
    let mut q = webhook_endpoints::Entity::find().filter(webhook_endpoints::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(after) = after {
        q = q.filter(webhook_endpoints::Column::Id.gt(after));
    }
    q.order_by_asc(webhook_endpoints::Column::Id).limit(limit + 1).all(tx.conn()).await
}

/// The tenant's endpoints, counted for its cap. On PostgreSQL a transaction-scoped
/// advisory lock per tenant is taken first, so two registrations racing for the last
/// place are counted one after the other (SQLite serializes writers anyway).
pub async fn count_endpoints_for_insert(tx: &TenantTx) -> Result<u64, DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if tx.conn().get_database_backend() == DbBackend::Postgres {
        tx.conn()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtextextended('webhook_endpoints:' || $1, 0))",
                [tx.tenant_id().0.to_string().into()],
            ))
            .await?;
    }
    webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::TenantId.eq(tx.tenant_id().0))
        .count(tx.conn())
        .await
}

pub async fn insert_endpoint(
    tx: &TenantTx,
    endpoint: webhook_endpoints::ActiveModel,
) -> Result<webhook_endpoints::Model, DbErr> {
    endpoint.insert(tx.conn()).await
}

pub async fn update_endpoint(
    tx: &TenantTx,
    endpoint: webhook_endpoints::ActiveModel,
) -> Result<webhook_endpoints::Model, DbErr> {
    endpoint.update(tx.conn()).await
}

/// Deletes an endpoint with its delivery log (attempts, then deliveries).
pub async fn delete_endpoint(tx: &TenantTx, id: Uuid) -> Result<(), DbErr> {
    let tenant = tx.tenant_id().0;
    webhook_attempts::Entity::delete_many()
        .filter(webhook_attempts::Column::TenantId.eq(tenant))
        .filter(webhook_attempts::Column::EndpointId.eq(id))
        .exec(tx.conn())
        .await?;
    webhook_deliveries::Entity::delete_many()
        .filter(webhook_deliveries::Column::TenantId.eq(tenant))
        .filter(webhook_deliveries::Column::EndpointId.eq(id))
        .exec(tx.conn())
        .await?;
    webhook_endpoints::Entity::delete_by_id((tenant, id)).exec(tx.conn()).await.map(drop)
}

// ---- attempts ----

/// An endpoint's attempts before the cursor `before`, newest first, `limit + 1` of them.
pub async fn attempts_page(
    tx: &TenantTx,
    endpoint: Uuid,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<webhook_attempts::Model>, DbErr> {
    let mut q = webhook_attempts::Entity::find()
        .filter(webhook_attempts::Column::TenantId.eq(tx.tenant_id().0))
        .filter(webhook_attempts::Column::EndpointId.eq(endpoint));
    if let Some(before) = before {
        q = q.filter(webhook_attempts::Column::Id.lt(before));
    }
    q.order_by_desc(webhook_attempts::Column::Id).limit(limit + 1).all(tx.conn()).await
}

// ---- deliveries ----

pub async fn delivery(tx: &TenantTx, id: Uuid) -> Result<Option<webhook_deliveries::Model>, DbErr> {
    webhook_deliveries::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await
}

/// Deliveries before the cursor `before`, newest first, `limit + 1` of them, of one
/// endpoint and in one state when given.
pub async fn deliveries_page(
    tx: &TenantTx,
    before: Option<Uuid>,
    limit: u64,
    endpoint: Option<Uuid>,
    state: Option<&str>,
) -> Result<Vec<webhook_deliveries::Model>, DbErr> {
    let mut q = webhook_deliveries::Entity::find().filter(webhook_deliveries::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(before) = before {
        q = q.filter(webhook_deliveries::Column::Id.lt(before));
    }
    if let Some(endpoint) = endpoint {
        q = q.filter(webhook_deliveries::Column::EndpointId.eq(endpoint));
    }
    if let Some(state) = state {
        q = q.filter(webhook_deliveries::Column::State.eq(state));
    }
    q.order_by_desc(webhook_deliveries::Column::Id).limit(limit + 1).all(tx.conn()).await
}

pub async fn insert_delivery(
    tx: &TenantTx,
    delivery: webhook_deliveries::Model,
) -> Result<webhook_deliveries::Model, DbErr> {
    delivery.into_active_model().insert(tx.conn()).await
}

pub async fn update_delivery(
    tx: &TenantTx,
    delivery: webhook_deliveries::ActiveModel,
) -> Result<webhook_deliveries::Model, DbErr> {
    delivery.update(tx.conn()).await
}

// ---- events ----

/// Stores an event row as given (a test event comes already dispatched, so the worker
/// does not fan it out).
pub async fn insert_event(tx: &TenantTx, event: event_entity::Model) -> Result<(), DbErr> {
    event.into_active_model().insert(tx.conn()).await.map(drop)
}
