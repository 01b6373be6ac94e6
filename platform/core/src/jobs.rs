//! Background jobs a plugin declares ([`JobDef`]): periodic work such as sweepers, run by
//! the server's job runner. The runner guarantees what every job needs and none should
//! write again:
//!
//! - **one instance at a time**: a pass starts only under a lease on the job's row in
//!   `job_schedules`, so with several instances on one database a job never runs twice at
//!   once, and its interval is the deployment's, not each instance's;
//! - **a shutdown signal**: [`JobContext::shutdown`] is cancelled on SIGTERM/SIGINT; a pass
//!   checks it between units of work and returns early, and the runner waits for it within
//!   the shutdown grace period;
//! - **its configuration**: [`JobContext::settings`] holds the plugin's settings
//!   (`[plugins.<name>]` in `atrium.toml`, `ATRIUM_PLUGIN_<NAME>_<KEY>` in the environment);
//! - **isolation**: [`for_each_tenant`] runs a pass per tenant, logs a tenant's failure and
//!   goes on with the others.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::ids::TenantId;

/// What one pass of a job returns; an error is logged by the runner and the job runs
/// again at its next interval.
pub type JobResult = Result<(), ApiError>;

type RunFn = dyn Fn(JobContext) -> Pin<Box<dyn Future<Output = JobResult> + Send>> + Send + Sync;

/// A job: its name (`<plugin>.<what>`), how often it runs, and one pass of its work.
#[derive(Clone)]
pub struct JobDef {
    pub name: &'static str,
    pub description: &'static str,
    /// The pause between the end of one pass and the start of the next (any instance's).
    pub every: Duration,
    run: Arc<RunFn>,
}

impl JobDef {
    /// `run` does one pass; it is called again `every` after the pass ends.
    pub fn new<F, Fut>(name: &'static str, description: &'static str, every: Duration, run: F) -> Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobResult> + Send + 'static,
    {
        Self { name, description, every, run: Arc::new(move |ctx| Box::pin(run(ctx))) }
    }

    /// Runs one pass (the runner calls this under the job's lease).
    pub fn run(&self, ctx: JobContext) -> Pin<Box<dyn Future<Output = JobResult> + Send>> {
        (self.run)(ctx)
    }
}

impl std::fmt::Debug for JobDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobDef").field("name", &self.name).field("every", &self.every).finish()
    }
}

/// What a pass is given.
#[derive(Clone)]
pub struct JobContext {
    pub db: DatabaseConnection,
    /// Cancelled when the process is asked to stop: finish the unit of work at hand and
    /// return.
    pub shutdown: CancellationToken,
    pub settings: PluginSettings,
}

impl JobContext {
    pub fn stopping(&self) -> bool {
        self.shutdown.is_cancelled()
    }
}

/// A plugin's settings: `[plugins.<name>]` keys of `atrium.toml`, overridden by
/// `ATRIUM_PLUGIN_<NAME>_<KEY>` variables (the name upper-cased, `-` as `_`).
#[derive(Clone, Debug, Default)]
pub struct PluginSettings(Arc<HashMap<String, String>>);

impl PluginSettings {
    pub fn new(values: HashMap<String, String>) -> Self {
        Self(Arc::new(values))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The value of `key` parsed, or `default` when absent; a value that does not parse
    /// is reported (the server checks every declared setting at startup).
    pub fn parse_or<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, String> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("setting `{key}` has an invalid value `{v}`")),
        }
    }
}

/// Runs `pass` for each tenant in turn: one tenant's failure is logged and the others
/// still run; a shutdown stops before the next tenant. Returns how many tenants failed.
pub async fn for_each_tenant<F, Fut>(ctx: &JobContext, job: &str, tenants: Vec<TenantId>, pass: F) -> usize
where
    F: Fn(TenantId) -> Fut,
    Fut: Future<Output = JobResult>,
{
    let mut failed = 0;
    for tenant in tenants {
        if ctx.stopping() {
            break;
        }
        if let Err(err) = pass(tenant).await {
            failed += 1;
            tracing::warn!(job, %tenant, error = %err, "a tenant's pass failed; the others go on");
        }
    }
    failed
}
