//! The retention job `integrations.retention`: idempotency keys are deleted once expired
//! (24 h after their first use), and settled webhook history — events dispatched longer
//! ago than `webhook_history_retention_days` (a setting of the integrations module:
//! `[plugins.integrations]` in `atrium.toml` or
//! `ATRIUM_PLUGIN_INTEGRATIONS_WEBHOOK_HISTORY_RETENTION_DAYS`; 30 by default, at least 1)
//! with none of their deliveries pending, their deliveries and attempts. The audit log is
//! never touched: it is append-only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use atrium_core::ids::TenantId;
use atrium_core::jobs::{JobContext, JobDef, for_each_tenant};
use chrono::{DateTime, Utc};

use crate::repo::retention as repo;

pub const JOB: &str = "integrations.retention";
pub const HISTORY_DAYS_SETTING: &str = "webhook_history_retention_days";
pub const DEFAULT_HISTORY_DAYS: u32 = 30;
const EVERY: Duration = Duration::from_secs(60 * 60);
/// Rounds of tenants per pass; the rest waits for the next pass.
const MAX_ROUNDS: usize = 100;

pub fn job() -> JobDef {
    JobDef::new(
        JOB,
        "Deletes expired idempotency keys and settled webhook history past its retention period",
        EVERY,
        |ctx| async move { sweep(&ctx).await },
    )
}

fn history_days(ctx: &JobContext) -> Result<u32, ApiError> {
    let days = ctx.settings.parse_or(HISTORY_DAYS_SETTING, DEFAULT_HISTORY_DAYS).map_err(ApiError::internal)?;
    if !(1..=3650).contains(&days) {
        return Err(ApiError::internal(format!("setting `{HISTORY_DAYS_SETTING}` must be 1 to 3650 days")));
    }
    Ok(days)
}

/// One pass over both kinds, tenant by tenant (one transaction each; a tenant's failure is
/// logged and the others go on).
pub async fn sweep(ctx: &JobContext) -> Result<(), ApiError> {
    let now = Utc::now();
    let cutoff = now - chrono::Duration::days(history_days(ctx)?.into());
    rounds(ctx, now, |db| Box::pin(repo::tenants_with_expired_keys(db)), Kind::Keys).await?;
    rounds(ctx, cutoff, |db| Box::pin(repo::tenants_with_settled_events(db)), Kind::History).await
}

#[derive(Clone, Copy)]
enum Kind {
    Keys,
    History,
}

type Finder =
    for<'a> fn(
        &'a sea_orm::DatabaseConnection,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Vec<uuid::Uuid>, sea_orm::DbErr>> + Send + 'a>>;

async fn rounds(ctx: &JobContext, before: DateTime<Utc>, find: Finder, kind: Kind) -> Result<(), ApiError> {
    for _ in 0..MAX_ROUNDS {
        let tenants: Vec<TenantId> = find(&ctx.db).await?.into_iter().map(TenantId).collect();
        if tenants.is_empty() || ctx.stopping() {
            break;
        }
        let deleted = AtomicU64::new(0);
        let failed = for_each_tenant(ctx, JOB, tenants, |tenant| {
            let deleted = &deleted;
            async move {
                let tx = TenantTx::begin(&ctx.db, tenant, true).await?;
                let n = match kind {
                    Kind::Keys => repo::delete_expired_keys(&tx, before).await?,
                    Kind::History => repo::delete_settled_history(&tx, before).await?,
                };
                tx.commit().await?;
                deleted.fetch_add(n, Ordering::Relaxed);
                Ok(())
            }
        })
        .await;
        // A round that deleted nothing (tenants whose rows are not yet past the period, or
        // failing ones) would only repeat itself.
        if failed > 0 || deleted.load(Ordering::Relaxed) == 0 {
            break;
        }
    }
    Ok(())
}
