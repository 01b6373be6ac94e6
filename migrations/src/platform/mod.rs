//! The kernel's own tables.

use sea_orm_migration::MigrationTrait;

mod m20261122_000001_platform_signing_keys;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261122_000001_platform_signing_keys::Migration)]
}
