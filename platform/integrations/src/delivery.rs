//! The delivery worker, in every server instance: claims new events (a lease), sends each
//! to every subscribed, enabled endpoint of its tenant, and only then records the
//! deliveries — in their final state — and marks the events dispatched; then delivers
//! what else is due (retries, and deliveries a dead worker left behind) —
//! signed per Standard Webhooks, 15 s timeout, no redirects followed, 2xx is success —
//! and records every attempt. At most a configured number of requests are in flight to
//! one host; a delivery that finds its host busy is not attempted and waits for a later
//! poll. Failures are retried on the configured schedule with
//! ±10 % jitter; a 410 disables the endpoint at once, and so do failures lasting longer
//! than the configured limit. Events and deliveries are claimed with a lease (on
//! PostgreSQL through `FOR UPDATE SKIP LOCKED`), so instances share the queue and a killed
//! instance's claims lapse and are sent again: at least once, never lost.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{MemberPermissions, PermissionSet};
use atrium_core::db::TenantTx;
use atrium_core::events::{self, entity as event_entity};
use atrium_core::ids::{TenantId, UserId};
use atrium_core::plugin::Catalog;
use chrono::{Duration, Utc};
use rand::Rng;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, IntoActiveModel, Set};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::entities::{webhook_attempts as attempts, webhook_deliveries as deliveries, webhook_endpoints as endpoints};
use crate::events::IntegrationsEvent;
use crate::repo::{self, outbox};
use crate::views::WebhookEndpointView;
use crate::webhooks::{may_receive, new_delivery, subscribed};
use crate::{api_keys, signing, ssrf};

/// The settings live with the webhook domain (the handlers use them too); named here as
/// well because the server builds them for the worker.
pub use crate::webhooks::WebhookSettings;

const BATCH: u64 = 128;
/// New events claimed per round.
const EVENTS_PER_ROUND: u64 = 32;
/// Requests in flight per batch. A batch of new events may take several waves of these;
/// its lease is renewed meanwhile. Claimed deliveries come in one wave ([`BATCH`]), well
/// within their lease.
const IN_FLIGHT: usize = 128;
const LOOPS: usize = 4;
const EXCERPT_BYTES: usize = 512;

/// Deliveries of one tenant leased to this worker, with what sending them needs.
struct Batch {
    tenant: TenantId,
    deliveries: Vec<deliveries::Model>,
    endpoints: HashMap<Uuid, endpoints::Model>,
    events: HashMap<Uuid, event_entity::Model>,
    /// Fanned out from newly claimed events: the deliveries are not stored yet, and the
    /// events are marked dispatched when they are.
    fresh: bool,
}

/// Requests in flight per host, shared by the worker's loops: at most `limit` each, so
/// one change fanned out to many endpoints on one host does not become a flood of
/// simultaneous requests to it. A delivery that finds its host busy waits for a later poll.
struct HostSlots {
    limit: usize,
    busy: std::sync::Mutex<HashMap<String, usize>>,
}

/// One request's place among its host's; given back when dropped.
struct HostSlot<'a> {
    slots: &'a HostSlots,
    host: String,
}

impl HostSlots {
    fn new(limit: usize) -> Self {
        Self { limit: limit.max(1), busy: Default::default() }
    }

    /// A place for a request to `url`'s host, if it has one free.
    fn take(&self, url: &str) -> Option<HostSlot<'_>> {
        let host = reqwest::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
        let mut busy = self.busy.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = busy.entry(host.clone()).or_default();
        if *n >= self.limit {
            return None;
        }
        *n += 1;
        Some(HostSlot { slots: self, host })
    }
}

impl Drop for HostSlot<'_> {
    fn drop(&mut self) {
        let mut busy = self.slots.busy.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = busy.get_mut(&self.host) {
            *n -= 1;
            if *n == 0 {
                busy.remove(&self.host);
            }
        }
    }
}

pub struct Worker {
    hosts: HostSlots,
    db: DatabaseConnection,
    settings: Arc<WebhookSettings>,
    client: reqwest::Client,
    /// Each event type's read permission, checked at fan-out.
    catalog: Arc<Catalog>,
    /// Subscribers' current rights.
    members: Arc<dyn MemberPermissions>,
}

