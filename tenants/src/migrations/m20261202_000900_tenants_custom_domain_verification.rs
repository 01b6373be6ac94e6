//! Custom domains are proven before they are used: each claim carries the token the
//! tenant publishes as a DNS TXT record, and the time it was seen there. Host
//! resolution reads verified claims only. Claims that exist when this migration runs
//! were serving their tenants' pages: they are kept working (marked verified as of their
//! creation) rather than taken offline by an upgrade; every claim made after it is
//! proven by DNS first.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const FUNCTION: &str = "atrium_tenant_of_custom_domain";

fn table() -> Alias {
    Alias::new("custom_domains")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(table())
                    .add_column(ColumnDef::new(Alias::new("verification_token")).text().not_null().default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(table())
                    .add_column(ColumnDef::new(Alias::new("verified_at")).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            // Row-level security binds the owner too (FORCE): lifted for this one fill,
            // inside the migration's transaction.
            for sql in [
                "ALTER TABLE custom_domains NO FORCE ROW LEVEL SECURITY",
                "UPDATE custom_domains SET verification_token = md5(gen_random_uuid()::text), verified_at = created_at",
                "ALTER TABLE custom_domains FORCE ROW LEVEL SECURITY",
            ] {
                db.execute_unprepared(sql).await?;
            }
            db.execute_unprepared(&format!(
                "CREATE OR REPLACE FUNCTION {FUNCTION}(host text) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER \
                 SET search_path = public AS $$ SELECT tenant_id FROM custom_domains \
                 WHERE domain = host AND verified_at IS NOT NULL $$"
            ))
            .await?;
        } else {
            db.execute_unprepared(
                "UPDATE custom_domains SET verification_token = lower(hex(randomblob(16))), verified_at = created_at",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION {FUNCTION}(host text) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER \
                     SET search_path = public AS $$ SELECT tenant_id FROM custom_domains WHERE domain = host $$"
                ))
                .await?;
        }
        for column in ["verified_at", "verification_token"] {
            manager.alter_table(Table::alter().table(table()).drop_column(Alias::new(column)).to_owned()).await?;
        }
        Ok(())
    }
}
