//! Credits redeemed by bookings: each `redeemed` entry says whose session it paid for
//! (`beneficiary_id`: the purchaser, or a member of the household it is shared with, for
//! the household's member cap), a booking's entries are found by the booking, and a
//! redemption has at most one outcome (`returned` or `forfeited`), however often or
//! concurrently its booking is cancelled.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use atrium_migrations::tenancy::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("package_credit_entries"))
                    .add_column(ColumnDef::new(Alias::new("beneficiary_id")).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_package_credit_entries_booking",
                "package_credit_entries",
                &["tenant_id", "booking_id"],
            ))
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_package_credit_entries_outcome ON package_credit_entries \
                 (tenant_id, linked_entry_id) WHERE type IN ('returned', 'forfeited') AND linked_entry_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX IF EXISTS ux_package_credit_entries_outcome").await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_package_credit_entries_booking")
                    .table(Alias::new("package_credit_entries"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("package_credit_entries"))
                    .drop_column(Alias::new("beneficiary_id"))
                    .to_owned(),
            )
            .await
    }
}
