//! The only place that builds queries on the mirror's tables. Every query filters by the
//! transaction's tenant. Statements are written once with `?` for a parameter and `#` for
//! a raw amount (bound as decimal text; `CAST(… AS numeric)` on PostgreSQL), and amounts
//! are read back as text: exact on both backends.

use std::collections::{BTreeMap, BTreeSet};

use atrium_core::db::TenantTx;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{MirrorError, Result};
use crate::fold::{Balance, Event, Kind, Pool, Position, Snapshot, Stake, State};
use crate::model::BlockRef;
use crate::u256::U256;

const CHUNK: usize = 400;

fn render(backend: DbBackend, sql: &str) -> String {
    let pg = backend == DbBackend::Postgres;
    let mut out = String::with_capacity(sql.len() + 32);
    let mut n = 0;
    for c in sql.chars() {
        match c {
            '?' | '#' if pg => {
                n += 1;
                if c == '#' {
                    out.push_str(&format!("CAST(${n} AS numeric)"));
                } else {
                    out.push_str(&format!("${n}"));
                }
            }
            '?' | '#' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

fn stmt(tx: &TenantTx, sql: &str, values: Vec<Value>) -> Statement {
    let backend = tx.conn().get_database_backend();
    Statement::from_sql_and_values(backend, render(backend, sql), values)
}

async fn all(tx: &TenantTx, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>> {
    Ok(tx.conn().query_all_raw(stmt(tx, sql, values)).await?)
}

async fn exec(tx: &TenantTx, sql: &str, values: Vec<Value>) -> Result<u64> {
    Ok(tx.conn().execute_raw(stmt(tx, sql, values)).await?.rows_affected())
}

fn is_pg(tx: &TenantTx) -> bool {
    tx.conn().get_database_backend() == DbBackend::Postgres
}

fn amount(row: &QueryResult, col: &str) -> Result<U256> {
    let text: String = row.try_get("", col)?;
    text.parse().map_err(|e| MirrorError::Corrupt(format!("amount {col} `{text}`"), format!("{e}")))
}

fn n(v: U256) -> Value {
    v.to_string().into()
}

fn t(tx: &TenantTx) -> Value {
    tx.tenant_id().0.into()
}

fn placeholders(rows: usize, row: &str) -> String {
    vec![row; rows].join(", ")
}

/// A projection row's id: derived from its key, so a rebuild writes the same rows.
pub fn key_id(chain: Uuid, table: &str, key: &[&str]) -> Uuid {
    let mut h = Sha256::new();
    h.update(chain.as_bytes());
    h.update(table.as_bytes());
    for k in key {
        h.update([0]);
        h.update(k.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_custom_bytes(b).into_uuid()
}

/// A snapshot's id orders by block number first (then pool), so history pages in order.
pub fn snapshot_id(chain: Uuid, pool: &str, block: i64) -> Uuid {
    let k = key_id(chain, "mirror_yield_snapshots", &[pool]);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&block.to_be_bytes());
    b[8..].copy_from_slice(&k.as_bytes()[8..]);
    Uuid::from_bytes(b)
}

// ---- chains ----

pub struct ChainRow {
    pub id: Uuid,
    pub chain_id: i64,
    pub name: String,
    pub finality_depth: i64,
    pub head: Option<BlockRef>,
    pub created_at: DateTime<Utc>,
}

const CHAIN_COLS: &str = "id, chain_id, name, finality_depth, head_number, head_hash, created_at";

fn chain_row(r: &QueryResult) -> Result<ChainRow> {
    let number: Option<i64> = r.try_get("", "head_number")?;
    let hash: Option<String> = r.try_get("", "head_hash")?;
    Ok(ChainRow {
        id: r.try_get("", "id")?,
        chain_id: r.try_get("", "chain_id")?,
        name: r.try_get("", "name")?,
        finality_depth: r.try_get("", "finality_depth")?,
        head: number.zip(hash).map(|(number, hash)| BlockRef { number, hash }),
        created_at: r.try_get("", "created_at")?,
    })
}

pub async fn insert_chain(tx: &TenantTx, id: Uuid, chain_id: i64, name: &str, depth: i64) -> Result<()> {
    exec(
        tx,
        "INSERT INTO mirror_chains (tenant_id, id, chain_id, name, finality_depth, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        vec![t(tx), id.into(), chain_id.into(), name.into(), depth.into(), Utc::now().into()],
    )
    .await
    .map(drop)
}

pub async fn chain_by_chain_id(tx: &TenantTx, chain_id: i64) -> Result<Option<ChainRow>> {
    let sql = format!("SELECT {CHAIN_COLS} FROM mirror_chains WHERE tenant_id = ? AND chain_id = ?");
    all(tx, &sql, vec![t(tx), chain_id.into()]).await?.first().map(chain_row).transpose()
}

/// The chain; `lock` holds its row until the transaction ends (PostgreSQL; a SQLite write
/// transaction already holds the database), so batches of one chain apply one at a time.
pub async fn chain(tx: &TenantTx, id: Uuid, lock: bool) -> Result<Option<ChainRow>> {
    let mut sql = format!("SELECT {CHAIN_COLS} FROM mirror_chains WHERE tenant_id = ? AND id = ?");
    if lock && is_pg(tx) {
        sql.push_str(" FOR UPDATE");
    }
    all(tx, &sql, vec![t(tx), id.into()]).await?.first().map(chain_row).transpose()
}

pub async fn chains(tx: &TenantTx) -> Result<Vec<ChainRow>> {
    let sql = format!("SELECT {CHAIN_COLS} FROM mirror_chains WHERE tenant_id = ? ORDER BY id");
    all(tx, &sql, vec![t(tx)]).await?.iter().map(chain_row).collect()
}

pub async fn set_head(tx: &TenantTx, id: Uuid, head: Option<&BlockRef>) -> Result<()> {
    exec(
        tx,
        "UPDATE mirror_chains SET head_number = ?, head_hash = ? WHERE tenant_id = ? AND id = ?",
        vec![head.map(|h| h.number).into(), head.map(|h| h.hash.clone()).into(), t(tx), id.into()],
    )
    .await
    .map(drop)
}

// ---- tokens and wallets ----

pub async fn upsert_token(tx: &TenantTx, chain: Uuid, address: &str, symbol: &str, decimals: i32) -> Result<Uuid> {
    let id = key_id(chain, "mirror_tokens", &[address]);
    exec(
        tx,
        "INSERT INTO mirror_tokens (tenant_id, id, chain_ref, address, symbol, decimals, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, chain_ref, address) \
         DO UPDATE SET symbol = excluded.symbol, decimals = excluded.decimals",
        vec![t(tx), id.into(), chain.into(), address.into(), symbol.into(), decimals.into(), Utc::now().into()],
    )
    .await?;
    Ok(id)
}

/// (id, address, symbol, decimals)
pub async fn tokens(tx: &TenantTx, chain: Uuid) -> Result<Vec<(Uuid, String, String, i32)>> {
    all(
        tx,
        "SELECT id, address, symbol, decimals FROM mirror_tokens WHERE tenant_id = ? AND chain_ref = ? ORDER BY address",
        vec![t(tx), chain.into()],
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "address")?, r.try_get("", "symbol")?, r.try_get("", "decimals")?)))
    .collect()
}

pub async fn token_decimals(tx: &TenantTx, chain: Uuid) -> Result<BTreeMap<String, u32>> {
    Ok(tokens(tx, chain).await?.into_iter().map(|(_, a, _, d)| (a, d.max(0) as u32)).collect())
}

pub struct WalletRow {
    pub id: Uuid,
    pub chain: Uuid,
    pub address: String,
    pub wallet_type: String,
    pub owner_user_id: Option<Uuid>,
}

pub async fn upsert_wallet(
    tx: &TenantTx,
    chain: Uuid,
    address: &str,
    wallet_type: &str,
    owner: Option<Uuid>,
) -> Result<Uuid> {
    let id = key_id(chain, "mirror_wallets", &[address]);
    exec(
        tx,
        "INSERT INTO mirror_wallets (tenant_id, id, chain_ref, address, type, owner_user_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, chain_ref, address) \
         DO UPDATE SET type = excluded.type, owner_user_id = excluded.owner_user_id",
        vec![t(tx), id.into(), chain.into(), address.into(), wallet_type.into(), owner.into(), Utc::now().into()],
    )
    .await?;
    Ok(id)
}

pub async fn wallets(tx: &TenantTx, chain: Option<Uuid>, owner: Option<Uuid>) -> Result<Vec<WalletRow>> {
    let mut sql =
        "SELECT id, chain_ref, address, type, owner_user_id FROM mirror_wallets WHERE tenant_id = ?".to_owned();
    let mut values = vec![t(tx)];
    if let Some(c) = chain {
        sql.push_str(" AND chain_ref = ?");
        values.push(c.into());
    }
    if let Some(o) = owner {
        sql.push_str(" AND owner_user_id = ?");
        values.push(o.into());
    }
    sql.push_str(" ORDER BY id LIMIT 1000");
    all(tx, &sql, values)
        .await?
        .iter()
        .map(|r| {
            Ok(WalletRow {
                id: r.try_get("", "id")?,
                chain: r.try_get("", "chain_ref")?,
                address: r.try_get("", "address")?,
                wallet_type: r.try_get("", "type")?,
                owner_user_id: r.try_get("", "owner_user_id")?,
            })
        })
        .collect()
}

// ---- blocks ----

/// Canonical blocks numbered `from..=to`: number → hash.
pub async fn canonical_blocks(tx: &TenantTx, chain: Uuid, from: i64, to: i64) -> Result<BTreeMap<i64, String>> {
    all(
        tx,
        "SELECT number, hash FROM mirror_blocks WHERE tenant_id = ? AND chain_ref = ? AND orphaned_by IS NULL \
         AND number >= ? AND number <= ?",
        vec![t(tx), chain.into(), from.into(), to.into()],
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get("", "number")?, r.try_get("", "hash")?)))
    .collect()
}

