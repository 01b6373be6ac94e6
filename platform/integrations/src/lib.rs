//! atrium-integrations: the always-on integrations module, shaped like a plugin — API keys
//! for third parties, signed webhooks (the outbox's delivery worker), idempotency keys and
//! per-credential rate limits.
//!
//! Layers: `routes/` (HTTP) and `delivery` (the worker) both call the domain modules
//! `api_keys` and `webhooks`, which use `repo/` (every query) and `entities/`; neither
//! the routes nor the worker uses the other.

pub mod api_keys;
pub mod delivery;
pub mod entities;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod migrations;
pub mod model;
pub mod perm;
pub mod ratelimit;
pub mod repo;
pub mod retention;
pub mod routes;
pub mod signing;
pub mod ssrf;
pub mod views;
pub mod webhooks;

use atrium_core::events::EventTypeDef;
use atrium_core::plugin::{DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub struct IntegrationsPlugin;

impl DomainPlugin for IntegrationsPlugin {
    fn name(&self) -> &'static str {
        "integrations"
    }

    fn always_on(&self) -> bool {
        true
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        use routes::{api_keys, webhooks};
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
        perm::catalog()
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::IntegrationsEvent>()
    }

    fn jobs(&self) -> Vec<atrium_core::jobs::JobDef> {
        vec![retention::job()]
    }
}
