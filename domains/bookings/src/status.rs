//! The booking status machine: the only legal transitions, in one table.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::events::BookingsEvent;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    /// Waiting for a primary member of the household to approve it.
    PendingApproval,
    Pending,
    Confirmed,
    CheckedIn,
    Completed,
    Cancelled,
    NoShow,
}

/// What can happen to a booking (`POST /v1/bookings/{id}/<action>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Approve,
    Confirm,
    CheckIn,
    Complete,
    Cancel,
    NoShow,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingApproval => "pending_approval",
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::CheckedIn => "checked_in",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::NoShow => "no_show",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::PendingApproval,
            Self::Pending,
            Self::Confirmed,
            Self::CheckedIn,
            Self::Completed,
            Self::Cancelled,
            Self::NoShow,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }

    /// The status `action` leads to from here, if it is legal.
    pub fn after(self, action: Action) -> Option<Self> {
        use Action::*;
        use BookingStatus::*;
        match (self, action) {
            (PendingApproval, Approve) => Some(Pending),
            (Pending, Confirm) => Some(Confirmed),
            (Confirmed, CheckIn) => Some(CheckedIn),
            (CheckedIn, Complete) => Some(Completed),
            (Confirmed, Action::NoShow) => Some(BookingStatus::NoShow),
            (PendingApproval | Pending | Confirmed, Cancel) => Some(Cancelled),
            _ => None,
        }
    }

    /// Whether the booking still holds its bookables.
    pub fn occupies(self) -> bool {
        !matches!(self, Self::Cancelled | Self::NoShow)
    }
}

impl Action {
    pub fn event(self) -> BookingsEvent {
        match self {
            Self::Approve => BookingsEvent::BookingApproved,
            Self::Confirm => BookingsEvent::BookingConfirmed,
            Self::CheckIn => BookingsEvent::BookingCheckedIn,
            Self::Complete => BookingsEvent::BookingCompleted,
            Self::Cancel => BookingsEvent::BookingCancelled,
            Self::NoShow => BookingsEvent::BookingNoShow,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Action::*;
    use super::BookingStatus::*;
    use super::*;

    #[test]
    fn only_the_legal_transitions() {
        let all = [PendingApproval, Pending, Confirmed, CheckedIn, Completed, Cancelled, BookingStatus::NoShow];
        let actions = [Approve, Confirm, CheckIn, Complete, Cancel, Action::NoShow];
        let legal: Vec<_> =
            all.iter().flat_map(|s| actions.iter().filter_map(move |a| s.after(*a).map(|to| (*s, *a, to)))).collect();
        assert_eq!(
            legal,
            [
                (PendingApproval, Approve, Pending),
                (PendingApproval, Cancel, Cancelled),
                (Pending, Confirm, Confirmed),
                (Pending, Cancel, Cancelled),
                (Confirmed, CheckIn, CheckedIn),
                (Confirmed, Cancel, Cancelled),
                (Confirmed, Action::NoShow, BookingStatus::NoShow),
                (CheckedIn, Complete, Completed),
            ]
        );
        for s in all {
            assert_eq!(BookingStatus::parse(s.as_str()), Some(s));
        }
    }
}
