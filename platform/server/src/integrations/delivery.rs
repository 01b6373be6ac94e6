//! The delivery worker, in every server instance: fans new events out into deliveries
//! (one per subscribed, enabled endpoint of the tenant), then delivers what is due —
//! signed per Standard Webhooks, 15 s timeout, no redirects followed, 2xx is success —
//! and records every attempt. Failures are retried on the configured schedule with
//! ±10 % jitter; a 410 disables the endpoint at once, and so do failures lasting longer
//! than the configured limit. Deliveries are claimed with a lease (on PostgreSQL through
//! `FOR UPDATE SKIP LOCKED`), so instances share the queue and a killed instance's
//! claims lapse and are retried: at least once, never lost.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::db::TenantTx;
use atrium_core::events::{self, entity as event_entity};
use atrium_core::ids::TenantId;
use chrono::{Duration, Utc};
use rand::Rng;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{DatabaseConnection, DbBackend, IntoActiveModel, QueryOrder, QuerySelect, Set, Statement};

use super::signing;
use super::ssrf;
use super::webhooks::{WebhookEndpointView, attempts, deliveries, endpoints, new_delivery};
use crate::crypto::Sealer;

/// Delivery settings, shared with the handlers (SSRF policy, secret sealing).
pub struct WebhookSettings {
    pub allow_private: bool,
    pub sealer: Sealer,
    pub schedule: Vec<StdDuration>,
    pub timeout: StdDuration,
    pub disable_after: Duration,
    pub poll_interval: StdDuration,
    /// A claim lasts this long; a delivery claimed by a worker that died is retried then.
    pub lease: Duration,
}

const BATCH: u64 = 128;
const LOOPS: usize = 4;
const EXCERPT_BYTES: usize = 512;

pub struct Worker {
    db: DatabaseConnection,
    settings: Arc<WebhookSettings>,
    client: reqwest::Client,
}

impl Worker {
    pub fn new(db: DatabaseConnection, settings: Arc<WebhookSettings>) -> Result<Self, reqwest::Error> {
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .user_agent(concat!("Atrium-Webhooks/", env!("CARGO_PKG_VERSION")))
            .no_proxy();
        if !settings.allow_private {
            client = client.dns_resolver(Arc::new(ssrf::GuardedResolver));
        }
        Ok(Self { db, settings, client: client.build()? })
    }

    /// Runs until the process ends: a few loops side by side, so one batch's database
    /// work overlaps another's HTTP requests (claims are leases, so loops never share a
    /// delivery).
    pub fn spawn(self) {
        let worker = Arc::new(self);
        for _ in 0..LOOPS {
            let worker = worker.clone();
            tokio::spawn(async move {
                loop {
                    let busy = match worker.tick().await {
                        Ok(busy) => busy,
                        Err(err) => {
                            tracing::warn!(error = %err, "webhook worker");
                            false
                        }
                    };
                    if !busy {
                        tokio::time::sleep(worker.settings.poll_interval).await;
                    }
                }
            });
        }
    }

    /// One round: fan out, then deliver what is due. `true` when there was work.
    pub async fn tick(&self) -> Result<bool, DbErr> {
        let fanned = self.fan_out().await?;
        let due = self.claim().await?;
        let worked = fanned > 0 || !due.is_empty();
        let mut by_tenant: std::collections::HashMap<Uuid, Vec<Uuid>> = std::collections::HashMap::new();
        for (tenant, id) in due {
            by_tenant.entry(tenant).or_default().push(id);
        }
        let runs = by_tenant.into_iter().map(|(tenant, ids)| self.deliver(TenantId(tenant), ids));
        for result in futures_util::future::join_all(runs).await {
            if let Err(err) = result {
                tracing::warn!(error = %err, "webhook delivery");
            }
        }
        Ok(worked)
    }