pub async fn insert_blocks(tx: &TenantTx, chain: Uuid, blocks: &[(i64, &str, &str, i64)]) -> Result<()> {
    let now: Value = Utc::now().into();
    for part in blocks.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO mirror_blocks (tenant_id, id, chain_ref, number, hash, parent_hash, event_count, accepted_at) \
             VALUES {}",
            placeholders(part.len(), "(?, ?, ?, ?, ?, ?, ?, ?)")
        );
        let mut values = Vec::with_capacity(part.len() * 8);
        for (number, hash, parent, count) in part {
            values.extend([
                t(tx),
                Uuid::now_v7().into(),
                chain.into(),
                (*number).into(),
                (*hash).into(),
                (*parent).into(),
                (*count).into(),
                now.clone(),
            ]);
        }
        exec(tx, &sql, values).await?;
    }
    Ok(())
}

/// Marks every canonical block and event above `ancestor` orphaned by `reorg`; returns how
/// many of each.
pub async fn orphan_after(tx: &TenantTx, chain: Uuid, ancestor: i64, reorg: Uuid) -> Result<(u64, u64)> {
    let blocks = exec(
        tx,
        "UPDATE mirror_blocks SET orphaned_by = ? WHERE tenant_id = ? AND chain_ref = ? AND orphaned_by IS NULL \
         AND number > ?",
        vec![reorg.into(), t(tx), chain.into(), ancestor.into()],
    )
    .await?;
    let events = exec(
        tx,
        "UPDATE mirror_events SET orphaned_by = ? WHERE tenant_id = ? AND chain_ref = ? AND orphaned_by IS NULL \
         AND block_number > ?",
        vec![reorg.into(), t(tx), chain.into(), ancestor.into()],
    )
    .await?;
    Ok((blocks, events))
}

