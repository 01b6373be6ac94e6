//! The mail outbox (`atrium_core::mail`): messages written in the transaction of the change
//! they tell about, sent after commit by the notifications module. Tenant-owned (composite
//! key, row-level security); `(tenant_id, dedupe_key)` is unique so a message meant to go
//! once (a booking's reminder) is enqueued once whichever instance finds it. On PostgreSQL
//! senders claim due rows through a SECURITY DEFINER function with `FOR UPDATE SKIP
//! LOCKED` (like the events queue), so two instances never send the same message.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::tenancy::{col, create_tenant_table, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "mail_outbox";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let table = tenant_table(TABLE)
            .col(col("kind").string_len(40).not_null())
            .col(col("dedupe_key").string_len(200).not_null())
            .col(col("to_user_id").uuid().null())
            .col(col("to_email").string_len(320).null())
            .col(col("data").json_binary().not_null())
            .col(col("created_at").timestamp_with_time_zone().not_null())
            .col(col("next_attempt_at").timestamp_with_time_zone().not_null())
            .col(col("attempts").integer().not_null().default(0))
            .col(col("leased_until").timestamp_with_time_zone().null())
            .col(col("sent_at").timestamp_with_time_zone().null())
            .col(col("failed_at").timestamp_with_time_zone().null())
            .col(col("last_error").text().null())
            .to_owned();
        create_tenant_table(manager, TABLE, table).await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_mail_outbox_dedupe")
                    .table(Alias::new(TABLE))
                    .col(Alias::new("tenant_id"))
                    .col(Alias::new("dedupe_key"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL",
        )
        .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            for sql in [
                // The claim runs as this (owner) role; FORCE ROW LEVEL SECURITY binds it too.
                "DO $$ BEGIN
                   EXECUTE format('CREATE POLICY queue_worker_lease ON mail_outbox FOR UPDATE
                                     USING (current_user = %L) WITH CHECK (current_user = %L)', current_user, current_user);
                   EXECUTE format('CREATE POLICY queue_worker_read ON mail_outbox FOR SELECT
                                     USING (current_user = %L)', current_user);
                 END $$",
                "CREATE FUNCTION atrium_claim_mail(max_rows integer, lease_seconds integer)
                   RETURNS TABLE (tenant_id uuid, id uuid) LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
                   BEGIN
                     RETURN QUERY
                     UPDATE mail_outbox m
                        SET leased_until = now() + make_interval(secs => lease_seconds)
                      WHERE (m.tenant_id, m.id) IN (
                            SELECT p.tenant_id, p.id FROM mail_outbox p
                             WHERE p.sent_at IS NULL AND p.failed_at IS NULL AND p.next_attempt_at <= now()
                               AND (p.leased_until IS NULL OR p.leased_until < now())
                             ORDER BY p.next_attempt_at
                             LIMIT max_rows
                               FOR UPDATE SKIP LOCKED)
                  RETURNING m.tenant_id, m.id;
                   END $$",
                "REVOKE ALL ON FUNCTION atrium_claim_mail(integer, integer) FROM PUBLIC",
            ] {
                db.execute_unprepared(sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS atrium_claim_mail(integer, integer)")
                .await?;
        }
        manager.drop_table(Table::drop().table(Alias::new(TABLE)).to_owned()).await
    }
}
