//! sea-orm models of the hair-health tables.

macro_rules! entity {
    ($module:ident, $table:literal, { $($field:ident : $ty:ty),* $(,)? }) => {
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub tenant_id: Uuid,
                #[sea_orm(primary_key, auto_increment = false)]
                pub id: Uuid,
                $(pub $field: $ty,)*
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(profiles, "hair_profiles", {
    user_id: Uuid,
    profile_version: String,
    texture_class: Option<String>,
    pattern_family: Option<String>,
    strand_thickness: Option<String>,
    density_level: Option<String>,
    shrinkage_tendency: Option<String>,
    porosity_level: Option<String>,
    retention_risk: Option<String>,
    detangle_tolerance: Option<String>,
    manipulation_tolerance: Option<String>,
    tension_sensitivity: Option<String>,
    scalp_sensitivity: Option<String>,
    wash_day_load_factor: Option<String>,
    routine_type: Option<String>,
    estimated_wash_day_minutes: Option<i32>,
    learning_nodes_unlocked: Json,
    version: i32,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
    last_reviewed_at: Option<DateTimeUtc>,
});

entity!(profile_versions, "hair_profile_versions", {
    profile_id: Uuid,
    user_id: Uuid,
    version: i32,
    snapshot: Json,
    changed_by: Option<Uuid>,
    created_at: DateTimeUtc,
});

entity!(consents, "hair_consents", {
    customer_user_id: Uuid,
    stylist_user_id: Uuid,
    scope: Json,
    granted_at: Option<DateTimeUtc>,
    valid_until: Option<DateTimeUtc>,
    revoked_at: Option<DateTimeUtc>,
    stylist_notes: Option<String>,
    last_service_notes: Option<String>,
    version: i32,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(consent_versions, "hair_consent_versions", {
    consent_id: Uuid,
    customer_user_id: Uuid,
    stylist_user_id: Uuid,
    version: i32,
    action: String,
    scope: Json,
    valid_until: Option<DateTimeUtc>,
    created_at: DateTimeUtc,
});

entity!(access_log, "hair_access_log", {
    customer_user_id: Uuid,
    profile_id: Uuid,
    reader_user_id: Uuid,
    fields: Json,
    consent_id: Option<Uuid>,
    consent_version: Option<i32>,
    created_at: DateTimeUtc,
});

entity!(rituals, "hair_rituals", {
    user_id: Option<Uuid>,
    ritual_type: String,
    name: String,
    description: Option<String>,
    default_duration_minutes: i32,
    load_level: String,
    education_hint_id: Option<String>,
    is_template: bool,
    created_by_stylist_id: Option<Uuid>,
    version: i32,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(steps, "hair_ritual_steps", {
    ritual_id: Uuid,
    user_id: Option<Uuid>,
    step_order: i32,
    step_type: String,
    name: Option<String>,
    estimated_minutes: i32,
    optional: bool,
    notes: Option<String>,
    created_at: DateTimeUtc,
});

entity!(events, "hair_calendar_events", {
    user_id: Uuid,
    event_category: String,
    event_type: String,
    title: String,
    description: Option<String>,
    scheduled_start: DateTimeUtc,
    scheduled_end: DateTimeUtc,
    load_level: Option<String>,
    requires_rest_buffer: bool,
    recommended_rest_hours_after: Option<i32>,
    status: String,
    completion_quality: Option<String>,
    completed_at: Option<DateTimeUtc>,
    linked_ritual_id: Option<Uuid>,
    linked_booking_id: Option<Uuid>,
    linked_education_content_id: Option<String>,
    generated_by: String,
    recurrence_rule: Option<String>,
    source_event_id: Option<Uuid>,
    booking_status: Option<String>,
    version: i32,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(insights, "hair_insights", {
    user_id: Uuid,
    insight_type: String,
    rule_id: String,
    rule_version: i32,
    dedupe_key: String,
    title: String,
    body: String,
    confidence_hundredths: i32,
    priority: String,
    display_start: DateTimeUtc,
    display_end: Option<DateTimeUtc>,
    is_dismissed: bool,
    dismissed_at: Option<DateTimeUtc>,
    linked_event_id: Option<Uuid>,
    linked_booking_id: Option<Uuid>,
    field_groups: Json,
    source_data: Json,
    created_at: DateTimeUtc,
});

entity!(booking_sync, "hair_booking_sync", {
    last_occurred_at: DateTimeUtc,
});