// ---- reorgs and refusals ----

pub struct ReorgRow {
    pub id: Uuid,
    pub ancestor: BlockRef,
    pub old_head: BlockRef,
    pub depth: i64,
    pub blocks_orphaned: i64,
    pub events_orphaned: i64,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_reorg(tx: &TenantTx, chain: Uuid, r: &ReorgRow) -> Result<()> {
    exec(
        tx,
        "INSERT INTO mirror_reorgs (tenant_id, id, chain_ref, ancestor_number, ancestor_hash, old_head_number, \
         old_head_hash, depth, blocks_orphaned, events_orphaned, status, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            t(tx),
            r.id.into(),
            chain.into(),
            r.ancestor.number.into(),
            r.ancestor.hash.clone().into(),
            r.old_head.number.into(),
            r.old_head.hash.clone().into(),
            r.depth.into(),
            r.blocks_orphaned.into(),
            r.events_orphaned.into(),
            r.status.clone().into(),
            r.created_at.into(),
        ],
    )
    .await
    .map(drop)
}

pub async fn reorgs(tx: &TenantTx, chain: Uuid, after: Option<Uuid>, limit: u64) -> Result<Vec<ReorgRow>> {
    all(
        tx,
        "SELECT id, ancestor_number, ancestor_hash, old_head_number, old_head_hash, depth, blocks_orphaned, \
         events_orphaned, status, created_at FROM mirror_reorgs WHERE tenant_id = ? AND chain_ref = ? AND id > ? \
         ORDER BY id LIMIT ?",
        vec![t(tx), chain.into(), after.unwrap_or_default().into(), (limit as i64 + 1).into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(ReorgRow {
            id: r.try_get("", "id")?,
            ancestor: BlockRef { number: r.try_get("", "ancestor_number")?, hash: r.try_get("", "ancestor_hash")? },
            old_head: BlockRef { number: r.try_get("", "old_head_number")?, hash: r.try_get("", "old_head_hash")? },
            depth: r.try_get("", "depth")?,
            blocks_orphaned: r.try_get("", "blocks_orphaned")?,
            events_orphaned: r.try_get("", "events_orphaned")?,
            status: r.try_get("", "status")?,
            created_at: r.try_get("", "created_at")?,
        })
    })
    .collect()
}

