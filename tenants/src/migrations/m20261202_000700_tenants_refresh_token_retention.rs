//! The refresh-token retention job's way to the tenants with spent tokens to delete, across
//! row-level security (PostgreSQL; on SQLite the job reads the table directly). Like
//! `atrium_migrations::tenancy::tenant_finder`, but the cutoff is the caller's: the
//! retention period is a setting.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const FUNCTION: &str = "atrium_tenants_with_spent_refresh_tokens";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for sql in [
            // The function runs as the owner role, which FORCE binds too: this policy lets
            // that role — and only it, the server refuses to run as the owner — read across
            // tenants.
            "DO $$ BEGIN EXECUTE format('CREATE POLICY refresh_token_retention ON refresh_tokens FOR SELECT \
             USING (current_user = %L)', current_user); END $$"
                .to_owned(),
            format!(
                "CREATE FUNCTION {FUNCTION}(cutoff timestamptz, max_tenants integer) RETURNS TABLE (tenant_id uuid) \
                 LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ \
                 SELECT DISTINCT t.tenant_id FROM refresh_tokens t \
                 WHERE t.expires_at < cutoff OR t.revoked_at < cutoff LIMIT max_tenants $$"
            ),
            format!("REVOKE ALL ON FUNCTION {FUNCTION}(timestamptz, integer) FROM PUBLIC"),
        ] {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {FUNCTION}(timestamptz, integer)")).await?;
        db.execute_unprepared("DROP POLICY IF EXISTS refresh_token_retention ON refresh_tokens").await?;
        Ok(())
    }
}
