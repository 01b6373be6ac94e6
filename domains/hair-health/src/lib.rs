//! atrium-hair-health: hair profiles, rituals with ordered steps, a care calendar, explainable
//! insights, and consent that binds (Vlossom §12).
//!
//! Layers: [`routes`] (extract, authorize, call, map) → [`profiles`], [`consents`],
//! [`rituals`], [`calendar`], [`insights`] (the operations and their rules) → `repo` (the only
//! queries) → [`entities`].
//!
//! Consent is never cached: every read of another person's profile reads the live consent in
//! the same transaction as the profile itself ([`consents::live_scope`]), so a revocation or
//! an expiry takes effect on the very next request on every instance.

pub mod booking_sync;
pub mod calendar;
pub mod consents;
pub mod entities;
pub mod error;
pub mod events;
pub mod input;
pub mod insights;
pub mod migrations;
pub mod model;
pub mod profiles;
mod repo;
pub mod rituals;
pub mod routes;
pub mod rrule;

use atrium_core::context::Permission;
use atrium_core::events::EventTypeDef;
use atrium_core::plugin::{BuiltinRole::*, DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub const PROFILES_READ: Permission = Permission("hair-health:profiles_read");
pub const PROFILES_WRITE: Permission = Permission("hair-health:profiles_write");
pub const CONSENTS: Permission = Permission("hair-health:consents");
pub const RITUALS_READ: Permission = Permission("hair-health:rituals_read");
pub const RITUALS_WRITE: Permission = Permission("hair-health:rituals_write");
pub const CALENDAR_READ: Permission = Permission("hair-health:calendar_read");
pub const CALENDAR_WRITE: Permission = Permission("hair-health:calendar_write");
pub const INSIGHTS_READ: Permission = Permission("hair-health:insights_read");
pub const INSIGHTS_WRITE: Permission = Permission("hair-health:insights_write");

pub struct HairHealthPlugin;

impl DomainPlugin for HairHealthPlugin {
    fn name(&self) -> &'static str {
        "hair-health"
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        routes::configure(cfg);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef::tenant(
                PROFILES_READ.0,
                "Read every hair profile of the tenant (personal data: held explicitly, by the owner and admins)",
                &[Owner, Admin],
            )
            .with_own(
                "The caller's own profile, its history, export and access log; for a stylist, the profiles of \
                 customers whose live consent names them, with only the fields in that consent's scope",
                &[Customer, Provider],
            ),
            PermissionDef::tenant(PROFILES_WRITE.0, "Change any hair profile of the tenant", &[Owner, Admin])
                .with_own("Create, change, and erase the caller's own profile", &[Customer, Provider]),
            PermissionDef::tenant(
                CONSENTS.0,
                "Read every consent of the tenant (no built-in role holds it tenant-wide)",
                &[],
            )
            .with_own(
                "Grant, change and revoke the caller's consents to stylists, and read consents given to or by them",
                &[Owner, Admin, Manager, Staff, Provider, Customer],
            ),
            PermissionDef::tenant(
                RITUALS_READ.0,
                "Read every ritual of the tenant: its templates and everyone's own",
                &[Owner, Admin, Manager, Staff],
            )
            .with_own(
                "The tenant's templates, the caller's own rituals and those a stylist shared",
                &[Customer, Provider],
            ),
            PermissionDef::tenant(
                RITUALS_WRITE.0,
                "Create and change the tenant's ritual templates and any ritual",
                &[Owner, Admin, Manager, Staff],
            )
            .with_own(
                "The caller's own rituals, and (for a stylist) rituals shared with a consenting client",
                &[Customer, Provider],
            ),
            PermissionDef::tenant(CALENDAR_READ.0, "Read every care calendar of the tenant", &[Owner, Admin])
                .with_own("The caller's own care calendar", &[Customer, Provider]),
            PermissionDef::tenant(CALENDAR_WRITE.0, "Change any care calendar of the tenant", &[Owner, Admin])
                .with_own("The caller's own care calendar", &[Customer, Provider]),
            PermissionDef::tenant(INSIGHTS_READ.0, "Read every insight of the tenant", &[Owner, Admin])
                .with_own("The caller's own insights and their explanation", &[Customer, Provider]),
            PermissionDef::tenant(INSIGHTS_WRITE.0, "Generate and dismiss any insight of the tenant", &[Owner, Admin])
                .with_own("Generate and dismiss the caller's own insights", &[Customer, Provider]),
        ]
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::HairEvent>()
    }
}
