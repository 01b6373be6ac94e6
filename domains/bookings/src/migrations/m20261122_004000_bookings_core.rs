//! Bookings (Bizing §7–8): reservations (holds), bookings with participants and status
//! history, and the allocations through which both occupy bookables. On PostgreSQL an
//! exclusion constraint makes the database itself refuse two overlapping exclusive
//! allocations of one bookable.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

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
            "reservations",
            tenant_table("reservations")
                .col(col("service_template_id").uuid().not_null())
                .col(col("holder_user_id").uuid().not_null())
                .col(col("status").text().not_null())
                .col(col("start_at").timestamp_with_time_zone().not_null())
                .col(col("end_at").timestamp_with_time_zone().not_null())
                .col(col("participants").integer().not_null())
                .col(col("expires_at").timestamp_with_time_zone().not_null())
                .col(col("max_expires_at").timestamp_with_time_zone().not_null())
                .col(col("extension_count").integer().not_null())
                .col(col("booking_id").uuid().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        manager.create_index(index("ix_reservations_expiry", "reservations", &["status", "expires_at"])).await?;

        create_tenant_table(
            manager,
            "bookings",
            tenant_table("bookings")
                .col(col("service_template_id").uuid().not_null())
                .col(col("template_version").integer().not_null())
                .col(col("location_id").uuid().null())
                .col(col("status").text().not_null())
                .col(col("start_at").timestamp_with_time_zone().not_null())
                .col(col("end_at").timestamp_with_time_zone().not_null())
                .col(col("timezone").text().not_null())
                .col(col("duration_minutes").integer().not_null())
                .col(col("booked_by").uuid().not_null())
                .col(col("household_id").uuid().null())
                .col(col("participant_count").integer().not_null())
                .col(col("pricing_snapshot").json_binary().not_null())
                // the template's cancellation terms as booked: later edits do not change them
                .col(col("cancellation_policy").json_binary().not_null())
                // decimals as text: exact on both backends
                .col(col("total").text().not_null())
                .col(col("currency").text().not_null())
                .col(col("refund_amount").text().null())
                .col(col("refund_percent").text().null())
                .col(col("cancelled_at").timestamp_with_time_zone().null())
                .col(col("cancelled_by").text().null())
                .col(col("cancellation_reason").text().null())
                .col(col("checked_in_at").timestamp_with_time_zone().null())
                .col(col("completed_at").timestamp_with_time_zone().null())
                .col(col("source").text().not_null())
                .col(col("reservation_id").uuid().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        manager.create_index(index("ix_bookings_start", "bookings", &["tenant_id", "start_at"])).await?;

        create_tenant_table(
            manager,
            "booking_participants",
            tenant_table("booking_participants")
                .col(col("booking_id").uuid().not_null())
                .col(col("user_id").uuid().null())
                .col(col("household_member_id").uuid().null())
                .col(col("name").text().not_null())
                .col(col("email").text().null())
                .col(col("phone").text().null())
                .col(col("role").text().not_null())
                .col(col("status").text().not_null())
                .foreign_key(
                    tenant_fk("booking_participants", "booking_id", "bookings").on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index(
                "ix_booking_participants_booking",
                "booking_participants",
                &["tenant_id", "booking_id"],
            ))
            .await?;

        create_tenant_table(
            manager,
            "booking_status_history",
            tenant_table("booking_status_history")
                .col(col("booking_id").uuid().not_null())
                .col(col("from_status").text().null())
                .col(col("to_status").text().not_null())
                .col(col("actor_type").text().not_null())
                .col(col("actor_id").uuid().null())
                .col(col("reason").text().null())
                .col(col("at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("booking_status_history", "booking_id", "bookings"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index(
                "ix_booking_status_history_booking",
                "booking_status_history",
                &["tenant_id", "booking_id"],
            ))
            .await?;

        // One row per bookable a booking or a hold occupies: its service interval and its
        // occupied interval (with buffers, setup/teardown and rest), counted against the
        // bookable's capacity while `active`.
        create_tenant_table(
            manager,
            "booking_allocations",
            tenant_table("booking_allocations")
                .col(col("bookable_id").uuid().not_null())
                .col(col("bookable_type").text().not_null())
                .col(col("booking_id").uuid().null())
                .col(col("reservation_id").uuid().null())
                .col(col("service_template_id").uuid().not_null())
                .col(col("role").text().not_null())
                .col(col("technician_user_id").uuid().null())
                .col(col("start_at").timestamp_with_time_zone().not_null())
                .col(col("end_at").timestamp_with_time_zone().not_null())
                .col(col("busy_start").timestamp_with_time_zone().not_null())
                .col(col("busy_end").timestamp_with_time_zone().not_null())
                .col(col("participants").integer().not_null())
                // capacity-1 bookables outside class sessions: the exclusion constraint's rows
                .col(col("exclusive").boolean().not_null())
                // holds only: the allocation stops counting at this instant, swept or not
                .col(col("hold_expires_at").timestamp_with_time_zone().null())
                .col(col("active").boolean().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(
                    tenant_fk("booking_allocations", "booking_id", "bookings").on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    tenant_fk("booking_allocations", "reservation_id", "reservations")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index(
                "ix_booking_allocations_busy",
                "booking_allocations",
                &["tenant_id", "bookable_id", "active", "busy_start"],
            ))
            .await?;
        manager
            .create_index(index("ix_booking_allocations_booking", "booking_allocations", &["tenant_id", "booking_id"]))
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            // btree_gist: `=` on uuid inside a GiST exclusion constraint (a trusted extension).
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS btree_gist").await?;
            db.execute_unprepared(
                "ALTER TABLE booking_allocations ADD CONSTRAINT booking_allocations_no_overlap \
                 EXCLUDE USING gist (tenant_id WITH =, bookable_id WITH =, tstzrange(busy_start, busy_end) WITH &&) \
                 WHERE (active AND exclusive)",
            )
            .await?;
        }
        // The hold sweeper's way to the tenants with holds to expire.
        tenant_finder(
            manager,
            "hold_sweeper",
            "reservations",
            "atrium_tenants_with_expired_holds",
            "t.status = 'active' AND t.expires_at <= now()",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tenant_finder(manager, "hold_sweeper", "reservations", "atrium_tenants_with_expired_holds").await?;
        for t in ["booking_allocations", "booking_status_history", "booking_participants", "bookings", "reservations"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
