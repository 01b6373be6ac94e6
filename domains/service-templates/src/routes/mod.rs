//! The plugin's routes: `/v1/service-templates` ([`service_templates`]: extract,
//! authorize, call [`crate::service`], map) and the public list ([`public`]).

pub mod public;
pub mod service_templates;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(service_templates::service_templates_list)
        .service(service_templates::service_templates_create)
        .service(service_templates::service_templates_get)
        .service(service_templates::service_templates_update)
        .service(service_templates::service_templates_delete)
        .service(service_templates::service_templates_quote)
        .service(public::public_service_templates_list);
}
