//! Events (the transactional outbox), webhook endpoints, deliveries and their attempts.
//! The delivery worker serves every tenant: on PostgreSQL it finds due work through two
//! SECURITY DEFINER functions that return only ids and claim rows with `FOR UPDATE SKIP
//! LOCKED`, so several instances share the queue while row-level security still binds
//! every read and write of the rows themselves.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use atrium_migrations::tenancy::{col, create_tenant_table, index, tenant_fk, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tenant_table(
            manager,
            "events",
            tenant_table("events")
                .col(col("event_type").text().not_null())
                .col(col("data").json_binary().not_null())
                .col(col("occurred_at").timestamp_with_time_zone().not_null())
                // Set once the event has been fanned out into deliveries.
                .col(col("dispatched_at").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
        manager.create_index(index("ix_events_pending", "events", &["dispatched_at", "occurred_at"])).await?;

        create_tenant_table(
            manager,
            "webhook_endpoints",
            tenant_table("webhook_endpoints")
                .col(col("url").text().not_null())
                .col(col("description").text().not_null().default(""))
                .col(col("event_types").json_binary().not_null())
                .col(col("enabled").boolean().not_null())
                // Encrypted at rest (the server must sign with it, so it cannot be hashed).
                .col(col("secret").text().not_null())
                .col(col("previous_secret").text().null())
                .col(col("previous_valid_until").timestamp_with_time_zone().null())
                .col(col("disabled_reason").text().null())
                .col(col("failing_since").timestamp_with_time_zone().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;

        create_tenant_table(
            manager,
            "webhook_deliveries",
            tenant_table("webhook_deliveries")
                .col(col("endpoint_id").uuid().not_null())
                .col(col("event_id").uuid().not_null())
                .col(col("state").text().not_null())
                .col(col("attempts").integer().not_null().default(0))
                .col(col("next_attempt_at").timestamp_with_time_zone().not_null())
                // A claim by a worker, which lapses if that worker dies.
                .col(col("leased_until").timestamp_with_time_zone().null())
                .col(col("last_status").integer().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("webhook_deliveries", "endpoint_id", "webhook_endpoints"))
                .foreign_key(&mut tenant_fk("webhook_deliveries", "event_id", "events"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index("ix_webhook_deliveries_due", "webhook_deliveries", &["state", "next_attempt_at"]))
            .await?;

        create_tenant_table(
            manager,
            "webhook_attempts",
            tenant_table("webhook_attempts")
                .col(col("delivery_id").uuid().not_null())
                .col(col("endpoint_id").uuid().not_null())
                .col(col("attempted_at").timestamp_with_time_zone().not_null())
                .col(col("status_code").integer().null())
                .col(col("error").text().null())
                .col(col("latency_ms").integer().not_null())
                .col(col("response_excerpt").text().null())
                .foreign_key(&mut tenant_fk("webhook_attempts", "delivery_id", "webhook_deliveries"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index("ix_webhook_attempts_endpoint", "webhook_attempts", &["tenant_id", "endpoint_id"]))
            .await?;

        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            for sql in [
                // The two functions below run as this (owner) role, which FORCE ROW LEVEL
                // SECURITY binds too: this policy lets that role, and only it, see the
                // queue across tenants. The server refuses to run as the owner, so in
                // practice only the functions use it.
                "DO $$ BEGIN
                   EXECUTE format('CREATE POLICY queue_worker ON events FOR SELECT USING (current_user = %L)', current_user);
                   EXECUTE format('CREATE POLICY queue_worker ON webhook_deliveries FOR ALL
                                     USING (current_user = %L) WITH CHECK (current_user = %L)', current_user, current_user);
                 END $$",
                // Tenants with events not yet fanned out.
                "CREATE FUNCTION atrium_tenants_with_pending_events(max_tenants integer)
                   RETURNS TABLE (tenant_id uuid) LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
                     SELECT DISTINCT e.tenant_id FROM events e WHERE e.dispatched_at IS NULL LIMIT max_tenants
                   $$",
                // Claims due deliveries (a lease), skipping rows another instance holds.
                "CREATE FUNCTION atrium_claim_deliveries(max_rows integer, lease_seconds integer)
                   RETURNS TABLE (tenant_id uuid, id uuid) LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
                     UPDATE webhook_deliveries d
                        SET leased_until = now() + make_interval(secs => lease_seconds)
                      WHERE (d.tenant_id, d.id) IN (
                            SELECT w.tenant_id, w.id FROM webhook_deliveries w
                             WHERE w.state = 'pending' AND w.next_attempt_at <= now()
                               AND (w.leased_until IS NULL OR w.leased_until < now())
                             ORDER BY w.next_attempt_at
                             LIMIT max_rows
                               FOR UPDATE SKIP LOCKED)
                  RETURNING d.tenant_id, d.id
                   $$",
                "REVOKE ALL ON FUNCTION atrium_tenants_with_pending_events(integer) FROM PUBLIC",
                "REVOKE ALL ON FUNCTION atrium_claim_deliveries(integer, integer) FROM PUBLIC",
            ] {
                db.execute_unprepared(sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("DROP POLICY IF EXISTS queue_worker ON webhook_deliveries").await?;
            db.execute_unprepared("DROP POLICY IF EXISTS queue_worker ON events").await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS atrium_claim_deliveries(integer, integer)").await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS atrium_tenants_with_pending_events(integer)").await?;
        }
        for t in ["webhook_attempts", "webhook_deliveries", "webhook_endpoints", "events"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