pub async fn insert_rejection(
    tx: &TenantTx,
    chain: Uuid,
    code: &str,
    detail: &str,
    first: i64,
    last: i64,
) -> Result<()> {
    exec(
        tx,
        "INSERT INTO mirror_rejections (tenant_id, id, chain_ref, code, detail, first_block, last_block, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            t(tx),
            Uuid::now_v7().into(),
            chain.into(),
            code.into(),
            detail.into(),
            first.into(),
            last.into(),
            Utc::now().into(),
        ],
    )
    .await
    .map(drop)
}

// ---- the event log ----

pub async fn insert_events(tx: &TenantTx, chain: Uuid, events: &[&Event]) -> Result<()> {
    for part in events.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO mirror_events (tenant_id, id, chain_ref, block_number, block_hash, tx_hash, log_index, kind, \
             pool, wallet, counterparty, token, amount, shares, unlock_time, pool_type, status, creator) VALUES {}",
            placeholders(part.len(), "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, #, #, ?, ?, ?, ?)")
        );
        let mut values = Vec::with_capacity(part.len() * 18);
        for e in part {
            values.extend([
                t(tx),
                Uuid::now_v7().into(),
                chain.into(),
                e.block_number.into(),
                e.block_hash.clone().into(),
                e.tx_hash.clone().into(),
                e.log_index.into(),
                e.kind.as_str().into(),
                e.pool.clone().into(),
                e.wallet.clone().into(),
                e.counterparty.clone().into(),
                e.token.clone().into(),
                n(e.amount),
                n(e.shares),
                e.unlock_time.into(),
                e.pool_type.clone().into(),
                e.status.clone().into(),
                e.creator.clone().into(),
            ]);
        }
        exec(tx, &sql, values).await?;
    }
    Ok(())
}

const EVENT_COLS: &str = "id, block_number, block_hash, tx_hash, log_index, kind, pool, wallet, counterparty, token, \
    CAST(amount AS TEXT) AS amount, CAST(shares AS TEXT) AS shares, unlock_time, pool_type, status, creator, orphaned_by";

fn event_row(r: &QueryResult) -> Result<(Uuid, Event, Option<Uuid>)> {
    let kind: String = r.try_get("", "kind")?;
    let e = Event {
        block_number: r.try_get("", "block_number")?,
        block_hash: r.try_get("", "block_hash")?,
        tx_hash: r.try_get("", "tx_hash")?,
        log_index: r.try_get("", "log_index")?,
        kind: Kind::parse(&kind).ok_or_else(|| MirrorError::Corrupt("event kind".into(), kind.clone()))?,
        pool: r.try_get("", "pool")?,
        wallet: r.try_get("", "wallet")?,
        counterparty: r.try_get("", "counterparty")?,
        token: r.try_get("", "token")?,
        amount: amount(r, "amount")?,
        shares: amount(r, "shares")?,
        unlock_time: r.try_get("", "unlock_time")?,
        pool_type: r.try_get("", "pool_type")?,
        status: r.try_get("", "status")?,
        creator: r.try_get("", "creator")?,
    };
    Ok((r.try_get("", "id")?, e, r.try_get("", "orphaned_by")?))
}

/// The canonical log of a chain up to block `upto` (all of it without), in chain order.
pub async fn canonical_events(tx: &TenantTx, chain: Uuid, upto: Option<i64>) -> Result<Vec<Event>> {
    let sql = format!(
        "SELECT {EVENT_COLS} FROM mirror_events WHERE tenant_id = ? AND chain_ref = ? AND orphaned_by IS NULL \
         AND block_number <= ? ORDER BY block_number, log_index"
    );
    all(tx, &sql, vec![t(tx), chain.into(), upto.unwrap_or(i64::MAX).into()])
        .await?
        .iter()
        .map(|r| event_row(r).map(|(_, e, _)| e))
        .collect()
}

