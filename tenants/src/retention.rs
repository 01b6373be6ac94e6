//! Retention of spent credentials: refresh tokens that expired or were revoked are kept a
//! while (replays of them are still recognised as such, and they help an investigation),
//! then deleted by the job `tenants.refresh_token_retention`. The period is the setting
//! `refresh_token_retention_days` of the tenants plugin (`[plugins.tenants]` in
//! `atrium.toml`, or `ATRIUM_PLUGIN_TENANTS_REFRESH_TOKEN_RETENTION_DAYS`), 7 by default.
//! The audit log is not touched: it is append-only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use atrium_core::jobs::{JobContext, JobDef, PluginSettings, for_each_tenant};
use chrono::Utc;

use crate::repo;

pub const JOB: &str = "tenants.refresh_token_retention";
pub const RETENTION_DAYS_SETTING: &str = "refresh_token_retention_days";
pub const DEFAULT_RETENTION_DAYS: u32 = 7;
/// Longest retention the setting accepts (ten years), so the cutoff is always a date.
const MAX_RETENTION_DAYS: u32 = 3650;
const EVERY: Duration = Duration::from_secs(60 * 60);
/// Tenants per round; a pass goes on round after round until none is left (at most
/// `MAX_ROUNDS`, the rest waits for the next pass).
const TENANTS_PER_ROUND: u32 = 50;
const MAX_ROUNDS: usize = 200;

pub fn job() -> JobDef {
    JobDef::new(
        JOB,
        "Deletes refresh tokens expired or revoked longer ago than the retention period",
        EVERY,
        |ctx| async move { sweep(&ctx).await },
    )
}

/// The retention period from the plugin's settings.
pub fn retention_days(settings: &PluginSettings) -> Result<u32, ApiError> {
    let days = settings.parse_or(RETENTION_DAYS_SETTING, DEFAULT_RETENTION_DAYS).map_err(ApiError::internal)?;
    if days > MAX_RETENTION_DAYS {
        return Err(ApiError::internal(format!(
            "setting `{RETENTION_DAYS_SETTING}` must be at most {MAX_RETENTION_DAYS}"
        )));
    }
    Ok(days)
}

/// One pass: each tenant's spent tokens past the period, one transaction per tenant; a
/// tenant's failure is logged and ends the pass after its round (the next pass retries).
pub async fn sweep(ctx: &JobContext) -> Result<(), ApiError> {
    let cutoff = Utc::now() - chrono::Duration::days(retention_days(&ctx.settings)?.into());
    for _ in 0..MAX_ROUNDS {
        let tenants = repo::tenants_with_spent_refresh_tokens(&ctx.db, cutoff, TENANTS_PER_ROUND).await?;
        if tenants.is_empty() || ctx.stopping() {
            break;
        }
        let deleted = AtomicU64::new(0);
        let failed = for_each_tenant(ctx, JOB, tenants, |tenant| {
            let deleted = &deleted;
            async move {
                let tx = TenantTx::begin(&ctx.db, tenant, true).await?;
                deleted.fetch_add(repo::delete_spent_refresh_tokens(&tx, cutoff).await?, Ordering::Relaxed);
                tx.commit().await?;
                Ok(())
            }
        })
        .await;
        // A failing tenant would come back first in the next round; a round that deleted
        // nothing would repeat itself.
        if failed > 0 || deleted.load(Ordering::Relaxed) == 0 {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(values: &[(&str, &str)]) -> PluginSettings {
        PluginSettings::new(values.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn the_retention_period_is_seven_days_unless_set() {
        assert_eq!(retention_days(&settings(&[])).unwrap(), 7);
        assert_eq!(retention_days(&settings(&[(RETENTION_DAYS_SETTING, "30")])).unwrap(), 30);
        assert!(retention_days(&settings(&[(RETENTION_DAYS_SETTING, "a week")])).is_err());
        assert!(retention_days(&settings(&[(RETENTION_DAYS_SETTING, "100000")])).is_err());
    }
}
