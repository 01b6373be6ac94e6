//! Tables of the packages plugin.

use sea_orm_migration::MigrationTrait;

mod m20261202_001100_packages_core;
mod m20261202_001110_packages_redemption;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261202_001100_packages_core::Migration), Box::new(m20261202_001110_packages_redemption::Migration)]
}
