//! The reservation sweeper: releases stock reservations past `expires_at` (a `released`
//! movement and `inventory.released`). Expiry is also enforced at read time and by the
//! next write to the balance, so the sweeper's pace only decides how soon the movement
//! and the event exist.

use std::time::Duration;

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use atrium_core::ids::TenantId;
use atrium_core::jobs::{JobContext, JobDef, for_each_tenant};
use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::error::ProductsError;
use crate::{inventory, repo};

const NAME: &str = "products.reservation_sweeper";
const EVERY: Duration = Duration::from_secs(5);
const BATCH: u64 = 100;

pub fn job() -> JobDef {
    JobDef::new(NAME, "Releases expired stock reservations (within seconds of expiry)", EVERY, |ctx| async move {
        sweep(&ctx).await
    })
}

/// One pass; one tenant's failure (logged) does not stop the others'.
pub async fn sweep(ctx: &JobContext) -> Result<(), ApiError> {
    let tenants = repo::tenants_with_expired_reservations(&ctx.db).await?.into_iter().map(TenantId).collect();
    for_each_tenant(ctx, NAME, tenants, |tenant| async move { Ok(sweep_tenant(&ctx.db, tenant).await?) }).await;
    Ok(())
}

async fn sweep_tenant(db: &DatabaseConnection, tenant: TenantId) -> Result<(), ProductsError> {
    let tx = TenantTx::begin(db, tenant, true).await?;
    inventory::release_expired(&tx, Utc::now(), BATCH).await?;
    tx.commit().await?;
    Ok(())
}
