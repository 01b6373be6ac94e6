//! atrium-integrations: the always-on integrations module, shaped like a plugin — API keys
//! for third parties, signed webhooks (the outbox's delivery worker), idempotency keys and
//! per-credential rate limits.

pub mod api_keys;
pub mod delivery;
pub mod events;
pub mod idempotency;
pub mod migrations;
pub mod ratelimit;
pub mod signing;
pub mod ssrf;
pub mod webhooks;

use atrium_core::context::Permission;
use atrium_core::events::EventTypeDef;
use atrium_core::plugin::{BuiltinRole::*, DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub const API_KEYS_READ: Permission = Permission("integrations:api_keys_read");
pub const API_KEYS_WRITE: Permission = Permission("integrations:api_keys_write");
pub const WEBHOOKS_READ: Permission = Permission("integrations:webhooks_read");
pub const WEBHOOKS_WRITE: Permission = Permission("integrations:webhooks_write");

pub struct IntegrationsPlugin;

impl DomainPlugin for IntegrationsPlugin {
    fn name(&self) -> &'static str {
        "integrations"
    }

    fn always_on(&self) -> bool {
        true
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        cfg.service(api_keys::api_keys_list)
            .service(api_keys::api_keys_create)
            .service(api_keys::api_keys_get)
            .service(api_keys::api_keys_revoke)
            .service(api_keys::api_keys_rotate)
            .service(webhooks::event_types_list)
            .service(webhooks::webhook_endpoints_list)
            .service(webhooks::webhook_endpoints_create)
            .service(webhooks::webhook_endpoints_get)
            .service(webhooks::webhook_endpoints_update)
            .service(webhooks::webhook_endpoints_delete)
            .service(webhooks::webhook_endpoints_rotate_secret)
            .service(webhooks::webhook_endpoints_deliveries)
            .service(webhooks::webhook_endpoints_test)
            .service(webhooks::webhook_deliveries_list)
            .service(webhooks::webhook_deliveries_retry);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef::tenant(API_KEYS_READ.0, "List API keys", &[Owner, Admin]),
            PermissionDef::tenant(API_KEYS_WRITE.0, "Create, rotate and revoke API keys", &[Owner, Admin]),
            PermissionDef::tenant(
                WEBHOOKS_READ.0,
                "List webhook endpoints, deliveries and event types",
                &[Owner, Admin],
            ),
            PermissionDef::tenant(WEBHOOKS_WRITE.0, "Manage webhook endpoints and retry deliveries", &[Owner, Admin]),
        ]
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::IntegrationsEvent>()
    }
}
