//! atrium-households: families, companies and groups of people who book together, and
//! the rules of who may book for whom ([`rules::may_book_for`]).
//!
//! Layers: [`routes`] (extract, authorize, call, map) → [`households`] and [`members`]
//! (the operations and their rules; [`rules`] is the pure booking rule) → `repo` (the
//! only queries) → [`entities`]. Other plugins use [`service`] only.

pub mod entities;
pub mod error;
pub mod events;
pub mod households;
pub mod members;
pub mod migrations;
pub mod model;
mod repo;
pub mod routes;
pub mod rules;
pub mod service;

use atrium_core::context::Permission;
use atrium_core::events::EventTypeDef;
use atrium_core::plugin::{BuiltinRole::*, DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub const READ: Permission = Permission("households:read");
pub const WRITE: Permission = Permission("households:write");

/// What "own" means for both permissions (creating a household makes the caller its
/// primary member).
const OWN: &str = "households the caller is a member of; only primary members manage its members or change it";

pub struct HouseholdsPlugin;

impl DomainPlugin for HouseholdsPlugin {
    fn name(&self) -> &'static str {
        "households"
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        routes::configure(cfg);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef::tenant(READ.0, "Read households and their members", &[Owner, Admin, Manager, Staff])
                .with_own(OWN, &[Customer]),
            PermissionDef::tenant(WRITE.0, "Create and change households and their members", &[Owner, Admin, Manager])
                .with_own(OWN, &[Customer]),
        ]
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::HouseholdsEvent>()
    }
}
