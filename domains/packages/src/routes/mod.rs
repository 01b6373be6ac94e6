//! `/v1/packages` and `/v1/package-purchases`: extract, authorize, call
//! [`crate::packages`] or [`crate::purchases`], map the result.

pub mod packages;
pub mod purchases;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(packages::packages_list)
        .service(packages::packages_create)
        .service(packages::packages_get)
        .service(packages::packages_update)
        .service(purchases::purchases_list)
        .service(purchases::purchases_create)
        .service(purchases::purchases_get)
        .service(purchases::purchase_entries)
        .service(purchases::purchase_pay)
        .service(purchases::purchase_extend)
        .service(purchases::purchase_transfer)
        .service(purchases::purchase_refund_quote)
        .service(purchases::purchase_refund);
}
