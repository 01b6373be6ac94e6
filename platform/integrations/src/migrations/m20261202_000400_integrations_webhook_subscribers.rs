//! Who vouches for an endpoint's subscription: the member who last set its event types,
//! and the API key they used, if any. At fan-out an event goes to the endpoint only if
//! that member (through that key, which must still be valid) may read it now. Endpoints
//! made before this migration get theirs from the audit trail (the subscribers-backfill
//! migration).

use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::col;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in ["subscribed_by", "subscribed_by_key"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("webhook_endpoints"))
                        .add_column(col(column).uuid().null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["subscribed_by_key", "subscribed_by"] {
            manager
                .alter_table(
                    Table::alter().table(Alias::new("webhook_endpoints")).drop_column(Alias::new(column)).to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
