//! The waitlist and recurring rules (Bizing §9–10): waitlist entries, ordered per template
//! and preferred date, whose offers are holds; recurring rules and the occurrences they
//! materialized (booked, conflict or skipped).

use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::{
    col, create_tenant_table, drop_tenant_finder, index, tenant_finder, tenant_fk, tenant_table,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tenant_table(
            manager,
            "waitlist_entries",
            tenant_table("waitlist_entries")
                .col(col("service_template_id").uuid().not_null())
                .col(col("user_id").uuid().not_null())
                .col(col("household_id").uuid().null())
                // a local date in the template's pricing time zone
                .col(col("preferred_date").date().not_null())
                .col(col("preferred_start").text().null())
                .col(col("preferred_end").text().null())
                // the participants to book with, as given
                .col(col("participants").json_binary().not_null())
                .col(col("participant_count").integer().not_null())
                // a company provider's technician, when the company lets customers choose
                .col(col("technician_user_id").uuid().null())
                .col(col("status").text().not_null())
                .col(col("offered_at").timestamp_with_time_zone().null())
                .col(col("offered_start").timestamp_with_time_zone().null())
                .col(col("offered_end").timestamp_with_time_zone().null())
                .col(col("offer_expires_at").timestamp_with_time_zone().null())
                // the hold that keeps the offered slot for the entry's user
                .col(col("reservation_id").uuid().null())
                .col(col("booking_id").uuid().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("waitlist_entries", "reservation_id", "reservations"))
                .foreign_key(&mut tenant_fk("waitlist_entries", "booking_id", "bookings"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index(
                "ix_waitlist_entries_queue",
                "waitlist_entries",
                &["tenant_id", "service_template_id", "preferred_date", "status"],
            ))
            .await?;
        manager
            .create_index(index("ix_waitlist_entries_offers", "waitlist_entries", &["status", "offer_expires_at"]))
            .await?;

        create_tenant_table(
            manager,
            "recurring_rules",
            tenant_table("recurring_rules")
                .col(col("user_id").uuid().not_null())
                .col(col("service_template_id").uuid().not_null())
                .col(col("household_id").uuid().null())
                .col(col("start_time").text().not_null())
                .col(col("timezone").text().not_null())
                .col(col("pattern").json_binary().not_null())
                .col(col("start_date").date().not_null())
                .col(col("end_date").date().null())
                .col(col("max_occurrences").integer().null())
                .col(col("exceptions").json_binary().not_null())
                .col(col("bookable_ids").json_binary().null())
                .col(col("participants").json_binary().not_null())
                .col(col("participant_count").integer().not_null())
                .col(col("duration_minutes").integer().null())
                .col(col("technician_user_id").uuid().null())
                .col(col("status").text().not_null())
                .col(col("total_occurrences").integer().not_null())
                .col(col("materialized_until").date().not_null())
                .col(col("cancelled_at").timestamp_with_time_zone().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;

        create_tenant_table(
            manager,
            "recurring_rule_occurrences",
            tenant_table("recurring_rule_occurrences")
                .col(col("rule_id").uuid().not_null())
                // the local date it takes place on, and the pattern's when rescheduled
                .col(col("date").date().not_null())
                .col(col("original_date").date().null())
                .col(col("start_at").timestamp_with_time_zone().not_null())
                .col(col("status").text().not_null())
                .col(col("booking_id").uuid().null())
                .col(col("reason").text().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(
                    tenant_fk("recurring_rule_occurrences", "rule_id", "recurring_rules")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(&mut tenant_fk("recurring_rule_occurrences", "booking_id", "bookings"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index(
                "ix_recurring_rule_occurrences_rule",
                "recurring_rule_occurrences",
                &["tenant_id", "rule_id"],
            ))
            .await?;

        // The offer sweeper's way to the tenants with lapsed offers.
        tenant_finder(
            manager,
            "offer_sweeper",
            "waitlist_entries",
            "atrium_tenants_with_lapsed_offers",
            "t.status = 'offered' AND t.offer_expires_at <= now()",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tenant_finder(manager, "offer_sweeper", "waitlist_entries", "atrium_tenants_with_lapsed_offers").await?;
        for t in ["recurring_rule_occurrences", "recurring_rules", "waitlist_entries"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
