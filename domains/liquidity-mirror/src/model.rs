//! Request and response types, and the checks that turn a request into the model
//! (addresses and hashes lowercased, the fields each event kind needs present).

use atrium_core::error::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{MirrorError, Result};
use crate::fold::{Event, Kind};
use crate::u256::U256;

/// The most blocks and events one batch may carry.
pub const MAX_BLOCKS: usize = 1_000;
pub const MAX_EVENTS: usize = 10_000;

pub use crate::block::BlockRef;

pub fn is_address(s: &str) -> bool {
    s.len() == 42 && s.starts_with("0x") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn is_hash(s: &str) -> bool {
    s.len() == 66 && s.starts_with("0x") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn address(errors: &mut Vec<FieldError>, field: &str, v: &str) -> String {
    if !is_address(v) {
        errors.push(FieldError::new(field, "must be a 0x-prefixed 20-byte hex address"));
    }
    v.to_ascii_lowercase()
}

fn hash(errors: &mut Vec<FieldError>, field: &str, v: &str) -> String {
    if !is_hash(v) {
        errors.push(FieldError::new(field, "must be a 0x-prefixed 32-byte hex hash"));
    }
    v.to_ascii_lowercase()
}

// ---- chains ----

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"chain_id": 8453, "name": "Base", "finality_depth": 64}))]
pub struct ChainCreate {
    /// The EIP-155 chain id.
    pub chain_id: i64,
    pub name: String,
    /// Blocks deeper than this below the head are final: no reorg may reach them.
    pub finality_depth: i64,
}

impl ChainCreate {
    pub fn checked(self) -> Result<Self> {
        let mut errors = Vec::new();
        if self.chain_id <= 0 {
            errors.push(FieldError::new("chain_id", "must be a positive chain id"));
        }
        if self.name.trim().is_empty() || self.name.len() > 100 {
            errors.push(FieldError::new("name", "must be 1 to 100 characters"));
        }
        if !(1..=100_000).contains(&self.finality_depth) {
            errors.push(FieldError::new("finality_depth", "must be between 1 and 100000 blocks"));
        }
        if errors.is_empty() { Ok(self) } else { Err(MirrorError::Invalid(errors)) }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainView {
    pub id: Uuid,
    pub chain_id: i64,
    pub name: String,
    pub finality_depth: i64,
    /// The last accepted canonical block, or null before the first batch.
    pub head: Option<BlockRef>,
    /// The highest final block number (head − finality depth), or null.
    pub finalized_number: Option<i64>,
    pub created_at: DateTime<Utc>,
}

// ---- tokens and wallets ----

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"address": "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", "symbol": "USDC", "decimals": 6}))]
pub struct TokenCreate {
    pub address: String,
    pub symbol: String,
    /// 0 to 36.
    pub decimals: i32,
}

impl TokenCreate {
    pub fn checked(mut self) -> Result<Self> {
        let mut errors = Vec::new();
        self.address = address(&mut errors, "address", &self.address);
        if self.symbol.trim().is_empty() || self.symbol.len() > 32 {
            errors.push(FieldError::new("symbol", "must be 1 to 32 characters"));
        }
        if !(0..=36).contains(&self.decimals) {
            errors.push(FieldError::new("decimals", "must be between 0 and 36"));
        }
        if errors.is_empty() { Ok(self) } else { Err(MirrorError::Invalid(errors)) }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub chain: Uuid,
    pub address: String,
    pub symbol: String,
    pub decimals: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WalletType {
    Custodial,
    Hybrid,
    SelfCustody,
}

impl WalletType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Custodial => "custodial",
            Self::Hybrid => "hybrid",
            Self::SelfCustody => "self_custody",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"address": "0x1111111111111111111111111111111111111111", "type": "self_custody"}))]
