//! The retention job's way to the tenants with expired idempotency keys and with settled
//! webhook history, across row-level security (PostgreSQL; on SQLite the job reads the
//! tables directly).

use atrium_migrations::tenancy::{drop_tenant_finder, tenant_finder};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const EXPIRED_KEYS: &str = "atrium_tenants_with_expired_idempotency_keys";
pub const SETTLED_EVENTS: &str = "atrium_tenants_with_settled_events";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        tenant_finder(manager, "idempotency_retention", "idempotency_keys", EXPIRED_KEYS, "t.expires_at < now()")
            .await?;
        // A day is the shortest retention the job accepts: a tenant listed here has events
        // at least that old, and the job deletes those past the configured period.
        tenant_finder(
            manager,
            "events_retention",
            "events",
            SETTLED_EVENTS,
            "t.dispatched_at < now() - interval '1 day'",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tenant_finder(manager, "events_retention", "events", SETTLED_EVENTS).await?;
        drop_tenant_finder(manager, "idempotency_retention", "idempotency_keys", EXPIRED_KEYS).await
    }
}
