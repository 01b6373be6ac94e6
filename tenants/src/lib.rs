//! atrium-tenants: the always-on tenants module — self-serve onboarding, sign-in and
//! tokens, the tenant's settings and white-label branding, members and invitations,
//! custom roles, locations, the audit log, and declarative tenant manifests.

pub mod commands;
pub mod directory;
pub mod entities;
pub mod error;
pub mod events;
pub mod manifest;
pub mod migrations;
pub mod model;
pub mod perm;
pub mod repo;
pub mod routes;
pub mod service;
pub mod throttle;
pub mod views;

use std::sync::Arc;

use actix_web::web;
use atrium_core::context::{Directory, PolicySource};
use atrium_core::events::EventTypeDef;
use atrium_core::plugin::{CommandDef, DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::routes::{audit, auth, locations, members, roles, tenant};
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
            .service(auth::signup_create)
            .service(auth::auth_token_create)
            .service(auth::auth_refresh_create)
            .service(auth::auth_logout_create)
            .service(auth::me_get)
            .service(tenant::tenant_get)
            .service(tenant::tenant_update)
            .service(tenant::plugins_list)
            .service(tenant::public_branding_get)
            .service(tenant::public_branding_by_host_get)
            .service(roles::permissions_list)
            .service(roles::roles_list)
            .service(roles::roles_create)
            .service(roles::roles_get)
            .service(roles::roles_update)
            .service(roles::roles_delete)
            .service(members::members_list)
            .service(members::members_create)
            .service(members::members_get)
            .service(members::members_update)
            .service(members::members_delete)
            .service(members::invitations_accept)
            .service(locations::locations_list)
            .service(locations::locations_create)
            .service(locations::locations_get)
            .service(locations::locations_update)
            .service(locations::locations_delete)
            .service(audit::audit_log_list);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        perm::catalog()
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
