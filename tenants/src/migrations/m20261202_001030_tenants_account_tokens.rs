//! Single-use tokens e-mailed to users (password resets, e-mail verifications), kept as
//! SHA-256 hashes. Tenant-owned: a token belongs to the tenant whose customer asked.

use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::{col, create_tenant_table, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let table = tenant_table("account_tokens")
            .col(col("user_id").uuid().not_null())
            .col(col("purpose").string_len(40).not_null())
            .col(col("token_hash").string_len(64).not_null().unique_key())
            .col(col("expires_at").timestamp_with_time_zone().not_null())
            .col(col("used_at").timestamp_with_time_zone().null())
            .col(col("created_at").timestamp_with_time_zone().not_null())
            .foreign_key(
                ForeignKey::create()
                    .name("fk_account_tokens_user")
                    .from_col(Alias::new("user_id"))
                    .to(Alias::new("users"), Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        create_tenant_table(manager, "account_tokens", table).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_account_tokens_user")
                    .table(Alias::new("account_tokens"))
                    .col(Alias::new("tenant_id"))
                    .col(Alias::new("user_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("account_tokens")).to_owned()).await
    }
}
