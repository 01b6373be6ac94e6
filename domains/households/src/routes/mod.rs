//! `/v1/households` and their members: extract, authorize, call [`crate::households`] or
//! [`crate::members`], map the result.

pub mod households;
pub mod members;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(households::households_list)
        .service(households::households_create)
        .service(households::households_get)
        .service(households::households_update)
        .service(households::households_delete)
        .service(members::household_members_list)
        .service(members::household_members_create)
        .service(members::household_members_get)
        .service(members::household_members_update)
        .service(members::household_members_delete);
}
