//! The permissions of the tenants module, and which built-in roles hold them.

use atrium_core::context::Permission;
use atrium_core::plugin::{BuiltinRole::*, PermissionDef};

pub const TENANT_READ: Permission = Permission("tenants:read");
pub const TENANT_WRITE: Permission = Permission("tenants:write");
pub const MEMBERS_READ: Permission = Permission("tenants:members_read");
pub const MEMBERS_WRITE: Permission = Permission("tenants:members_write");
pub const ROLES_READ: Permission = Permission("tenants:roles_read");
pub const ROLES_WRITE: Permission = Permission("tenants:roles_write");
pub const LOCATIONS_READ: Permission = Permission("tenants:locations_read");
pub const LOCATIONS_WRITE: Permission = Permission("tenants:locations_write");
pub const AUDIT_READ: Permission = Permission("tenants:audit_read");
/// Owners only (see [`atrium_core::context::OWNERS_WRITE`]).
pub const OWNERS_WRITE: Permission = atrium_core::context::OWNERS_WRITE;

pub fn catalog() -> Vec<PermissionDef> {
    let def = |p: Permission, description, granted_to| PermissionDef::tenant(p.0, description, granted_to);
    vec![
        def(TENANT_READ, "Read the tenant's settings", &[Owner, Admin, Manager, Staff, Provider, Customer]),
        def(TENANT_WRITE, "Change the tenant's settings, branding and plugins", &[Owner, Admin]),
        def(MEMBERS_READ, "List members and invitations", &[Owner, Admin, Manager]),
        def(MEMBERS_WRITE, "Invite, change and remove members", &[Owner, Admin]),
        def(ROLES_READ, "List roles and the permission catalog", &[Owner, Admin, Manager]),
        def(ROLES_WRITE, "Create, change and delete custom roles", &[Owner, Admin]),
        def(LOCATIONS_READ, "Read locations", &[Owner, Admin, Manager, Staff, Provider, Customer]),
        def(LOCATIONS_WRITE, "Create, change and delete locations", &[Owner, Admin, Manager]),
        def(AUDIT_READ, "Read the audit log", &[Owner, Admin]),
        def(OWNERS_WRITE, "Grant, revoke and remove the owner role; rotate API keys other members created", &[Owner]),
    ]
}
