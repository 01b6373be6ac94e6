//! Tables of the bookings plugin.

use sea_orm_migration::MigrationTrait;

mod m20261122_004000_bookings_core;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261122_004000_bookings_core::Migration)]
}
