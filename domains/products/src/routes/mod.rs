//! `/v1/products` and their inventory: extract, authorize, call [`crate::products`] or
//! [`crate::inventory`], map the result.

pub mod inventory;
pub mod products;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(products::products_list)
        .service(products::products_create)
        .service(products::products_get)
        .service(products::products_update)
        .service(products::products_delete)
        .service(inventory::inventory_get)
        .service(inventory::movements_list)
        .service(inventory::inventory_receive)
        .service(inventory::inventory_adjust)
        .service(inventory::inventory_reserve)
        .service(inventory::inventory_release);
}
