//! The expiry job: writes the `expired` entries of purchases whose validity has ended
//! (and `package_purchase.expired`). Expiry is enforced at read time from the instant of
//! `expires_at`, so the job's pace only decides how soon the entries and the event exist.

use std::time::Duration;

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use atrium_core::ids::TenantId;
use atrium_core::jobs::{JobContext, JobDef, for_each_tenant};
use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::error::PackagesError;
use crate::{purchases, repo};

const NAME: &str = "packages.expiry";
const EVERY: Duration = Duration::from_secs(15);
const BATCH: u64 = 100;

pub fn job() -> JobDef {
    JobDef::new(NAME, "Records the expiry of package purchases (within a minute of expiry)", EVERY, |ctx| async move {
        sweep(&ctx).await
    })
}

/// One pass; one tenant's failure (logged) does not stop the others'.
pub async fn sweep(ctx: &JobContext) -> Result<(), ApiError> {
    let tenants = repo::tenants_with_unrecorded_expiry(&ctx.db).await?.into_iter().map(TenantId).collect();
    for_each_tenant(ctx, NAME, tenants, |tenant| async move { Ok(sweep_tenant(&ctx.db, tenant).await?) }).await;
    Ok(())
}

async fn sweep_tenant(db: &DatabaseConnection, tenant: TenantId) -> Result<(), PackagesError> {
    let tx = TenantTx::begin(db, tenant, true).await?;
    purchases::record_expiries(&tx, Utc::now(), BATCH).await?;
    tx.commit().await?;
    Ok(())
}