/// The log in the order it was received, orphaned events included when asked.
pub async fn events_page(
    tx: &TenantTx,
    chain: Uuid,
    include_orphaned: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<(Uuid, Event, Option<Uuid>)>> {
    let filter = if include_orphaned { "" } else { " AND orphaned_by IS NULL" };
    let sql = format!(
        "SELECT {EVENT_COLS} FROM mirror_events WHERE tenant_id = ? AND chain_ref = ? AND id > ?{filter} \
         ORDER BY id LIMIT ?"
    );
    all(tx, &sql, vec![t(tx), chain.into(), after.unwrap_or_default().into(), (limit as i64 + 1).into()])
        .await?
        .iter()
        .map(event_row)
        .collect()
}

/// Canonical events with one of these tx hashes: (tx hash, log index) → (block number, hash).
pub async fn canonical_txs(
    tx: &TenantTx,
    chain: Uuid,
    hashes: &BTreeSet<&str>,
) -> Result<BTreeMap<(String, i32), (i64, String)>> {
    let hashes: Vec<&str> = hashes.iter().copied().collect();
    let mut out = BTreeMap::new();
    for part in hashes.chunks(CHUNK) {
        let sql = format!(
            "SELECT tx_hash, log_index, block_number, block_hash FROM mirror_events WHERE tenant_id = ? \
             AND chain_ref = ? AND orphaned_by IS NULL AND tx_hash IN ({})",
            placeholders(part.len(), "?")
        );
        let mut values = vec![t(tx), chain.into()];
        values.extend(part.iter().map(|h| Value::from(*h)));
        for r in all(tx, &sql, values).await? {
            out.insert(
                (r.try_get("", "tx_hash")?, r.try_get("", "log_index")?),
                (r.try_get("", "block_number")?, r.try_get("", "block_hash")?),
            );
        }
    }
    Ok(out)
}

// ---- the projection ----

async fn select_in(
    tx: &TenantTx,
    table_sql: &str,
    col: &str,
    chain: Uuid,
    keys: &BTreeSet<String>,
) -> Result<Vec<QueryResult>> {
    let keys: Vec<&String> = keys.iter().collect();
    let mut out = Vec::new();
    for part in keys.chunks(CHUNK) {
        let sql = format!(
            "{table_sql} WHERE tenant_id = ? AND chain_ref = ? AND {col} IN ({})",
            placeholders(part.len(), "?")
        );
        let mut values = vec![t(tx), chain.into()];
        values.extend(part.iter().map(|k| Value::from(k.as_str())));
        out.extend(all(tx, &sql, values).await?);
    }
    Ok(out)
}

const POOL_SELECT: &str = "SELECT id, address, token, type, creator, status, CAST(tvl AS TEXT) AS tvl, \
    CAST(total_shares AS TEXT) AS total_shares, CAST(staked AS TEXT) AS staked, CAST(rewards AS TEXT) AS rewards, \
    created_block, updated_block FROM mirror_pools";
const POSITION_SELECT: &str = "SELECT id, pool, wallet, CAST(shares AS TEXT) AS shares, \
    CAST(deposited AS TEXT) AS deposited, CAST(withdrawn AS TEXT) AS withdrawn, updated_block FROM mirror_positions";
const BALANCE_SELECT: &str =
    "SELECT id, wallet, token, CAST(amount AS TEXT) AS amount, updated_block FROM mirror_balances";
const STAKE_SELECT: &str = "SELECT id, pool, wallet, CAST(staked AS TEXT) AS staked, CAST(rewards AS TEXT) AS rewards, \
    unlock_time, status, updated_block FROM mirror_stakes";
const SNAPSHOT_SELECT: &str = "SELECT id, pool, block_number, block_hash, CAST(tvl AS TEXT) AS tvl, \
    CAST(staked AS TEXT) AS staked, CAST(rewards AS TEXT) AS rewards FROM mirror_yield_snapshots";

pub fn pool_row(r: &QueryResult) -> Result<(Uuid, String, Pool)> {
    Ok((
        r.try_get("", "id")?,
        r.try_get("", "address")?,
        Pool {
            token: r.try_get("", "token")?,
            pool_type: r.try_get("", "type")?,
            creator: r.try_get("", "creator")?,
            status: r.try_get("", "status")?,
            tvl: amount(r, "tvl")?,
            total_shares: amount(r, "total_shares")?,
            staked: amount(r, "staked")?,
            rewards: amount(r, "rewards")?,
            created_block: r.try_get("", "created_block")?,
            updated_block: r.try_get("", "updated_block")?,
        },
    ))
}

pub fn position_row(r: &QueryResult) -> Result<(Uuid, (String, String), Position)> {
    Ok((
        r.try_get("", "id")?,
        (r.try_get("", "pool")?, r.try_get("", "wallet")?),
        Position {
            shares: amount(r, "shares")?,
            deposited: amount(r, "deposited")?,
            withdrawn: amount(r, "withdrawn")?,
            updated_block: r.try_get("", "updated_block")?,
        },
    ))
}

pub fn balance_row(r: &QueryResult) -> Result<(Uuid, (String, String), Balance)> {
    Ok((
        r.try_get("", "id")?,
        (r.try_get("", "wallet")?, r.try_get("", "token")?),
        Balance { amount: amount(r, "amount")?, updated_block: r.try_get("", "updated_block")? },
    ))
}

pub fn stake_row(r: &QueryResult) -> Result<(Uuid, (String, String), Stake)> {
    Ok((
        r.try_get("", "id")?,
        (r.try_get("", "pool")?, r.try_get("", "wallet")?),
        Stake {
            staked: amount(r, "staked")?,
            rewards: amount(r, "rewards")?,
            unlock_time: r.try_get("", "unlock_time")?,
            status: r.try_get("", "status")?,
            updated_block: r.try_get("", "updated_block")?,
        },
    ))
}

pub fn snapshot_row(r: &QueryResult) -> Result<(Uuid, (String, i64), Snapshot)> {
    Ok((
        r.try_get("", "id")?,
        (r.try_get("", "pool")?, r.try_get("", "block_number")?),
        Snapshot {
            block_hash: r.try_get("", "block_hash")?,
            tvl: amount(r, "tvl")?,
            staked: amount(r, "staked")?,
            rewards: amount(r, "rewards")?,
        },
    ))
}

/// The rows of the projection a batch's events touch (pools by address, positions and
/// stakes by wallet, balances by wallet), as a fold state.
pub async fn load_touched(
    tx: &TenantTx,
    chain: Uuid,
    pools: &BTreeSet<String>,
    wallets: &BTreeSet<String>,
) -> Result<State> {
    let mut s = State::default();
    for r in select_in(tx, POOL_SELECT, "address", chain, pools).await? {
        let (_, k, p) = pool_row(&r)?;
        s.pools.insert(k, p);
    }
    for r in select_in(tx, POSITION_SELECT, "wallet", chain, wallets).await? {
        let (_, k, p) = position_row(&r)?;
        s.positions.insert(k, p);
    }
    for r in select_in(tx, BALANCE_SELECT, "wallet", chain, wallets).await? {
        let (_, k, b) = balance_row(&r)?;
        s.balances.insert(k, b);
    }
    for r in select_in(tx, STAKE_SELECT, "wallet", chain, wallets).await? {
        let (_, k, st) = stake_row(&r)?;
        s.stakes.insert(k, st);
    }
    Ok(s)
}

/// Writes every row of `s` (insert or replace by key).
pub async fn write_state(tx: &TenantTx, chain: Uuid, s: &State) -> Result<()> {
    let pools: Vec<_> = s.pools.iter().collect();
    for part in pools.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO mirror_pools (tenant_id, id, chain_ref, address, token, type, creator, status, tvl, \
             total_shares, staked, rewards, created_block, updated_block) VALUES {} \
             ON CONFLICT (tenant_id, chain_ref, address) DO UPDATE SET status = excluded.status, tvl = excluded.tvl, \
             total_shares = excluded.total_shares, staked = excluded.staked, rewards = excluded.rewards, \
             updated_block = excluded.updated_block",
            placeholders(part.len(), "(?, ?, ?, ?, ?, ?, ?, ?, #, #, #, #, ?, ?)")
        );
        let mut v = Vec::new();
        for (a, p) in part {
            v.extend([
                t(tx),
                key_id(chain, "mirror_pools", &[a]).into(),
                chain.into(),
                a.as_str().into(),
                p.token.clone().into(),
                p.pool_type.clone().into(),
                p.creator.clone().into(),
                p.status.clone().into(),
                n(p.tvl),
                n(p.total_shares),
                n(p.staked),
                n(p.rewards),
                p.created_block.into(),
                p.updated_block.into(),
            ]);
        }
        exec(tx, &sql, v).await?;
    }
    let positions: Vec<_> = s.positions.iter().collect();
    for part in positions.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO mirror_positions (tenant_id, id, chain_ref, pool, wallet, shares, deposited, withdrawn, \
             updated_block) VALUES {} ON CONFLICT (tenant_id, chain_ref, pool, wallet) DO UPDATE SET \
             shares = excluded.shares, deposited = excluded.deposited, withdrawn = excluded.withdrawn, \
             updated_block = excluded.updated_block",
            placeholders(part.len(), "(?, ?, ?, ?, ?, #, #, #, ?)")
        );
        let mut v = Vec::new();
        for ((pool, wallet), p) in part {
            v.extend([
                t(tx),
                key_id(chain, "mirror_positions", &[pool, wallet]).into(),
                chain.into(),
                pool.as_str().into(),
                wallet.as_str().into(),
                n(p.shares),
                n(p.deposited),
                n(p.withdrawn),
                p.updated_block.into(),
            ]);
        }
        exec(tx, &sql, v).await?;
    }
    let balances: Vec<_> = s.balances.iter().collect();
    for part in balances.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO mirror_balances (tenant_id, id, chain_ref, wallet, token, amount, updated_block) VALUES {} \
             ON CONFLICT (tenant_id, chain_ref, wallet, token) DO UPDATE SET amount = excluded.amount, \
             updated_block = excluded.updated_block",
            placeholders(part.len(), "(?, ?, ?, ?, ?, #, ?)")
        );
        let mut v = Vec::new();
        for ((wallet, token), b) in part {
            v.extend([
                t(tx),
                key_id(chain, "mirror_balances", &[wallet, token]).into(),
                chain.into(),
                wallet.as_str().into(),
                token.as_str().into(),
                n(b.amount),
                b.updated_block.into(),
            ]);
        }
        exec(tx, &sql, v).await?;
    }
    let stakes: Vec<_> = s.stakes.iter().collect();
    for part in stakes.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO mirror_stakes (tenant_id, id, chain_ref, pool, wallet, staked, rewards, unlock_time, status, \
             updated_block) VALUES {} ON CONFLICT (tenant_id, chain_ref, pool, wallet) DO UPDATE SET \
             staked = excluded.staked, rewards = excluded.rewards, unlock_time = excluded.unlock_time, \
             status = excluded.status, updated_block = excluded.updated_block",
            placeholders(part.len(), "(?, ?, ?, ?, ?, #, #, ?, ?, ?)")
        );
        let mut v = Vec::new();
        for ((pool, wallet), st) in part {
            v.extend([
                t(tx),
                key_id(chain, "mirror_stakes", &[pool, wallet]).into(),
                chain.into(),
                pool.as_str().into(),
                wallet.as_str().into(),
                n(st.staked),
                n(st.rewards),
                st.unlock_time.into(),
                st.status.clone().into(),
                st.updated_block.into(),
            ]);
        }
        exec(tx, &sql, v).await?;
    }
    let snapshots: Vec<_> = s.snapshots.iter().collect();
    for part in snapshots.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO mirror_yield_snapshots (tenant_id, id, chain_ref, pool, block_number, block_hash, tvl, staked, \
             rewards) VALUES {} ON CONFLICT (tenant_id, chain_ref, pool, block_number) DO UPDATE SET \
             block_hash = excluded.block_hash, tvl = excluded.tvl, staked = excluded.staked, rewards = excluded.rewards",
            placeholders(part.len(), "(?, ?, ?, ?, ?, ?, #, #, #)")
        );
        let mut v = Vec::new();
        for ((pool, block), sn) in part {
            v.extend([
                t(tx),
                snapshot_id(chain, pool, *block).into(),
                chain.into(),
                pool.as_str().into(),
                (*block).into(),
                sn.block_hash.clone().into(),
                n(sn.tvl),
                n(sn.staked),
                n(sn.rewards),
            ]);
        }
        exec(tx, &sql, v).await?;
    }
    Ok(())
}

