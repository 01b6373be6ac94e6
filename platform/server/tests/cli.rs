#![allow(clippy::unwrap_used, clippy::expect_used)] // test code fails loudly

//! The `atrium` binary as a new user runs it: no configuration, an empty directory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_atrium");

fn atrium(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("ATRIUM_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Waits for the "listening on" line and returns the base URL; keeps draining stdout.
fn wait_for_listen(child: &mut Child) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("Atrium is listening on ") {
            std::thread::spawn(move || lines.for_each(drop));
            return url.trim().to_owned();
        }
    }
    panic!("server exited before listening");
}

#[test]
fn version_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let out = atrium(dir.path()).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("atrium "));
    let out = atrium(dir.path()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "migrate", "openapi"] {
        assert!(help.contains(command), "{help}");
    }
}

#[test]
fn openapi_command_prints_the_committed_spec() {
    let dir = tempfile::tempdir().unwrap();
    let out = atrium(dir.path()).arg("openapi").output().unwrap();
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json")).unwrap(),
    )
    .unwrap();
    assert!(
        printed == committed,
        "openapi/openapi.json is out of date; run: cargo run -p atrium-server -- openapi --output openapi/openapi.json"
    );
}

#[tokio::test]
async fn serve_with_no_configuration_creates_the_database_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = atrium(dir.path())
        .args(["serve"])
        .env("ATRIUM_BIND", "127.0.0.1:0")
        .env("ATRIUM_LOG_LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = wait_for_listen(&mut child);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    assert_eq!(client.get(format!("{base}/health")).send().await.unwrap().status(), 200);
    assert_eq!(client.get(format!("{base}/ready")).send().await.unwrap().status(), 200);
    assert!(dir.path().join("atrium.db").exists(), "the default database is a file in the working directory");

    let migrate = atrium(dir.path()).args(["migrate", "status"]).output().unwrap();
    let status = String::from_utf8_lossy(&migrate.stdout);
    assert!(status.contains("applied") && !status.contains("pending"), "{status}");

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let exit = wait_with_timeout(&mut child, Duration::from_secs(20));
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}

/// The sweepers run back to back (1 ms apart), so SIGTERM lands while a pass is running:
/// the process ends within the grace period, exits 0, logs no warning or error, and lets
/// go of every job's lease.
#[tokio::test]
async fn sigterm_while_jobs_run_stops_within_the_grace_period_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = atrium(dir.path())
        .args(["serve"])
        .env("ATRIUM_BIND", "127.0.0.1:0")
        .env("ATRIUM_LOG_FORMAT", "json")
        .env("ATRIUM_JWT_SECRET", "a-test-secret-a-test-secret-a-test-0123")
        .env("ATRIUM_ENCRYPTION_KEYS", "a-test-encryption-key-a-test-key-0123")
        .env("ATRIUM_SHUTDOWN_TIMEOUT_SECONDS", "5")
        .env("ATRIUM_JOB_INTERVALS_MS", "bookings.hold_sweeper=1,bookings.offer_sweeper=1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || BufReader::new(stderr).lines().map_while(Result::ok).collect::<Vec<_>>());
    let base = wait_for_listen(&mut child);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    assert_eq!(client.get(format!("{base}/ready")).send().await.unwrap().status(), 200);
    let db = sea_orm::Database::connect(format!("sqlite://{}", dir.path().join("atrium.db").display()).as_str())
        .await
        .unwrap();
    let runs = || async {
        use sea_orm::ConnectionTrait;
        db.query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT coalesce(sum(runs), 0) AS n, count(leased_by) AS held FROM job_schedules",
        ))
        .await
        .unwrap()
        .map(|r| (r.try_get::<i64>("", "n").unwrap(), r.try_get::<i64>("", "held").unwrap()))
        .unwrap()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while runs().await.0 < 20 {
        assert!(std::time::Instant::now() < deadline, "the sweepers never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stopping = std::time::Instant::now();
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let exit = wait_with_timeout(&mut child, Duration::from_secs(20));
    let took = stopping.elapsed();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    assert!(took < Duration::from_secs(5), "stopped in {took:?}, beyond the 5 s grace period");
    let logs = logs.join().unwrap();
    let bad: Vec<_> =
        logs.iter().filter(|l| l.contains("\"level\":\"WARN\"") || l.contains("\"level\":\"ERROR\"")).collect();
    assert!(bad.is_empty(), "no warning or error while stopping: {bad:#?}");
    assert_eq!(runs().await.1, 0, "every job's lease is let go");
}

#[test]
fn bad_configuration_exits_non_zero_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = atrium(dir.path()).args(["serve"]).env("ATRIUM_BIND", "nowhere").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ATRIUM_BIND"));
}

