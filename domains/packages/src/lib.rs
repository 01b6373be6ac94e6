//! atrium-packages: bundles of sessions sold ahead (Bizing §12) — "10 massages",
//! "5 yoga classes + 1 consultation" — and the credit ledger of each sale.
//!
//! Layers: [`routes`] (extract, authorize, call, map) → [`packages`] and [`purchases`]
//! (the operations and their rules) → `repo` (the only queries) → [`entities`].
//!
//! Credits live in an append-only ledger (`granted`, `redeemed`, `returned`, `forfeited`,
//! `expired`, `transferred_out`, `transferred_in`, `refunded`); a balance row per
//! (purchase, item), changed only by conditional updates in the same transaction as the
//! entry that explains the change and bounded by a CHECK (never below zero), is what
//! reads and redemptions use. `atrium packages verify` recomputes every balance from the
//! ledger.

pub mod commands;
pub mod entities;
pub mod error;
pub mod events;
pub mod migrations;
pub mod model;
pub mod packages;
pub mod purchases;
pub mod quote;
pub mod redemption;
mod repo;
pub mod routes;
pub mod sweeper;

pub use repo::PurchaseFilter;

use std::sync::Arc;

use atrium_core::booking_ext::BookingExtension;
use atrium_core::context::Permission;
use atrium_core::events::EventTypeDef;
use atrium_core::jobs::JobDef;
use atrium_core::plugin::{BuiltinRole::*, CommandDef, DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub const READ: Permission = Permission("packages:read");
pub const PURCHASES_READ: Permission = Permission("packages:purchases_read");
pub const WRITE: Permission = Permission("packages:write");
pub const SELL: Permission = Permission("packages:sell");
pub const REFUND: Permission = Permission("packages:refund");

pub struct PackagesPlugin;

impl DomainPlugin for PackagesPlugin {
    fn name(&self) -> &'static str {
        "packages"
    }

    fn depends_on(&self) -> &'static [&'static str] {
        &["households", "service-templates"]
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        routes::configure(cfg);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef::tenant(
                READ.0,
                "Read the package catalog (drafts only with packages:write or packages:sell)",
                &[Owner, Admin, Manager, Staff, Customer],
            ),
            PermissionDef::tenant(
                PURCHASES_READ.0,
                "Read package purchases and their credit ledgers",
                &[Owner, Admin, Manager, Staff],
            )
            .with_own("the purchases they made, with their ledgers", &[Customer]),
            PermissionDef::tenant(WRITE.0, "Create and change packages", &[Owner, Admin, Manager]),
            PermissionDef::tenant(
                SELL.0,
                "Sell packages, record their payment, extend and transfer purchases",
                &[Owner, Admin, Manager, Staff],
            ),
            PermissionDef::tenant(REFUND.0, "Refund package purchases", &[Owner, Admin, Manager]),
        ]
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::PackagesEvent>()
    }

    fn jobs(&self) -> Vec<JobDef> {
        vec![sweeper::job()]
    }

    fn commands(&self) -> Vec<CommandDef> {
        vec![commands::packages()]
    }

    fn booking_extension(&self) -> Option<Arc<dyn BookingExtension>> {
        Some(Arc::new(redemption::PackagesBookingExtension))
    }
}
