//! Request bodies of the module's routes: what a client sends to create or change an API
//! key or a webhook endpoint. The domain modules parse them into checked values.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Zapier", "scopes": ["tenants:read", "tenants:locations_read"]}))]
pub struct ApiKeyCreate {
    #[schema(example = "Zapier")]
    pub name: String,
    /// Permissions from the catalog; at most those the creator holds.
    #[schema(example = json!(["tenants:read"]))]
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRotate {
    /// How long the old secret keeps working, 0 to 604800 s (default 86400).
    #[schema(example = 3600, maximum = 604800)]
    pub grace_period_seconds: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/atrium", "event_types": ["*"], "description": "CRM sync"}))]
pub struct WebhookEndpointCreate {
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Event types to deliver, or `["*"]` for all.
    pub event_types: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// Re-enabling clears `disabled_reason`.
    pub enabled: Option<bool>,
}
