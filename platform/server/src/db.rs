//! Opening the database, migrating it, and refusing unsafe PostgreSQL roles.
//!
//! SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout;
//! write transactions start with `BEGIN IMMEDIATE` ([`atrium_core::db::begin_write`]) so two writers never
//! deadlock upgrading a read lock. PostgreSQL runs as a role that is neither superuser nor
//! BYPASSRLS nor the tables' owner, so row-level security binds it.

use std::time::Duration;

use atrium_migrations::Migrator;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};
use sea_orm_migration::MigratorTraitSelf;

use crate::config::{Config, redact_url};

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: DbErr },
    #[error("migration failed: {0}")]
    Migrate(DbErr),
    #[error("database check failed: {0}")]
    Check(DbErr),
    #[error("{0}")]
    UnsafeRole(String),
    #[error(
        "the database has {0} pending migration(s); run `atrium migrate up` as the owner role \
         (ATRIUM_MIGRATION_DATABASE_URL), or start with ATRIUM_AUTO_MIGRATE=true"
    )]
    Pending(usize),
}

pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbSetupError> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // Pinging on every checkout costs a round trip per transaction; a connection
        // that has been busy lately is alive, so only idle ones are checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .create_if_missing(true)
        });
    Database::connect(opts).await.map_err(|source| DbSetupError::Connect { url: redact_url(url), source })
}

/// Applies pending migrations with the owner connection, then (PostgreSQL, when the
/// runtime role differs from the owner) grants the runtime role the data privileges it
/// needs on every table — and nothing more.
pub async fn migrate_up(
    config: &Config,
    migrator: &Migrator,
    runtime: &DatabaseConnection,
) -> Result<(), DbSetupError> {
    // On SQLite, sea-orm's migrator writes (it installs its table) inside a deferred
    // transaction even when nothing is pending; a process that opens the file a running
    // server writes to (`atrium inventory verify`, `atrium mirror rebuild`) then fails
    // with `database is locked` — a read that must upgrade to a write after another
    // writer committed gets SQLITE_BUSY at once, whatever the busy timeout. Nothing
    // pending, nothing to write.
    if runtime.get_database_backend() == DbBackend::Sqlite
        && pending_migrations(migrator, runtime).await.is_ok_and(|n| n == 0)
    {
        return Ok(());
    }
    match &config.migration_database_url {
        Some(owner_url) => {
            let owner = connect(owner_url.expose(), 2).await?;
            migrator.up(&owner, None).await.map_err(DbSetupError::Migrate)?;
            if owner.get_database_backend() == DbBackend::Postgres {
                grant_runtime_role(&owner, runtime).await?;
            }
            owner.close().await.map_err(DbSetupError::Check)?;
        }
        None => migrator.up(runtime, None).await.map_err(DbSetupError::Migrate)?,
    }
    Ok(())
}

async fn grant_runtime_role(owner: &DatabaseConnection, runtime: &DatabaseConnection) -> Result<(), DbSetupError> {
    let role = current_user(runtime).await?;
    let owner_role = current_user(owner).await?;
    if role == owner_role {
        return Ok(());
    }
    let role = quote_ident(&role);
    for sql in [
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        format!("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}"),
    ] {
        owner.execute_unprepared(&sql).await.map_err(DbSetupError::Migrate)?;
    }
    Ok(())
}

async fn current_user(db: &DatabaseConnection) -> Result<String, DbSetupError> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT current_user::text AS u"))
        .await
        .map_err(DbSetupError::Check)?
        .ok_or_else(|| DbSetupError::Check(DbErr::RecordNotFound("current_user".into())))?;
    row.try_get::<String>("", "u").map_err(DbSetupError::Check)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Number of migrations compiled into this binary that the database has not applied.
/// Reads the migration table directly: the runtime role may read it but (rightly) may not
/// create it, which `Migrator::get_pending_migrations` would try to do.
pub async fn pending_migrations(migrator: &Migrator, db: &DatabaseConnection) -> Result<usize, DbErr> {
    let exists = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT to_regclass('seaql_migrations') IS NOT NULL AS present",
        _ => {
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations') AS present"
        }
    };
    let backend = db.get_database_backend();
    let present = db
        .query_one_raw(Statement::from_string(backend, exists))
        .await?
        .map(|row| row.try_get::<bool>("", "present"))
        .transpose()?
        .unwrap_or(false);
    let applied: Vec<String> = if present {
        let rows = db.query_all_raw(Statement::from_string(backend, "SELECT version FROM seaql_migrations")).await?;
        rows.iter().map(|r| r.try_get::<String>("", "version")).collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    Ok(migrator.names().iter().filter(|m| !applied.contains(m)).count())
}

/// On PostgreSQL, refuses a runtime role that row-level security would not bind.
pub async fn check_runtime_role(config: &Config, db: &DatabaseConnection) -> Result<(), DbSetupError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT r.rolname::text AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypass,
                    (SELECT count(*) FROM pg_tables t
                      WHERE t.schemaname = 'public' AND t.tableowner = r.rolname) AS owned
               FROM pg_roles r WHERE r.rolname = current_user",
        ))
        .await
        .map_err(DbSetupError::Check)?
        .ok_or_else(|| DbSetupError::Check(DbErr::RecordNotFound("pg_roles".into())))?;
    let name: String = row.try_get("", "name").map_err(DbSetupError::Check)?;
    let superuser: bool = row.try_get("", "superuser").map_err(DbSetupError::Check)?;
    let bypass: bool = row.try_get("", "bypass").map_err(DbSetupError::Check)?;
    let owned: i64 = row.try_get("", "owned").map_err(DbSetupError::Check)?;

    let mut problems = Vec::new();
    if superuser {
        problems.push("is a superuser");
    }
    if bypass {
        problems.push("has BYPASSRLS");
    }
    if owned > 0 {
        problems.push("owns the tables");
    }
    if problems.is_empty() {
        return Ok(());
    }
    let message = format!(
        "refusing to start: the PostgreSQL role `{name}` {}, so row-level security would not \
         isolate tenants. Connect with a role that is NOSUPERUSER NOBYPASSRLS and does not own the \
         tables (ATRIUM_DATABASE_URL), and migrate with the owner role \
         (ATRIUM_MIGRATION_DATABASE_URL). For an experiment only, ATRIUM_ALLOW_RLS_BYPASS=true \
         starts anyway.",
        problems.join(" and ")
    );
    if config.allow_rls_bypass {
        tracing::warn!("{message}");
        tracing::warn!("ATRIUM_ALLOW_RLS_BYPASS=true: starting WITHOUT database-enforced tenant isolation");
        return Ok(());
    }
    Err(DbSetupError::UnsafeRole(message))
}
