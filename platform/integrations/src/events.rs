//! The events this plugin emits, declared once: the webhook catalog is derived from this
//! enum, and every audited change names one of its variants.

use atrium_core::context::Permission;
use atrium_core::events::EventKind;
use sea_orm::EnumIter;

use crate::perm::{API_KEYS_READ, WEBHOOKS_READ};

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter)]
pub enum IntegrationsEvent {
    /// `api_key.created`: An API key was created.
    ApiKeyCreated,
    /// `api_key.revoked`: An API key was revoked.
    ApiKeyRevoked,
    /// `api_key.rotated`: An API key got a new secret.
    ApiKeyRotated,
    /// `webhook_endpoint.created`: A webhook endpoint was registered.
    WebhookEndpointCreated,
    /// `webhook_endpoint.updated`: A webhook endpoint changed.
    WebhookEndpointUpdated,
    /// `webhook_endpoint.deleted`: A webhook endpoint was deleted.
    WebhookEndpointDeleted,
    /// `webhook_endpoint.secret_rotated`: A webhook endpoint got a new signing secret.
    WebhookEndpointSecretRotated,
    /// `webhook_endpoint.disabled`: The platform disabled a failing endpoint (410 Gone, or failing for days).
    WebhookEndpointDisabled,
}

impl EventKind for IntegrationsEvent {
    fn name(self) -> &'static str {
        match self {
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyRevoked => "api_key.revoked",
            Self::ApiKeyRotated => "api_key.rotated",
            Self::WebhookEndpointCreated => "webhook_endpoint.created",
            Self::WebhookEndpointUpdated => "webhook_endpoint.updated",
            Self::WebhookEndpointDeleted => "webhook_endpoint.deleted",
            Self::WebhookEndpointSecretRotated => "webhook_endpoint.secret_rotated",
            Self::WebhookEndpointDisabled => "webhook_endpoint.disabled",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::ApiKeyCreated => "An API key was created",
            Self::ApiKeyRevoked => "An API key was revoked",
            Self::ApiKeyRotated => "An API key got a new secret",
            Self::WebhookEndpointCreated => "A webhook endpoint was registered",
            Self::WebhookEndpointUpdated => "A webhook endpoint changed",
            Self::WebhookEndpointDeleted => "A webhook endpoint was deleted",
            Self::WebhookEndpointSecretRotated => "A webhook endpoint got a new signing secret",
            Self::WebhookEndpointDisabled => "The platform disabled a failing endpoint (410 Gone, or failing for days)",
        }
    }

    fn read_permission(self) -> Permission {
        match self {
            Self::ApiKeyCreated | Self::ApiKeyRevoked | Self::ApiKeyRotated => API_KEYS_READ,
            Self::WebhookEndpointCreated
            | Self::WebhookEndpointUpdated
            | Self::WebhookEndpointDeleted
            | Self::WebhookEndpointSecretRotated
            | Self::WebhookEndpointDisabled => WEBHOOKS_READ,
        }
    }
}
