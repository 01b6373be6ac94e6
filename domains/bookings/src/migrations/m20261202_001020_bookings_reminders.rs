//! Reminders: `bookings.reminded_at` (set in the transaction that enqueues a booking's
//! reminder, so each booking is reminded once and the job never looks at it again), and
//! the job's way to the tenants with bookings still to remind within 24 hours (a SECURITY
//! DEFINER finder on PostgreSQL, like the sweepers').

use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::{drop_tenant_finder, tenant_finder};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("bookings"))
                    .add_column(ColumnDef::new(Alias::new("reminded_at")).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        tenant_finder(
            manager,
            "reminder_finder",
            "bookings",
            "atrium_tenants_with_bookings_to_remind",
            "t.status IN ('pending', 'confirmed') AND t.reminded_at IS NULL \
             AND t.start_at > now() AND t.start_at <= now() + interval '24 hours'",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tenant_finder(manager, "reminder_finder", "bookings", "atrium_tenants_with_bookings_to_remind").await?;
        manager
            .alter_table(Table::alter().table(Alias::new("bookings")).drop_column(Alias::new("reminded_at")).to_owned())
            .await
    }
}
