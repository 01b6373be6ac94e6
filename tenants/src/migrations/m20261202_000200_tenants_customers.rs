//! Customers who join by themselves: whether a tenant's registration is open, whether its
//! customers may name guests as participants, and a user's phone number.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            ColumnDef::new(Alias::new("customer_registration")).text().not_null().default("open").to_owned(),
            ColumnDef::new(Alias::new("customer_guests_allowed")).boolean().not_null().default(false).to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Alias::new("tenants")).add_column(column).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("users"))
                    .add_column(ColumnDef::new(Alias::new("phone")).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Alias::new("users")).drop_column(Alias::new("phone")).to_owned())
            .await?;
        for column in ["customer_guests_allowed", "customer_registration"] {
            manager
                .alter_table(Table::alter().table(Alias::new("tenants")).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