    async fn fan_out(&self) -> Result<usize, DbErr> {
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => "SELECT tenant_id FROM atrium_tenants_with_pending_events(50)",
            _ => "SELECT DISTINCT tenant_id FROM events WHERE dispatched_at IS NULL LIMIT 50",
        };
        let tenants: Vec<Uuid> = self
            .db
            .query_all_raw(Statement::from_string(backend, sql))
            .await?
            .iter()
            .map(|r| r.try_get::<Uuid>("", "tenant_id"))
            .collect::<Result<_, _>>()?;
        let mut fanned = 0;
        for tenant in tenants {
            let tx = TenantTx::begin(&self.db, TenantId(tenant), true).await?;
            let mut pending = event_entity::Entity::find()
                .filter(event_entity::Column::TenantId.eq(tenant))
                .filter(event_entity::Column::DispatchedAt.is_null())
                .order_by_asc(event_entity::Column::Id)
                .limit(200);
            if backend == DbBackend::Postgres {
                pending = pending.lock_with_behavior(
                    sea_orm::sea_query::LockType::Update,
                    sea_orm::sea_query::LockBehavior::SkipLocked,
                );
            }
            let pending = pending.all(tx.conn()).await?;
            if pending.is_empty() {
                continue;
            }
            let targets = endpoints::Entity::find()
                .filter(endpoints::Column::TenantId.eq(tenant))
                .filter(endpoints::Column::Enabled.eq(true))
                .all(tx.conn())
                .await?;
            let mut rows = Vec::new();
            for event in &pending {
                // Endpoints receive what happens after they were registered.
                let targets = targets.iter().filter(|e| e.created_at <= event.occurred_at);
                rows.extend(
                    targets.filter(|e| subscribed(e, &event.event_type)).map(|e| new_delivery(tenant, e.id, event.id)),
                );
            }
            // Chunks keep each statement under SQLite's bound-parameter limit.
            for chunk in rows.chunks(500) {
                deliveries::Entity::insert_many(chunk.to_vec()).exec(tx.conn()).await?;
            }
            event_entity::Entity::update_many()
                .col_expr(event_entity::Column::DispatchedAt, Expr::value(Utc::now()))
                .filter(event_entity::Column::TenantId.eq(tenant))
                .filter(event_entity::Column::Id.is_in(pending.iter().map(|e| e.id)))
                .exec(tx.conn())
                .await?;
            fanned += pending.len();
            tx.commit().await?;
        }
        Ok(fanned)
    }

    async fn claim(&self) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
        let backend = self.db.get_database_backend();
        let stmt = match backend {
            DbBackend::Postgres => Statement::from_sql_and_values(
                backend,
                "SELECT tenant_id, id FROM atrium_claim_deliveries($1, $2)",
                [(BATCH as i32).into(), (self.settings.lease.num_seconds() as i32).into()],
            ),
            _ => {
                let now = Utc::now();
                Statement::from_sql_and_values(
                    backend,
                    "UPDATE webhook_deliveries SET leased_until = $1
                      WHERE (tenant_id, id) IN (
                            SELECT tenant_id, id FROM webhook_deliveries
                             WHERE state = 'pending' AND next_attempt_at <= $2
                               AND (leased_until IS NULL OR leased_until < $2)
                             ORDER BY next_attempt_at LIMIT $3)
                  RETURNING tenant_id, id",
                    [(now + self.settings.lease).into(), now.into(), (BATCH as i64).into()],
                )
            }
        };
        self.db
            .query_all_raw(stmt)
            .await?
            .iter()
            .map(|r| Ok((r.try_get::<Uuid>("", "tenant_id")?, r.try_get::<Uuid>("", "id")?)))
            .collect()
    }

    /// Sends a tenant's claimed deliveries concurrently: one read transaction to load
    /// them, one write transaction to record every outcome.
    async fn deliver(&self, tenant: TenantId, ids: Vec<Uuid>) -> Result<(), DbErr> {
        let tx = TenantTx::begin(&self.db, tenant, false).await?;
        let claimed = deliveries::Entity::find()
            .filter(deliveries::Column::TenantId.eq(tenant.0))
            .filter(deliveries::Column::Id.is_in(ids))
            .all(tx.conn())
            .await?;
        let endpoint_ids: Vec<Uuid> = claimed.iter().map(|d| d.endpoint_id).collect();
        let event_ids: Vec<Uuid> = claimed.iter().map(|d| d.event_id).collect();
        let mut endpoints: std::collections::HashMap<Uuid, endpoints::Model> = endpoints::Entity::find()
            .filter(endpoints::Column::TenantId.eq(tenant.0))
            .filter(endpoints::Column::Id.is_in(endpoint_ids))
            .all(tx.conn())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let events: std::collections::HashMap<Uuid, event_entity::Model> = event_entity::Entity::find()
            .filter(event_entity::Column::TenantId.eq(tenant.0))
            .filter(event_entity::Column::Id.is_in(event_ids))
            .all(tx.conn())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        tx.commit().await?;

        let sends = claimed.iter().map(|d| {
            let endpoint = endpoints.get(&d.endpoint_id);
            let event = events.get(&d.event_id);
            async move {
                match (endpoint, event) {
                    (Some(e), Some(ev)) if e.enabled && d.state == "pending" => self.send(e, ev).await,
                    _ => Outcome::Skipped,
                }
            }
        });
        let outcomes = futures_util::future::join_all(sends).await;

        let tx = TenantTx::begin(&self.db, tenant, true).await?;
        // The common case in a few statements: every success's attempt in one insert,
        // the deliveries in one update per status code.
        let now = Utc::now();
        let mut succeeded: std::collections::BTreeMap<u16, Vec<Uuid>> = Default::default();
        let mut attempts_rows = Vec::new();
        let mut others = Vec::new();
        for (delivery, outcome) in claimed.iter().zip(outcomes) {
            let healthy = endpoints.get(&delivery.endpoint_id).is_some_and(|e| e.failing_since.is_none());
            match outcome {
                Outcome::Answered { status, excerpt, latency } if (200..300).contains(&status) && healthy => {
                    attempts_rows.push(attempt_row(tenant, delivery, now, Some(status), None, latency, Some(excerpt)));
                    succeeded.entry(status).or_default().push(delivery.id);
                }
                other => others.push((delivery, other)),
            }
        }
        if !attempts_rows.is_empty() {
            attempts::Entity::insert_many(attempts_rows).exec(tx.conn()).await?;
        }
        for (status, ids) in succeeded {
            deliveries::Entity::update_many()
                .col_expr(deliveries::Column::State, Expr::value("succeeded"))
                .col_expr(deliveries::Column::Attempts, Expr::col(deliveries::Column::Attempts).add(1))
                .col_expr(deliveries::Column::LastStatus, Expr::value(i32::from(status)))
                .col_expr(deliveries::Column::LeasedUntil, Expr::value(Option::<chrono::DateTime<Utc>>::None))
                .col_expr(deliveries::Column::UpdatedAt, Expr::value(now))
                .filter(deliveries::Column::TenantId.eq(tenant.0))
                .filter(deliveries::Column::Id.is_in(ids))
                .exec(tx.conn())
                .await?;
        }
        for (delivery, outcome) in others {
            self.settle(&tx, delivery, &mut endpoints, outcome).await?;
        }
        tx.commit().await
    }

    async fn send(&self, endpoint: &endpoints::Model, event: &event_entity::Model) -> Outcome {
        let msg_id = events::public_id(event.id);
        let body = serde_json::to_vec(&serde_json::json!({
            "id": msg_id,
            "type": event.event_type,
            "created_at": event.occurred_at,
            "tenant_id": event.tenant_id,
            "data": event.data,
        }))
        .unwrap_or_default();
        let now = Utc::now();
        let mut secrets = Vec::new();
        if let Some(s) = self.settings.sealer.open(&endpoint.secret) {
            secrets.push(String::from_utf8_lossy(&s).into_owned());
        }
        if endpoint.previous_valid_until.is_some_and(|until| until > now)
            && let Some(s) = endpoint.previous_secret.as_deref().and_then(|s| self.settings.sealer.open(s))
        {
            secrets.push(String::from_utf8_lossy(&s).into_owned());
        }
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let timestamp = now.timestamp();
        let signature = signing::signature_header(&refs, &msg_id, timestamp, &body);

        let started = Instant::now();
        let sent = match self.check_target(&endpoint.url).await {
            Ok(()) => self
                .client
                .post(&endpoint.url)
                .header("content-type", "application/json")
                .header("webhook-id", &msg_id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await
                .map_err(|e| error_chain(&e)),
            Err(refused) => Err(refused),
        };
        match sent {
            Ok(mut res) => {
                let status = res.status().as_u16();
                // Read no more than the excerpt: a receiver cannot make us buffer its body.
                let mut head = Vec::new();
                while head.len() < EXCERPT_BYTES {
                    match res.chunk().await {
                        Ok(Some(chunk)) => head.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                head.truncate(EXCERPT_BYTES);
                let excerpt = String::from_utf8_lossy(&head).into_owned();
                Outcome::Answered { status, excerpt, latency: started.elapsed() }
            }
            Err(error) => Outcome::Failed { error, latency: started.elapsed() },
        }
    }

    /// IP-literal URLs never reach the resolver: check them here.
    async fn check_target(&self, url: &str) -> Result<(), String> {
        if self.settings.allow_private {
            return Ok(());
        }
        ssrf::check_url(url, false).await.map(drop).map_err(|m| format!("refused: the URL {m}"))
    }

    /// Records one outcome; `endpoints` carries each endpoint's latest state through the
    /// batch, so an endpoint is disabled (and announced) once.
    async fn settle(
        &self,
        tx: &TenantTx,
        delivery: &deliveries::Model,
        endpoints: &mut std::collections::HashMap<Uuid, endpoints::Model>,
        outcome: Outcome,
    ) -> Result<(), DbErr> {
        let tenant = tx.tenant_id();
        let now = Utc::now();
        let attempts_made = delivery.attempts + 1;
        let (status, error, latency, excerpt) = match &outcome {
            Outcome::Answered { status, excerpt, latency } => {
                (Some(i32::from(*status)), None, *latency, Some(excerpt.clone()))
            }
            Outcome::Failed { error, latency } => (None, Some(error.clone()), *latency, None),
            Outcome::Skipped => (None, None, StdDuration::ZERO, None),
        };
        let mut am = delivery.clone().into_active_model();
        am.leased_until = Set(None);
        am.updated_at = Set(now);
        let endpoint = match (&outcome, endpoints.get(&delivery.endpoint_id)) {
            (Outcome::Skipped, _) | (_, None) => {
                am.state = Set("failed".into());
                am.update(tx.conn()).await?;
                return Ok(());
            }
            (_, Some(endpoint)) => endpoint.clone(),
        };
        attempt_row(tenant, delivery, now, status.map(|s| s as u16), error, latency, excerpt).insert(tx.conn()).await?;
        am.attempts = Set(attempts_made);
        am.last_status = Set(status);
        let success = status.is_some_and(|s| (200..300).contains(&s));
        let gone = status == Some(410);
        let mut disable: Option<String> = None;
        let mut endpoint_am = endpoint.clone().into_active_model();
        if success {
            am.state = Set("succeeded".into());
            if endpoint.failing_since.is_some() {
                endpoint_am.failing_since = Set(None);
            }
        } else {
            let failing_since = endpoint.failing_since.unwrap_or(now);
            endpoint_am.failing_since = Set(Some(failing_since));
            if gone {
                disable = Some("the endpoint answered 410 Gone".into());
            } else if now - failing_since > self.settings.disable_after {
                disable = Some(format!("failing since {failing_since}"));
            }
            match self.settings.schedule.get(attempts_made as usize) {
                Some(delay) if disable.is_none() => {
                    am.state = Set("pending".into());
                    am.next_attempt_at = Set(now + jitter(*delay));
                }
                _ => am.state = Set("failed".into()),
            }
        }
        am.update(tx.conn()).await?;
        if !endpoint.enabled {
            disable = None;
        }
        if let Some(reason) = &disable {
            endpoint_am.enabled = Set(false);
            endpoint_am.disabled_reason = Set(Some(reason.clone()));
            endpoint_am.version = Set(endpoint.version + 1);
            endpoint_am.updated_at = Set(now);
        }
        if endpoint_am.is_changed() {
            let updated = endpoint_am.update(tx.conn()).await?;
            endpoints.insert(updated.id, updated.clone());
            if disable.is_some() {
                audit::record(
                    tx,
                    &AuditActor::system(),
                    Change {
                        action: "webhook_endpoint.disabled",
                        entity_type: "webhook_endpoint",
                        entity_id: updated.id.to_string(),
                        before: None,
                        after: serde_json::to_value(WebhookEndpointView::from(&updated)).ok(),
                    },
                )
                .await?;
            }
        }
        Ok(())
    }
}

fn attempt_row(
    tenant: TenantId,
    delivery: &deliveries::Model,
    at: chrono::DateTime<Utc>,
    status: Option<u16>,
    error: Option<String>,
    latency: StdDuration,
    excerpt: Option<String>,
) -> attempts::ActiveModel {
    attempts::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(Uuid::now_v7()),
        delivery_id: Set(delivery.id),
        endpoint_id: Set(delivery.endpoint_id),
        attempted_at: Set(at),
        status_code: Set(status.map(i32::from)),
        error: Set(error),
        latency_ms: Set(latency.as_millis().min(i32::MAX as u128) as i32),
        response_excerpt: Set(excerpt),
    }
}

enum Outcome {
    Answered { status: u16, excerpt: String, latency: StdDuration },
    Failed { error: String, latency: StdDuration },
    Skipped,
}

fn subscribed(endpoint: &endpoints::Model, event_type: &str) -> bool {
    atrium_tenants::views::strings(&endpoint.event_types).iter().any(|t| t == "*" || t == event_type)
}

/// ±10 %, so retries of many failing deliveries do not arrive in lockstep.
fn jitter(delay: StdDuration) -> Duration {
    let factor = rand::rng().random_range(0.9..1.1);
    Duration::from_std(delay.mul_f64(factor)).unwrap_or(Duration::zero())
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    atrium_core::error::ErrorChain(err).to_string()
}