pub struct WalletCreate {
    pub address: String,
    #[serde(rename = "type")]
    pub wallet_type: WalletType,
    /// The member or customer who holds it, if known.
    pub owner_user_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WalletView {
    pub id: Uuid,
    pub chain: Uuid,
    pub address: String,
    #[serde(rename = "type")]
    pub wallet_type: String,
    pub owner_user_id: Option<Uuid>,
}

// ---- ingestion ----

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKindIn {
    Deposit,
    Withdraw,
    Transfer,
    Stake,
    Unstake,
    Reward,
    PoolCreated,
    PoolStatusChanged,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoolType {
    Genesis,
    Community,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoolStatus {
    Active,
    Frozen,
    Closed,
}

/// One log of a block. Which fields a kind needs: `pool_created` pool, token, pool_type
/// (creator optional); `pool_status_changed` pool, status; `deposit` / `withdraw` pool,
/// wallet, amount, shares; `stake` pool, wallet, amount (unlock_time optional);
/// `unstake` / `reward` pool, wallet, amount; `transfer` token, wallet (from), to, amount.
/// Amounts are decimal strings of raw integer units, 0 to 2^256-1.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct EventIn {
    pub tx_hash: String,
    pub log_index: i32,
    pub kind: EventKindIn,
    pub pool: Option<String>,
    pub wallet: Option<String>,
    pub to: Option<String>,
    pub token: Option<String>,
    #[schema(value_type = Option<String>, example = "1000000")]
    pub amount: Option<U256>,
    #[schema(value_type = Option<String>, example = "1000000")]
    pub shares: Option<U256>,
    /// Unix seconds.
    pub unlock_time: Option<i64>,
    pub pool_type: Option<PoolType>,
    pub status: Option<PoolStatus>,
    pub creator: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct BlockIn {
    pub number: i64,
    pub hash: String,
    pub parent_hash: String,
    #[serde(default)]
    pub events: Vec<EventIn>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({"blocks": [{
    "number": 1, "hash": "0x00000000000000000000000000000000000000000000000000000000000000b1",
    "parent_hash": "0x00000000000000000000000000000000000000000000000000000000000000b0",
    "events": [{"tx_hash": "0x00000000000000000000000000000000000000000000000000000000000000a1", "log_index": 0,
        "kind": "transfer", "token": "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
        "wallet": "0x0000000000000000000000000000000000000000",
        "to": "0x1111111111111111111111111111111111111111", "amount": "1000000"}]}]}))]
pub struct BatchRequest {
    /// Consecutive blocks, oldest first, each the parent of the next.
    pub blocks: Vec<BlockIn>,
}

/// A block of a checked batch.
#[derive(Clone, Debug)]
pub struct Block {
    pub number: i64,
    pub hash: String,
    pub parent_hash: String,
    pub events: Vec<Event>,
}

impl BatchRequest {
    pub fn checked(self) -> Result<Vec<Block>> {
        let mut errors = Vec::new();
        if self.blocks.is_empty() || self.blocks.len() > MAX_BLOCKS {
            errors.push(FieldError::new("blocks", format!("must hold 1 to {MAX_BLOCKS} blocks")));
        }
        let total: usize = self.blocks.iter().map(|b| b.events.len()).sum();
        if total > MAX_EVENTS {
            errors.push(FieldError::new("blocks", format!("must hold at most {MAX_EVENTS} events in all")));
        }
        if !errors.is_empty() {
            return Err(MirrorError::Invalid(errors));
        }
        let mut out: Vec<Block> = Vec::with_capacity(self.blocks.len());
        for (i, b) in self.blocks.into_iter().enumerate() {
            let f = |name: &str| format!("blocks[{i}].{name}");
            if b.number < 0 {
                errors.push(FieldError::new(f("number"), "must be at least 0"));
            }
            let block_hash = hash(&mut errors, &f("hash"), &b.hash);
            let parent_hash = hash(&mut errors, &f("parent_hash"), &b.parent_hash);
            if let Some(prev) = out.last() {
                if b.number != prev.number + 1 {
                    errors.push(FieldError::new(f("number"), "must follow the previous block's number by 1"));
                }
                if parent_hash != prev.hash {
                    errors.push(FieldError::new(f("parent_hash"), "must be the previous block's hash"));
                }
            }
            let mut seen = std::collections::HashSet::new();
            let mut events = Vec::with_capacity(b.events.len());
            for (j, e) in b.events.into_iter().enumerate() {
                let g = |name: &str| format!("blocks[{i}].events[{j}].{name}");
                if e.log_index < 0 {
                    errors.push(FieldError::new(g("log_index"), "must be at least 0"));
                }
                if !seen.insert(e.log_index) {
                    errors.push(FieldError::new(g("log_index"), "is used twice in this block"));
                }
                events.push(event(&mut errors, &g, b.number, &block_hash, e));
            }
            events.sort_by_key(|e| e.log_index);
            out.push(Block { number: b.number, hash: block_hash, parent_hash, events });
        }
        if errors.is_empty() { Ok(out) } else { Err(MirrorError::Invalid(errors)) }
    }
}

fn event(errors: &mut Vec<FieldError>, g: &dyn Fn(&str) -> String, number: i64, block_hash: &str, e: EventIn) -> Event {
    let kind = match e.kind {
        EventKindIn::Deposit => Kind::Deposit,
        EventKindIn::Withdraw => Kind::Withdraw,
        EventKindIn::Transfer => Kind::Transfer,
        EventKindIn::Stake => Kind::Stake,
        EventKindIn::Unstake => Kind::Unstake,
        EventKindIn::Reward => Kind::Reward,
        EventKindIn::PoolCreated => Kind::PoolCreated,
        EventKindIn::PoolStatusChanged => Kind::PoolStatusChanged,
    };
    let mut required = |name: &str, present: bool| {
        if !present {
            errors.push(FieldError::new(g(name), format!("is required for a {} event", kind.as_str())));
        }
    };
    let (pool, wallet, to, token, amount, shares) = match kind {
        Kind::PoolCreated => (true, false, false, true, false, false),
        Kind::PoolStatusChanged => (true, false, false, false, false, false),
        Kind::Deposit | Kind::Withdraw => (true, true, false, false, true, true),
        Kind::Stake | Kind::Unstake | Kind::Reward => (true, true, false, false, true, false),
        Kind::Transfer => (false, true, true, true, true, false),
    };
    required("pool", !pool || e.pool.is_some());
    required("wallet", !wallet || e.wallet.is_some());
    required("to", !to || e.to.is_some());
    required("token", !token || e.token.is_some());
    required("amount", !amount || e.amount.is_some());
    required("shares", !shares || e.shares.is_some());
    required("pool_type", kind != Kind::PoolCreated || e.pool_type.is_some());
    required("status", kind != Kind::PoolStatusChanged || e.status.is_some());
    let mut addr = |name: &str, v: Option<String>| v.map(|v| address(errors, &g(name), &v));
    let pool = addr("pool", e.pool);
    let wallet = addr("wallet", e.wallet);
    let counterparty = addr("to", e.to);
    let token = addr("token", e.token);
    let creator = addr("creator", e.creator);
    let tx_hash = hash(errors, &g("tx_hash"), &e.tx_hash);
    Event {
        block_number: number,
        block_hash: block_hash.to_owned(),
        tx_hash,
        log_index: e.log_index,
        kind,
        pool,
        wallet,
        counterparty,
        token,
        amount: e.amount.unwrap_or_default(),
        shares: e.shares.unwrap_or_default(),
        unlock_time: e.unlock_time,
        pool_type: e.pool_type.map(|t| match t {
            PoolType::Genesis => "genesis".to_owned(),
            PoolType::Community => "community".to_owned(),
        }),
        status: e.status.map(|s| match s {
            PoolStatus::Active => "active".to_owned(),
            PoolStatus::Frozen => "frozen".to_owned(),
            PoolStatus::Closed => "closed".to_owned(),
        }),
        creator,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IngestView {
    /// Blocks newly accepted.
    pub accepted: usize,
    /// Blocks already accepted with the same hashes: nothing was done for them.
    pub duplicates: usize,
    pub events_applied: usize,
    /// The reorg this batch caused (its first block's parent was an earlier block), if any.
    pub reorg: Option<ReorgView>,
    pub head: Option<BlockRef>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"ancestor": {"number": 0, "hash": "0x00000000000000000000000000000000000000000000000000000000000000b0"}}))]
pub struct ReorgRequest {
    /// The common ancestor: the last block both forks share.
    pub ancestor: BlockRef,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReorgView {
    pub id: Uuid,
    pub ancestor: BlockRef,
    pub old_head: BlockRef,
    pub depth: i64,
    pub blocks_orphaned: i64,
    pub events_orphaned: i64,
    /// `applied` or `refused`.
    pub status: String,
    pub created_at: DateTime<Utc>,
}

// ---- read side ----

#[derive(Debug, Serialize, ToSchema)]
pub struct PoolView {
    pub id: Uuid,
    pub address: String,
    pub token: String,
    #[serde(rename = "type")]
    pub pool_type: String,
    pub creator: Option<String>,
    pub status: String,
    #[schema(value_type = String)]
    pub tvl: U256,
    /// TVL with the token's decimals, when the token is registered.
    pub tvl_display: Option<String>,
    #[schema(value_type = String)]
    pub total_shares: U256,
    #[schema(value_type = String)]
    pub staked: U256,
    #[schema(value_type = String)]
    pub rewards: U256,
    pub created_block: i64,
    pub updated_block: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotView {
    pub id: Uuid,
    pub pool: String,
    pub block_number: i64,
    pub block_hash: String,
    #[schema(value_type = String)]
    pub tvl: U256,
    #[schema(value_type = String)]
    pub staked: U256,
    #[schema(value_type = String)]
    pub rewards: U256,
    /// Rewards over staked, annualized, needs block times the mirror does not have: null
    /// until an indexer reports prices and times.
    pub estimated_apr: Option<String>,
    /// Where TVL comes from: the projection of the event log.
    pub price_source: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PositionView {
    pub id: Uuid,
    pub pool: String,
    pub wallet: String,
    #[schema(value_type = String)]
    pub shares: U256,
    #[schema(value_type = String)]
    pub deposited: U256,
    #[schema(value_type = String)]
    pub withdrawn: U256,
    pub updated_block: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    pub id: Uuid,
    pub wallet: String,
    pub token: String,
    #[schema(value_type = String)]
    pub amount: U256,
    pub display: Option<String>,
    pub updated_block: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StakeView {
    pub id: Uuid,
    pub pool: String,
    pub wallet: String,
    #[schema(value_type = String)]
    pub staked: U256,
    #[schema(value_type = String)]
    pub rewards: U256,
    pub unlock_time: Option<i64>,
    pub status: String,
    pub updated_block: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    pub block_number: i64,
    pub block_hash: String,
    pub tx_hash: String,
    pub log_index: i32,
    pub kind: String,
    pub pool: Option<String>,
    pub wallet: Option<String>,
    pub to: Option<String>,
    pub token: Option<String>,
    #[schema(value_type = String)]
    pub amount: U256,
    #[schema(value_type = String)]
    pub shares: U256,
    /// The reorg that orphaned it; null while canonical.
    pub orphaned_by: Option<Uuid>,
}

// ---- reconciliation ----

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ReportedPool {
    pub pool: String,
    #[schema(value_type = String)]
    pub tvl: U256,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ReportedBalance {
    pub wallet: String,
    pub token: String,
    #[schema(value_type = String)]
    pub amount: U256,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"block_number": 0, "pools": [], "balances": [
    {"wallet": "0x1111111111111111111111111111111111111111", "token": "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", "amount": "0"}]}))]
pub struct ReconciliationRequest {
    /// The block the totals were read at: compared with the projection at exactly it.
    pub block_number: i64,
    #[serde(default)]
    pub pools: Vec<ReportedPool>,
    #[serde(default)]
    pub balances: Vec<ReportedBalance>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ReconciliationLine {
    /// `pool_tvl` or `balance`.
    pub what: String,
    pub pool: Option<String>,
    pub wallet: Option<String>,
    pub token: Option<String>,
    #[schema(value_type = String)]
    pub reported: U256,
    #[schema(value_type = String)]
    pub mirrored: U256,
    /// reported − mirrored, signed ("0", "5", "-5").
    pub difference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciliationView {
    pub id: Uuid,
    pub block_number: i64,
    pub drift: bool,
    pub lines: Vec<ReconciliationLine>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_must_be_a_chain_of_blocks() {
        let h = |n: u8| format!("0x{:064x}", n);
        let block =
            |n: i64, hash: String, parent: String| BlockIn { number: n, hash, parent_hash: parent, events: vec![] };
        let ok = BatchRequest { blocks: vec![block(1, h(1), h(0)), block(2, h(2), h(1))] };
        assert_eq!(ok.checked().unwrap().len(), 2);
        let gap = BatchRequest { blocks: vec![block(1, h(1), h(0)), block(3, h(3), h(1))] };
        assert!(matches!(gap.checked(), Err(MirrorError::Invalid(e)) if e[0].field == "blocks[1].number"));
        let broken = BatchRequest { blocks: vec![block(1, h(1), h(0)), block(2, h(2), h(9))] };
        assert!(matches!(broken.checked(), Err(MirrorError::Invalid(e)) if e[0].field == "blocks[1].parent_hash"));
    }
}
