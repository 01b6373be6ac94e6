//! The job runner's schedule: one row per background job, which instance holds it
//! (`leased_by` until `leased_until`), when it is next due, and how many passes it has run.
//! A pass starts only under the lease, so with several instances on one database each job
//! runs on one instance at a time. Platform-level, not tenant-owned: a job's passes span
//! tenants, each inside its own tenant transaction.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobSchedules {
    Table,
    Name,
    NextRunAt,
    LeasedBy,
    LeasedUntil,
    Runs,
    LastStartedAt,
    LastFinishedAt,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobSchedules::Table)
                    .col(ColumnDef::new(JobSchedules::Name).string_len(100).not_null().primary_key())
                    .col(ColumnDef::new(JobSchedules::NextRunAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(JobSchedules::LeasedBy).string_len(64).null())
                    .col(ColumnDef::new(JobSchedules::LeasedUntil).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(JobSchedules::Runs).big_integer().not_null().default(0))
                    .col(ColumnDef::new(JobSchedules::LastStartedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(JobSchedules::LastFinishedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(JobSchedules::LastError).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(JobSchedules::Table).to_owned()).await
    }
}