pub const PROJECTION_TABLES: [&str; 5] =
    ["mirror_pools", "mirror_positions", "mirror_balances", "mirror_stakes", "mirror_yield_snapshots"];

/// Empties the chain's projection (a replay writes it again); returns the rows removed.
pub async fn clear_projection(tx: &TenantTx, chain: Uuid) -> Result<u64> {
    let mut removed = 0;
    for table in PROJECTION_TABLES {
        removed +=
            exec(tx, &format!("DELETE FROM {table} WHERE tenant_id = ? AND chain_ref = ?"), vec![t(tx), chain.into()])
                .await?;
    }
    Ok(removed)
}

pub struct ReadFilter<'a> {
    pub wallet: Option<&'a str>,
    pub pool: Option<&'a str>,
}

async fn page(
    tx: &TenantTx,
    select: &str,
    chain: Uuid,
    f: &ReadFilter<'_>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<QueryResult>> {
    let mut sql = format!("{select} WHERE tenant_id = ? AND chain_ref = ? AND id > ?");
    let mut v = vec![t(tx), chain.into(), after.unwrap_or_default().into()];
    if let Some(w) = f.wallet {
        sql.push_str(" AND wallet = ?");
        v.push(w.to_ascii_lowercase().into());
    }
    if let Some(p) = f.pool {
        sql.push_str(if select == POOL_SELECT { " AND address = ?" } else { " AND pool = ?" });
        v.push(p.to_ascii_lowercase().into());
    }
    sql.push_str(" ORDER BY id LIMIT ?");
    v.push((limit as i64 + 1).into());
    all(tx, &sql, v).await
}

