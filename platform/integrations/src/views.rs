//! Response types. Handlers return these, never table models; the audit log records
//! them too.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::{api_keys, webhook_attempts, webhook_deliveries, webhook_endpoints};

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    #[schema(example = "Zapier")]
    pub name: String,
    /// The key's public beginning, to recognise it.
    pub prefix: String,
    #[schema(example = json!(["tenants:read"]))]
    pub scopes: Vec<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Until then the secret before the last rotation still works.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
}

impl From<&api_keys::Model> for ApiKeyView {
    fn from(k: &api_keys::Model) -> Self {
        Self {
            id: k.id,
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            scopes: atrium_core::json::strings(&k.scopes),
            created_by: k.created_by,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            previous_secret_valid_until: k.previous_valid_until,
        }
    }
}

/// A key with its secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeySecret {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// Send as `Authorization: Bearer <secret>`. Store it now: it is not shown again.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointView {
    pub id: Uuid,
    #[schema(example = "https://hooks.example.com/atrium")]
    pub url: String,
    pub description: String,
    /// Event types delivered here; `["*"]` for all.
    #[schema(example = json!(["member.added", "tenant.updated"]))]
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why the platform disabled it (`410 Gone`, failing for days).
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&webhook_endpoints::Model> for WebhookEndpointView {
    fn from(e: &webhook_endpoints::Model) -> Self {
        Self {
            id: e.id,
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: atrium_core::json::strings(&e.event_types),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            failing_since: e.failing_since,
            previous_secret_valid_until: e.previous_valid_until,
            version: e.version,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// An endpoint with its signing secret (shown at creation and on rotation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpointView,
    /// `whsec_…`: verify deliveries with it (Standard Webhooks).
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status; `null` when no answer came (refused, timed out).
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub latency_ms: i32,
    /// The start of the receiver's answer.
    pub response_excerpt: Option<String>,
}

impl From<webhook_attempts::Model> for AttemptView {
    fn from(a: webhook_attempts::Model) -> Self {
        Self {
            id: a.id,
            delivery_id: a.delivery_id,
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            error: a.error,
            latency_ms: a.latency_ms,
            response_excerpt: a.response_excerpt,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    /// `evt_…`
    pub event_id: String,
    /// `pending`, `succeeded` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
}

impl From<&webhook_deliveries::Model> for DeliveryView {
    fn from(d: &webhook_deliveries::Model) -> Self {
        Self {
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_id: atrium_core::events::public_id(d.event_id),
            state: d.state.clone(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventTypeView {
    #[schema(example = "member.added")]
    pub name: &'static str,
    pub description: &'static str,
    /// JSON schema of the event's `data`.
    #[schema(value_type = Object)]
    pub data_schema: serde_json::Value,
}
