//! What other plugins may ask of households (their public service API; never their tables).

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;

use crate::entities::{households, members};

/// A household as other plugins see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdRef {
    pub id: Uuid,
    /// `family`, `company` or `group`.
    pub household_type: String,
    /// The users who are its members.
    pub member_user_ids: Vec<Uuid>,
}

/// The transaction's tenant's household `id` (not deleted) with its members.
pub async fn household(tx: &TenantTx, id: Uuid) -> Result<Option<HouseholdRef>, ApiError> {
    let Some(h) = households::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(households::Column::DeletedAt.is_null())
        .one(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    let member_user_ids = members::Entity::find()
        .filter(members::Column::TenantId.eq(tx.tenant_id().0))
        .filter(members::Column::HouseholdId.eq(h.id))
        .order_by_asc(members::Column::Id)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    Ok(Some(HouseholdRef { id: h.id, household_type: h.household_type, member_user_ids }))
}
