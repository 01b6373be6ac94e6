//! Member operations and the household rules on members: managers are other members of
//! the same household, minors and dependents have one, birth dates are past, members are
//! users of the tenant; the household keeps a primary member and its contact, and nobody
//! leaves while they still manage someone. Who reaches a household's members is
//! [`households::find`]'s rule: under own scope its members see them, its primary
//! members manage them.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Directory, Scope};
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use chrono::Utc;
use uuid::Uuid;

use crate::entities::{households as household_rows, members};
use crate::error::{HouseholdsError, Result};
use crate::events::HouseholdsEvent;
use crate::households::{self, must_be_tenant_member};
use crate::model::{MemberPatch, MemberState, MemberView, name_of};
use crate::repo;
use crate::rules::MemberRole;

/// The rules on one member's state: managers are members of this household (not the
/// member itself), minors and dependents have one, birth dates are past.
fn check_member(state: &MemberState, self_id: Option<Uuid>, household: &[members::Model]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, manager) in state.managed_by.iter().enumerate() {
        if Some(*manager) == self_id || !household.iter().any(|m| m.id == *manager) {
            errors.push(FieldError::new(format!("managed_by[{i}]"), "is not another member of this household"));
        }
    }
    if matches!(state.role, MemberRole::Minor | MemberRole::Dependent) && state.managed_by.is_empty() {
        errors.push(FieldError::new("managed_by", "a minor or dependent needs a member who manages them"));
    }
    if state.date_of_birth.is_some_and(|d| d > Utc::now().date_naive()) {
        errors.push(FieldError::new("date_of_birth", "must not be in the future"));
    }
    errors
}

fn checked(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() { Ok(()) } else { Err(HouseholdsError::Invalid(errors)) }
}

/// How many primary members the household keeps without `except`.
fn other_primaries(all: &[members::Model], except: Uuid) -> usize {
    let primary = name_of(&MemberRole::Primary);
    all.iter().filter(|m| m.id != except && m.role == primary).count()
}

type Found = (household_rows::Model, members::Model);

/// Member `member` of household `household` as `scope` reaches it, with the household.
pub async fn find(tx: &TenantTx, scope: &Scope, household: Uuid, member: Uuid) -> Result<Found> {
    let h = households::find(tx, scope, household).await?;
    let m = repo::member(tx, h.id, member).await?.ok_or(HouseholdsError::NotFound)?;
    Ok((h, m))
}

/// Member `member` of household `household`, for a change by a caller of `scope` (see
/// [`households::find_to_change`]).
pub async fn find_to_change(tx: &TenantTx, scope: &Scope, household: Uuid, member: Uuid) -> Result<Found> {
    let h = households::find_to_change(tx, scope, household).await?;
    let m = repo::member(tx, h.id, member).await?.ok_or(HouseholdsError::NotFound)?;
    Ok((h, m))
}

pub async fn list(tx: &TenantTx, scope: &Scope, household: Uuid) -> Result<Vec<MemberView>> {
    let h = households::find(tx, scope, household).await?;
    repo::members_of(tx, h.id).await?.iter().map(MemberView::of).collect()
}

fn json(view: &MemberView) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

/// Adds a user of the tenant to household `household`.
pub async fn add(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    scope: &Scope,
    household: Uuid,
    state: MemberState,
) -> Result<MemberView> {
    let h = households::find_to_change(tx, scope, household).await?;
    checked(check_member(&state, None, &repo::members_of(tx, h.id).await?))?;
    must_be_tenant_member(dir, tx, state.user_id, "user_id").await?;
    let m = repo::insert_member(tx, h.id, Uuid::now_v7(), &state).await?;
    let view = MemberView::of(&m)?;
    let change = Change::new(HouseholdsEvent::HouseholdMemberAdded, "household_member", m.id, None, json(&view));
    audit::record(tx, actor, change).await?;
    Ok(view)
}

/// Applies `patch` to member `m` of `h`. A primary member stops being one only while
/// another remains and once someone else is the contact.
pub async fn update(
    tx: &TenantTx,
    actor: &AuditActor,
    h: &household_rows::Model,
    m: members::Model,
    patch: MemberPatch,
) -> Result<MemberView> {
    let before = MemberView::of(&m)?;
    let state = patch.apply(before.state.clone());
    let all = repo::members_of(tx, h.id).await?;
    checked(check_member(&state, Some(m.id), &all))?;
    if before.state.role == MemberRole::Primary && state.role != MemberRole::Primary {
        if other_primaries(&all, m.id) == 0 {
            return Err(HouseholdsError::LastPrimary);
        }
        if h.primary_contact_id == m.id {
            return Err(HouseholdsError::IsContact);
        }
    }
    let m = repo::update_member(tx, m, &state).await?;
    let view = MemberView::of(&m)?;
    let change =
        Change::new(HouseholdsEvent::HouseholdMemberUpdated, "household_member", m.id, json(&before), json(&view));
    audit::record(tx, actor, change).await?;
    Ok(view)
}

/// Removes member `member` from household `household`: not the household's contact, its
/// last primary member, or someone who still manages another member.
pub async fn remove(tx: &TenantTx, actor: &AuditActor, scope: &Scope, household: Uuid, member: Uuid) -> Result<()> {
    let (h, m) = find_to_change(tx, scope, household, member).await?;
    let all = repo::members_of(tx, h.id).await?;
    if h.primary_contact_id == m.id {
        return Err(HouseholdsError::IsContact);
    }
    if m.role == name_of(&MemberRole::Primary) && other_primaries(&all, m.id) == 0 {
        return Err(HouseholdsError::LastPrimary);
    }
    // A row that does not read manages nobody, as far as this check goes.
    if all.iter().any(|o| MemberState::of(o).is_ok_and(|s| s.managed_by.contains(&m.id))) {
        return Err(HouseholdsError::StillManages);
    }
    let before = MemberView::of(&m)?;
    repo::delete_member(tx, m.id).await?;
    let change = Change::new(HouseholdsEvent::HouseholdMemberRemoved, "household_member", m.id, json(&before), None);
    audit::record(tx, actor, change).await?;
    Ok(())
}
