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
use sea_orm::DatabaseConnection;

use crate::error::BookingsError;
use crate::holds::end_hold;
use crate::model::reservations::ReservationStatus;
use crate::repo;

const EVERY: Duration = Duration::from_millis(500);
const BATCH: u64 = 100;

pub fn job() -> JobDef {
    JobDef::new("bookings.hold_sweeper", "Ends expired holds and emits reservation.expired", EVERY, |ctx| async move {
        sweep(&ctx).await
    })
}

/// One pass; one tenant's failure (logged) does not stop the others'.
pub async fn sweep(ctx: &JobContext) -> Result<(), ApiError> {
    let tenants = repo::reservations::tenants_with_expired_holds(&ctx.db).await?.into_iter().map(TenantId).collect();
    for_each_tenant(
        ctx,
        "bookings.hold_sweeper",
        tenants,
        |tenant| async move { Ok(sweep_tenant(&ctx.db, tenant).await?) },
    )
    .await;
    Ok(())
}

async fn sweep_tenant(db: &DatabaseConnection, tenant: TenantId) -> Result<(), BookingsError> {
    let now = Utc::now();
    let tx = TenantTx::begin(db, tenant, true).await?;
    for r in repo::reservations::expired(&tx, now, BATCH).await? {
        end_hold(&tx, &AuditActor::system(), r, ReservationStatus::Expired, None, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
