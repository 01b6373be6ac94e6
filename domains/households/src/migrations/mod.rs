//! Tables of the households plugin.

use sea_orm_migration::MigrationTrait;

mod m20261122_001000_households_core;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261122_001000_households_core::Migration)]
}
