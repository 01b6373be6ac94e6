//! atrium-bookables: everything that can be booked — providers, company providers, assets
//! and venues — as one polymorphic resource, each with its own calendar (weekly pattern,
//! date overrides, blocked times) and, for providers, certifications.
//!
//! Layers: [`routes`] (extract, authorize, call, map) → [`bookables`], [`calendar`] and
//! [`certifications`] (the operations and the rules that need the database; [`model`]
//! and [`views`] hold the rest) → `repo` (the only queries) → [`entities`]. Other plugins
//! reach bookables only through [`service`].

pub mod bookables;
pub mod calendar;
pub mod certifications;
pub mod entities;
pub mod error;
pub mod events;
pub mod migrations;
pub mod model;
mod repo;
pub mod routes;
mod schema;
pub mod service;
mod tags;
pub mod views;

use atrium_core::context::Permission;
use atrium_core::events::EventTypeDef;
use atrium_core::plugin::{BuiltinRole::*, DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub const READ: Permission = Permission("bookables:read");
pub const WRITE: Permission = Permission("bookables:write");

pub struct BookablesPlugin;

impl DomainPlugin for BookablesPlugin {
    fn name(&self) -> &'static str {
        "bookables"
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        routes::configure(cfg);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef::tenant(
                READ.0,
                "Read bookables, their calendars and certifications",
                &[Owner, Admin, Manager, Staff],
            )
            .with_own("the provider bookables whose user_id is the caller, with their calendars", &[Provider]),
            PermissionDef::tenant(
                WRITE.0,
                "Create and change bookables, their calendars and certifications",
                &[Owner, Admin, Manager],
            ),
        ]
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::BookablesEvent>()
    }
}
