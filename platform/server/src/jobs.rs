//! The job runner: runs every plugin's [`JobDef`]s in this instance, each under a lease on
//! its row of `job_schedules`, so that with several instances on one database a job runs
//! on one instance at a time and at the deployment's interval (not each instance's).
//!
//! Each instance polls for each job: it claims the row when the job is due and nobody
//! holds it (a conditional `UPDATE`, the same on SQLite and PostgreSQL), runs one pass
//! while renewing the lease, then sets the next due time and lets go. A killed instance's
//! lease lapses after [`lease_for`]. On shutdown the pass in progress is told to stop
//! ([`JobContext::shutdown`]) and awaited within the grace period, and the lease released
//! so another instance takes over at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use atrium_core::jobs::{JobContext, JobDef, PluginSettings};
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{DatabaseConnection, Set};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub mod schedule {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_schedules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub next_run_at: DateTimeUtc,
        pub leased_by: Option<String>,
        pub leased_until: Option<DateTimeUtc>,
        pub runs: i64,
        pub last_started_at: Option<DateTimeUtc>,
        pub last_finished_at: Option<DateTimeUtc>,
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One job as this instance runs it.
pub struct ScheduledJob {
    pub def: JobDef,
    pub every: Duration,
    pub settings: PluginSettings,
}

/// How long a claim lasts without renewal: long enough that a slow pass keeps it (it is
/// renewed every third of it), short enough that a killed instance's job resumes soon.
pub fn lease_for(every: Duration) -> Duration {
    (every * 2).max(Duration::from_secs(30))
}

/// Starts one task per job; they stop when `shutdown` is cancelled. Await the handles
/// (within the grace period) to know the passes in progress have ended.
pub fn spawn(db: DatabaseConnection, jobs: Vec<ScheduledJob>, shutdown: CancellationToken) -> Vec<JoinHandle<()>> {
    let instance = Arc::new(uuid::Uuid::now_v7().simple().to_string());
    jobs.into_iter()
        .map(|job| {
            let (db, instance, shutdown) = (db.clone(), instance.clone(), shutdown.clone());
            tokio::spawn(async move { run(db, job, &instance, shutdown).await })
        })
        .collect()
}

async fn run(db: DatabaseConnection, job: ScheduledJob, instance: &str, shutdown: CancellationToken) {
    let name = job.def.name;
    // Polling between claims: often enough for a job's own pace, never busier than 20/s.
    let poll = job.every.clamp(Duration::from_millis(50), Duration::from_secs(5));
    let (mut failing, mut registered) = (false, false);
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        match step(&db, &job, instance, &shutdown, &mut registered).await {
            Ok(()) => failing = false,
            Err(err) => {
                // The row is made again once the database answers.
                registered = false;
                // Logged once per outage, not at every poll; never while stopping.
                if !failing && !shutdown.is_cancelled() {
                    tracing::warn!(job = name, error = %err, "job runner cannot reach its schedule");
                }
                failing = true;
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// Claims the job if due, runs one pass and schedules the next.
async fn step(
    db: &DatabaseConnection,
    job: &ScheduledJob,
    instance: &str,
    shutdown: &CancellationToken,
    registered: &mut bool,
) -> Result<(), DbErr> {
    let name = job.def.name;
    if !*registered {
        ensure_row(db, name).await?;
        *registered = true;
    }
    let lease = lease_for(job.every);
    if !claim(db, name, instance, lease).await? {
        return Ok(());
    }
    let ctx = JobContext { db: db.clone(), shutdown: shutdown.child_token(), settings: job.settings.clone() };
    let renewing = renew_while_running(db.clone(), name, instance.to_owned(), lease);
    let outcome = job.def.run(ctx).await;
    renewing.abort();
    let error = match &outcome {
        Ok(()) => None,
        Err(err) => {
            if !shutdown.is_cancelled() {
                tracing::warn!(job = name, error = %err, "job pass failed");
            }
            Some(err.to_string())
        }
    };
    if shutdown.is_cancelled() {
        // Let another instance take over at once; this pass may not have finished.
        release(db, name, instance).await
    } else {
        finish(db, name, instance, job.every, error).await
    }
}

async fn ensure_row(db: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    let row = schedule::ActiveModel {
        name: Set(name.to_owned()),
        next_run_at: Set(Utc::now()),
        leased_by: Set(None),
        leased_until: Set(None),
        runs: Set(0),
        last_started_at: Set(None),
        last_finished_at: Set(None),
        last_error: Set(None),
    };
    schedule::Entity::insert(row).on_conflict_do_nothing_on([schedule::Column::Name]).exec(db).await.map(drop)
}

/// Takes the job's lease when it is due and nobody holds it; `true` when taken.
async fn claim(db: &DatabaseConnection, name: &str, instance: &str, lease: Duration) -> Result<bool, DbErr> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
    let res = schedule::Entity::update_many()
        .col_expr(schedule::Column::LeasedBy, Expr::value(instance))
        .col_expr(schedule::Column::LeasedUntil, Expr::value(until))
        .col_expr(schedule::Column::LastStartedAt, Expr::value(now))
        .filter(schedule::Column::Name.eq(name))
        .filter(schedule::Column::NextRunAt.lte(now))
        .filter(
            sea_orm::Condition::any()
                .add(schedule::Column::LeasedUntil.is_null())
                .add(schedule::Column::LeasedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

fn renew_while_running(
    db: DatabaseConnection,
    name: &'static str,
    instance: String,
    lease: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(lease / 3).await;
            let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
            let renewed = schedule::Entity::update_many()
                .col_expr(schedule::Column::LeasedUntil, Expr::value(until))
                .filter(schedule::Column::Name.eq(name))
                .filter(schedule::Column::LeasedBy.eq(instance.as_str()))
                .exec(&db)
                .await;
            if let Err(err) = renewed {
                tracing::debug!(job = name, error = %err, "could not renew a job's lease");
            }
        }
    })
}

async fn finish(
    db: &DatabaseConnection,
    name: &str,
    instance: &str,
    every: Duration,
    error: Option<String>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let next = now + chrono::Duration::from_std(every).unwrap_or(chrono::Duration::seconds(1));
    schedule::Entity::update_many()
        .col_expr(schedule::Column::LeasedBy, Expr::value(Option::<String>::None))
        .col_expr(schedule::Column::LeasedUntil, Expr::value(Option::<DateTimeUtc>::None))
        .col_expr(schedule::Column::NextRunAt, Expr::value(next))
        .col_expr(schedule::Column::LastFinishedAt, Expr::value(now))
        .col_expr(schedule::Column::LastError, Expr::value(error))
        .col_expr(schedule::Column::Runs, Expr::col(schedule::Column::Runs).add(1))
        .filter(schedule::Column::Name.eq(name))
        .filter(schedule::Column::LeasedBy.eq(instance))
        .exec(db)
        .await
        .map(drop)
}

async fn release(db: &DatabaseConnection, name: &str, instance: &str) -> Result<(), DbErr> {
    schedule::Entity::update_many()
        .col_expr(schedule::Column::LeasedBy, Expr::value(Option::<String>::None))
        .col_expr(schedule::Column::LeasedUntil, Expr::value(Option::<DateTimeUtc>::None))
        .filter(schedule::Column::Name.eq(name))
        .filter(schedule::Column::LeasedBy.eq(instance))
        .exec(db)
        .await
        .map(drop)
}

/// The jobs of `registry` as this deployment runs them: each plugin's settings, and an
/// interval overridden by `intervals_ms` (job name → milliseconds) when given.
pub fn scheduled(
    jobs: Vec<(&'static str, JobDef)>,
    settings: &HashMap<String, HashMap<String, String>>,
    intervals_ms: &HashMap<String, u64>,
) -> Vec<ScheduledJob> {
    jobs.into_iter()
        .map(|(plugin, def)| {
            let every = intervals_ms.get(def.name).map_or(def.every, |ms| Duration::from_millis(*ms));
            let settings = PluginSettings::new(settings.get(plugin).cloned().unwrap_or_default());
            ScheduledJob { def, every, settings }
        })
        .collect()
}
