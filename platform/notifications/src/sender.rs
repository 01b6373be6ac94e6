//! The sender, in every server instance: claims due messages of the mail outbox (a lease,
//! so instances share the queue and never send one message twice at once; a dead
//! instance's claims lapse and are sent again: at least once, never lost), renders and
//! sends each outside any transaction, and records the outcome in the message's tenant
//! transaction: sent, retried after the schedule's next delay, or given up (the schedule
//! exhausted, a permanent refusal, no recipient). Every attempt is counted. Once a
//! message is done, a token it carried is wiped from its data (only its hash is kept, by
//! the tenants module).

use std::sync::Arc;

use atrium_core::context::Directory;
use atrium_core::db::TenantTx;
use atrium_core::ids::{TenantId, UserId};
use atrium_core::mail::{MailKind, entity as outbox};
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{DatabaseConnection, DbBackend, IntoActiveModel, Set, Statement};
use tokio_util::sync::CancellationToken;

use crate::MailSettings;
use crate::templates::render;
use crate::transport::{Envelope, SendError, Transport};

const BATCH: u64 = 32;

pub struct Sender {
    db: DatabaseConnection,
    settings: Arc<MailSettings>,
    transport: Transport,
    directory: Arc<dyn Directory>,
}

impl Sender {
    pub fn new(
        db: DatabaseConnection,
        settings: Arc<MailSettings>,
        directory: Arc<dyn Directory>,
    ) -> Result<Self, String> {
        let transport = Transport::new(settings.smtp_url.as_deref())?;
        Ok(Self { db, settings, transport, directory })
    }

    /// Runs until `shutdown`; the message in hand is finished.
    pub fn spawn(self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut failing = false;
            while !shutdown.is_cancelled() {
                let busy = match self.tick().await {
                    Ok(n) => {
                        failing = false;
                        n > 0
                    }
                    Err(err) => {
                        if !failing && !shutdown.is_cancelled() {
                            tracing::warn!(error = %err, "mail sender");
                        }
                        failing = true;
                        false
                    }
                };
                if !busy {
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        () = tokio::time::sleep(self.settings.poll_interval) => {}
                    }
                }
            }
        })
    }

    /// Claims and sends what is due; how many messages it handled.
    pub async fn tick(&self) -> Result<usize, DbErr> {
        let claimed = claim(&self.db, BATCH, self.settings.lease).await?;
        let n = claimed.len();
        for (tenant, id) in claimed {
            if let Err(err) = self.deliver(TenantId(tenant), id).await {
                tracing::warn!(%tenant, message = %id, error = %err, "mail sender: a message (its lease lapses and it is tried again)");
            }
        }
        Ok(n)
    }

    async fn deliver(&self, tenant: TenantId, id: Uuid) -> Result<(), DbErr> {
        let tx = TenantTx::begin(&self.db, tenant, false).await?;
        let Some(row) = find(&tx, id).await? else { return tx.commit().await };
        if row.sent_at.is_some() || row.failed_at.is_some() {
            return tx.commit().await;
        }
        let brand = self.directory.mail_identity(&tx).await?.unwrap_or_default();
        let to = match (&row.to_email, row.to_user_id) {
            (Some(email), _) => Some((email.clone(), String::new())),
            (None, Some(user)) => self.directory.contact(&tx, UserId(user)).await?,
            (None, None) => None,
        };
        tx.commit().await?;
        let outcome = match (&to, MailKind::parse(&row.kind)) {
            (None, _) => Err(SendError::Permanent("the recipient no longer exists".into())),
            (_, None) => Err(SendError::Permanent(format!("unknown kind `{}`", row.kind))),
            (Some((address, name)), Some(kind)) => {
                match render(kind, &row.data, &brand, &self.settings, (address, name)) {
                    Err(e) => Err(SendError::Permanent(e.to_string())),
                    Ok(msg) => {
                        let env = Envelope {
                            from_address: &self.settings.from,
                            from_name: &brand.display_name,
                            reply_to: brand.support_email.as_deref(),
                            to_address: address,
                            to_name: name,
                        };
                        self.transport.send(&env, &msg).await
                    }
                }
            }
        };
        self.record(tenant, row, outcome).await
    }

    async fn record(&self, tenant: TenantId, row: outbox::Model, outcome: Result<(), SendError>) -> Result<(), DbErr> {
        let now = Utc::now();
        let attempts = row.attempts + 1;
        let (id, kind) = (row.id, row.kind.clone());
        let carries_token =
            matches!(MailKind::parse(&kind), Some(MailKind::PasswordReset | MailKind::EmailVerification));
        let tx = TenantTx::begin(&self.db, tenant, true).await?;
        let mut am = row.into_active_model();
        am.attempts = Set(attempts);
        am.leased_until = Set(None);
        let done = match &outcome {
            Ok(()) => {
                am.sent_at = Set(Some(now));
                am.last_error = Set(None);
                tracing::info!(%tenant, message = %id, kind, attempts, "e-mail sent");
                true
            }
            Err(err) => {
                let retry = match err {
                    SendError::Transient(_) => self.settings.retry_schedule.get(attempts as usize - 1).copied(),
                    SendError::Permanent(_) => None,
                };
                am.last_error = Set(Some(err.to_string().chars().take(1000).collect()));
                match retry {
                    Some(delay) => {
                        am.next_attempt_at =
                            Set(now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::minutes(5)));
                        tracing::warn!(%tenant, message = %id, kind, attempts, error = %err, "e-mail not sent; retried later");
                        false
                    }
                    None => {
                        am.failed_at = Set(Some(now));
                        tracing::warn!(%tenant, message = %id, kind, attempts, error = %err, "e-mail given up");
                        true
                    }
                }
            }
        };
        if done && carries_token {
            am.data = Set(serde_json::json!({}));
        }
        am.update(tx.conn()).await?;
        tx.commit().await
    }
}

async fn find(tx: &TenantTx, id: Uuid) -> Result<Option<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::TenantId.eq(tx.tenant_id().0))
        .filter(outbox::Column::Id.eq(id))
        .one(tx.conn())
        .await
}

/// Leases up to `limit` due messages of every tenant for `lease`; `(tenant_id, id)` each.
/// PostgreSQL: through `atrium_claim_mail` (`FOR UPDATE SKIP LOCKED`, row-level security
/// aside); SQLite: one statement (writes are serialized).
pub async fn claim(
    db: &DatabaseConnection,
    limit: u64,
    lease: std::time::Duration,
) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    let backend = db.get_database_backend();
    let lease_s = lease.as_secs().clamp(1, 3600) as i32;
    let stmt = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "SELECT tenant_id, id FROM atrium_claim_mail($1, $2)",
            [(limit as i32).into(), lease_s.into()],
        ),
        _ => {
            let now = Utc::now();
            Statement::from_sql_and_values(
                backend,
                "UPDATE mail_outbox SET leased_until = $1
                  WHERE (tenant_id, id) IN (
                        SELECT tenant_id, id FROM mail_outbox
                         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
                           AND (leased_until IS NULL OR leased_until < $2)
                         ORDER BY next_attempt_at LIMIT $3)
              RETURNING tenant_id, id",
                [(now + chrono::Duration::seconds(i64::from(lease_s))).into(), now.into(), (limit as i64).into()],
            )
        }
    };
    let rows = db.query_all_raw(stmt).await?;
    rows.iter().map(|r| Ok((r.try_get::<Uuid>("", "tenant_id")?, r.try_get::<Uuid>("", "id")?))).collect()
}
