//! The events this plugin emits, declared once: the webhook catalog is derived from this
//! enum, and every audited change names one of its variants.

use atrium_core::context::Permission;
use atrium_core::events::EventKind;
use sea_orm::EnumIter;

use crate::READ;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter)]
pub enum HouseholdsEvent {
    /// `household.created`: A household was created.
    HouseholdCreated,
    /// `household.updated`: A household changed.
    HouseholdUpdated,
    /// `household.deleted`: A household was deleted.
    HouseholdDeleted,
    /// `household.member_added`: Someone joined a household.
    HouseholdMemberAdded,
    /// `household.member_updated`: A household member's role or permissions changed.
    HouseholdMemberUpdated,
    /// `household.member_removed`: Someone left a household.
    HouseholdMemberRemoved,
}

impl EventKind for HouseholdsEvent {
    fn name(self) -> &'static str {
        match self {
            Self::HouseholdCreated => "household.created",
            Self::HouseholdUpdated => "household.updated",
            Self::HouseholdDeleted => "household.deleted",
            Self::HouseholdMemberAdded => "household.member_added",
            Self::HouseholdMemberUpdated => "household.member_updated",
            Self::HouseholdMemberRemoved => "household.member_removed",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::HouseholdCreated => "A household was created",
            Self::HouseholdUpdated => "A household changed",
            Self::HouseholdDeleted => "A household was deleted",
            Self::HouseholdMemberAdded => "Someone joined a household",
            Self::HouseholdMemberUpdated => "A household member's role or permissions changed",
            Self::HouseholdMemberRemoved => "Someone left a household",
        }
    }

    fn read_permission(self) -> Permission {
        match self {
            Self::HouseholdCreated
            | Self::HouseholdUpdated
            | Self::HouseholdDeleted
            | Self::HouseholdMemberAdded
            | Self::HouseholdMemberUpdated
            | Self::HouseholdMemberRemoved => READ,
        }
    }
}
