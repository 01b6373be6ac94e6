//! The kernel's own tables.

use sea_orm_migration::MigrationTrait;

mod m20261122_000001_platform_signing_keys;
mod m20261202_000100_platform_job_schedules;
mod m20261202_000300_platform_encryption_keys;
mod m20261202_001010_platform_mail_outbox;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261122_000001_platform_signing_keys::Migration),
        Box::new(m20261202_000100_platform_job_schedules::Migration),
        Box::new(m20261202_000300_platform_encryption_keys::Migration),
        Box::new(m20261202_001010_platform_mail_outbox::Migration),
    ]
}
