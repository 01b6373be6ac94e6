//! What "own records" means in this plugin: the one place the own scope of
//! `bookings:read` and `bookings:write` (held by customers and, for reading, providers)
//! becomes a filter. Records outside a caller's reach answer 404, like another tenant's.
//!
//! - **Bookings**: those the caller made (`booked_by`) or takes part in (a participant with
//!   their user id); those of the members of a household the caller belongs to, when the
//!   caller is its primary member or their member row lets them see (`read`:
//!   `can_view_others_bookings`) or change (`write`: `can_modify_others_bookings`) the
//!   others' bookings — which includes bookings made for that household; and, for a
//!   provider, those occupying a provider bookable whose `user_id` is the caller.
//! - **Holds** (reservations): those the caller holds.
//! - **Waitlist entries** and **recurring rules**: those the caller created.
//!
//! A location-scoped member reaches the bookings of their locations; holds, waitlist
//! entries and recurring rules have no location of their own and are the tenant's.

use std::sync::Arc;

use atrium_core::context::Scope;
use atrium_core::db::TenantTx;
use atrium_households::rules::MemberRole;
use sea_orm::entity::prelude::*;
use sea_orm::{Condition, QuerySelect, QueryTrait};

use crate::entities::{allocations, bookings, participants};
use crate::error::BookingsError;

/// Reading or changing: household members may be allowed one and not the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// A caller's reach over this plugin's records, resolved once per request from the
/// [`Scope`] their permission was granted at.
#[derive(Clone, Debug)]
pub enum Reach {
    /// The whole tenant.
    All,
    /// Bookings at these locations (a location-scoped membership).
    Locations(Arc<[Uuid]>),
    Own(Own),
}

/// What an own-scoped caller reaches.
#[derive(Clone, Debug)]
pub struct Own {
    pub user: Uuid,
    /// Households whose bookings the caller reaches, and their members' user ids.
    households: Vec<Uuid>,
    household_users: Vec<Uuid>,
    /// Provider bookables the caller is.
    bookables: Vec<Uuid>,
}

/// For holds, waitlist entries and recurring rules: the only user whose records `scope`
/// reaches (its own-scoped caller), or `None` for all of the tenant's.
pub fn owner(scope: &Scope) -> Option<Uuid> {
    match scope {
        Scope::Own(user) => Some(user.0),
        Scope::Tenant | Scope::Locations(_) => None,
    }
}

/// The reach of `scope` for `access`.
pub async fn reach(tx: &TenantTx, scope: &Scope, access: Access) -> Result<Reach, BookingsError> {
    Ok(match scope {
        Scope::Tenant => Reach::All,
        Scope::Locations(ids) => Reach::Locations(ids.clone()),
        Scope::Own(user) => {
            let user = user.0;
            let (mut households, mut household_users) = (Vec::new(), Vec::new());
            for h in atrium_households::service::households_of(tx, user).await? {
                let Some(me) = h.member(user) else { continue };
                let allowed = me.facts.role == MemberRole::Primary
                    || match access {
                        Access::Read => me.can_view_others_bookings,
                        Access::Write => me.can_modify_others_bookings,
                    };
                if allowed {
                    households.push(h.id);
                    household_users.extend(h.members.iter().map(|m| m.user_id));
                }
            }
            let bookables = match access {
                // Providers read what is assigned to them; they change nothing by own scope.
                Access::Read => atrium_bookables::service::provider_bookables_of(tx, user).await?,
                Access::Write => Vec::new(),
            };
            Reach::Own(Own { user, households, household_users, bookables })
        }
    })
}

impl Reach {
    /// The bookings reached, as a filter on `bookings`; `None` for the whole tenant.
    pub fn bookings(&self, tenant: Uuid) -> Option<Condition> {
        match self {
            Reach::All => None,
            Reach::Locations(ids) => {
                Some(Condition::all().add(bookings::Column::LocationId.is_in(ids.iter().copied())))
            }
            Reach::Own(own) => {
                let taking_part = |users: Vec<Uuid>| {
                    participants::Entity::find()
                        .select_only()
                        .column(participants::Column::BookingId)
                        .filter(participants::Column::TenantId.eq(tenant))
                        .filter(participants::Column::UserId.is_in(users))
                        .into_query()
                };
                let mut any = Condition::any()
                    .add(bookings::Column::BookedBy.eq(own.user))
                    .add(bookings::Column::Id.in_subquery(taking_part(vec![own.user])));
                if !own.households.is_empty() {
                    any = any
                        .add(bookings::Column::HouseholdId.is_in(own.households.clone()))
                        .add(bookings::Column::Id.in_subquery(taking_part(own.household_users.clone())));
                }
                if !own.bookables.is_empty() {
                    let occupying = allocations::Entity::find()
                        .select_only()
                        .column(allocations::Column::BookingId)
                        .filter(allocations::Column::TenantId.eq(tenant))
                        .filter(allocations::Column::BookableId.is_in(own.bookables.clone()))
                        .filter(allocations::Column::BookingId.is_not_null())
                        .into_query();
                    any = any.add(bookings::Column::Id.in_subquery(occupying));
                }
                Some(any)
            }
        }
    }

    /// For holds, waitlist entries and recurring rules: the only user whose records are
    /// reached, or `None` for all of the tenant's.
    pub fn owner(&self) -> Option<Uuid> {
        match self {
            Reach::Own(own) => Some(own.user),
            Reach::All | Reach::Locations(_) => None,
        }
    }

    /// The scope this reach was resolved from.
    pub fn scope(&self) -> Scope {
        match self {
            Reach::All => Scope::Tenant,
            Reach::Locations(ids) => Scope::Locations(ids.clone()),
            Reach::Own(own) => Scope::Own(atrium_core::ids::UserId(own.user)),
        }
    }

    /// Whether the caller acts by own scope (a customer or a provider).
    pub fn is_own(&self) -> bool {
        matches!(self, Reach::Own(_))
    }

    /// Whether `location` (a template's or a booking's) is reached.
    pub fn reaches_location(&self, location: Option<Uuid>) -> bool {
        match self {
            Reach::Locations(ids) => location.is_some_and(|l| ids.contains(&l)),
            Reach::All | Reach::Own(_) => true,
        }
    }
}
