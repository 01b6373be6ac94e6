//! The §12 enumerations, typed (snake_case on the wire, as every Atrium enumeration), and the
//! consent field groups with the profile fields each one covers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An enumeration stored as its wire text.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $text)] $variant),+ }
        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $(Self::$variant => $text),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($text => Some(Self::$variant),)+ _ => None } }
        }
    };
}

text_enum!(
    /// Andre Walker classification and extensions.
    TextureClass { T1a = "1a", T1b = "1b", T1c = "1c", T2a = "2a", T2b = "2b", T2c = "2c", T3a = "3a",
        T3b = "3b", T3c = "3c", T4a = "4a", T4b = "4b", T4c = "4c", Mixed = "mixed", Unknown = "unknown" }
);
text_enum!(PatternFamily { Straight = "straight", Wavy = "wavy", Curly = "curly", Coily = "coily",
    Kinky = "kinky", Unknown = "unknown" });
text_enum!(StrandThickness { Fine = "fine", Medium = "medium", Coarse = "coarse", Unknown = "unknown" });
text_enum!(Level4 { Low = "low", Medium = "medium", High = "high", Unknown = "unknown" });
text_enum!(ShrinkageTendency { Minimal = "minimal", Moderate = "moderate", High = "high", Extreme = "extreme",
    Unknown = "unknown" });
text_enum!(Level { Low = "low", Medium = "medium", High = "high" });
text_enum!(WashDayLoadFactor { Light = "light", Standard = "standard", Heavy = "heavy" });
text_enum!(RoutineType { Growth = "growth", Repair = "repair", Maintenance = "maintenance", Kids = "kids",
    Protective = "protective", Transition = "transition", Unknown = "unknown" });
text_enum!(RitualType { WashDayFull = "wash_day_full", WashDayQuick = "wash_day_quick",
    DeepCondition = "deep_condition", MoistureRefresh = "moisture_refresh", ProteinTreatment = "protein_treatment",
    ScalpTreatment = "scalp_treatment", DetangleSession = "detangle_session",
    ProtectiveStylePrep = "protective_style_prep", TakedownRecovery = "takedown_recovery",
    TrimMaintenance = "trim_maintenance", Custom = "custom" });
text_enum!(StepType { PrePoo = "pre_poo", Shampoo = "shampoo", Clarify = "clarify", Condition = "condition",
    DeepCondition = "deep_condition", ProteinTreatment = "protein_treatment", Detangle = "detangle",
    Rinse = "rinse", LeaveIn = "leave_in", Moisturize = "moisturize", Seal = "seal", Style = "style", Dry = "dry",
    ScalpMassage = "scalp_massage", Custom = "custom" });
text_enum!(EventCategory { HairRitual = "hair_ritual", BookingService = "booking_service",
    EducationPrompt = "education_prompt", RestBuffer = "rest_buffer", RecoveryWindow = "recovery_window" });
text_enum!(
    /// `planned → due → in_progress → completed | skipped | rescheduled`.
    EventStatus { Planned = "planned", Due = "due", InProgress = "in_progress", Completed = "completed",
        Skipped = "skipped", Rescheduled = "rescheduled" }
);
text_enum!(CompletionQuality { Full = "full", Partial = "partial", Rushed = "rushed" });
text_enum!(GeneratedBy { System = "system", User = "user", Stylist = "stylist" });
text_enum!(InsightType { MoistureNeed = "moisture_need", ProteinNeed = "protein_need",
    RestRecommendation = "rest_recommendation", RecoveryWindow = "recovery_window",
    WashDayReminder = "wash_day_reminder", WeatherAlert = "weather_alert", RoutineAdjustment = "routine_adjustment",
    LearningPrompt = "learning_prompt", StylistPrep = "stylist_prep" });
text_enum!(Priority { Low = "low", Normal = "normal", High = "high" });
text_enum!(
    /// What a consent can share: named groups of profile fields, the calendar and insights.
    FieldGroup { Texture = "texture", Porosity = "porosity", Sensitivity = "sensitivity", Routine = "routine",
        Calendar = "calendar", Insights = "insights" }
);