impl Worker {
    pub fn new(
        db: DatabaseConnection,
        settings: Arc<WebhookSettings>,
        catalog: Arc<Catalog>,
        members: Arc<dyn MemberPermissions>,
    ) -> Result<Self, reqwest::Error> {
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .user_agent(concat!("Atrium-Webhooks/", env!("CARGO_PKG_VERSION")))
            .no_proxy();
        if !settings.allow_private {
            client = client.dns_resolver(Arc::new(ssrf::GuardedResolver));
        }
        Ok(Self {
            hosts: HostSlots::new(settings.max_in_flight_per_host),
            db,
            settings,
            client: client.build()?,
            catalog,
            members,
        })
    }

    /// Runs until `shutdown`: a few loops side by side, so one batch's database work
    /// overlaps another's HTTP requests (claims are leases, so loops never share a
    /// delivery). A round in progress finishes; what it could not record is sent again
    /// once its lease lapses (at least once, never lost).
    pub fn spawn(self, shutdown: CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
        let worker = Arc::new(self);
        (0..LOOPS)
            .map(|_| {
                let (worker, shutdown) = (worker.clone(), shutdown.clone());
                tokio::spawn(async move {
                    while !shutdown.is_cancelled() {
                        let busy = match worker.tick().await {
                            Ok(busy) => busy,
                            Err(err) if !shutdown.is_cancelled() => {
                                tracing::warn!(error = %err, "webhook worker");
                                false
                            }
                            Err(_) => false,
                        };
                        if !busy {
                            tokio::select! {
                                () = shutdown.cancelled() => {}
                                () = tokio::time::sleep(worker.settings.poll_interval) => {}
                            }
                        }
                    }
                })
            })
            .collect()
    }

    /// One round: claim new events and due deliveries, and deliver both. `true` when
    /// there was work. A failure with one tenant's batch leaves the others going (its
    /// lease lapses and it is tried again).
    pub async fn tick(&self) -> Result<bool, DbErr> {
        let mut batches = Vec::new();
        let fresh = by_tenant(outbox::claim_events(&self.db, EVENTS_PER_ROUND, self.settings.lease).await?);
        let due = by_tenant(outbox::claim_deliveries(&self.db, BATCH, self.settings.lease).await?);
        let worked = !fresh.is_empty() || !due.is_empty();
        for (tenant, ids) in fresh {
            match self.fan_out(tenant, ids).await {
                Ok(batch) => batches.push(batch),
                Err(err) => tracing::warn!(error = %err, "webhook fan-out"),
            }
        }
        for (tenant, ids) in due {
            match self.load(tenant, ids).await {
                Ok(batch) => batches.push(batch),
                Err(err) => tracing::warn!(error = %err, "webhook delivery: loading a batch"),
            }
        }
        for result in futures_util::future::join_all(batches.into_iter().map(|b| self.deliver(b))).await {
            if let Err(err) = result {
                tracing::warn!(error = %err, "webhook delivery");
            }
        }
        Ok(worked)
    }

    /// A tenant's claimed events as deliveries to its subscribed, enabled endpoints, in
    /// memory until they have been sent.
    async fn fan_out(&self, tenant: TenantId, ids: Vec<Uuid>) -> Result<Batch, DbErr> {
        let tx = TenantTx::begin(&self.db, tenant, false).await?;
        let events = outbox::events(&tx, ids).await?;
        let targets = outbox::enabled_endpoints(&tx).await?;
        let rights = self.subscriber_rights(&tx, &targets).await?;
        tx.commit().await?;
        let mut deliveries = Vec::new();
        for event in &events {
            // Endpoints receive what happens after they were registered, and only what
            // their subscriber may read now.
            let targets = targets.iter().filter(|e| e.created_at <= event.occurred_at).filter(|e| {
                rights
                    .get(&e.id)
                    .is_none_or(|held| held.as_ref().is_some_and(|p| may_receive(&self.catalog, p, &event.event_type)))
            });
            deliveries.extend(
                targets.filter(|e| subscribed(e, &event.event_type)).map(|e| new_delivery(tenant.0, e.id, event.id)),
            );
        }
        Ok(Batch {
            tenant,
            deliveries,
            endpoints: targets.into_iter().map(|e| (e.id, e)).collect(),
            events: events.into_iter().map(|e| (e.id, e)).collect(),
            fresh: true,
        })
    }

