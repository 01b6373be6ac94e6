use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::{col, create_tenant_table, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tenant_table(
            manager,
            "idempotency_keys",
            tenant_table("idempotency_keys")
                // The credential the key belongs to: `user:<id>` or `api_key:<id>`.
                .col(col("scope").text().not_null())
                .col(col("idempotency_key").text().not_null())
                .col(col("method").text().not_null())
                .col(col("path").text().not_null())
                .col(col("body_hash").text().not_null())
                .col(col("state").text().not_null())
                .col(col("response_status").integer().null())
                .col(col("response_headers").json_binary().null())
                // Encrypted (ChaCha20-Poly1305), base64: responses may carry secrets shown once.
                .col(col("response_body").text().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("expires_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_idempotency_keys_scope_key")
                    .table(Alias::new("idempotency_keys"))
                    .col(Alias::new("tenant_id"))
                    .col(Alias::new("scope"))
                    .col(Alias::new("idempotency_key"))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("idempotency_keys")).to_owned()).await
    }
}
