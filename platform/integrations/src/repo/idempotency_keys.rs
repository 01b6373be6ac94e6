//! Queries on `idempotency_keys`.

use atrium_core::db::TenantTx;
use sea_orm::entity::prelude::*;

use crate::entities::idempotency_keys;

/// The record of `key` sent by the credential `scope`.
pub async fn find(tx: &TenantTx, scope: &str, key: &str) -> Result<Option<idempotency_keys::Model>, DbErr> {
    idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::TenantId.eq(tx.tenant_id().0))
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::IdempotencyKey.eq(key))
        .one(tx.conn())
        .await
}

pub async fn find_by_id(tx: &TenantTx, id: Uuid) -> Result<Option<idempotency_keys::Model>, DbErr> {
    idempotency_keys::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await
}

/// Stores a new record; a unique violation means a concurrent request claimed the key.
pub async fn insert(tx: &TenantTx, row: idempotency_keys::ActiveModel) -> Result<(), DbErr> {
    row.insert(tx.conn()).await.map(drop)
}

pub async fn update(tx: &TenantTx, row: idempotency_keys::ActiveModel) -> Result<(), DbErr> {
    row.update(tx.conn()).await.map(drop)
}

pub async fn delete(tx: &TenantTx, id: Uuid) -> Result<(), DbErr> {
    idempotency_keys::Entity::delete_by_id((tx.tenant_id().0, id)).exec(tx.conn()).await.map(drop)
}
