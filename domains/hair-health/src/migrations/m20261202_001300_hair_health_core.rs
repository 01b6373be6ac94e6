//! Hair health (Vlossom §12): profiles and their versions, consents to stylists and their
//! versions, the access log, rituals and their ordered steps, care-calendar events and
//! insights. Every row names the customer it belongs to (`user_id`, or `customer_user_id`
//! on consents and the access log), so erasure can remove all of it.

use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::{col, create_tenant_table, index, tenant_fk, tenant_table, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn check(name: &str, expr: &str) -> sea_query::table::Check {
    sea_query::table::Check::named(Alias::new(name), Expr::cust(expr.to_owned()))
}

const TABLES: [&str; 10] = [
    "hair_booking_sync",
    "hair_insights",
    "hair_calendar_events",
    "hair_ritual_steps",
    "hair_rituals",
    "hair_access_log",
    "hair_consent_versions",
    "hair_consents",
    "hair_profile_versions",
    "hair_profiles",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut profiles = tenant_table("hair_profiles");
        profiles.col(col("user_id").uuid().not_null()).col(col("profile_version").text().not_null());
        for c in [
            "texture_class",
            "pattern_family",
            "strand_thickness",
            "density_level",
            "shrinkage_tendency",
            "porosity_level",
            "retention_risk",
            "detangle_tolerance",
            "manipulation_tolerance",
            "tension_sensitivity",
            "scalp_sensitivity",
            "wash_day_load_factor",
            "routine_type",
        ] {
            profiles.col(col(c).text().null());
        }
        profiles
            .col(col("estimated_wash_day_minutes").integer().null())
            .col(col("learning_nodes_unlocked").json_binary().not_null())
            .col(col("version").integer().not_null().default(1))
            .col(col("created_at").timestamp_with_time_zone().not_null())
            .col(col("updated_at").timestamp_with_time_zone().not_null())
            .col(col("last_reviewed_at").timestamp_with_time_zone().null())
            .check(check(
                "ck_hair_profiles_wash_minutes",
                "estimated_wash_day_minutes IS NULL OR (estimated_wash_day_minutes BETWEEN 30 AND 480)",
            ));
        create_tenant_table(manager, "hair_profiles", profiles.to_owned()).await?;
        manager.create_index(unique_index("ux_hair_profiles_user", "hair_profiles", &["tenant_id", "user_id"])).await?;

        create_tenant_table(
            manager,
            "hair_profile_versions",
            tenant_table("hair_profile_versions")
                .col(col("profile_id").uuid().not_null())
                .col(col("user_id").uuid().not_null())
                .col(col("version").integer().not_null())
                .col(col("snapshot").json_binary().not_null())
                .col(col("changed_by").uuid().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("hair_profile_versions", "profile_id", "hair_profiles"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index(
                "ux_hair_profile_versions",
                "hair_profile_versions",
                &["tenant_id", "profile_id", "version"],
            ))
            .await?;

        create_tenant_table(
            manager,
            "hair_consents",
            tenant_table("hair_consents")
                .col(col("customer_user_id").uuid().not_null())
                .col(col("stylist_user_id").uuid().not_null())
                .col(col("scope").json_binary().not_null())
                .col(col("granted_at").timestamp_with_time_zone().null())
                .col(col("valid_until").timestamp_with_time_zone().null())
                .col(col("revoked_at").timestamp_with_time_zone().null())
                .col(col("stylist_notes").text().null())
                .col(col("last_service_notes").text().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index(
                "ux_hair_consents_pair",
                "hair_consents",
                &["tenant_id", "customer_user_id", "stylist_user_id"],
            ))
            .await?;
        manager
            .create_index(index("ix_hair_consents_stylist", "hair_consents", &["tenant_id", "stylist_user_id"]))
            .await?;

        create_tenant_table(
            manager,
            "hair_consent_versions",
            tenant_table("hair_consent_versions")
                .col(col("consent_id").uuid().not_null())
                .col(col("customer_user_id").uuid().not_null())
                .col(col("stylist_user_id").uuid().not_null())
                .col(col("version").integer().not_null())
                .col(col("action").text().not_null())
                .col(col("scope").json_binary().not_null())
                .col(col("valid_until").timestamp_with_time_zone().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("hair_consent_versions", "consent_id", "hair_consents"))
                .to_owned(),
        )
        .await?;

        create_tenant_table(
            manager,
            "hair_access_log",
            tenant_table("hair_access_log")
                .col(col("customer_user_id").uuid().not_null())
                .col(col("profile_id").uuid().not_null())
                .col(col("reader_user_id").uuid().not_null())
                .col(col("fields").json_binary().not_null())
                .col(col("consent_id").uuid().null())
                .col(col("consent_version").integer().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index("ix_hair_access_log_customer", "hair_access_log", &["tenant_id", "customer_user_id"]))
            .await?;

        create_tenant_table(
            manager,
            "hair_rituals",
            tenant_table("hair_rituals")
                .col(col("user_id").uuid().null())
                .col(col("ritual_type").text().not_null())
                .col(col("name").text().not_null())
                .col(col("description").text().null())
                .col(col("default_duration_minutes").integer().not_null())
                .col(col("load_level").text().not_null())
                .col(col("education_hint_id").text().null())
                .col(col("is_template").boolean().not_null())
                .col(col("created_by_stylist_id").uuid().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .check(check("ck_hair_rituals_duration", "default_duration_minutes >= 0"))
                .to_owned(),
        )
        .await?;
        manager.create_index(index("ix_hair_rituals_user", "hair_rituals", &["tenant_id", "user_id"])).await?;

        create_tenant_table(
            manager,
            "hair_ritual_steps",
            tenant_table("hair_ritual_steps")
                .col(col("ritual_id").uuid().not_null())
                .col(col("user_id").uuid().null())
                .col(col("step_order").integer().not_null())
                .col(col("step_type").text().not_null())
                .col(col("name").text().null())
                .col(col("estimated_minutes").integer().not_null())
                .col(col("optional").boolean().not_null())
                .col(col("notes").text().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("hair_ritual_steps", "ritual_id", "hair_rituals"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index(
                "ux_hair_ritual_steps_order",
                "hair_ritual_steps",
                &["tenant_id", "ritual_id", "step_order"],
            ))
            .await?;

        create_tenant_table(
            manager,
            "hair_calendar_events",
            tenant_table("hair_calendar_events")
                .col(col("user_id").uuid().not_null())
                .col(col("event_category").text().not_null())
                .col(col("event_type").text().not_null())
                .col(col("title").text().not_null())
                .col(col("description").text().null())
                .col(col("scheduled_start").timestamp_with_time_zone().not_null())
                .col(col("scheduled_end").timestamp_with_time_zone().not_null())
                .col(col("load_level").text().null())
                .col(col("requires_rest_buffer").boolean().not_null())
                .col(col("recommended_rest_hours_after").integer().null())
                .col(col("status").text().not_null())
                .col(col("completion_quality").text().null())
                .col(col("completed_at").timestamp_with_time_zone().null())
                .col(col("linked_ritual_id").uuid().null())
                .col(col("linked_booking_id").uuid().null())
                .col(col("linked_education_content_id").text().null())
                .col(col("generated_by").text().not_null())
                .col(col("recurrence_rule").text().null())
                // For booking_service events: the outbox event last applied, and the
                // booking's status then (a cancelled booking's event is kept as a tombstone
                // so a replayed event never brings it back, and is shown to nobody).
                .col(col("source_event_id").uuid().null())
                .col(col("booking_status").text().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .check(check("ck_hair_calendar_events_window", "scheduled_end >= scheduled_start"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index(
                "ix_hair_calendar_events_user_time",
                "hair_calendar_events",
                &["tenant_id", "user_id", "scheduled_start"],
            ))
            .await?;
        manager
            .create_index(unique_index(
                "ux_hair_calendar_events_booking",
                "hair_calendar_events",
                &["tenant_id", "user_id", "linked_booking_id"],
            ))
            .await?;

        // How far the tenant's booking events were applied (one row per tenant, id = tenant id).
        create_tenant_table(
            manager,
            "hair_booking_sync",
            tenant_table("hair_booking_sync")
                .col(col("last_occurred_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;

        create_tenant_table(
            manager,
            "hair_insights",
            tenant_table("hair_insights")
                .col(col("user_id").uuid().not_null())
                .col(col("insight_type").text().not_null())
                .col(col("rule_id").text().not_null())
                .col(col("rule_version").integer().not_null())
                .col(col("dedupe_key").text().not_null())
                .col(col("title").text().not_null())
                .col(col("body").text().not_null())
                // hundredths, 0..=100 (numeric(3,2) of the seed, exact on both backends)
                .col(col("confidence_hundredths").integer().not_null())
                .col(col("priority").text().not_null())
                .col(col("display_start").timestamp_with_time_zone().not_null())
                .col(col("display_end").timestamp_with_time_zone().null())
                .col(col("is_dismissed").boolean().not_null())
                .col(col("dismissed_at").timestamp_with_time_zone().null())
                .col(col("linked_event_id").uuid().null())
                .col(col("linked_booking_id").uuid().null())
                .col(col("field_groups").json_binary().not_null())
                .col(col("source_data").json_binary().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .check(check("ck_hair_insights_confidence", "confidence_hundredths BETWEEN 0 AND 100"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index(
                "ux_hair_insights_dedupe",
                "hair_insights",
                &["tenant_id", "user_id", "dedupe_key"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
