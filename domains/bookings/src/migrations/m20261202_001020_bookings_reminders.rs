//! The reminder job's way to the tenants with bookings starting within 24 hours (a
//! SECURITY DEFINER finder on PostgreSQL, like the sweepers').

use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::{drop_tenant_finder, tenant_finder};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        tenant_finder(
            manager,
            "reminder_finder",
            "bookings",
            "atrium_tenants_with_bookings_to_remind",
            "t.status IN ('pending', 'confirmed') AND t.start_at > now() AND t.start_at <= now() + interval '24 hours'",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tenant_finder(manager, "reminder_finder", "bookings", "atrium_tenants_with_bookings_to_remind").await
    }
}
