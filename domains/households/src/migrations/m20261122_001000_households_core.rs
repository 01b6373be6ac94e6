//! Households (Bizing §2): families, companies and groups, and their members with the
//! permissions that decide who may book for whom.

use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::{col, create_tenant_table, tenant_fk, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tenant_table(
            manager,
            "households",
            tenant_table("households")
                .col(col("name").text().not_null())
                .col(col("type").text().not_null())
                .col(col("primary_contact_id").uuid().not_null())
                .col(col("company_info").json_binary().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .col(col("deleted_at").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
        create_tenant_table(
            manager,
            "household_members",
            tenant_table("household_members")
                .col(col("household_id").uuid().not_null())
                .col(col("user_id").uuid().not_null())
                .col(col("role").text().not_null())
                .col(col("can_book_for_others").boolean().not_null())
                .col(col("can_view_others_bookings").boolean().not_null())
                .col(col("can_modify_others_bookings").boolean().not_null())
                .col(col("approval_required_for").text().not_null())
                .col(col("managed_by").json_binary().not_null())
                .col(col("relationship").text().null())
                .col(col("date_of_birth").date().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("joined_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("household_members", "household_id", "households"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_household_members_user")
                    .table(Alias::new("household_members"))
                    .col(Alias::new("tenant_id"))
                    .col(Alias::new("household_id"))
                    .col(Alias::new("user_id"))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["household_members", "households"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
