//! The events this plugin emits, declared once: the webhook catalog is derived from this
//! enum, and every audited change names one of its variants.

use atrium_core::context::Permission;
use atrium_core::events::EventKind;
use sea_orm::EnumIter;

use crate::perm::LOCATIONS_READ;
use crate::perm::MEMBERS_READ;
use crate::perm::ROLES_READ;
use crate::perm::TENANT_READ;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter)]
pub enum TenantsEvent {
    /// `tenant.created`: A tenant signed up or was provisioned.
    TenantCreated,
    /// `tenant.updated`: The tenant's settings, branding, plugins or domains changed.
    TenantUpdated,
    /// `member.added`: Someone joined the tenant.
    MemberAdded,
    /// `member.updated`: A member's roles or location scope changed.
    MemberUpdated,
    /// `member.removed`: A member was removed.
    MemberRemoved,
    /// `invitation.created`: Someone was invited.
    InvitationCreated,
    /// `role.created`: A custom role was created.
    RoleCreated,
    /// `role.updated`: A custom role's permissions changed.
    RoleUpdated,
    /// `role.deleted`: A custom role was deleted.
    RoleDeleted,
    /// `location.created`: A location was created.
    LocationCreated,
    /// `location.updated`: A location changed.
    LocationUpdated,
    /// `location.deleted`: A location was deleted.
    LocationDeleted,
    /// `customer.registered`: Someone registered as a customer.
    CustomerRegistered,
    /// `customer.left`: A customer left the tenant.
    CustomerLeft,
    /// `user.password_changed`: A member changed their password; their other sessions ended.
    PasswordChanged,
    /// `custom_domain.verified`: A custom domain's TXT record was found; the host now shows the tenant.
    CustomDomainVerified,
}

impl EventKind for TenantsEvent {
    fn name(self) -> &'static str {
        match self {
            Self::TenantCreated => "tenant.created",
            Self::TenantUpdated => "tenant.updated",
            Self::MemberAdded => "member.added",
            Self::MemberUpdated => "member.updated",
            Self::MemberRemoved => "member.removed",
            Self::InvitationCreated => "invitation.created",
            Self::RoleCreated => "role.created",
            Self::RoleUpdated => "role.updated",
            Self::RoleDeleted => "role.deleted",
            Self::LocationCreated => "location.created",
            Self::LocationUpdated => "location.updated",
            Self::LocationDeleted => "location.deleted",
            Self::CustomerRegistered => "customer.registered",
            Self::CustomerLeft => "customer.left",
            Self::PasswordChanged => "user.password_changed",
            Self::CustomDomainVerified => "custom_domain.verified",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::TenantCreated => "A tenant signed up or was provisioned",
            Self::TenantUpdated => "The tenant's settings, branding, plugins or domains changed",
            Self::MemberAdded => "Someone joined the tenant",
            Self::MemberUpdated => "A member's roles or location scope changed",
            Self::MemberRemoved => "A member was removed",
            Self::InvitationCreated => "Someone was invited",
            Self::RoleCreated => "A custom role was created",
            Self::RoleUpdated => "A custom role's permissions changed",
            Self::RoleDeleted => "A custom role was deleted",
            Self::LocationCreated => "A location was created",
            Self::LocationUpdated => "A location changed",
            Self::LocationDeleted => "A location was deleted",
            Self::CustomerRegistered => "Someone registered as a customer",
            Self::CustomerLeft => "A customer left the tenant",
            Self::PasswordChanged => "A member changed their password; their other sessions ended",
            Self::CustomDomainVerified => "A custom domain's TXT record was found; the host now shows the tenant",
        }
    }

    fn read_permission(self) -> Permission {
        match self {
            Self::TenantCreated | Self::TenantUpdated | Self::CustomDomainVerified => TENANT_READ,
            Self::MemberAdded
            | Self::MemberUpdated
            | Self::MemberRemoved
            | Self::InvitationCreated
            | Self::CustomerRegistered
            | Self::CustomerLeft
            | Self::PasswordChanged => MEMBERS_READ,
            Self::RoleCreated | Self::RoleUpdated | Self::RoleDeleted => ROLES_READ,
            Self::LocationCreated | Self::LocationUpdated | Self::LocationDeleted => LOCATIONS_READ,
        }
    }
}
