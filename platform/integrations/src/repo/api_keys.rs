//! Queries on `api_keys`.

use atrium_core::db::TenantTx;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use crate::entities::api_keys;

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<Option<api_keys::Model>, DbErr> {
    api_keys::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await
}

/// Keys after the cursor `after`, oldest first, `limit + 1` of them.
pub async fn page(tx: &TenantTx, after: Option<Uuid>, limit: u64) -> Result<Vec<api_keys::Model>, DbErr> {
    let mut q = api_keys::Entity::find().filter(api_keys::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(after) = after {
        q = q.filter(api_keys::Column::Id.gt(after));
    }
    q.order_by_asc(api_keys::Column::Id).limit(limit + 1).all(tx.conn()).await
}

pub async fn insert(tx: &TenantTx, key: api_keys::ActiveModel) -> Result<api_keys::Model, DbErr> {
    key.insert(tx.conn()).await
}

pub async fn update(tx: &TenantTx, key: api_keys::ActiveModel) -> Result<api_keys::Model, DbErr> {
    key.update(tx.conn()).await
}

pub async fn touch(tx: &TenantTx, id: Uuid, at: DateTime<Utc>) -> Result<(), DbErr> {
    api_keys::Entity::update_many()
        .col_expr(api_keys::Column::LastUsedAt, sea_orm::sea_query::Expr::value(at))
        .filter(api_keys::Column::TenantId.eq(tx.tenant_id().0))
        .filter(api_keys::Column::Id.eq(id))
        .exec(tx.conn())
        .await
        .map(drop)
}
