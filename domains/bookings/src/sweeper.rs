//! The hold sweeper: ends holds past `expires_at` (emitting `reservation.expired`), so
//! their slots are offered again. Expiry is also enforced at read time — an expired hold
//! never blocks a search or a booking, swept or not — so the sweeper's pace only decides
//! how soon the event goes out.

use std::time::Duration;

use atrium_core::audit::AuditActor;
use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use atrium_core::ids::TenantId;
use atrium_core::jobs::{JobContext, JobDef, for_each_tenant};
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QuerySelect, Statement};

use crate::entities::reservations;
use crate::routes::reservations::{ReservationStatus, end_hold};

const EVERY: Duration = Duration::from_millis(500);
const BATCH: u64 = 100;

pub fn job() -> JobDef {
    JobDef::new("bookings.hold_sweeper", "Ends expired holds and emits reservation.expired", EVERY, |ctx| async move {
        sweep(&ctx).await
    })
}

/// Tenants with holds to expire: across row-level security through a narrow function on
/// PostgreSQL.
async fn tenants(db: &DatabaseConnection) -> Result<Vec<Uuid>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT tenant_id FROM atrium_tenants_with_expired_holds(50)",
        _ => "SELECT DISTINCT tenant_id FROM reservations WHERE status = 'active' AND expires_at <= ? LIMIT 50",
    };
    let values: Vec<sea_orm::Value> = if backend == DbBackend::Postgres { Vec::new() } else { vec![Utc::now().into()] };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "tenant_id")).collect()
}

/// One pass; one tenant's failure (logged) does not stop the others'.
pub async fn sweep(ctx: &JobContext) -> Result<(), ApiError> {
    let tenants = tenants(&ctx.db).await?.into_iter().map(TenantId).collect();
    for_each_tenant(ctx, "bookings.hold_sweeper", tenants, |tenant| sweep_tenant(&ctx.db, tenant)).await;
    Ok(())
}

async fn sweep_tenant(db: &DatabaseConnection, tenant: TenantId) -> Result<(), ApiError> {
    {
        let now = Utc::now();
        let tx = TenantTx::begin(db, tenant, true).await?;
        let due = reservations::Entity::find()
            .filter(reservations::Column::TenantId.eq(tenant.0))
            .filter(reservations::Column::Status.eq(ReservationStatus::Active.as_str()))
            .filter(reservations::Column::ExpiresAt.lte(now))
            .limit(BATCH)
            .all(tx.conn())
            .await?;
        for r in due {
            end_hold(&tx, &AuditActor::system(), r, ReservationStatus::Expired, None, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
