//! Tables of the bookables plugin.

use sea_orm_migration::MigrationTrait;

mod m20261122_002000_bookables_core;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261122_002000_bookables_core::Migration)]
}
