//! atrium-migrations: the shared helpers every plugin's schema is written with
//! ([`tenancy`]: tenant-owned tables, composite keys, row-level security, indexes), the
//! kernel's own tables, and the [`Migrator`] built from the kernel's migrations and those
//! each compiled plugin declares.
//!
//! Names follow `m<YYYYMMDD>_<HHMMSS>_<plugin>_<what>`, so the global order (by name) is the
//! order of creation whichever crate a migration lives in.

use sea_orm_migration::MigratorTraitSelf;
pub use sea_orm_migration::prelude::*;

mod platform;
pub mod tenancy;

/// The migrator of one binary: the kernel's migrations and the plugins', in name order.
pub struct Migrator {
    names: Vec<String>,
    plugins: std::sync::Arc<dyn Fn() -> Vec<Box<dyn MigrationTrait>> + Send + Sync>,
}

impl Migrator {
    /// The kernel's migrations plus what `plugins` returns (called each time the list is
    /// needed: sea-orm consumes the boxes it is given).
    pub fn new(plugins: impl Fn() -> Vec<Box<dyn MigrationTrait>> + Send + Sync + 'static) -> Self {
        let mut this = Self { names: Vec::new(), plugins: std::sync::Arc::new(plugins) };
        this.names = this.migrations().iter().map(|m| m.name().to_owned()).collect();
        this
    }

    /// Every migration's name, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

#[async_trait::async_trait]
impl MigratorTraitSelf for Migrator {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        let mut all = platform::migrations();
        all.extend((self.plugins)());
        all.sort_by(|a, b| a.name().cmp(b.name()));
        all
    }
}
