//! atrium-bookings: the heart of Atrium — availability search, holds (reservations),
//! bookings with their status machine and history, the waitlist and recurring rules —
//! with one guarantee: no bookable ever carries more than its capacity at any instant.

pub mod availability;
pub mod booking;
pub mod engine;
pub mod entities;
pub mod error;
pub mod events;
pub mod holds;
pub mod migrations;
pub mod model;
pub mod notify;
pub mod ownership;
pub mod participants;
pub mod recurrence;
pub mod repo;
pub mod routes;
pub mod series;
pub mod slots;
pub mod status;
pub mod sweeper;
pub mod transitions;
pub mod waitlist;
pub mod waitlist_entries;

use atrium_core::context::Permission;
use atrium_core::events::EventTypeDef;
use atrium_core::jobs::JobDef;
use atrium_core::plugin::{BuiltinRole::*, DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub const READ: Permission = Permission("bookings:read");
pub const WRITE: Permission = Permission("bookings:write");

/// What own scope reaches (see [`ownership`]).
const OWN_READ: &str = "Bookings the caller made or takes part in, those of their household's members when \
    they are its primary member or may view the others' bookings, those assigned to a provider bookable \
    that is theirs; their own holds, waitlist entries and recurring rules. Availability is searched as \
    by the whole tenant: it shows no one's records.";
const OWN_WRITE: &str = "Holding and booking for themselves and their household's members (under the \
    household's rules), cancelling their bookings when the service's terms allow it, approving their \
    household's bookings as its primary member; their own holds, waitlist entries and recurring rules.";

pub struct BookingsPlugin;

impl DomainPlugin for BookingsPlugin {
    fn name(&self) -> &'static str {
        "bookings"
    }

    fn depends_on(&self) -> &'static [&'static str] {
        &["bookables", "households", "service-templates"]
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        routes::configure(cfg);
    }

    fn jobs(&self) -> Vec<JobDef> {
        vec![sweeper::job(), waitlist::job(), notify::job()]
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef::tenant(
                READ.0,
                "Search availability and read bookings, holds, the waitlist and recurring rules",
                &[Owner, Admin, Manager, Staff],
            )
            .with_own(OWN_READ, &[Customer, Provider]),
            PermissionDef::tenant(
                WRITE.0,
                "Hold slots, book, and move bookings through their lifecycle",
                &[Owner, Admin, Manager, Staff],
            )
            .with_own(OWN_WRITE, &[Customer]),
        ]
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::BookingsEvent>()
    }
}
