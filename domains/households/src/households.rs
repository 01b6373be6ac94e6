//! Household operations: create (with its primary member, who is its contact), change
//! (the contact is one of its primary members) and soft-delete; who may be a member at
//! all (a user of the tenant); and how far a caller reaches: under own scope only the
//! households they are a member of, and only a primary member changes one.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Directory, Scope};
use atrium_core::db::TenantTx;
use atrium_core::ids::UserId;
use uuid::Uuid;

use crate::entities::households;
use crate::error::{HouseholdsError, Result};
use crate::events::HouseholdsEvent;
use crate::model::{
    HouseholdPatch, HouseholdType, HouseholdView, MemberState, MemberView, NewHousehold, check_household, name_of,
};
use crate::repo::{self, HouseholdRow};
use crate::rules::MemberRole;

/// A 422 at `field` unless `user` is a member of the tenant.
pub(crate) async fn must_be_tenant_member(dir: &dyn Directory, tx: &TenantTx, user: Uuid, field: &str) -> Result<()> {
    if dir.is_member(tx, UserId(user)).await? {
        Ok(())
    } else {
        Err(HouseholdsError::field(field, "is not a member of this tenant"))
    }
}

/// The tenant's household `id` (not deleted) as `scope` reaches it: under own scope, a
/// household the caller is not a member of is a 404, like another tenant's.
pub async fn find(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<households::Model> {
    reach(tx, scope, id, false).await
}

/// Household `id` for a change to it or to its members: as [`find`], and under own scope
/// only for one of its primary members (a 403 for the other members, who can see it).
pub async fn find_to_change(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<households::Model> {
    reach(tx, scope, id, true).await
}

async fn reach(tx: &TenantTx, scope: &Scope, id: Uuid, change: bool) -> Result<households::Model> {
    let h = repo::household(tx, id).await?.ok_or(HouseholdsError::NotFound)?;
    match scope {
        // Households have no location: a location-scoped membership reaches them all.
        Scope::Tenant | Scope::Locations(_) => Ok(h),
        Scope::Own(user) => {
            let me = repo::member_of_user(tx, h.id, user.0).await?.ok_or(HouseholdsError::NotFound)?;
            if change && me.role != name_of(&MemberRole::Primary) {
                return Err(HouseholdsError::NotPrimary);
            }
            Ok(h)
        }
    }
}

/// One page of the households `scope` reaches (one more than `limit` when there is a
/// next one).
pub async fn list(
    tx: &TenantTx,
    scope: &Scope,
    after: Option<Uuid>,
    limit: u64,
    household_type: Option<HouseholdType>,
) -> Result<Vec<HouseholdView>> {
    let kind = household_type.map(|k| name_of(&k));
    let rows = repo::households_page(tx, scope, after, limit, kind.as_deref()).await?;
    rows.iter().map(HouseholdView::of).collect()
}

/// Who becomes the primary member and contact of a new household: the one the input
/// names, or `caller`. Under own scope the caller creates households for themselves only.
fn first_member(scope: &Scope, caller: UserId, named: Option<Uuid>) -> Result<Uuid> {
    match (scope, named) {
        (Scope::Own(_), Some(user)) if user != caller.0 => Err(HouseholdsError::field(
            "primary_contact_user_id",
            "must be you (or absent): you may create households only with yourself as the primary member",
        )),
        (_, named) => Ok(named.unwrap_or(caller.0)),
    }
}

fn json<T: serde::Serialize>(view: &T) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

/// Creates a household whose primary member and contact is the input's
/// `primary_contact_user_id`, or `caller` when absent (under own scope: always `caller`).
pub async fn create(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    scope: &Scope,
    caller: UserId,
    new: NewHousehold,
) -> Result<HouseholdView> {
    let input = new.input();
    let user = first_member(scope, caller, input.primary_contact_user_id)?;
    must_be_tenant_member(dir, tx, user, "primary_contact_user_id").await?;
    let (household_id, member_id) = (Uuid::now_v7(), Uuid::now_v7());
    let row = HouseholdRow {
        id: household_id,
        name: &input.name,
        household_type: name_of(&input.household_type),
        primary_contact_id: member_id,
        company_info: input.company_info.as_ref(),
    };
    let h = repo::insert_household(tx, row).await?;
    let m = repo::insert_member(tx, household_id, member_id, &MemberState::primary(user)).await?;
    let view = HouseholdView::of(&h)?;
    let change = Change::new(HouseholdsEvent::HouseholdCreated, "household", h.id, None, json(&view));
    audit::record(tx, actor, change).await?;
    let member = json(&MemberView::of(&m)?);
    let change = Change::new(HouseholdsEvent::HouseholdMemberAdded, "household_member", m.id, None, member);
    audit::record(tx, actor, change).await?;
    Ok(view)
}

/// Applies `patch` to household `h`: its fields are checked as at creation, and a new
/// contact must be one of its primary members.
pub async fn update(
    tx: &TenantTx,
    actor: &AuditActor,
    h: households::Model,
    patch: HouseholdPatch,
) -> Result<HouseholdView> {
    let before = HouseholdView::of(&h)?;
    let name = patch.name.unwrap_or_else(|| h.name.clone());
    let info = patch.company_info.unwrap_or_else(|| before.company_info.clone());
    let errors = check_household(&name, before.household_type, info.as_ref());
    if !errors.is_empty() {
        return Err(HouseholdsError::Invalid(errors));
    }
    if let Some(contact) = patch.primary_contact_id {
        let Some(m) = repo::member(tx, h.id, contact).await? else {
            return Err(HouseholdsError::field("primary_contact_id", "is not a member of this household"));
        };
        if m.role != name_of(&MemberRole::Primary) {
            return Err(HouseholdsError::field("primary_contact_id", "must be a primary member"));
        }
    }
    let h = repo::update_household(tx, h, &name, info.as_ref(), patch.primary_contact_id).await?;
    let view = HouseholdView::of(&h)?;
    let change = Change::new(HouseholdsEvent::HouseholdUpdated, "household", h.id, json(&before), json(&view));
    audit::record(tx, actor, change).await?;
    Ok(view)
}

/// Soft-deletes household `h`.
pub async fn delete(tx: &TenantTx, actor: &AuditActor, h: households::Model) -> Result<()> {
    let before = HouseholdView::of(&h)?;
    let h = repo::soft_delete_household(tx, h).await?;
    let change = Change::new(HouseholdsEvent::HouseholdDeleted, "household", h.id, json(&before), None);
    audit::record(tx, actor, change).await?;
    Ok(())
}
