//! The events this plugin emits, declared once: the webhook catalog is derived from this
//! enum, and every audited change names one of its variants.

use atrium_core::context::Permission;
use atrium_core::events::EventKind;
use sea_orm::EnumIter;

use crate::READ;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter)]
pub enum BookingsEvent {
    /// `booking.created`: A booking was made.
    BookingCreated,
    /// `booking.approved`: A household's primary member approved a booking.
    BookingApproved,
    /// `booking.confirmed`: A booking was confirmed.
    BookingConfirmed,
    /// `booking.checked_in`: A booking was checked in.
    BookingCheckedIn,
    /// `booking.completed`: A booking was completed.
    BookingCompleted,
    /// `booking.cancelled`: A booking was cancelled, with its refund.
    BookingCancelled,
    /// `booking.no_show`: A booking was marked a no-show.
    BookingNoShow,
    /// `reservation.created`: A slot was held.
    ReservationCreated,
    /// `reservation.extended`: A hold was extended.
    ReservationExtended,
    /// `reservation.released`: A hold was released by its holder.
    ReservationReleased,
    /// `reservation.converted`: A hold became a booking.
    ReservationConverted,
    /// `reservation.expired`: A hold expired and its slot is free again.
    ReservationExpired,
    /// `waitlist.joined`: Someone joined the waitlist of a service for a date.
    WaitlistJoined,
    /// `waitlist.offered`: A freed slot was offered (and held) for a waitlist entry.
    WaitlistOffered,
    /// `waitlist.offer_expired`: A waitlist offer lapsed unanswered; the slot passes to the next entry.
    WaitlistOfferExpired,
    /// `waitlist.accepted`: A waitlist offer was accepted and booked.
    WaitlistAccepted,
    /// `waitlist.cancelled`: A waitlist entry was cancelled, or its offer declined.
    WaitlistCancelled,
    /// `recurring_rule.created`: A recurring rule was created and its occurrences booked.
    RecurringRuleCreated,
    /// `recurring_rule.cancelled`: A recurring rule was cancelled.
    RecurringRuleCancelled,
}

impl EventKind for BookingsEvent {
    fn name(self) -> &'static str {
        match self {
            Self::BookingCreated => "booking.created",
            Self::BookingApproved => "booking.approved",
            Self::BookingConfirmed => "booking.confirmed",
            Self::BookingCheckedIn => "booking.checked_in",
            Self::BookingCompleted => "booking.completed",
            Self::BookingCancelled => "booking.cancelled",
            Self::BookingNoShow => "booking.no_show",
            Self::ReservationCreated => "reservation.created",
            Self::ReservationExtended => "reservation.extended",
            Self::ReservationReleased => "reservation.released",
            Self::ReservationConverted => "reservation.converted",
            Self::ReservationExpired => "reservation.expired",
            Self::WaitlistJoined => "waitlist.joined",
            Self::WaitlistOffered => "waitlist.offered",
            Self::WaitlistOfferExpired => "waitlist.offer_expired",
            Self::WaitlistAccepted => "waitlist.accepted",
            Self::WaitlistCancelled => "waitlist.cancelled",
            Self::RecurringRuleCreated => "recurring_rule.created",
            Self::RecurringRuleCancelled => "recurring_rule.cancelled",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::BookingCreated => "A booking was made",
            Self::BookingApproved => "A household's primary member approved a booking",
            Self::BookingConfirmed => "A booking was confirmed",
            Self::BookingCheckedIn => "A booking was checked in",
            Self::BookingCompleted => "A booking was completed",
            Self::BookingCancelled => "A booking was cancelled, with its refund",
            Self::BookingNoShow => "A booking was marked a no-show",
            Self::ReservationCreated => "A slot was held",
            Self::ReservationExtended => "A hold was extended",
            Self::ReservationReleased => "A hold was released by its holder",
            Self::ReservationConverted => "A hold became a booking",
            Self::ReservationExpired => "A hold expired and its slot is free again",
            Self::WaitlistJoined => "Someone joined the waitlist of a service for a date",
            Self::WaitlistOffered => "A freed slot was offered (and held) for a waitlist entry",
            Self::WaitlistOfferExpired => "A waitlist offer lapsed unanswered; the slot passes to the next entry",
            Self::WaitlistAccepted => "A waitlist offer was accepted and booked",
            Self::WaitlistCancelled => "A waitlist entry was cancelled, or its offer declined",
            Self::RecurringRuleCreated => "A recurring rule was created and its occurrences booked",
            Self::RecurringRuleCancelled => "A recurring rule was cancelled",
        }
    }

    fn read_permission(self) -> Permission {
        match self {
            Self::BookingCreated
            | Self::BookingApproved
            | Self::BookingConfirmed
            | Self::BookingCheckedIn
            | Self::BookingCompleted
            | Self::BookingCancelled
            | Self::BookingNoShow
            | Self::ReservationCreated
            | Self::ReservationExtended
            | Self::ReservationReleased
            | Self::ReservationConverted
            | Self::ReservationExpired
            | Self::WaitlistJoined
            | Self::WaitlistOffered
            | Self::WaitlistOfferExpired
            | Self::WaitlistAccepted
            | Self::WaitlistCancelled
            | Self::RecurringRuleCreated
            | Self::RecurringRuleCancelled => READ,
        }
    }
}