#[tokio::test]
async fn refuses_a_postgres_superuser() {
    let Some(admin_url) = std::env::var("ATRIUM_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty()) else {
        eprintln!("skipped: ATRIUM_TEST_POSTGRES_URL is not set");
        return;
    };
    use sea_orm::ConnectionTrait;
    let name = format!("atrium_cli_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(admin_url.as_str()).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    let base = admin_url.rsplit_once('/').unwrap().0;
    let dir = tempfile::tempdir().unwrap();
    let out = atrium(dir.path())
        .args(["serve"])
        .env("ATRIUM_BIND", "127.0.0.1:0")
        .env("ATRIUM_DATABASE_URL", format!("{base}/{name}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let tables = sea_orm::Database::connect(format!("{base}/{name}").as_str())
        .await
        .unwrap()
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    admin.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await.unwrap();
    assert!(!out.status.success(), "must exit non-zero");
    assert!(stderr.contains("is a superuser"), "{stderr}");
    assert!(stderr.contains("ATRIUM_MIGRATION_DATABASE_URL"), "the message says how to fix it: {stderr}");
    assert_eq!(tables, 0, "nothing was created before refusing");
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            panic!("server did not stop within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every row of every table, as text (SQLite's `quote()`), to compare databases.
async fn dump(db_file: &std::path::Path) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = sea_orm::Database::connect(format!("sqlite://{}", db_file.display()).as_str()).await.unwrap();
    let q = |sql: String| Statement::from_string(DbBackend::Sqlite, sql);
    let tables: Vec<String> = db
        .query_all_raw(q("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name".into()))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect();
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> = db
            .query_all_raw(q(format!("SELECT name FROM pragma_table_info('{table}')")))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "name").unwrap())
            .collect();
        let expr = columns.iter().map(|c| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || '|' || ");
        for row in db.query_all_raw(q(format!("SELECT {expr} AS r FROM \"{table}\" ORDER BY 1"))).await.unwrap() {
            out.push(format!("{table}: {}", row.try_get::<String>("", "r").unwrap()));
        }
    }
    db.close().await.unwrap();
    out
}

#[tokio::test]
async fn tenant_apply_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tenants/manifests/acme-salon.toml");
    let first = atrium(dir.path()).args(["tenant", "apply", manifest]).output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let first_out = String::from_utf8_lossy(&first.stdout);
    assert!(first_out.contains("created tenant acme-salon"), "{first_out}");
    assert!(first_out.contains("created location Le Marais"), "{first_out}");
    let before = dump(&dir.path().join("atrium.db")).await;
    assert!(before.iter().any(|r| r.starts_with("locations:")), "the manifest's rows are there");

    let second = atrium(dir.path()).args(["tenant", "apply", manifest]).output().unwrap();
    assert!(second.status.success());
    assert_eq!(String::from_utf8_lossy(&second.stdout).trim(), "tenant acme-salon: no changes");
    assert_eq!(dump(&dir.path().join("atrium.db")).await, before, "the second apply changed nothing");

    let list = atrium(dir.path()).args(["tenant", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("acme-salon"));
}

#[test]
fn an_invalid_manifest_is_refused_with_its_field_paths() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[tenant]\nslug = \"Bad Slug\"\nname = \"x\"\ntype = \"individual\"\ntimezone = \"Mars/Base\"\ncurrency = \"EUR\"\n",
    )
    .unwrap();
    let out = atrium(dir.path()).args(["tenant", "apply", file.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tenant.slug") && stderr.contains("tenant.timezone"), "{stderr}");
}
