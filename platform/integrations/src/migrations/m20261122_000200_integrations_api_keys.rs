use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::{col, create_tenant_table, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tenant_table(
            manager,
            "api_keys",
            tenant_table("api_keys")
                .col(col("name").text().not_null())
                // The key's public part, for lists: `atr_…` up to the first characters of the secret.
                .col(col("prefix").text().not_null())
                // SHA-256 of the whole key; the key itself is never stored.
                .col(col("secret_hash").text().not_null())
                .col(col("previous_secret_hash").text().null())
                .col(col("previous_valid_until").timestamp_with_time_zone().null())
                .col(col("scopes").json_binary().not_null())
                .col(col("created_by").uuid().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("last_used_at").timestamp_with_time_zone().null())
                .col(col("expires_at").timestamp_with_time_zone().null())
                .col(col("revoked_at").timestamp_with_time_zone().null())
                .col(col("version").integer().not_null().default(1))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("api_keys")).to_owned()).await
    }
}
