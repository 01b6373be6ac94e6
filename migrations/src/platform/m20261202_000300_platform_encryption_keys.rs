//! Keys that seal values at rest (webhook signing secrets, stored idempotent responses),
//! by `kid`. Used when `ATRIUM_ENCRYPTION_KEYS` is not configured: the server generates one
//! on first start and keeps it here, in its own table (never in a row of what it seals),
//! so every instance on the same database shares it. Platform-level, not tenant-owned.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlatformEncryptionKeys {
    Table,
    Kid,
    Secret,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlatformEncryptionKeys::Table)
                    .col(ColumnDef::new(PlatformEncryptionKeys::Kid).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(PlatformEncryptionKeys::Secret).text().not_null())
                    .col(ColumnDef::new(PlatformEncryptionKeys::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PlatformEncryptionKeys::Table).to_owned()).await
    }
}
