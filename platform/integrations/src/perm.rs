//! The permissions of the integrations module, and which built-in roles hold them.

use atrium_core::context::Permission;
use atrium_core::plugin::{BuiltinRole::*, PermissionDef};

pub const API_KEYS_READ: Permission = Permission("integrations:api_keys_read");
pub const API_KEYS_WRITE: Permission = Permission("integrations:api_keys_write");
pub const WEBHOOKS_READ: Permission = Permission("integrations:webhooks_read");
pub const WEBHOOKS_WRITE: Permission = Permission("integrations:webhooks_write");

pub fn catalog() -> Vec<PermissionDef> {
    vec![
        PermissionDef::tenant(API_KEYS_READ.0, "List API keys", &[Owner, Admin]),
        PermissionDef::tenant(API_KEYS_WRITE.0, "Create, rotate and revoke API keys", &[Owner, Admin]),
        PermissionDef::tenant(WEBHOOKS_READ.0, "List webhook endpoints, deliveries and event types", &[Owner, Admin]),
        PermissionDef::tenant(WEBHOOKS_WRITE.0, "Manage webhook endpoints and retry deliveries", &[Owner, Admin]),
    ]
}