impl EventStatus {
    /// The status machine: which statuses may follow this one.
    pub fn next(self) -> &'static [EventStatus] {
        use EventStatus::*;
        match self {
            Planned => &[Due, InProgress, Skipped, Rescheduled],
            Due => &[InProgress, Skipped, Rescheduled],
            InProgress => &[Completed, Skipped],
            Completed | Skipped | Rescheduled => &[],
        }
    }
}

impl FieldGroup {
    /// The profile fields this group shares.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Texture => {
                &["texture_class", "pattern_family", "strand_thickness", "density_level", "shrinkage_tendency"]
            }
            Self::Porosity => &["porosity_level", "retention_risk"],
            Self::Sensitivity => {
                &["detangle_tolerance", "manipulation_tolerance", "tension_sensitivity", "scalp_sensitivity"]
            }
            Self::Routine => {
                &["wash_day_load_factor", "estimated_wash_day_minutes", "routine_type", "learning_nodes_unlocked"]
            }
            Self::Calendar | Self::Insights => &[],
        }
    }

    /// The group a profile field belongs to.
    pub fn of_field(field: &str) -> Option<FieldGroup> {
        Self::ALL.iter().copied().find(|g| g.fields().contains(&field))
    }
}

/// Tightly coiled textures, which lose moisture (and length) most easily.
fn tightly_coiled(t: Option<TextureClass>) -> bool {
    matches!(t, Some(TextureClass::T3c | TextureClass::T4a | TextureClass::T4b | TextureClass::T4c))
}

/// `retention_risk`, derived and never set by clients. The documented rule:
///
/// | porosity | 3c/4a/4b/4c | any other texture (or unknown) |
/// |----------|-------------|--------------------------------|
/// | high     | high        | medium                         |
/// | medium   | medium      | low                            |
/// | low      | low         | low                            |
/// | unknown / not given | — (null) | — (null)               |
pub fn retention_risk(porosity: Option<Level4>, texture: Option<TextureClass>) -> Option<Level> {
    let coiled = tightly_coiled(texture);
    match porosity? {
        Level4::High if coiled => Some(Level::High),
        Level4::High => Some(Level::Medium),
        Level4::Medium if coiled => Some(Level::Medium),
        Level4::Medium | Level4::Low => Some(Level::Low),
        Level4::Unknown => None,
    }
}

/// A value's wire text (for text columns).
pub(crate) fn text<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The inverse of [`text`] for stored columns (`None` for what no longer parses).
pub(crate) fn parse_text<T: serde::de::DeserializeOwned>(value: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_risk_follows_the_documented_table() {
        use Level4 as P;
        assert_eq!(retention_risk(Some(P::High), Some(TextureClass::T4c)), Some(Level::High));
        assert_eq!(retention_risk(Some(P::High), Some(TextureClass::T2a)), Some(Level::Medium));
        assert_eq!(retention_risk(Some(P::Medium), Some(TextureClass::T3c)), Some(Level::Medium));
        assert_eq!(retention_risk(Some(P::Medium), None), Some(Level::Low));
        assert_eq!(retention_risk(Some(P::Low), Some(TextureClass::T4a)), Some(Level::Low));
        assert_eq!(retention_risk(Some(P::Unknown), Some(TextureClass::T4a)), None);
        assert_eq!(retention_risk(None, Some(TextureClass::T4a)), None);
    }

    #[test]
    fn completed_skipped_and_rescheduled_are_final() {
        for s in [EventStatus::Completed, EventStatus::Skipped, EventStatus::Rescheduled] {
            assert!(s.next().is_empty());
        }
        assert!(EventStatus::Planned.next().contains(&EventStatus::Due));
        assert!(!EventStatus::Planned.next().contains(&EventStatus::Completed));
    }

    #[test]
    fn enumerations_round_trip_their_wire_text() {
        for t in TextureClass::ALL {
            assert_eq!(TextureClass::parse(t.as_str()), Some(*t));
            assert_eq!(text(t), t.as_str());
        }
        assert_eq!(StepType::ALL.len(), 15);
        assert_eq!(RitualType::ALL.len(), 11);
        assert_eq!(InsightType::ALL.len(), 9);
    }
}