pub async fn pools_page(
    tx: &TenantTx,
    c: Uuid,
    f: &ReadFilter<'_>,
    a: Option<Uuid>,
    l: u64,
) -> Result<Vec<QueryResult>> {
    page(tx, POOL_SELECT, c, &ReadFilter { wallet: None, pool: f.pool }, a, l).await
}
pub async fn positions_page(
    tx: &TenantTx,
    c: Uuid,
    f: &ReadFilter<'_>,
    a: Option<Uuid>,
    l: u64,
) -> Result<Vec<QueryResult>> {
    page(tx, POSITION_SELECT, c, f, a, l).await
}
pub async fn balances_page(
    tx: &TenantTx,
    c: Uuid,
    f: &ReadFilter<'_>,
    a: Option<Uuid>,
    l: u64,
) -> Result<Vec<QueryResult>> {
    page(tx, BALANCE_SELECT, c, &ReadFilter { wallet: f.wallet, pool: None }, a, l).await
}
pub async fn stakes_page(
    tx: &TenantTx,
    c: Uuid,
    f: &ReadFilter<'_>,
    a: Option<Uuid>,
    l: u64,
) -> Result<Vec<QueryResult>> {
    page(tx, STAKE_SELECT, c, f, a, l).await
}
pub async fn snapshots_page(
    tx: &TenantTx,
    c: Uuid,
    f: &ReadFilter<'_>,
    a: Option<Uuid>,
    l: u64,
) -> Result<Vec<QueryResult>> {
    page(tx, SNAPSHOT_SELECT, c, &ReadFilter { wallet: None, pool: f.pool }, a, l).await
}

