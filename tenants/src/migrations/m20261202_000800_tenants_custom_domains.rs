//! Custom domains as claims the database keeps unique: a tenant-owned table
//! `custom_domains` with `UNIQUE (domain)` across tenants, filled from the tenants'
//! `custom_domains` lists (where two tenants listed one domain, the older tenant keeps
//! it). Host resolution reads the claims; on PostgreSQL through a `SECURITY DEFINER`
//! function, since a host is resolved before any tenant is known.

use atrium_migrations::tenancy::{col, isolate, tenant_table, unique_index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const FUNCTION: &str = "atrium_tenant_of_custom_domain";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("custom_domains")
                    .col(col("domain").text().not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique_index("ux_custom_domains_domain", "custom_domains", &["domain"])).await?;
        let db = manager.get_connection();
        // Filled before row-level security is on (it binds the owner role too).
        let backfill = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "INSERT INTO custom_domains (tenant_id, id, domain, created_at) \
                 SELECT t.id, gen_random_uuid(), d.domain, t.created_at \
                 FROM tenants t CROSS JOIN LATERAL jsonb_array_elements_text(t.custom_domains) AS d(domain) \
                 WHERE t.deleted_at IS NULL ORDER BY t.created_at, t.id ON CONFLICT (domain) DO NOTHING"
            }
            _ => {
                "INSERT OR IGNORE INTO custom_domains (tenant_id, id, domain, created_at) \
                 SELECT t.id, randomblob(16), j.value, t.created_at FROM tenants t, json_each(t.custom_domains) j \
                 WHERE t.deleted_at IS NULL ORDER BY t.created_at, t.id"
            }
        };
        db.execute_unprepared(backfill).await?;
        isolate(manager, "custom_domains").await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            for sql in [
                // Like `tenancy::tenant_finder`: only the owner role (the function's) reads
                // across tenants, and the server refuses to run as the owner.
                "DO $$ BEGIN EXECUTE format('CREATE POLICY host_resolution ON custom_domains FOR SELECT \
                 USING (current_user = %L)', current_user); END $$"
                    .to_owned(),
                format!(
                    "CREATE FUNCTION {FUNCTION}(host text) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER \
                     SET search_path = public AS $$ SELECT tenant_id FROM custom_domains WHERE domain = host $$"
                ),
                format!("REVOKE ALL ON FUNCTION {FUNCTION}(text) FROM PUBLIC"),
            ] {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(&format!("DROP FUNCTION IF EXISTS {FUNCTION}(text)")).await?;
        }
        manager.drop_table(Table::drop().table(Alias::new("custom_domains")).to_owned()).await
    }
}
