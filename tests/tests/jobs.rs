//! The job runner with several instances on one database: a job runs on one instance at a
//! time and at the deployment's interval, not once per instance.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use atrium_tests::{echo, registry_with_echo, spawn_app_with};
use sea_orm::{ConnectionTrait, Database, Statement};

fn every_20_ms_counted_under(key: &str) -> impl Fn(&mut atrium_server::Config) + '_ {
    move |c| {
        c.job_intervals_ms.insert("echo.tick".into(), 20);
        c.job_intervals_ms.insert("bookings.hold_sweeper".into(), 100);
        c.plugins.entry("echo".into()).or_default().insert("run_key".into(), key.into());
    }
}

/// Two instances run `echo.tick` (30 ms of work every 20 ms) for two seconds: never two
/// passes at once, and about as many passes as one instance alone would run.
#[tokio::test]
async fn two_instances_run_a_job_one_at_a_time() {
    let key = uuid::Uuid::new_v4().to_string();
    let started = Instant::now();
    let a = spawn_app_with(every_20_ms_counted_under(&key), registry_with_echo()).await;
    let b = a.spawn_sibling_with(every_20_ms_counted_under(&key), registry_with_echo()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let counters = echo::ticks(&key);
    let passes = counters.passes.load(Ordering::SeqCst);
    let elapsed = started.elapsed().as_millis() as usize;
    assert_eq!(counters.max_in_flight.load(Ordering::SeqCst), 1, "never two passes at once");
    // One instance alone: a pass every 30 ms + 20 ms at most. Two uncoordinated ones would
    // run about twice as many.
    assert!(passes >= 10, "the job ran ({passes} passes)");
    assert!(passes <= elapsed / 50 + 3, "{passes} passes in {elapsed} ms: more than one instance's pace");

    // The real sweepers are counted in the schedule: the hold sweeper (every 100 ms) ran at
    // one instance's pace too.
    let db = Database::connect(a.owner_database_url.as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let sql = "SELECT runs, last_started_at FROM job_schedules WHERE name = 'bookings.hold_sweeper'";
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().expect("the hold sweeper's row");
    let runs: i64 = row.try_get("", "runs").unwrap();
    assert!(runs >= 5, "the hold sweeper ran ({runs} times)");
    assert!(runs as usize <= elapsed / 100 + 4, "{runs} hold sweeps in {elapsed} ms: more than one instance's pace");
    drop((a, b));
}
