//! Tenant-scoped data access: the only way handlers reach the database.
//!
//! A [`TenantTx`] is a transaction bound to one tenant. On PostgreSQL it begins with
//! `SELECT set_config('app.tenant_id', $1, true)`, so row-level security confines every
//! statement in it to that tenant, and the setting dies with the transaction (it never
//! leaks to the next user of the pooled connection). Repositories still filter by
//! [`TenantTx::tenant_id`] on every query: isolation holds in the code and in the database.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use crate::ids::TenantId;

/// Begins a transaction that will write: `BEGIN IMMEDIATE` on SQLite (the write lock is
/// taken up front, so concurrent writers queue on the busy timeout instead of failing
/// when upgrading a read lock), a plain `BEGIN` on PostgreSQL.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let mode = (db.get_database_backend() == DbBackend::Sqlite).then_some(SqliteTransactionMode::Immediate);
    db.begin_with_options(TransactionOptions { sqlite_transaction_mode: mode, ..Default::default() }).await
}

/// SQLite has one writer at a time per file, and its busy handler wakes waiters by polling,
/// not in arrival order: with dozens of writers some starved past the busy timeout (500s
/// and multi-second p99s under 64 clients). Writers of this process therefore queue here
/// first, in arrival order, one per database file. The wait is bounded by the busy timeout;
/// past it the transaction goes ahead on SQLite's own lock, so a nested writer can never
/// hang on this queue. None on PostgreSQL (row locks, many writers).
async fn sqlite_writer_turn(db: &DatabaseConnection) -> Option<OwnedMutexGuard<()>> {
    type Queues = Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>;
    static QUEUES: LazyLock<Queues> = LazyLock::new(Queues::default);
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
    let queue = QUEUES.lock().unwrap_or_else(PoisonError::into_inner).entry(file).or_default().clone();
    tokio::time::timeout(SQLITE_WRITER_WAIT, queue.lock_owned()).await.ok()
}

/// How long a writer waits for its turn in this process before relying on SQLite's lock.
const SQLITE_WRITER_WAIT: Duration = Duration::from_secs(10);

pub struct TenantTx {
    tx: DatabaseTransaction,
    tenant_id: TenantId,
    /// SQLite: this writer's turn (see [`sqlite_writer_turn`]), released after the
    /// transaction ends (fields drop in order).
    _turn: Option<OwnedMutexGuard<()>>,
}

impl TenantTx {
    pub async fn begin(db: &DatabaseConnection, tenant_id: TenantId, write: bool) -> Result<Self, DbErr> {
        let turn = if write { sqlite_writer_turn(db).await } else { None };
        let tx = if write { begin_write(db).await? } else { db.begin().await? };
        set_tenant(&tx, tenant_id).await?;
        Ok(Self { tx, tenant_id, _turn: turn })
    }

    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// The connection, for repositories: every query they build filters by `tenant_id`.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        self.tx.commit().await
    }

    /// Rolls back now (dropping a transaction rolls it back too, but later), e.g. before
    /// recording why a request was refused in a transaction of its own.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.tx.rollback().await
    }
}

/// Sets the tenant for row-level security, local to the transaction (PostgreSQL only).
pub async fn set_tenant(tx: &DatabaseTransaction, tenant_id: TenantId) -> Result<(), DbErr> {
    if tx.get_database_backend() == DbBackend::Postgres {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('app.tenant_id', $1, true)",
            [tenant_id.to_string().into()],
        ))
        .await?;
    }
    Ok(())
}