    /// What each endpoint's subscriber may read now: the member's current permissions,
    /// through the API key they used (which must still be live), if any. `None` for a
    /// subscriber who may read nothing (no longer a member, a revoked key) and for an
    /// endpoint nobody vouches for (older endpoints got theirs from the audit trail).
    async fn subscriber_rights(
        &self,
        tx: &TenantTx,
        targets: &[endpoints::Model],
    ) -> Result<HashMap<Uuid, Option<PermissionSet>>, DbErr> {
        let tenant = tx.tenant_id();
        let mut members: HashMap<Uuid, Option<Arc<PermissionSet>>> = HashMap::new();
        let mut rights = HashMap::new();
        for endpoint in targets {
            let Some(user) = endpoint.subscribed_by else {
                tracing::warn!(endpoint = %endpoint.id, "webhook endpoint without a subscriber receives nothing");
                rights.insert(endpoint.id, None);
                continue;
            };
            let member = match members.get(&user) {
                Some(held) => held.clone(),
                None => {
                    let held = self
                        .members
                        .member_permissions(tenant, UserId(user))
                        .await
                        .map_err(|e| DbErr::Custom(format!("the subscriber's permissions: {e}")))?;
                    members.insert(user, held.clone());
                    held
                }
            };
            let held = match (member, endpoint.subscribed_by_key) {
                (None, _) => None,
                (Some(member), None) => Some(member.as_ref().clone()),
                (Some(member), Some(key)) => repo::api_keys::find(tx, key)
                    .await?
                    .filter(|k| k.created_by == user && api_keys::is_live(k, Utc::now()))
                    .map(|k| api_keys::permissions(&k, &member)),
            };
            rights.insert(endpoint.id, held);
        }
        Ok(rights)
    }

    /// Runs `work` while renewing the lease on `events` every half lease, so that a batch
    /// held up by slow endpoints keeps its events and no other worker sends them again.
    async fn keeping_lease<T>(&self, tenant: TenantId, events: Vec<Uuid>, work: impl Future<Output = T>) -> T {
        let every = (self.settings.lease / 2).to_std().unwrap_or(StdDuration::from_secs(1));
        let mut work = std::pin::pin!(work);
        loop {
            tokio::select! {
                done = &mut work => return done,
                () = tokio::time::sleep(every) => {
                    if let Err(err) = self.renew(tenant, &events).await {
                        tracing::warn!(error = %err, "webhook worker: renewing a lease");
                    }
                }
            }
        }
    }

    async fn renew(&self, tenant: TenantId, events: &[Uuid]) -> Result<(), DbErr> {
        let tx = TenantTx::begin(&self.db, tenant, true).await?;
        outbox::renew_event_leases(&tx, events, Utc::now() + self.settings.lease).await?;
        tx.commit().await
    }

    /// Loads a tenant's claimed deliveries, their endpoints and events in one read
    /// transaction.
    async fn load(&self, tenant: TenantId, ids: Vec<Uuid>) -> Result<Batch, DbErr> {
        let tx = TenantTx::begin(&self.db, tenant, false).await?;
        let claimed = outbox::deliveries(&tx, ids).await?;
        let endpoint_ids: Vec<Uuid> = claimed.iter().map(|d| d.endpoint_id).collect();
        let event_ids: Vec<Uuid> = claimed.iter().map(|d| d.event_id).collect();
        let endpoints = outbox::endpoints(&tx, endpoint_ids).await?.into_iter().map(|e| (e.id, e)).collect();
        let events = outbox::events(&tx, event_ids).await?.into_iter().map(|e| (e.id, e)).collect();
        tx.commit().await?;
        Ok(Batch { tenant, deliveries: claimed, endpoints, events, fresh: false })
    }

    /// Sends a batch concurrently, then records every outcome in one write transaction.
    async fn deliver(&self, batch: Batch) -> Result<(), DbErr> {
        use futures_util::StreamExt;
        let Batch { tenant, deliveries: claimed, endpoints, events, fresh } = &batch;
        let tenant = *tenant;
        // Each event's body is serialized once, each endpoint's secrets opened once.
        let bodies: HashMap<Uuid, Message> = events.values().map(|e| (e.id, Message::of(e))).collect();
        let mut secrets: HashMap<Uuid, Option<Vec<String>>> = HashMap::new();
        for e in endpoints.values() {
            secrets.insert(e.id, self.secrets(tenant, e).await);
        }
        let sends: Vec<_> = claimed
            .iter()
            .map(|d| {
                let target = endpoints.get(&d.endpoint_id).zip(secrets.get(&d.endpoint_id));
                let message = bodies.get(&d.event_id);
                async move {
                    match (target, message) {
                        (Some((e, None)), Some(_)) if e.enabled && d.state == "pending" => Outcome::Failed {
                            error: "not sent: the endpoint's signing secret cannot be opened with the configured \
                                    encryption keys (ATRIUM_ENCRYPTION_KEYS)"
                                .into(),
                            latency: StdDuration::ZERO,
                        },
                        (Some((e, Some(secrets))), Some(m)) if e.enabled && d.state == "pending" => {
                            match self.hosts.take(&e.url) {
                                Some(_slot) => self.send(&e.url, secrets, m).await,
                                None => Outcome::Deferred,
                            }
                        }
                        _ => Outcome::Skipped,
                    }
                }
            })
            .collect();
        let sending = futures_util::stream::iter(sends).buffered(IN_FLIGHT).collect::<Vec<Outcome>>();
        let outcomes = if *fresh {
            self.keeping_lease(tenant, events.keys().copied().collect(), sending).await
        } else {
            sending.await
        };
        self.record(batch, outcomes).await
    }

