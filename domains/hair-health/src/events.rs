//! The events this plugin emits, declared once.

use atrium_core::context::Permission;
use atrium_core::events::EventKind;
use sea_orm::EnumIter;

use crate::{CALENDAR_READ, INSIGHTS_READ, PROFILES_READ, RITUALS_READ};

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter)]
pub enum HairEvent {
    ProfileCreated,
    ProfileUpdated,
    ProfileErased,
    ConsentGranted,
    ConsentRevoked,
    RitualCreated,
    RitualUpdated,
    RitualDeleted,
    CalendarEventCreated,
    CalendarEventUpdated,
    CalendarEventDeleted,
    InsightGenerated,
    InsightDismissed,
}

impl EventKind for HairEvent {
    fn name(self) -> &'static str {
        match self {
            Self::ProfileCreated => "hair_profile.created",
            Self::ProfileUpdated => "hair_profile.updated",
            Self::ProfileErased => "hair_profile.erased",
            Self::ConsentGranted => "hair_consent.granted",
            Self::ConsentRevoked => "hair_consent.revoked",
            Self::RitualCreated => "hair_ritual.created",
            Self::RitualUpdated => "hair_ritual.updated",
            Self::RitualDeleted => "hair_ritual.deleted",
            Self::CalendarEventCreated => "hair_calendar_event.created",
            Self::CalendarEventUpdated => "hair_calendar_event.updated",
            Self::CalendarEventDeleted => "hair_calendar_event.deleted",
            Self::InsightGenerated => "hair_insight.generated",
            Self::InsightDismissed => "hair_insight.dismissed",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::ProfileCreated => "A customer created their hair profile",
            Self::ProfileUpdated => "A hair profile changed (a new profile version)",
            Self::ProfileErased => "A customer erased all their hair-health data",
            Self::ConsentGranted => "A customer granted or changed a stylist's consent",
            Self::ConsentRevoked => "A customer revoked a stylist's consent",
            Self::RitualCreated => "A ritual was created",
            Self::RitualUpdated => "A ritual or its steps changed",
            Self::RitualDeleted => "A ritual was deleted",
            Self::CalendarEventCreated => "A care-calendar event was created",
            Self::CalendarEventUpdated => "A care-calendar event changed (times or status)",
            Self::CalendarEventDeleted => "A care-calendar event was removed",
            Self::InsightGenerated => "A rule produced an insight",
            Self::InsightDismissed => "An insight was dismissed",
        }
    }

    fn read_permission(self) -> Permission {
        match self {
            Self::ProfileCreated | Self::ProfileUpdated | Self::ProfileErased => PROFILES_READ,
            // Tenant-wide readers of profiles may follow who shares with whom (no data is carried).
            Self::ConsentGranted | Self::ConsentRevoked => PROFILES_READ,
            Self::RitualCreated | Self::RitualUpdated | Self::RitualDeleted => RITUALS_READ,
            Self::CalendarEventCreated | Self::CalendarEventUpdated | Self::CalendarEventDeleted => CALENDAR_READ,
            Self::InsightGenerated | Self::InsightDismissed => INSIGHTS_READ,
        }
    }
}
