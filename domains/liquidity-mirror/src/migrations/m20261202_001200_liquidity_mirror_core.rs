//! The mirror: chains and their accepted blocks, the chain event log (keyed by chain,
//! block number, block hash, tx hash and log index; orphaned rows are kept, marked with the
//! reorg that orphaned them), the reorgs and refused batches, tokens and wallets, and the
//! projection tables folded from the log (pools, positions, balances, stakes, yield
//! snapshots). Raw amounts are `numeric(78,0)` on PostgreSQL (at least 0, by CHECK) and
//! decimal text on SQLite: exact up to 2^256-1 on both, never a float.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use atrium_migrations::tenancy::{col, create_tenant_table, index, tenant_fk, tenant_table, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const PROJECTIONS: [&str; 5] =
    ["mirror_pools", "mirror_positions", "mirror_balances", "mirror_stakes", "mirror_yield_snapshots"];

/// A raw on-chain amount column.
fn amount(pg: bool, name: &'static str) -> ColumnDef {
    let mut c = col(name);
    if pg {
        c.custom(Alias::new("numeric(78,0)"))
    } else {
        c.text()
    };
    c.not_null().to_owned()
}

fn checks(pg: bool, table: &str, cols: &[&str]) -> Vec<sea_query::table::Check> {
    if !pg {
        return Vec::new();
    }
    cols.iter()
        .map(|c| sea_query::table::Check::named(Alias::new(format!("ck_{table}_{c}")), Expr::cust(format!("{c} >= 0"))))
        .collect()
}

