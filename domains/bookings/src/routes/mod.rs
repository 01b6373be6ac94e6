//! The bookings plugin's routes.

pub mod availability;
pub mod bookings;
pub mod recurring;
pub mod reservations;
pub mod waitlist;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(availability::availability_search)
        .service(availability::public_availability_search)
        .service(reservations::reservations_list)
        .service(reservations::reservations_create)
        .service(reservations::reservations_get)
        .service(reservations::reservations_extend)
        .service(reservations::reservations_release)
        .service(bookings::bookings_list)
        .service(bookings::bookings_create)
        .service(bookings::bookings_get)
        .service(bookings::bookings_history)
        .service(bookings::bookings_cancellation_quote)
        .service(bookings::bookings_approve)
        .service(bookings::bookings_confirm)
        .service(bookings::bookings_check_in)
        .service(bookings::bookings_complete)
        .service(bookings::bookings_cancel)
        .service(bookings::bookings_no_show)
        .service(waitlist::waitlist_list)
        .service(waitlist::waitlist_create)
        .service(waitlist::waitlist_get)
        .service(waitlist::waitlist_delete)
        .service(waitlist::waitlist_accept)
        .service(waitlist::waitlist_decline)
        .service(recurring::recurring_rules_list)
        .service(recurring::recurring_rules_create)
        .service(recurring::recurring_rules_get)
        .service(recurring::recurring_rules_delete);
}
