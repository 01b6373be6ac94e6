//! Bookables as the people they stand for: the provider bookables of a user.

use atrium_core::db::TenantTx;
use sea_orm::QuerySelect;
use sea_orm::entity::prelude::*;

use crate::entities::{bookables, providers};
use crate::error::Result;

/// The provider bookables (not deleted) whose `user_id` is `user`.
pub async fn provider_bookables_of(tx: &TenantTx, user: Uuid) -> Result<Vec<Uuid>> {
    let tenant = tx.tenant_id().0;
    let ids: Vec<Uuid> = providers::Entity::find()
        .select_only()
        .column(providers::Column::Id)
        .filter(providers::Column::TenantId.eq(tenant))
        .filter(providers::Column::UserId.eq(user))
        .into_tuple()
        .all(tx.conn())
        .await?;
    Ok(bookables::Entity::find()
        .select_only()
        .column(bookables::Column::Id)
        .filter(bookables::Column::TenantId.eq(tenant))
        .filter(bookables::Column::Id.is_in(ids))
        .filter(bookables::Column::DeletedAt.is_null())
        .into_tuple()
        .all(tx.conn())
        .await?)
}
