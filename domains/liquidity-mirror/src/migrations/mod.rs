//! Tables of the liquidity-mirror plugin.

use sea_orm_migration::MigrationTrait;

mod m20261202_001200_liquidity_mirror_core;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261202_001200_liquidity_mirror_core::Migration)]
}