    /// Records a sent batch's `outcomes` (one per delivery, in order) in one write
    /// transaction.
    async fn record(&self, batch: Batch, outcomes: Vec<Outcome>) -> Result<(), DbErr> {
        let Batch { tenant, deliveries: claimed, mut endpoints, events, fresh } = batch;
        let tx = TenantTx::begin(&self.db, tenant, true).await?;
        // The common case in a few statements: every success's attempt in one insert, and
        // its delivery either stored as succeeded (new events) or updated in one statement
        // per status code; failures are settled one by one.
        let now = Utc::now();
        let mut succeeded: std::collections::BTreeMap<u16, Vec<Uuid>> = Default::default();
        let mut stored = Vec::new();
        let mut attempts_rows = Vec::new();
        let mut others = Vec::new();
        // Deliveries whose host was busy: not attempted, due again at the next poll.
        let later = now + Duration::from_std(self.settings.poll_interval).unwrap_or(Duration::zero());
        let mut deferred = Vec::new();
        for (delivery, outcome) in claimed.iter().zip(outcomes) {
            let healthy = endpoints.get(&delivery.endpoint_id).is_some_and(|e| e.failing_since.is_none());
            match outcome {
                Outcome::Deferred if fresh => {
                    stored.push(deliveries::Model { next_attempt_at: later, ..delivery.clone() });
                }
                Outcome::Deferred => deferred.push(delivery.id),
                Outcome::Answered { status, excerpt, latency } if (200..300).contains(&status) && healthy => {
                    attempts_rows.push(attempt_row(tenant, delivery, now, Some(status), None, latency, Some(excerpt)));
                    if fresh {
                        stored.push(deliveries::Model {
                            state: "succeeded".into(),
                            attempts: 1,
                            last_status: Some(i32::from(status)),
                            updated_at: now,
                            ..delivery.clone()
                        });
                    } else {
                        succeeded.entry(status).or_default().push(delivery.id);
                    }
                }
                other => {
                    if fresh {
                        stored.push(delivery.clone());
                    }
                    others.push((delivery, other));
                }
            }
        }
        outbox::insert_deliveries(&tx, &stored).await?;
        outbox::insert_attempts(&tx, &attempts_rows).await?;
        for (status, ids) in succeeded {
            outbox::mark_succeeded(&tx, ids, i32::from(status), now).await?;
        }
        outbox::defer(&tx, deferred, later, now).await?;
        if fresh {
            outbox::mark_dispatched(&tx, events.keys().copied(), now).await?;
        }
        for (delivery, outcome) in others {
            self.settle(&tx, delivery, &mut endpoints, outcome).await?;
        }
        tx.commit().await
    }

    /// The secrets that sign for `endpoint` now: its current one, and the previous one
    /// during a rotation's grace period. `None` when the current one cannot be opened (no
    /// configured key sealed it): the endpoint then gets no request at all, never an
    /// unsigned one. Secrets opened with an earlier key are re-sealed with the current
    /// one (recorded before sending, unless the endpoint changed meanwhile).
    async fn secrets(&self, tenant: TenantId, endpoint: &endpoints::Model) -> Option<Vec<String>> {
        let keyring = &self.settings.keyring;
        let current = keyring.open(&endpoint.secret)?;
        let mut secrets = vec![String::from_utf8_lossy(&current.plain).into_owned()];
        let previous = endpoint.previous_secret.as_deref().and_then(|s| keyring.open(s));
        let mut stale = !current.current;
        if let Some(p) = &previous {
            stale |= !p.current;
            if endpoint.previous_valid_until.is_some_and(|until| until > Utc::now()) {
                secrets.push(String::from_utf8_lossy(&p.plain).into_owned());
            }
        }
        if stale && let Err(err) = self.reseal(tenant, endpoint, &current.plain, previous.map(|p| p.plain)).await {
            tracing::warn!(error = %err, endpoint = %endpoint.id, "webhook worker: re-sealing a secret");
        }
        Some(secrets)
    }

