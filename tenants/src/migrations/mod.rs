//! Tables of the always-on tenants module: tenants, users, memberships, custom roles,
//! invitations, locations, refresh tokens, and the platform's audit log.

use sea_orm_migration::MigrationTrait;

mod m20261122_000100_tenants_core;
mod m20261202_000200_tenants_customers;
mod m20261202_000700_tenants_refresh_token_retention;
mod m20261202_000800_tenants_custom_domains;
mod m20261202_000900_tenants_custom_domain_verification;
mod m20261202_001030_tenants_account_tokens;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261122_000100_tenants_core::Migration),
        Box::new(m20261202_000200_tenants_customers::Migration),
        Box::new(m20261202_000700_tenants_refresh_token_retention::Migration),
        Box::new(m20261202_000800_tenants_custom_domains::Migration),
        Box::new(m20261202_000900_tenants_custom_domain_verification::Migration),
        Box::new(m20261202_001030_tenants_account_tokens::Migration),
    ]
}
