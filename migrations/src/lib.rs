//! atrium-migrations: every Atrium table, one migrator per plugin, and the runner.
//!
//! [`Migrator`] applies the platform's migrations followed by those of each plugin compiled
//! in (each behind the plugin's Cargo feature). Names follow
//! `m<YYYYMMDD>_<HHMMSS>_<plugin>_<what>` so the global order is the order of creation.

pub use sea_orm_migration::prelude::*;

#[cfg(feature = "bookables")]
mod bookables;
#[cfg(feature = "bookings")]
mod bookings;
#[cfg(feature = "households")]
mod households;
mod integrations;
mod platform;
#[cfg(feature = "service-templates")]
mod service_templates;
pub mod tenancy;
mod tenants;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = platform::migrations();
        all.extend(tenants::migrations());
        all.extend(integrations::migrations());
        // Each plugin's migrations, behind its feature.
        #[cfg(feature = "households")]
        all.extend(households::migrations());
        #[cfg(feature = "bookables")]
        all.extend(bookables::migrations());
        #[cfg(feature = "service-templates")]
        all.extend(service_templates::migrations());
        #[cfg(feature = "bookings")]
        all.extend(bookings::migrations());
        all.sort_by(|a, b| a.name().cmp(b.name()));
        all
    }
}
