//! What other plugins may ask of households (their public service API; never their
//! tables). It answers in the platform's [`ApiError`], which the calling plugins already
//! speak; the household's own failures are converted here, at the boundary.

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use uuid::Uuid;

use crate::repo;
use crate::rules::MemberFacts;

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
    let Some(h) = repo::household(tx, id).await? else {
        return Ok(None);
    };
    let member_user_ids = repo::members_of(tx, h.id).await?.into_iter().map(|m| m.user_id).collect();
    Ok(Some(HouseholdRef { id: h.id, household_type: h.household_type, member_user_ids }))
}

/// A member with the facts [`crate::rules::may_book_for`] reads, and what they may see
/// and change of the others' bookings.
#[derive(Clone, Debug)]
pub struct MemberRecord {
    pub user_id: Uuid,
    pub facts: MemberFacts,
    pub can_view_others_bookings: bool,
    pub can_modify_others_bookings: bool,
}

/// A household a user belongs to, with all its members.
#[derive(Clone, Debug)]
pub struct HouseholdOf {
    pub id: Uuid,
    pub members: Vec<MemberRecord>,
}

impl HouseholdOf {
    /// The member that `user` is.
    pub fn member(&self, user: Uuid) -> Option<&MemberRecord> {
        self.members.iter().find(|m| m.user_id == user)
    }
}

/// The transaction's tenant's households (not deleted) that `user` is a member of.
pub async fn households_of(tx: &TenantTx, user: Uuid) -> Result<Vec<HouseholdOf>, ApiError> {
    let mut out = Vec::new();
    for id in repo::households_of_user(tx, user).await? {
        out.push(HouseholdOf { id, members: members(tx, id).await? });
    }
    Ok(out)
}

/// The members of the transaction's tenant's household `id` (empty when it does not exist).
pub async fn members(tx: &TenantTx, id: Uuid) -> Result<Vec<MemberRecord>, ApiError> {
    if repo::household(tx, id).await?.is_none() {
        return Ok(Vec::new());
    }
    let rows = repo::members_of(tx, id).await?;
    let bad =
        |m: &crate::entities::members::Model| ApiError::internal(format!("household member {} is malformed", m.id));
    rows.iter()
        .map(|m| {
            Ok(MemberRecord {
                user_id: m.user_id,
                can_view_others_bookings: m.can_view_others_bookings,
                can_modify_others_bookings: m.can_modify_others_bookings,
                facts: MemberFacts {
                    id: m.id,
                    role: serde_json::from_value(serde_json::Value::String(m.role.clone())).map_err(|_| bad(m))?,
                    can_book_for_others: m.can_book_for_others,
                    approval_required_for: serde_json::from_value(serde_json::Value::String(
                        m.approval_required_for.clone(),
                    ))
                    .map_err(|_| bad(m))?,
                    managed_by: serde_json::from_value(m.managed_by.clone()).map_err(|_| bad(m))?,
                },
            })
        })
        .collect()
}
