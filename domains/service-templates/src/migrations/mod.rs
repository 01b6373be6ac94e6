//! Tables of the service-templates plugin.

use sea_orm_migration::MigrationTrait;

mod m20261122_003000_service_templates_core;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261122_003000_service_templates_core::Migration)]
}