fn with_checks(mut t: TableCreateStatement, checks: Vec<sea_query::table::Check>) -> TableCreateStatement {
    for c in checks {
        t.check(c);
    }
    t
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let pg = manager.get_database_backend() == DbBackend::Postgres;
        let db = manager.get_connection();

        create_tenant_table(
            manager,
            "mirror_chains",
            tenant_table("mirror_chains")
                .col(col("chain_id").big_integer().not_null())
                .col(col("name").text().not_null())
                .col(col("finality_depth").big_integer().not_null())
                .col(col("head_number").big_integer().null())
                .col(col("head_hash").text().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index("ux_mirror_chains_chain_id", "mirror_chains", &["tenant_id", "chain_id"]))
            .await?;

        create_tenant_table(
            manager,
            "mirror_tokens",
            tenant_table("mirror_tokens")
                .col(col("chain_ref").uuid().not_null())
                .col(col("address").text().not_null())
                .col(col("symbol").text().not_null())
                .col(col("decimals").integer().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("mirror_tokens", "chain_ref", "mirror_chains"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index(
                "ux_mirror_tokens_address",
                "mirror_tokens",
                &["tenant_id", "chain_ref", "address"],
            ))
            .await?;

        create_tenant_table(
            manager,
            "mirror_wallets",
            tenant_table("mirror_wallets")
                .col(col("chain_ref").uuid().not_null())
                .col(col("address").text().not_null())
                .col(col("type").text().not_null())
                .col(col("owner_user_id").uuid().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("mirror_wallets", "chain_ref", "mirror_chains"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index(
                "ux_mirror_wallets_address",
                "mirror_wallets",
                &["tenant_id", "chain_ref", "address"],
            ))
            .await?;
        manager
            .create_index(index("ix_mirror_wallets_owner", "mirror_wallets", &["tenant_id", "owner_user_id"]))
            .await?;

        create_tenant_table(
            manager,
            "mirror_reorgs",
            tenant_table("mirror_reorgs")
                .col(col("chain_ref").uuid().not_null())
                .col(col("ancestor_number").big_integer().not_null())
                .col(col("ancestor_hash").text().not_null())
                .col(col("old_head_number").big_integer().not_null())
                .col(col("old_head_hash").text().not_null())
                .col(col("depth").big_integer().not_null())
                .col(col("blocks_orphaned").big_integer().not_null())
                .col(col("events_orphaned").big_integer().not_null())
                // `applied`, or `refused` (beyond finality)
                .col(col("status").text().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("mirror_reorgs", "chain_ref", "mirror_chains"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index("ix_mirror_reorgs_chain", "mirror_reorgs", &["tenant_id", "chain_ref", "id"]))
            .await?;

        create_tenant_table(
            manager,
            "mirror_blocks",
            tenant_table("mirror_blocks")
                .col(col("chain_ref").uuid().not_null())
                .col(col("number").big_integer().not_null())
                .col(col("hash").text().not_null())
                .col(col("parent_hash").text().not_null())
                .col(col("event_count").big_integer().not_null())
                .col(col("orphaned_by").uuid().null())
                .col(col("accepted_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("mirror_blocks", "chain_ref", "mirror_chains"))
                .to_owned(),
        )
        .await?;
        // One canonical block per height and per hash; orphaned ones are kept beside them.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_mirror_blocks_canonical_number ON mirror_blocks (tenant_id, chain_ref, number) \
             WHERE orphaned_by IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_mirror_blocks_canonical_hash ON mirror_blocks (tenant_id, chain_ref, hash) \
             WHERE orphaned_by IS NULL",
        )
        .await?;

        create_tenant_table(
            manager,
            "mirror_events",
            with_checks(
                tenant_table("mirror_events")
                    .col(col("chain_ref").uuid().not_null())
                    .col(col("block_number").big_integer().not_null())
                    .col(col("block_hash").text().not_null())
                    .col(col("tx_hash").text().not_null())
                    .col(col("log_index").integer().not_null())
                    .col(col("kind").text().not_null())
                    .col(col("pool").text().null())
                    .col(col("wallet").text().null())
                    .col(col("counterparty").text().null())
                    .col(col("token").text().null())
                    .col(amount(pg, "amount"))
                    .col(amount(pg, "shares"))
                    .col(col("unlock_time").big_integer().null())
                    .col(col("pool_type").text().null())
                    .col(col("status").text().null())
                    .col(col("creator").text().null())
                    .col(col("orphaned_by").uuid().null())
                    .foreign_key(&mut tenant_fk("mirror_events", "chain_ref", "mirror_chains"))
                    .to_owned(),
                checks(pg, "mirror_events", &["amount", "shares"]),
            ),
        )
        .await?;
        // The event's identity: (chain, block number, block hash, tx hash, log index), one
        // canonical copy; the same (tx, log index) in another block is a reorg signal.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_mirror_events_canonical ON mirror_events \
             (tenant_id, chain_ref, block_number, block_hash, tx_hash, log_index) WHERE orphaned_by IS NULL",
        )
        .await?;
        manager
            .create_index(index(
                "ix_mirror_events_tx",
                "mirror_events",
                &["tenant_id", "chain_ref", "tx_hash", "log_index"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_mirror_events_order",
                "mirror_events",
                &["tenant_id", "chain_ref", "block_number", "log_index"],
            ))
            .await?;

        create_tenant_table(
            manager,
            "mirror_rejections",
            tenant_table("mirror_rejections")
                .col(col("chain_ref").uuid().not_null())
                .col(col("code").text().not_null())
                .col(col("detail").text().not_null())
                .col(col("first_block").big_integer().not_null())
                .col(col("last_block").big_integer().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("mirror_rejections", "chain_ref", "mirror_chains"))
                .to_owned(),
        )
        .await?;

        create_tenant_table(
            manager,
            "mirror_reconciliations",
            tenant_table("mirror_reconciliations")
                .col(col("chain_ref").uuid().not_null())
                .col(col("block_number").big_integer().not_null())
                .col(col("lines").json_binary().not_null())
                .col(col("drift").boolean().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("mirror_reconciliations", "chain_ref", "mirror_chains"))
                .to_owned(),
        )
        .await?;

        // ---- the projection: only the fold writes it; ids derive from the row's key ----
        create_tenant_table(
            manager,
            "mirror_pools",
            with_checks(
                tenant_table("mirror_pools")
                    .col(col("chain_ref").uuid().not_null())
                    .col(col("address").text().not_null())
                    .col(col("token").text().not_null())
                    .col(col("type").text().not_null())
                    .col(col("creator").text().null())
                    .col(col("status").text().not_null())
                    .col(amount(pg, "tvl"))
                    .col(amount(pg, "total_shares"))
                    .col(amount(pg, "staked"))
                    .col(amount(pg, "rewards"))
                    .col(col("created_block").big_integer().not_null())
                    .col(col("updated_block").big_integer().not_null())
                    .foreign_key(&mut tenant_fk("mirror_pools", "chain_ref", "mirror_chains"))
                    .to_owned(),
                checks(pg, "mirror_pools", &["tvl", "total_shares", "staked", "rewards"]),
            ),
        )
        .await?;
        create_tenant_table(
            manager,
            "mirror_positions",
            with_checks(
                tenant_table("mirror_positions")
                    .col(col("chain_ref").uuid().not_null())
                    .col(col("pool").text().not_null())
                    .col(col("wallet").text().not_null())
                    .col(amount(pg, "shares"))
                    .col(amount(pg, "deposited"))
                    .col(amount(pg, "withdrawn"))
                    .col(col("updated_block").big_integer().not_null())
                    .foreign_key(&mut tenant_fk("mirror_positions", "chain_ref", "mirror_chains"))
                    .to_owned(),
                checks(pg, "mirror_positions", &["shares", "deposited", "withdrawn"]),
            ),
        )
        .await?;
        create_tenant_table(
            manager,
            "mirror_balances",
            with_checks(
                tenant_table("mirror_balances")
                    .col(col("chain_ref").uuid().not_null())
                    .col(col("wallet").text().not_null())
                    .col(col("token").text().not_null())
                    .col(amount(pg, "amount"))
                    .col(col("updated_block").big_integer().not_null())
                    .foreign_key(&mut tenant_fk("mirror_balances", "chain_ref", "mirror_chains"))
                    .to_owned(),
                checks(pg, "mirror_balances", &["amount"]),
            ),
        )
        .await?;
        create_tenant_table(
            manager,
            "mirror_stakes",
            with_checks(
                tenant_table("mirror_stakes")
                    .col(col("chain_ref").uuid().not_null())
                    .col(col("pool").text().not_null())
                    .col(col("wallet").text().not_null())
                    .col(amount(pg, "staked"))
                    .col(amount(pg, "rewards"))
                    .col(col("unlock_time").big_integer().null())
                    .col(col("status").text().not_null())
                    .col(col("updated_block").big_integer().not_null())
                    .foreign_key(&mut tenant_fk("mirror_stakes", "chain_ref", "mirror_chains"))
                    .to_owned(),
                checks(pg, "mirror_stakes", &["staked", "rewards"]),
            ),
        )
        .await?;
        create_tenant_table(
            manager,
            "mirror_yield_snapshots",
            tenant_table("mirror_yield_snapshots")
                .col(col("chain_ref").uuid().not_null())
                .col(col("pool").text().not_null())
                .col(col("block_number").big_integer().not_null())
                .col(col("block_hash").text().not_null())
                .col(amount(pg, "tvl"))
                .col(amount(pg, "staked"))
                .col(amount(pg, "rewards"))
                .foreign_key(&mut tenant_fk("mirror_yield_snapshots", "chain_ref", "mirror_chains"))
                .to_owned(),
        )
        .await?;
        for (table, cols) in [
            ("mirror_pools", &["tenant_id", "chain_ref", "address"][..]),
            ("mirror_positions", &["tenant_id", "chain_ref", "pool", "wallet"][..]),
            ("mirror_balances", &["tenant_id", "chain_ref", "wallet", "token"][..]),
            ("mirror_stakes", &["tenant_id", "chain_ref", "pool", "wallet"][..]),
            ("mirror_yield_snapshots", &["tenant_id", "chain_ref", "pool", "block_number"][..]),
        ] {
            manager.create_index(unique_index(&format!("ux_{table}_key"), table, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in PROJECTIONS.iter().chain(&[
            "mirror_reconciliations",
            "mirror_rejections",
            "mirror_events",
            "mirror_blocks",
            "mirror_reorgs",
            "mirror_wallets",
            "mirror_tokens",
            "mirror_chains",
        ]) {
            manager.drop_table(Table::drop().table(Alias::new(*t)).to_owned()).await?;
        }
        Ok(())
    }
}