/// Every projection row of a chain, as text lines sorted: for comparing tables row by row.
pub async fn projection_dump(tx: &TenantTx, chain: Uuid) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let f = ReadFilter { wallet: None, pool: None };
    for r in pools_page(tx, chain, &f, None, i64::MAX as u64 - 1).await? {
        let (id, k, p) = pool_row(&r)?;
        out.push(format!("pool {id} {k} {p:?}"));
    }
    for r in positions_page(tx, chain, &f, None, i64::MAX as u64 - 1).await? {
        let (id, k, p) = position_row(&r)?;
        out.push(format!("position {id} {k:?} {p:?}"));
    }
    for r in balances_page(tx, chain, &f, None, i64::MAX as u64 - 1).await? {
        let (id, k, b) = balance_row(&r)?;
        out.push(format!("balance {id} {k:?} {b:?}"));
    }
    for r in stakes_page(tx, chain, &f, None, i64::MAX as u64 - 1).await? {
        let (id, k, s) = stake_row(&r)?;
        out.push(format!("stake {id} {k:?} {s:?}"));
    }
    for r in snapshots_page(tx, chain, &f, None, i64::MAX as u64 - 1).await? {
        let (id, k, s) = snapshot_row(&r)?;
        out.push(format!("snapshot {id} {k:?} {s:?}"));
    }
    Ok(out)
}

// ---- reconciliations ----

pub async fn insert_reconciliation(
    tx: &TenantTx,
    id: Uuid,
    chain: Uuid,
    block: i64,
    lines: &serde_json::Value,
    drift: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    exec(
        tx,
        "INSERT INTO mirror_reconciliations (tenant_id, id, chain_ref, block_number, lines, drift, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![t(tx), id.into(), chain.into(), block.into(), lines.clone().into(), drift.into(), at.into()],
    )
    .await
    .map(drop)
}

/// (id, block, lines, drift, created_at)
pub async fn reconciliations(
    tx: &TenantTx,
    chain: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<(Uuid, i64, serde_json::Value, bool, DateTime<Utc>)>> {
    all(
        tx,
        "SELECT id, block_number, lines, drift, created_at FROM mirror_reconciliations WHERE tenant_id = ? \
         AND chain_ref = ? AND id > ? ORDER BY id LIMIT ?",
        vec![t(tx), chain.into(), after.unwrap_or_default().into(), (limit as i64 + 1).into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("", "id")?,
            r.try_get("", "block_number")?,
            r.try_get("", "lines")?,
            r.try_get("", "drift")?,
            r.try_get("", "created_at")?,
        ))
    })
    .collect()
}
