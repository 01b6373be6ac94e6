//! atrium-bookables: everything that can be booked — providers, company providers, assets
//! and venues — as one polymorphic resource, each with its own calendar (weekly pattern,
//! date overrides, blocked times) and, for providers, certifications.
//!
//! Other plugins reach bookables only through [`service`].

pub mod entities;
pub mod model;
mod repo;
pub mod routes;
mod schema;
pub mod service;

use atrium_core::context::Permission;
use atrium_core::plugin::{BuiltinRole::*, DomainPlugin, EventTypeDef, PermissionDef};
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
            PermissionDef {
                name: READ.0,
                description: "Read bookables, their calendars and certifications",
                granted_to: &[Owner, Admin, Manager, Staff],
            },
            PermissionDef {
                name: WRITE.0,
                description: "Create and change bookables, their calendars and certifications",
                granted_to: &[Owner, Admin, Manager],
            },
        ]
    }

    fn event_types(&self) -> Vec<EventTypeDef> {
        [
            ("bookable.created", "A bookable was created"),
            ("bookable.updated", "A bookable or its calendar changed"),
            ("bookable.status_changed", "A bookable moved to another status"),
            ("bookable.deleted", "A bookable was deleted (soft, with a reason)"),
            ("bookable.date_override_added", "A date override was added to a bookable's calendar"),
            ("bookable.date_override_removed", "A date override was removed from a bookable's calendar"),
            ("bookable.blocked_time_added", "Time was blocked on a bookable's calendar"),
            ("bookable.blocked_time_removed", "A blocked time was removed from a bookable's calendar"),
            ("bookable.certification_added", "A certification was added to a provider"),
            ("bookable.certification_updated", "A provider's certification changed"),
            ("bookable.certification_removed", "A certification was removed from a provider"),
        ]
        .into_iter()
        .map(|(name, description)| EventTypeDef::change(name, description, READ.0))
        .collect()
    }
}
