//! Tables of the hair-health plugin.

use sea_orm_migration::MigrationTrait;

mod m20261202_001300_hair_health_core;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261202_001300_hair_health_core::Migration)]
}
