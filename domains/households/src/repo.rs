//! The only place that builds queries on `households` and `household_members`. Every
//! query filters by the transaction's tenant.

use atrium_core::context::Scope;
use atrium_core::db::TenantTx;
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QueryOrder, QuerySelect, QueryTrait, Set};

use crate::entities::{households, members};
use crate::error::{HouseholdsError, Result};
use crate::model::{CompanyInfo, MemberState, name_of};

fn company_json(info: Option<&CompanyInfo>) -> Option<Json> {
    info.and_then(|c| serde_json::to_value(c).ok())
}

/// The tenant's household `id`, unless deleted.
pub async fn household(tx: &TenantTx, id: Uuid) -> Result<Option<households::Model>> {
    Ok(households::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(households::Column::DeletedAt.is_null())
        .one(tx.conn())
        .await?)
}

/// One page of the households (not deleted) `scope` reaches, in id order, with one row
/// more than `limit` when there is a next page. Under own scope: those the caller is a
/// member of; households have no location, so a location scope reaches them all.
pub async fn households_page(
    tx: &TenantTx,
    scope: &Scope,
    after: Option<Uuid>,
    limit: u64,
    household_type: Option<&str>,
) -> Result<Vec<households::Model>> {
    let tenant = tx.tenant_id().0;
    let mut q = households::Entity::find()
        .filter(households::Column::TenantId.eq(tenant))
        .filter(households::Column::DeletedAt.is_null());
    if let Scope::Own(user) = scope {
        let mine = members::Entity::find()
            .select_only()
            .column(members::Column::HouseholdId)
            .filter(members::Column::TenantId.eq(tenant))
            .filter(members::Column::UserId.eq(user.0))
            .into_query();
        q = q.filter(households::Column::Id.in_subquery(mine));
    }
    if let Some(after) = after {
        q = q.filter(households::Column::Id.gt(after));
    }
    if let Some(kind) = household_type {
        q = q.filter(households::Column::HouseholdType.eq(kind));
    }
    Ok(q.order_by_asc(households::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

pub struct HouseholdRow<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub household_type: String,
    pub primary_contact_id: Uuid,
    pub company_info: Option<&'a CompanyInfo>,
}

pub async fn insert_household(tx: &TenantTx, row: HouseholdRow<'_>) -> Result<households::Model> {
    let now = Utc::now();
    Ok(households::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(row.id),
        name: Set(row.name.trim().to_owned()),
        household_type: Set(row.household_type),
        primary_contact_id: Set(row.primary_contact_id),
        company_info: Set(company_json(row.company_info)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(tx.conn())
    .await?)
}

/// Writes a household's changed fields, bumping its version.
pub async fn update_household(
    tx: &TenantTx,
    current: households::Model,
    name: &str,
    company_info: Option<&CompanyInfo>,
    primary_contact_id: Option<Uuid>,
) -> Result<households::Model> {
    let version = current.version + 1;
    let mut am = current.into_active_model();
    am.name = Set(name.trim().to_owned());
    am.company_info = Set(company_json(company_info));
    if let Some(contact) = primary_contact_id {
        am.primary_contact_id = Set(contact);
    }
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    Ok(am.update(tx.conn()).await?)
}

pub async fn soft_delete_household(tx: &TenantTx, current: households::Model) -> Result<households::Model> {
    let version = current.version + 1;
    let mut am = current.into_active_model();
    am.deleted_at = Set(Some(Utc::now()));
    am.version = Set(version);
    Ok(am.update(tx.conn()).await?)
}

/// The members of `household`, in id order.
pub async fn members_of(tx: &TenantTx, household: Uuid) -> Result<Vec<members::Model>> {
    Ok(members::Entity::find()
        .filter(members::Column::TenantId.eq(tx.tenant_id().0))
        .filter(members::Column::HouseholdId.eq(household))
        .order_by_asc(members::Column::Id)
        .all(tx.conn())
        .await?)
}

/// The households (not deleted) `user` is a member of, in id order.
pub async fn households_of_user(tx: &TenantTx, user: Uuid) -> Result<Vec<Uuid>> {
    let tenant = tx.tenant_id().0;
    let ids: Vec<Uuid> = members::Entity::find()
        .select_only()
        .column(members::Column::HouseholdId)
        .filter(members::Column::TenantId.eq(tenant))
        .filter(members::Column::UserId.eq(user))
        .into_tuple()
        .all(tx.conn())
        .await?;
    Ok(households::Entity::find()
        .select_only()
        .column(households::Column::Id)
        .filter(households::Column::TenantId.eq(tenant))
        .filter(households::Column::Id.is_in(ids))
        .filter(households::Column::DeletedAt.is_null())
        .order_by_asc(households::Column::Id)
        .into_tuple()
        .all(tx.conn())
        .await?)
}

/// The member that `user` is of `household`, if any.
pub async fn member_of_user(tx: &TenantTx, household: Uuid, user: Uuid) -> Result<Option<members::Model>> {
    Ok(members::Entity::find()
        .filter(members::Column::TenantId.eq(tx.tenant_id().0))
        .filter(members::Column::HouseholdId.eq(household))
        .filter(members::Column::UserId.eq(user))
        .one(tx.conn())
        .await?)
}

/// Member `id` of `household`.
pub async fn member(tx: &TenantTx, household: Uuid, id: Uuid) -> Result<Option<members::Model>> {
    Ok(members::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(members::Column::HouseholdId.eq(household))
        .one(tx.conn())
        .await?)
}

fn set_state(am: &mut members::ActiveModel, s: &MemberState) {
    am.role = Set(name_of(&s.role));
    am.can_book_for_others = Set(s.can_book_for_others);
    am.can_view_others_bookings = Set(s.can_view_others_bookings);
    am.can_modify_others_bookings = Set(s.can_modify_others_bookings);
    am.approval_required_for = Set(name_of(&s.approval_required_for));
    am.managed_by = Set(serde_json::json!(s.managed_by));
    am.relationship = Set(s.relationship.as_ref().map(name_of));
    am.date_of_birth = Set(s.date_of_birth);
}

/// A user joins a household once: the unique key makes a second time a 409, whoever won
/// the race.
pub async fn insert_member(tx: &TenantTx, household: Uuid, id: Uuid, s: &MemberState) -> Result<members::Model> {
    let mut am = members::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(id),
        household_id: Set(household),
        user_id: Set(s.user_id),
        version: Set(1),
        joined_at: Set(Utc::now()),
        ..Default::default()
    };
    set_state(&mut am, s);
    am.insert(tx.conn()).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => HouseholdsError::AlreadyMember,
        _ => HouseholdsError::Db(e),
    })
}

/// Writes a member's changed state (not its user), bumping its version.
pub async fn update_member(tx: &TenantTx, current: members::Model, s: &MemberState) -> Result<members::Model> {
    let version = current.version + 1;
    let mut am = current.into_active_model();
    set_state(&mut am, s);
    am.version = Set(version);
    Ok(am.update(tx.conn()).await?)
}

pub async fn delete_member(tx: &TenantTx, id: Uuid) -> Result<()> {
    members::Entity::delete_by_id((tx.tenant_id().0, id)).exec(tx.conn()).await?;
    Ok(())
}
