//! `/v1/bookables` and what hangs under it. Each handler asks for its permission's scope:
//! a provider holding `bookables:read@own` reaches their own provider bookable, a
//! location-scoped member the bookables of their locations (and creates or moves one
//! only there); anything else answers 404.

pub mod bookables;
pub mod calendar;
pub mod certifications;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(bookables::bookables_list)
        .service(bookables::bookables_create)
        .service(bookables::bookables_get)
        .service(bookables::bookables_update)
        .service(bookables::bookables_delete)
        .service(calendar::bookable_date_overrides_list)
        .service(calendar::bookable_date_overrides_create)
        .service(calendar::bookable_date_overrides_get)
        .service(calendar::bookable_date_overrides_delete)
        .service(calendar::blocked_times_list)
        .service(calendar::blocked_times_create)
        .service(calendar::blocked_times_get)
        .service(calendar::blocked_times_delete)
        .service(certifications::certifications_list)
        .service(certifications::certifications_create)
        .service(certifications::certifications_get)
        .service(certifications::certifications_update)
        .service(certifications::certifications_delete);
}
