//! atrium-products: a catalog of products sold beside services (Bizing §6), and an
//! inventory ledger per (product, location) that never oversells.
//!
//! Layers: [`routes`] (extract, authorize, call, map) → [`products`] and [`inventory`]
//! (the operations and their rules) → `repo` (the only queries) → [`entities`].
//!
//! Stock is one balance row per (tenant, product, location), bounded by database CHECK
//! constraints and changed only by conditional updates (`… WHERE on_hand - reserved >= q`)
//! in the same transaction as the movement that explains the change: the loser of a race
//! finds 0 rows updated and answers 409 `insufficient_stock`; nothing locks the ledger.

pub mod booking_stock;
pub mod entities;
pub mod error;
pub mod events;
pub mod inventory;
pub mod migrations;
pub mod model;
pub mod products;
mod repo;
pub mod routes;
pub mod sweeper;
pub mod views;

use atrium_core::context::Permission;
use atrium_core::events::EventTypeDef;
use atrium_core::jobs::JobDef;
use atrium_core::plugin::{BuiltinRole::*, DomainPlugin, Migrations, PermissionDef};
use std::sync::Arc;

use atrium_core::booking_ext::BookingExtension;
use utoipa::openapi::{ComponentsBuilder, OpenApi, OpenApiBuilder};
use utoipa_actix_web::service_config::ServiceConfig;

pub const READ: Permission = Permission("products:read");
pub const WRITE: Permission = Permission("products:write");
pub const INVENTORY: Permission = Permission("products:inventory");

pub struct ProductsPlugin;

impl DomainPlugin for ProductsPlugin {
    fn name(&self) -> &'static str {
        "products"
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        routes::configure(cfg);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef::tenant(
                READ.0,
                "Read the product catalog, stock levels and the inventory ledger",
                &[Owner, Admin, Manager, Staff],
            ),
            PermissionDef::tenant(WRITE.0, "Create, change and delete products", &[Owner, Admin, Manager]),
            PermissionDef::tenant(
                INVENTORY.0,
                "Receive, adjust, reserve and release stock (a location-scoped membership: at its locations)",
                &[Owner, Admin, Manager, Staff],
            ),
        ]
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::ProductsEvent>()
    }

    fn jobs(&self) -> Vec<JobDef> {
        vec![sweeper::job()]
    }

    fn booking_extension(&self) -> Option<Arc<dyn BookingExtension>> {
        Some(Arc::new(booking_stock::ProductsBookingExtension))
    }

    fn openapi(&self) -> OpenApi {
        let (name, schema) = booking_stock::line_schema();
        OpenApiBuilder::new().components(Some(ComponentsBuilder::new().schema(name, schema).build())).build()
    }
}
