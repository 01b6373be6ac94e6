//! What the retention job deletes: idempotency keys past their expiry, and settled webhook
//! history (events dispatched before a cutoff with no delivery still pending, their
//! deliveries and attempts).

use atrium_core::db::TenantTx;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use uuid::Uuid;

use crate::migrations::m20261202_000500_integrations_retention::{EXPIRED_KEYS, SETTLED_EVENTS};

/// Tenants per round.
pub const TENANTS_PER_ROUND: u32 = 50;

async fn tenants(db: &DatabaseConnection, function: &str, sqlite: &str, at: DateTime<Utc>) -> Result<Vec<Uuid>, DbErr> {
    let backend = db.get_database_backend();
    let (sql, values): (String, Vec<Value>) = match backend {
        DbBackend::Postgres => (format!("SELECT tenant_id FROM {function}({TENANTS_PER_ROUND})"), Vec::new()),
        _ => (format!("{sqlite} LIMIT {TENANTS_PER_ROUND}"), vec![at.into()]),
    };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "tenant_id")).collect()
}

pub async fn tenants_with_expired_keys(db: &DatabaseConnection) -> Result<Vec<Uuid>, DbErr> {
    let sqlite = "SELECT DISTINCT tenant_id FROM idempotency_keys WHERE expires_at < ?";
    tenants(db, EXPIRED_KEYS, sqlite, Utc::now()).await
}

pub async fn tenants_with_settled_events(db: &DatabaseConnection) -> Result<Vec<Uuid>, DbErr> {
    let sqlite = "SELECT DISTINCT tenant_id FROM events WHERE dispatched_at < ?";
    tenants(db, SETTLED_EVENTS, sqlite, Utc::now() - chrono::Duration::days(1)).await
}

async fn execute(tx: &TenantTx, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    let backend = tx.conn().get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.replacen('?', "$1", 1).replacen('?', "$2", 1),
        _ => sql.to_owned(),
    };
    Ok(tx.conn().execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected())
}

/// Deletes the transaction's tenant's idempotency keys that expired before `now`.
pub async fn delete_expired_keys(tx: &TenantTx, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let sql = "DELETE FROM idempotency_keys WHERE tenant_id = ? AND expires_at < ?";
    execute(tx, sql, vec![tx.tenant_id().0.into(), now.into()]).await
}

/// Deletes the tenant's events dispatched before `cutoff` whose deliveries are all settled
/// (none pending), with those deliveries and their attempts; returns the events deleted.
pub async fn delete_settled_history(tx: &TenantTx, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    // The events to go, as a subquery each statement repeats (the first placeholder is the
    // tenant, the second the cutoff).
    const SETTLED: &str = "SELECT e.id FROM events e WHERE e.tenant_id = ? AND e.dispatched_at < ? \
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.tenant_id = e.tenant_id \
        AND p.event_id = e.id AND p.state = 'pending')";
    let tenant = tx.tenant_id().0;
    let values = || vec![tenant.into(), cutoff.into()];
    let deliveries = format!("SELECT d.id FROM webhook_deliveries d WHERE d.event_id IN ({SETTLED})");
    execute(tx, &format!("DELETE FROM webhook_attempts WHERE delivery_id IN ({deliveries})"), values()).await?;
    execute(tx, &format!("DELETE FROM webhook_deliveries WHERE event_id IN ({SETTLED})"), values()).await?;
    execute(tx, &format!("DELETE FROM events WHERE id IN ({SETTLED})"), values()).await
}
