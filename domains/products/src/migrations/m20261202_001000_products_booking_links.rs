//! Stock reserved for a booking or a hold says which (`owner_id`: the booking's or the
//! hold's id), so the booking's status changes find it: a cancel releases it, a completion
//! sells it, a hold converted hands it to its booking.

use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("inventory_reservations"))
                    .add_column(ColumnDef::new(Alias::new("owner_id")).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_inventory_reservations_owner",
                "inventory_reservations",
                &["tenant_id", "owner_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_inventory_reservations_owner")
                    .table(Alias::new("inventory_reservations"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("inventory_reservations"))
                    .drop_column(Alias::new("owner_id"))
                    .to_owned(),
            )
            .await
    }
}
