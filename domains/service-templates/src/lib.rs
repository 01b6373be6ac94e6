//! atrium-service-templates: the blueprint of a service (Bizing §5) — duration, the
//! bookables it needs, capacity, pricing, cancellation, deposit, included products,
//! reservation settings — and the one pure function that quotes its price.
//!
//! Layers: [`routes`] (extract, authorize, call, map; one public list) → [`service`] (the operations and
//! the rules that need the database; [`rules`] holds the rest) → [`repo`] (the only
//! queries) → [`entities`]. [`views`] holds what the API shows beyond the model.
//! [`quote`] is pure: the bookings plugin prices and refunds with it.

pub mod entities;
pub mod error;
pub mod events;
pub mod examples;
pub mod migrations;
pub mod model;
pub mod quote;
pub mod repo;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use atrium_core::context::Permission;
use atrium_core::events::EventTypeDef;
use atrium_core::plugin::{BuiltinRole::*, DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub const READ: Permission = Permission("service-templates:read");
pub const WRITE: Permission = Permission("service-templates:write");

/// The plugin's name, as tenants switch it on.
pub const NAME: &str = "service-templates";

pub struct ServiceTemplatesPlugin;

impl DomainPlugin for ServiceTemplatesPlugin {
    fn name(&self) -> &'static str {
        NAME
    }

    fn depends_on(&self) -> &'static [&'static str] {
        &["bookables"]
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        routes::configure(cfg);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef::tenant(
                READ.0,
                "Read service templates and quote their prices",
                &[Owner, Admin, Manager, Staff],
            ),
            PermissionDef::tenant(WRITE.0, "Create and change service templates", &[Owner, Admin, Manager]),
        ]
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::ServiceTemplatesEvent>()
    }
}
