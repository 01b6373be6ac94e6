//! Webhook endpoints of a tenant: where its events are delivered, signed with the
//! endpoint's `whsec_…` secret (sealed at rest). Registering checks the URL against the
//! SSRF guard and the subscription against the caller's read permissions; also retries,
//! test deliveries, and what a new delivery and a subscription are, for the worker too.

use std::time::Duration as StdDuration;

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Actor, PermissionSet, Principal};
use atrium_core::crypto::Keyring;
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::events::entity as event_entity;
use atrium_core::plugin::Catalog;
use chrono::{Duration, Utc};
use sea_orm::{IntoActiveModel, Set};
use uuid::Uuid;

use crate::entities::{webhook_deliveries, webhook_endpoints};
use crate::error::{IntegrationsError, Result};
use crate::events::IntegrationsEvent;
use crate::model::{WebhookEndpointCreate, WebhookEndpointPatch};
use crate::views::WebhookEndpointView;
use crate::{repo, signing, ssrf};

/// Delivery settings, shared by the handlers (SSRF policy, secret sealing) and the
/// worker (retries, timeouts, leases).
pub struct WebhookSettings {
    pub allow_private: bool,
    /// Seals signing secrets at rest (the deployment's encryption keys).
    pub keyring: Keyring,
    pub schedule: Vec<StdDuration>,
    pub timeout: StdDuration,
    pub disable_after: Duration,
    pub poll_interval: StdDuration,
    /// A claim lasts this long; a delivery claimed by a worker that died is retried then.
    pub lease: Duration,
    /// Endpoints one tenant may register.
    pub endpoints_per_tenant: u32,
    /// Requests in flight to one host at most (per worker instance); deliveries beyond it
    /// wait for a later poll.
    pub max_in_flight_per_host: usize,
}

/// Until then the secret before the last rotation signs too.
const ROTATION_OVERLAP_HOURS: i64 = 24;
/// The event type of test deliveries: not in the catalog, but subscribable.
const TEST_EVENT: &str = "webhook.test";

/// Whether `endpoint` subscribes to events of `event_type`.
pub fn subscribed(endpoint: &webhook_endpoints::Model, event_type: &str) -> bool {
    atrium_core::json::strings(&endpoint.event_types).iter().any(|t| t == "*" || t == event_type)
}

/// A delivery of `event` to `endpoint`, due now, not stored yet.
pub fn new_delivery(tenant: Uuid, endpoint: Uuid, event: Uuid) -> webhook_deliveries::Model {
    let now = Utc::now();
    webhook_deliveries::Model {
        tenant_id: tenant,
        id: Uuid::now_v7(),
        endpoint_id: endpoint,
        event_id: event,
        state: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        leased_until: None,
        last_status: None,
        created_at: now,
        updated_at: now,
    }
}

/// A subscription delivers what the events carry: the caller must be able to read it
/// (every event type's read permission, for `*`). Checked wherever a subscription is set
/// (registration and change); the worker checks the same rights again at fan-out, with
/// [`may_receive`], against what its subscriber holds then.
fn check_subscription(caller: &Principal, catalog: &Catalog, types: &[String]) -> Result<()> {
    let all = types.iter().any(|t| t == "*");
    let missing = catalog
        .event_types
        .iter()
        .filter(|e| all || types.iter().any(|t| t == e.name))
        .find(|e| !caller.permissions.contains(e.read_permission));
    match missing {
        Some(e) => Err(IntegrationsError::Forbidden(format!(
            "subscribing to `{}` needs the `{}` permission",
            e.name, e.read_permission
        ))),
        None => Ok(()),
    }
}

/// Whether a subscriber holding `permissions` may receive events of `event_type`: the
/// event type's read permission, for the whole tenant (as [`check_subscription`] asks).
/// Types outside the catalog (test deliveries) go to the endpoint they were sent to.
pub fn may_receive(catalog: &Catalog, permissions: &PermissionSet, event_type: &str) -> bool {
    catalog.event_types.iter().find(|e| e.name == event_type).is_none_or(|e| permissions.contains(e.read_permission))
}

/// Who vouches for a subscription the caller sets: the member, and the API key used.
fn subscriber(caller: &Principal) -> (Uuid, Option<Uuid>) {
    match &caller.actor {
        Actor::User(user) => (user.0, None),
        Actor::ApiKey { key_id, created_by } => (created_by.0, Some(*key_id)),
    }
}

