//! atrium-bookings: the heart of Atrium — availability search, holds (reservations),
//! bookings with their status machine and history, the waitlist and recurring rules —
//! with one guarantee: no bookable ever carries more than its capacity at any instant.

pub mod availability;
pub mod engine;
pub mod entities;
pub mod recurrence;
pub mod routes;
pub mod status;
pub mod sweeper;
pub mod waitlist;

use atrium_core::context::Permission;
use atrium_core::plugin::{BuiltinRole::*, DomainPlugin, EventTypeDef, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub const READ: Permission = Permission("bookings:read");
pub const WRITE: Permission = Permission("bookings:write");

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

    fn start(&self, db: &sea_orm::DatabaseConnection) {
        sweeper::spawn(db.clone());
        waitlist::spawn_sweeper(db.clone());
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef {
                name: READ.0,
                description: "Search availability and read bookings, holds, the waitlist and recurring rules",
                granted_to: &[Owner, Admin, Manager, Staff],
            },
            PermissionDef {
                name: WRITE.0,
                description: "Hold slots, book, and move bookings through their lifecycle",
                granted_to: &[Owner, Admin, Manager, Staff],
            },
        ]
    }

    fn event_types(&self) -> Vec<EventTypeDef> {
        [
            ("booking.created", "A booking was made"),
            ("booking.approved", "A household's primary member approved a booking"),
            ("booking.confirmed", "A booking was confirmed"),
            ("booking.checked_in", "A booking was checked in"),
            ("booking.completed", "A booking was completed"),
            ("booking.cancelled", "A booking was cancelled, with its refund"),
            ("booking.no_show", "A booking was marked a no-show"),
            ("reservation.created", "A slot was held"),
            ("reservation.extended", "A hold was extended"),
            ("reservation.released", "A hold was released by its holder"),
            ("reservation.converted", "A hold became a booking"),
            ("reservation.expired", "A hold expired and its slot is free again"),
            ("waitlist.joined", "Someone joined the waitlist of a service for a date"),
            ("waitlist.offered", "A freed slot was offered (and held) for a waitlist entry"),
            ("waitlist.offer_expired", "A waitlist offer lapsed unanswered; the slot passes to the next entry"),
            ("waitlist.accepted", "A waitlist offer was accepted and booked"),
            ("waitlist.cancelled", "A waitlist entry was cancelled, or its offer declined"),
            ("recurring_rule.created", "A recurring rule was created and its occurrences booked"),
            ("recurring_rule.cancelled", "A recurring rule was cancelled"),
        ]
        .into_iter()
        .map(|(name, description)| EventTypeDef::change(name, description, READ.0))
        .collect()
    }
}
