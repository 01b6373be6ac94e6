//! A fresh PostgreSQL database per test, owned by the owner role and used by the server
//! through a separate runtime role (NOSUPERUSER NOBYPASSRLS), as in production.
//!
//! `ATRIUM_TEST_POSTGRES_URL` is an administrative URL (`postgres://postgres@127.0.0.1:5432/postgres`)
//! able to create roles and databases; the roles `ATRIUM_TEST_PG_OWNER` (default
//! `atrium_owner`) and `ATRIUM_TEST_PG_RUNTIME` (default `atrium_app`) are created when
//! missing. Connections for the roles use the same host and port, without a password
//! (trust or peer authentication).

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tokio::sync::OnceCell;

pub struct PgDatabase {
    admin_url: String,
    name: String,
    owner: String,
    runtime: String,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// `postgres://user:pw@host:port/db?x` → `host:port`.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest).to_owned()
}

impl PgDatabase {
    pub async fn from_env() -> Option<Self> {
        let admin_url = std::env::var("ATRIUM_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty())?;
        let owner = env_or("ATRIUM_TEST_PG_OWNER", "atrium_owner");
        let runtime = env_or("ATRIUM_TEST_PG_RUNTIME", "atrium_app");
        let admin = Database::connect(admin_url.as_str()).await.expect("connect to ATRIUM_TEST_POSTGRES_URL");
        ensure_roles(&admin, &owner, &runtime).await;
        let name = format!("atrium_test_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\" OWNER \"{owner}\""))
            .await
            .expect("create database");
        admin.close().await.ok();
        Some(Self { admin_url, name, owner, runtime })
    }

    pub fn runtime_url(&self) -> String {
        format!("postgres://{}@{}/{}", self.runtime, host_port(&self.admin_url), self.name)
    }

    pub fn owner_url(&self) -> String {
        format!("postgres://{}@{}/{}", self.owner, host_port(&self.admin_url), self.name)
    }

    /// `sql` (a dump made with the roles `atrium_owner` and `atrium_app`) with this run's
    /// owner and runtime roles instead.
    pub fn with_roles(&self, sql: &str) -> String {
        sql.replace("atrium_owner", &self.owner).replace("atrium_app", &self.runtime)
    }

    pub fn admin_url_for_db(&self) -> String {
        format!("{}/{}", self.admin_url.rsplit_once('/').map_or(self.admin_url.as_str(), |(base, _)| base), self.name)
    }
}

/// Created once per test process; a concurrent creator elsewhere is tolerated.
async fn ensure_roles(admin: &DatabaseConnection, owner: &str, runtime: &str) {
    static DONE: OnceCell<()> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        for (role, attrs) in
            [(owner, "LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB"), (runtime, "LOGIN NOSUPERUSER NOBYPASSRLS")]
        {
            let sql = format!(
                "DO $$ BEGIN
                   IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                     CREATE ROLE \"{role}\" {attrs};
                   END IF;
                 EXCEPTION WHEN duplicate_object THEN NULL; WHEN unique_violation THEN NULL;
                 END $$"
            );
            admin.execute_unprepared(&sql).await.expect("create test role");
        }
    })
    .await;
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside any runtime we may block on: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let admin = Database::connect(admin_url.as_str()).await.ok()?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}
