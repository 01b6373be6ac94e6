//! Keys that sign access tokens, by `kid`. Used when no secret is configured: the server
//! generates one on first start and keeps it here, beside the data it protects, so every
//! instance on the same database signs and verifies with the same key. Platform-level,
//! not tenant-owned.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlatformSigningKeys {
    Table,
    Kid,
    Algorithm,
    Secret,
    Active,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlatformSigningKeys::Table)
                    .col(ColumnDef::new(PlatformSigningKeys::Kid).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(PlatformSigningKeys::Algorithm).string_len(16).not_null())
                    .col(ColumnDef::new(PlatformSigningKeys::Secret).text().not_null())
                    .col(ColumnDef::new(PlatformSigningKeys::Active).boolean().not_null())
                    .col(ColumnDef::new(PlatformSigningKeys::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PlatformSigningKeys::Table).to_owned()).await
    }
}
