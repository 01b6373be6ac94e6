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

use crate::ids::TenantId;

/// Begins a transaction that will write: `BEGIN IMMEDIATE` on SQLite (the write lock is
/// taken up front, so concurrent writers queue on the busy timeout instead of failing
/// when upgrading a read lock), a plain `BEGIN` on PostgreSQL.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let mode = (db.get_database_backend() == DbBackend::Sqlite).then_some(SqliteTransactionMode::Immediate);
    db.begin_with_options(TransactionOptions { sqlite_transaction_mode: mode, ..Default::default() }).await
}

pub struct TenantTx {
    tx: DatabaseTransaction,
    tenant_id: TenantId,
}

impl TenantTx {
    pub async fn begin(db: &DatabaseConnection, tenant_id: TenantId, write: bool) -> Result<Self, DbErr> {
        let tx = if write { begin_write(db).await? } else { db.begin().await? };
        set_tenant(&tx, tenant_id).await?;
        Ok(Self { tx, tenant_id })
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
