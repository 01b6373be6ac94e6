//! Customers who join by themselves: whether a tenant's registration is open, whether its
//! customers may name guests as participants, a user's phone number, and when a user last
//! changed their password (refresh tokens issued before it no longer work).

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
        for column in [
            ColumnDef::new(Alias::new("phone")).text().null().to_owned(),
            ColumnDef::new(Alias::new("password_changed_at")).timestamp_with_time_zone().null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Alias::new("users")).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["password_changed_at", "phone"] {
            manager
                .alter_table(Table::alter().table(Alias::new("users")).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        for column in ["customer_guests_allowed", "customer_registration"] {
            manager
                .alter_table(Table::alter().table(Alias::new("tenants")).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