    /// Stores `endpoint`'s secrets sealed with the current key, if they are still those it
    /// read (a rotation meanwhile wins).
    async fn reseal(
        &self,
        tenant: TenantId,
        endpoint: &endpoints::Model,
        current: &[u8],
        previous: Option<Vec<u8>>,
    ) -> Result<(), DbErr> {
        let keyring = &self.settings.keyring;
        let sealing = || DbErr::Custom("cannot seal with the current encryption key".into());
        let secret = keyring.seal(current).ok_or_else(sealing)?;
        let previous_secret = match (previous, &endpoint.previous_secret) {
            (Some(plain), _) => Some(keyring.seal(&plain).ok_or_else(sealing)?),
            // One that no key opens stays as it is.
            (None, kept) => kept.clone(),
        };
        let tx = TenantTx::begin(&self.db, tenant, true).await?;
        outbox::reseal(&tx, endpoint, secret, previous_secret).await?;
        tx.commit().await
    }

    async fn send(&self, url: &str, secrets: &[String], message: &Message) -> Outcome {
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let timestamp = Utc::now().timestamp();
        let signature = signing::signature_header(&refs, &message.id, timestamp, &message.body);

        let started = Instant::now();
        let sent = match self.check_target(url).await {
            Ok(()) => self
                .client
                .post(url)
                .header("content-type", "application/json")
                .header("webhook-id", &message.id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(message.body.clone())
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
        endpoints: &mut HashMap<Uuid, endpoints::Model>,
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
            Outcome::Skipped | Outcome::Deferred => (None, None, StdDuration::ZERO, None),
        };
        let mut am = delivery.clone().into_active_model();
        am.leased_until = Set(None);
        am.updated_at = Set(now);
        let endpoint = match (&outcome, endpoints.get(&delivery.endpoint_id)) {
            (Outcome::Skipped | Outcome::Deferred, _) | (_, None) => {
                am.state = Set("failed".into());
                repo::webhooks::update_delivery(tx, am).await?;
                return Ok(());
            }
            (_, Some(endpoint)) => endpoint.clone(),
        };
        outbox::insert_attempt(
            tx,
            attempt_row(tenant, delivery, now, status.map(|s| s as u16), error, latency, excerpt),
        )
        .await?;
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
        repo::webhooks::update_delivery(tx, am).await?;
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
            let updated = repo::webhooks::update_endpoint(tx, endpoint_am).await?;
            endpoints.insert(updated.id, updated.clone());
            if disable.is_some() {
                audit::record(
                    tx,
                    &AuditActor::system(),
                    Change::new(
                        IntegrationsEvent::WebhookEndpointDisabled,
                        "webhook_endpoint",
                        updated.id.to_string(),
                        None,
                        serde_json::to_value(WebhookEndpointView::from(&updated)).ok(),
                    ),
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

/// An event as every endpoint receives it: its public id and JSON body.
struct Message {
    id: String,
    body: actix_web::web::Bytes,
}

impl Message {
    fn of(event: &event_entity::Model) -> Self {
        let id = events::public_id(event.id);
        let body = serde_json::to_vec(&serde_json::json!({
            "id": id,
            "type": event.event_type,
            "created_at": event.occurred_at,
            "tenant_id": event.tenant_id,
            "data": event.data,
        }))
        .unwrap_or_default();
        Self { id, body: body.into() }
    }
}

enum Outcome {
    Answered {
        status: u16,
        excerpt: String,
        latency: StdDuration,
    },
    Failed {
        error: String,
        latency: StdDuration,
    },
    Skipped,
    /// Not sent: the host had as many requests in flight as it may.
    Deferred,
}

/// `(tenant_id, id)` rows, grouped by tenant.
fn by_tenant(rows: Vec<(Uuid, Uuid)>) -> HashMap<TenantId, Vec<Uuid>> {
    let mut grouped: HashMap<TenantId, Vec<Uuid>> = HashMap::new();
    for (tenant, id) in rows {
        grouped.entry(TenantId(tenant)).or_default().push(id);
    }
    grouped
}

/// ±10 %, so retries of many failing deliveries do not arrive in lockstep.
fn jitter(delay: StdDuration) -> Duration {
    let factor = rand::rng().random_range(0.9..1.1);
    Duration::from_std(delay.mul_f64(factor)).unwrap_or(Duration::zero())
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    atrium_core::error::ErrorChain(err).to_string()
}
