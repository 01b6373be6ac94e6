//! Events are leased to the delivery worker that sends them: it claims a batch of new
//! events, sends them to every subscribed endpoint and only then records the deliveries,
//! in their final state, and marks the events dispatched. A worker that dies before that
//! loses its lease and another sends the events again (at least once, never lost). On
//! PostgreSQL the claim is a SECURITY DEFINER function with `FOR UPDATE SKIP LOCKED`, so
//! instances never claim the same event, while row-level security binds everything else.
//! Both claim functions are PL/pgSQL, whose plans are cached per connection: a plain SQL
//! function is planned again on every call, which made an idle worker's polling cost
//! about half a millisecond of database time per claim. A partial index finds the events
//! still to send without reading the dispatched ones.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use atrium_migrations::tenancy::col;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Leases due deliveries, skipping rows another instance holds (as before this migration).
const CLAIM_DELIVERIES: &str = "UPDATE webhook_deliveries d
        SET leased_until = now() + make_interval(secs => lease_seconds)
      WHERE (d.tenant_id, d.id) IN (
            SELECT w.tenant_id, w.id FROM webhook_deliveries w
             WHERE w.state = 'pending' AND w.next_attempt_at <= now()
               AND (w.leased_until IS NULL OR w.leased_until < now())
             ORDER BY w.next_attempt_at
             LIMIT max_rows
               FOR UPDATE SKIP LOCKED)
  RETURNING d.tenant_id, d.id";

/// `atrium_claim_deliveries` in `language` with `body`.
fn claim_deliveries(language: &str, body: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION atrium_claim_deliveries(max_rows integer, lease_seconds integer) \
         RETURNS TABLE (tenant_id uuid, id uuid) LANGUAGE {language} SECURITY DEFINER SET search_path = public \
         AS $$ {body} $$"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("events"))
                    .add_column(col("leased_until").timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX ix_events_undispatched ON events (id) WHERE dispatched_at IS NULL").await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            for sql in [
                // The claim below runs as this (owner) role; FORCE ROW LEVEL SECURITY binds
                // it too, so it may update the queue's lease (and only that role may).
                "DO $$ BEGIN
                   EXECUTE format('CREATE POLICY queue_worker_lease ON events FOR UPDATE
                                     USING (current_user = %L) WITH CHECK (current_user = %L)', current_user, current_user);
                 END $$",
                "CREATE FUNCTION atrium_claim_events(max_rows integer, lease_seconds integer)
                   RETURNS TABLE (tenant_id uuid, id uuid) LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
                   BEGIN
                     RETURN QUERY
                     UPDATE events e
                        SET leased_until = now() + make_interval(secs => lease_seconds)
                      WHERE (e.tenant_id, e.id) IN (
                            SELECT p.tenant_id, p.id FROM events p
                             WHERE p.dispatched_at IS NULL
                               AND (p.leased_until IS NULL OR p.leased_until < now())
                             ORDER BY p.id
                             LIMIT max_rows
                               FOR UPDATE SKIP LOCKED)
                  RETURNING e.tenant_id, e.id;
                   END $$",
                "REVOKE ALL ON FUNCTION atrium_claim_events(integer, integer) FROM PUBLIC",
                &claim_deliveries("plpgsql", &format!("BEGIN RETURN QUERY {CLAIM_DELIVERIES}; END")),
                "DROP FUNCTION IF EXISTS atrium_tenants_with_pending_events(integer)",
            ] {
                db.execute_unprepared(sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_events_undispatched").await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            for sql in [
                "DROP FUNCTION IF EXISTS atrium_claim_events(integer, integer)",
                &claim_deliveries("sql", CLAIM_DELIVERIES),
                "DROP POLICY IF EXISTS queue_worker_lease ON events",
                "CREATE FUNCTION atrium_tenants_with_pending_events(max_tenants integer)
                   RETURNS TABLE (tenant_id uuid) LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
                     SELECT DISTINCT e.tenant_id FROM events e WHERE e.dispatched_at IS NULL LIMIT max_tenants
                   $$",
                "REVOKE ALL ON FUNCTION atrium_tenants_with_pending_events(integer) FROM PUBLIC",
            ] {
                db.execute_unprepared(sql).await?;
            }
        }
        manager
            .alter_table(Table::alter().table(Alias::new("events")).drop_column(Alias::new("leased_until")).to_owned())
            .await
    }
}
