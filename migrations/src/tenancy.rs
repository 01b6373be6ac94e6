//! Making a table tenant-owned, in one call, so every table gets the same isolation:
//! `tenant_id NOT NULL`, primary key `(tenant_id, id)`, a foreign key to `tenants`, and on
//! PostgreSQL `ENABLE` + `FORCE ROW LEVEL SECURITY` with the policy
//! `tenant_id = app.tenant_id` for reads and writes (USING and WITH CHECK).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// The policy expression. `NULLIF` because a transaction-local setting reads back as ''
/// (not NULL) on a pooled connection after the transaction that set it: '' must match
/// nothing rather than fail the cast.
pub const TENANT_PREDICATE: &str = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid";

/// A column by name, for the plain column lists of tenant tables.
pub fn col(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

/// `CREATE TABLE <table> (tenant_id, id, …, PRIMARY KEY (tenant_id, id))` with the
/// foreign key to `tenants`; add the table's own columns to the returned statement.
pub fn tenant_table(name: &str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
        .col(ColumnDef::new(Alias::new("tenant_id")).uuid().not_null())
        .col(ColumnDef::new(Alias::new("id")).uuid().not_null())
        .primary_key(Index::create().col(Alias::new("tenant_id")).col(Alias::new("id")))
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_tenant"))
                .from_col(Alias::new("tenant_id"))
                .to(Tenants::Table, Tenants::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// A composite foreign key `(tenant_id, column) → target(tenant_id, id)`: a row can never
/// point into another tenant.
pub fn tenant_fk(from_table: &str, column: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{column}"))
        .from(Alias::new(from_table), (Alias::new("tenant_id"), Alias::new(column)))
        .to(Alias::new(target), (Alias::new("tenant_id"), Alias::new("id")))
        .to_owned()
}

/// Creates `name` (from [`tenant_table`]) and turns on row-level security for it.
pub async fn create_tenant_table(
    manager: &SchemaManager<'_>,
    name: &str,
    table: TableCreateStatement,
) -> Result<(), DbErr> {
    manager.create_table(table).await?;
    isolate(manager, name).await
}

/// `ENABLE` + `FORCE ROW LEVEL SECURITY` and the tenant policy (PostgreSQL; a no-op on
/// SQLite, where the code's tenant filter is the isolation).
pub async fn isolate(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for sql in [
        format!("ALTER TABLE \"{table}\" ENABLE ROW LEVEL SECURITY"),
        format!("ALTER TABLE \"{table}\" FORCE ROW LEVEL SECURITY"),
        format!(
            "CREATE POLICY tenant_isolation ON \"{table}\" USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})"
        ),
    ] {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// `CREATE INDEX name ON table (cols…)`.
pub fn index(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for c in cols {
        index.col(Alias::new(*c));
    }
    index.to_owned()
}

/// [`index`], unique.
pub fn unique_index(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    index(name, table, cols).unique().to_owned()
}

/// For a background sweeper on PostgreSQL: `function(max_tenants)` lists the tenants with
/// rows of `table` matching `predicate` across row-level security. The function runs as
/// the owner role (SECURITY DEFINER), which FORCE binds too, so `policy` lets that role —
/// and only it: the server refuses to run as the owner — read `table` across tenants.
/// A no-op on SQLite.
pub async fn tenant_finder(
    manager: &SchemaManager<'_>,
    policy: &str,
    table: &str,
    function: &str,
    predicate: &str,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for sql in [
        format!(
            "DO $$ BEGIN EXECUTE format('CREATE POLICY {policy} ON {table} FOR SELECT USING (current_user = %L)', \
             current_user); END $$"
        ),
        format!(
            "CREATE FUNCTION {function}(max_tenants integer) RETURNS TABLE (tenant_id uuid) \
             LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ \
             SELECT DISTINCT t.tenant_id FROM {table} t WHERE {predicate} LIMIT max_tenants $$"
        ),
        format!("REVOKE ALL ON FUNCTION {function}(integer) FROM PUBLIC"),
    ] {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Undoes [`tenant_finder`].
pub async fn drop_tenant_finder(
    manager: &SchemaManager<'_>,
    policy: &str,
    table: &str,
    function: &str,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}(integer)")).await?;
    db.execute_unprepared(&format!("DROP POLICY IF EXISTS {policy} ON {table}")).await?;
    Ok(())
}
