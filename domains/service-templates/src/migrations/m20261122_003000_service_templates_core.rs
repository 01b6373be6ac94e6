//! Service templates (Bizing §5): one row per template. The nested parts (duration,
//! bookable requirements, capacity, pricing, cancellation, deposit, included products,
//! reservation) are JSON documents of the plugin's typed model; what lists filter on
//! (type, status, location, tags) are plain columns.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use atrium_migrations::tenancy::{col, create_tenant_table, tenant_fk, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tenant_table(
            manager,
            "service_templates",
            tenant_table("service_templates")
                .col(col("name").text().not_null())
                .col(col("slug").text().not_null())
                .col(col("description").text().null())
                .col(col("location_id").uuid().null())
                .col(col("category_id").uuid().null())
                // `,a,b,`: one portable `LIKE '%,a,%'` finds a tag on SQLite and PostgreSQL
                .col(col("tags").text().not_null())
                .col(col("type").text().not_null())
                .col(col("status").text().not_null())
                .col(col("duration").json_binary().not_null())
                .col(col("required_bookables").json_binary().not_null())
                .col(col("optional_bookables").json_binary().not_null())
                .col(col("capacity").json_binary().not_null())
                .col(col("pricing").json_binary().not_null())
                .col(col("cancellation").json_binary().not_null())
                .col(col("deposit").json_binary().null())
                .col(col("included_products").json_binary().not_null())
                .col(col("reservation").json_binary().not_null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .col(col("deleted_at").timestamp_with_time_zone().null())
                .foreign_key(&mut tenant_fk("service_templates", "location_id", "locations"))
                .to_owned(),
        )
        .await?;
        // Slugs are unique among the templates that are not deleted: a deleted template's
        // slug may be used again. Partial indexes read the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_service_templates_slug ON service_templates (tenant_id, slug) \
                 WHERE deleted_at IS NULL",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_service_templates_type")
                    .table(Alias::new("service_templates"))
                    .col(Alias::new("tenant_id"))
                    .col(Alias::new("type"))
                    .col(Alias::new("id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("service_templates")).to_owned()).await
    }
}
