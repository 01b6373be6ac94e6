//! atrium-tenants: the always-on tenants module — self-serve onboarding, sign-in and
//! tokens, the tenant's settings and white-label branding, members and invitations,
//! custom roles, locations, the audit log, and declarative tenant manifests.

pub mod account_tokens;
pub mod commands;
pub mod credentials;
pub mod customers;
pub mod directory;
pub mod dns;
pub mod domain_verification;
pub mod entities;
pub mod error;
pub mod events;
pub mod locations;
pub mod manifest;
pub mod members;
pub mod migrations;
pub mod model;
pub mod perm;
pub mod plugins;
pub mod repo;
pub mod retention;
pub mod roles;
pub mod routes;
pub mod service;
pub mod tenant;
pub mod throttle;
pub mod views;

use std::sync::Arc;

use actix_web::web;
use atrium_core::context::{Directory, PolicySource};
use atrium_core::events::EventTypeDef;
use atrium_core::jobs::JobDef;
use atrium_core::plugin::{CommandDef, DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::throttle::SignInThrottle;

#[derive(Default)]
pub struct TenantsPlugin {
    throttle: Arc<SignInThrottle>,
}

impl DomainPlugin for TenantsPlugin {
    fn name(&self) -> &'static str {
        "tenants"
    }

    fn always_on(&self) -> bool {
        true
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        cfg.app_data(web::Data::from(self.throttle.clone()))
            .service(routes::auth::signup_create)
            .service(routes::auth::auth_token_create)
            .service(routes::auth::auth_refresh_create)
            .service(routes::auth::auth_logout_create)
            .service(routes::auth::password_reset_create)
            .service(routes::auth::password_reset_confirm)
            .service(routes::me::me_get)
            .service(routes::me::me_update)
            .service(routes::me::me_memberships_list)
            .service(routes::me::me_memberships_delete)
            .service(routes::customers::customers_register)
            .service(routes::customers::customers_verify_email)
            .service(routes::tenant::tenant_get)
            .service(routes::tenant::tenant_update)
            .service(routes::tenant::plugins_list)
            .service(routes::tenant::custom_domains_list)
            .service(routes::tenant::custom_domain_create)
            .service(routes::tenant::custom_domain_delete)
            .service(routes::tenant::custom_domain_verify)
            .service(routes::tenant::public_branding_get)
            .service(routes::tenant::public_branding_by_host_get)
            .service(routes::roles::permissions_list)
            .service(routes::roles::roles_list)
            .service(routes::roles::roles_create)
            .service(routes::roles::roles_get)
            .service(routes::roles::roles_update)
            .service(routes::roles::roles_delete)
            .service(routes::members::members_list)
            .service(routes::members::members_create)
            .service(routes::members::members_get)
            .service(routes::members::members_update)
            .service(routes::members::members_delete)
            .service(routes::members::invitations_accept)
            .service(routes::locations::locations_list)
            .service(routes::locations::locations_create)
            .service(routes::locations::locations_get)
            .service(routes::locations::locations_update)
            .service(routes::locations::locations_delete)
            .service(routes::audit::audit_log_list);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        perm::catalog()
    }

    fn jobs(&self) -> Vec<JobDef> {
        vec![retention::job()]
    }

    fn commands(&self) -> Vec<CommandDef> {
        vec![commands::tenant()]
    }

    fn directory(&self) -> Option<Arc<dyn Directory>> {
        Some(Arc::new(directory::TenantsDirectory))
    }

    fn policy_source(&self) -> Option<Arc<dyn PolicySource>> {
        Some(Arc::new(directory::TenantsDirectory))
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::TenantsEvent>()
    }
}
