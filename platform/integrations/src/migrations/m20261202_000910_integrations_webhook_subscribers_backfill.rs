//! Endpoints registered before subscribers were recorded get one from their audit trail:
//! whoever last created or changed the endpoint (a member, or a member's API key) vouches
//! for its subscription. From then on fan-out checks every endpoint against its
//! subscriber's current rights, and an endpoint nobody vouches for receives nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["webhook_endpoints", "audit_log", "api_keys"];

/// The latest audit entry that created or changed the endpoint, as `SELECT {what} …`.
fn last_vouch(what: &str, endpoint_id_text: &str) -> String {
    format!(
        "(SELECT {what} FROM audit_log a WHERE a.tenant_id = webhook_endpoints.tenant_id \
         AND a.entity_type = 'webhook_endpoint' AND a.entity_id = {endpoint_id_text} \
         AND a.action IN ('webhook_endpoint.created', 'webhook_endpoint.updated') \
         ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1)"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        // How the endpoint's id reads in the audit log's `entity_id` (hyphenated text).
        let id_text = match backend {
            DbBackend::Postgres => "webhook_endpoints.id::text".to_owned(),
            _ => {
                let hex = "hex(webhook_endpoints.id)";
                format!(
                    "lower(substr({hex},1,8)||'-'||substr({hex},9,4)||'-'||substr({hex},13,4)||'-'||\
                     substr({hex},17,4)||'-'||substr({hex},21,12))"
                )
            }
        };
        let member = "CASE a.actor_type WHEN 'user' THEN a.actor_id WHEN 'api_key' THEN \
                      (SELECT k.created_by FROM api_keys k WHERE k.tenant_id = a.tenant_id AND k.id = a.actor_id) END";
        let key = "CASE a.actor_type WHEN 'api_key' THEN a.actor_id END";
        let update = format!(
            "UPDATE webhook_endpoints SET subscribed_by = {}, subscribed_by_key = {} WHERE subscribed_by IS NULL",
            last_vouch(member, &id_text),
            last_vouch(key, &id_text)
        );
        let db = manager.get_connection();
        if backend == DbBackend::Postgres {
            // Row-level security binds the owner too (FORCE): lifted for this one fill,
            // inside the migration's transaction.
            for table in TABLES {
                db.execute_unprepared(&format!("ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")).await?;
            }
            db.execute_unprepared(&update).await?;
            for table in TABLES {
                db.execute_unprepared(&format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY")).await?;
            }
        } else {
            db.execute_unprepared(&update).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The subscribers found stay: they are what the audit trail says.
        Ok(())
    }
}
