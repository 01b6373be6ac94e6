//! Tables of the products plugin.

use sea_orm_migration::MigrationTrait;

mod m20261202_000600_products_core;
mod m20261202_001000_products_booking_links;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261202_000600_products_core::Migration),
        Box::new(m20261202_001000_products_booking_links::Migration),
    ]
}
