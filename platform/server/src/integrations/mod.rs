//! The always-on integrations module: API keys for third parties (and, later in this
//! module, signed webhooks).

pub mod api_keys;

use atrium_core::context::Permission;
use atrium_core::plugin::{BuiltinRole::*, DomainPlugin, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub const API_KEYS_READ: Permission = Permission("integrations:api_keys_read");
pub const API_KEYS_WRITE: Permission = Permission("integrations:api_keys_write");

pub struct IntegrationsPlugin;

impl DomainPlugin for IntegrationsPlugin {
    fn name(&self) -> &'static str {
        "integrations"
    }

    fn always_on(&self) -> bool {
        true
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        cfg.service(api_keys::api_keys_list)
            .service(api_keys::api_keys_create)
            .service(api_keys::api_keys_get)
            .service(api_keys::api_keys_revoke)
            .service(api_keys::api_keys_rotate);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef { name: API_KEYS_READ.0, description: "List API keys", granted_to: &[Owner, Admin] },
            PermissionDef {
                name: API_KEYS_WRITE.0,
                description: "Create, rotate and revoke API keys",
                granted_to: &[Owner, Admin],
            },
        ]
    }
}