/// Checks the fields given; returns the URL as the SSRF guard normalized it, if given.
async fn check_fields(
    settings: &WebhookSettings,
    catalog: &Catalog,
    url: Option<&str>,
    event_types: Option<&[String]>,
    description: Option<&str>,
) -> Result<Option<String>> {
    let mut errors = Vec::new();
    let mut checked = None;
    if let Some(url) = url {
        match ssrf::check_url(url, settings.allow_private).await {
            Ok(u) => checked = Some(u.to_string()),
            Err(m) => errors.push(FieldError::new("url", m)),
        }
    }
    if let Some(types) = event_types {
        if types.is_empty() {
            errors.push(FieldError::new("event_types", "must name at least one event type, or \"*\""));
        }
        for (i, t) in types.iter().enumerate() {
            if t != "*" && !catalog.event_types.iter().any(|e| e.name == t) && t != TEST_EVENT {
                errors.push(FieldError::new(format!("event_types[{i}]"), format!("`{t}` is not an event type")));
            }
        }
    }
    if description.is_some_and(|d| d.chars().count() > 500) {
        errors.push(FieldError::new("description", "must be at most 500 characters"));
    }
    if errors.is_empty() { Ok(checked) } else { Err(IntegrationsError::Invalid(errors)) }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// A new secret, and the same sealed for storage.
fn new_secret(settings: &WebhookSettings) -> Result<(String, String)> {
    let secret = signing::new_secret();
    let sealed = settings.keyring.seal(secret.as_bytes()).ok_or(IntegrationsError::Sealing)?;
    Ok((secret, sealed))
}

/// Audits `event` on endpoint `id`, with its views before and after.
async fn record(
    tx: &TenantTx,
    actor: &AuditActor,
    event: IntegrationsEvent,
    id: Uuid,
    before: Option<&webhook_endpoints::Model>,
    after: Option<&webhook_endpoints::Model>,
) -> Result<()> {
    let view = |e: &webhook_endpoints::Model| serde_json::to_value(WebhookEndpointView::from(e)).ok();
    let change = Change::new(event, "webhook_endpoint", id, before.and_then(view), after.and_then(view));
    audit::record(tx, actor, change).await?;
    Ok(())
}

/// An endpoint about to be registered: URL, subscription and description checked, and
/// its signing secret made.
pub struct NewEndpoint {
    input: WebhookEndpointCreate,
    url: String,
    secret: String,
    sealed: String,
    subscriber: (Uuid, Option<Uuid>),
}

impl NewEndpoint {
    pub async fn parse(
        settings: &WebhookSettings,
        catalog: &Catalog,
        caller: &Principal,
        input: WebhookEndpointCreate,
    ) -> Result<Self> {
        let url = check_fields(settings, catalog, Some(&input.url), Some(&input.event_types), Some(&input.description))
            .await?
            .unwrap_or_default();
        check_subscription(caller, catalog, &input.event_types)?;
        let (secret, sealed) = new_secret(settings)?;
        Ok(Self { input, url, secret, sealed, subscriber: subscriber(caller) })
    }
}

/// Registers the endpoint, within the tenant's cap; returns it with its signing secret
/// (shown now, and on rotation).
pub async fn create(
    tx: &TenantTx,
    settings: &WebhookSettings,
    actor: &AuditActor,
    new: NewEndpoint,
) -> Result<(webhook_endpoints::Model, String)> {
    let cap = settings.endpoints_per_tenant;
    if repo::webhooks::count_endpoints_for_insert(tx).await? >= u64::from(cap) {
        return Err(IntegrationsError::LimitReached(format!(
            "the tenant has {cap} webhook endpoints, the most it may have; delete one to register another"
        )));
    }
    let now = Utc::now();
    let endpoint = repo::webhooks::insert_endpoint(
        tx,
        webhook_endpoints::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            url: Set(new.url),
            description: Set(new.input.description),
            event_types: Set(serde_json::json!(sorted(new.input.event_types))),
            enabled: Set(new.input.enabled),
            secret: Set(new.sealed),
            previous_secret: Set(None),
            previous_valid_until: Set(None),
            disabled_reason: Set(None),
            failing_since: Set(None),
            version: Set(1),
            subscribed_by: Set(Some(new.subscriber.0)),
            subscribed_by_key: Set(new.subscriber.1),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await?;
    record(tx, actor, IntegrationsEvent::WebhookEndpointCreated, endpoint.id, None, Some(&endpoint)).await?;
    Ok((endpoint, new.secret))
}

/// A checked change of an endpoint: absent fields stay as they are.
pub struct EndpointChange {
    patch: WebhookEndpointPatch,
    url: Option<String>,
    /// Who sets the event types, when they change: the caller vouches for them from now.
    subscriber: (Uuid, Option<Uuid>),
}

impl EndpointChange {
    /// Checks the fields given, and a new subscription as registration does.
    pub async fn parse(
        settings: &WebhookSettings,
        catalog: &Catalog,
        caller: &Principal,
        patch: WebhookEndpointPatch,
    ) -> Result<Self> {
        let url = check_fields(
            settings,
            catalog,
            patch.url.as_deref(),
            patch.event_types.as_deref(),
            patch.description.as_deref(),
        )
        .await?;
        if let Some(types) = &patch.event_types {
            check_subscription(caller, catalog, types)?;
        }
        Ok(Self { patch, url, subscriber: subscriber(caller) })
    }
}

/// An endpoint of the tenant.
pub async fn find(tx: &TenantTx, id: Uuid) -> Result<webhook_endpoints::Model> {
    repo::webhooks::endpoint(tx, id).await?.ok_or(IntegrationsError::NotFound)
}

/// Applies `change` to `current` (already checked against `If-Match` by the caller).
/// Re-enabling an endpoint clears why it was disabled.
pub async fn update(
    tx: &TenantTx,
    actor: &AuditActor,
    current: webhook_endpoints::Model,
    change: EndpointChange,
) -> Result<webhook_endpoints::Model> {
    let before = current.clone();
    let version = current.version + 1;
    let mut am = current.into_active_model();
    if let Some(url) = change.url {
        am.url = Set(url);
    }
    if let Some(d) = change.patch.description {
        am.description = Set(d);
    }
    if let Some(t) = change.patch.event_types {
        am.event_types = Set(serde_json::json!(sorted(t)));
        am.subscribed_by = Set(Some(change.subscriber.0));
        am.subscribed_by_key = Set(change.subscriber.1);
    }
    if let Some(enabled) = change.patch.enabled {
        am.enabled = Set(enabled);
        if enabled {
            am.disabled_reason = Set(None);
            am.failing_since = Set(None);
        }
    }
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    let e = repo::webhooks::update_endpoint(tx, am).await?;
    record(tx, actor, IntegrationsEvent::WebhookEndpointUpdated, e.id, Some(&before), Some(&e)).await?;
    Ok(e)
}

/// Deletes endpoint `id` with its delivery log.
pub async fn delete(tx: &TenantTx, actor: &AuditActor, id: Uuid) -> Result<()> {
    let e = find(tx, id).await?;
    repo::webhooks::delete_endpoint(tx, e.id).await?;
    record(tx, actor, IntegrationsEvent::WebhookEndpointDeleted, e.id, Some(&e), None).await
}

/// Gives endpoint `id` a new signing secret; for a while deliveries carry signatures by
/// both. Returns the endpoint with its new secret.
pub async fn rotate_secret(
    tx: &TenantTx,
    settings: &WebhookSettings,
    actor: &AuditActor,
    id: Uuid,
) -> Result<(webhook_endpoints::Model, String)> {
    let (secret, sealed) = new_secret(settings)?;
    let e = find(tx, id).await?;
    let version = e.version + 1;
    let old = e.secret.clone();
    let mut am = e.into_active_model();
    am.previous_secret = Set(Some(old));
    am.previous_valid_until = Set(Some(Utc::now() + Duration::hours(ROTATION_OVERLAP_HOURS)));
    am.secret = Set(sealed);
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    let e = repo::webhooks::update_endpoint(tx, am).await?;
    record(tx, actor, IntegrationsEvent::WebhookEndpointSecretRotated, e.id, None, Some(&e)).await?;
    Ok((e, secret))
}

/// Delivers delivery `id` again now: a failed one gets a new round of attempts.
pub async fn retry(tx: &TenantTx, id: Uuid) -> Result<webhook_deliveries::Model> {
    let d = repo::webhooks::delivery(tx, id).await?.ok_or(IntegrationsError::NotFound)?;
    let mut am = d.into_active_model();
    am.state = Set("pending".into());
    am.attempts = Set(0);
    am.next_attempt_at = Set(Utc::now());
    am.leased_until = Set(None);
    am.updated_at = Set(Utc::now());
    Ok(repo::webhooks::update_delivery(tx, am).await?)
}

/// Queues a `webhook.test` event for endpoint `id` only (it must be enabled).
pub async fn send_test(tx: &TenantTx, id: Uuid) -> Result<webhook_deliveries::Model> {
    let e = find(tx, id).await?;
    if !e.enabled {
        return Err(IntegrationsError::Conflict("the endpoint is disabled"));
    }
    let now = Utc::now();
    let event_id = Uuid::now_v7();
    repo::webhooks::insert_event(
        tx,
        event_entity::Model {
            tenant_id: tx.tenant_id().0,
            id: event_id,
            event_type: TEST_EVENT.into(),
            data: serde_json::json!({"endpoint_id": e.id, "message": "This is a test delivery from Atrium."}),
            occurred_at: now,
            // Already dispatched: it goes to this endpoint only.
            dispatched_at: Some(now),
            leased_until: None,
        },
    )
    .await?;
    Ok(repo::webhooks::insert_delivery(tx, new_delivery(tx.tenant_id().0, e.id, event_id)).await?)
}
