//! The events this plugin emits, declared once: the webhook catalog is derived from this
//! enum, and every audited change names one of its variants.

use atrium_core::context::Permission;
use atrium_core::events::EventKind;
use sea_orm::EnumIter;

use crate::READ;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter)]
pub enum BookablesEvent {
    /// `bookable.created`: A bookable was created.
    BookableCreated,
    /// `bookable.updated`: A bookable or its calendar changed.
    BookableUpdated,
    /// `bookable.status_changed`: A bookable moved to another status.
    BookableStatusChanged,
    /// `bookable.deleted`: A bookable was deleted (soft, with a reason).
    BookableDeleted,
    /// `bookable.date_override_added`: A date override was added to a bookable's calendar.
    BookableDateOverrideAdded,
    /// `bookable.date_override_removed`: A date override was removed from a bookable's calendar.
    BookableDateOverrideRemoved,
    /// `bookable.blocked_time_added`: Time was blocked on a bookable's calendar.
    BookableBlockedTimeAdded,
    /// `bookable.blocked_time_removed`: A blocked time was removed from a bookable's calendar.
    BookableBlockedTimeRemoved,
    /// `bookable.certification_added`: A certification was added to a provider.
    BookableCertificationAdded,
    /// `bookable.certification_updated`: A provider's certification changed.
    BookableCertificationUpdated,
    /// `bookable.certification_removed`: A certification was removed from a provider.
    BookableCertificationRemoved,
}

impl EventKind for BookablesEvent {
    fn name(self) -> &'static str {
        match self {
            Self::BookableCreated => "bookable.created",
            Self::BookableUpdated => "bookable.updated",
            Self::BookableStatusChanged => "bookable.status_changed",
            Self::BookableDeleted => "bookable.deleted",
            Self::BookableDateOverrideAdded => "bookable.date_override_added",
            Self::BookableDateOverrideRemoved => "bookable.date_override_removed",
            Self::BookableBlockedTimeAdded => "bookable.blocked_time_added",
            Self::BookableBlockedTimeRemoved => "bookable.blocked_time_removed",
            Self::BookableCertificationAdded => "bookable.certification_added",
            Self::BookableCertificationUpdated => "bookable.certification_updated",
            Self::BookableCertificationRemoved => "bookable.certification_removed",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::BookableCreated => "A bookable was created",
            Self::BookableUpdated => "A bookable or its calendar changed",
            Self::BookableStatusChanged => "A bookable moved to another status",
            Self::BookableDeleted => "A bookable was deleted (soft, with a reason)",
            Self::BookableDateOverrideAdded => "A date override was added to a bookable's calendar",
            Self::BookableDateOverrideRemoved => "A date override was removed from a bookable's calendar",
            Self::BookableBlockedTimeAdded => "Time was blocked on a bookable's calendar",
            Self::BookableBlockedTimeRemoved => "A blocked time was removed from a bookable's calendar",
            Self::BookableCertificationAdded => "A certification was added to a provider",
            Self::BookableCertificationUpdated => "A provider's certification changed",
            Self::BookableCertificationRemoved => "A certification was removed from a provider",
        }
    }

    fn read_permission(self) -> Permission {
        match self {
            Self::BookableCreated
            | Self::BookableUpdated
            | Self::BookableStatusChanged
            | Self::BookableDeleted
            | Self::BookableDateOverrideAdded
            | Self::BookableDateOverrideRemoved
            | Self::BookableBlockedTimeAdded
            | Self::BookableBlockedTimeRemoved
            | Self::BookableCertificationAdded
            | Self::BookableCertificationUpdated
            | Self::BookableCertificationRemoved => READ,
        }
    }
}
