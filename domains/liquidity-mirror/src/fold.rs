//! The projection as a pure fold over the canonical event log: positions, balances, stakes,
//! pool totals and one yield snapshot per pool and block it changed in. Ingestion applies
//! it incrementally to the rows a batch touches; a reorg and `atrium mirror rebuild` replay
//! it from the log. Every amount is a [`U256`] and every step is checked: a step that would
//! go below zero (or past 2^256-1) fails naming its event, and the caller applies nothing.

use std::collections::BTreeMap;

use crate::u256::U256;

/// The zero address: a transfer from it mints, to it burns.
pub const ZERO_ADDRESS: &str = "0x0000000000000000000000000000000000000000";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Deposit,
    Withdraw,
    Transfer,
    Stake,
    Unstake,
    Reward,
    PoolCreated,
    PoolStatusChanged,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Withdraw => "withdraw",
            Self::Transfer => "transfer",
            Self::Stake => "stake",
            Self::Unstake => "unstake",
            Self::Reward => "reward",
            Self::PoolCreated => "pool_created",
            Self::PoolStatusChanged => "pool_status_changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "deposit" => Self::Deposit,
            "withdraw" => Self::Withdraw,
            "transfer" => Self::Transfer,
            "stake" => Self::Stake,
            "unstake" => Self::Unstake,
            "reward" => Self::Reward,
            "pool_created" => Self::PoolCreated,
            "pool_status_changed" => Self::PoolStatusChanged,
            _ => return None,
        })
    }
}

/// One event of the log, its typed fields flattened (addresses lowercase). Which fields a
/// kind needs is checked when a batch is read ([`crate::model`]); the fold still refuses a
/// missing one rather than guessing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub block_number: i64,
    pub block_hash: String,
    pub tx_hash: String,
    pub log_index: i32,
    pub kind: Kind,
    pub pool: Option<String>,
    /// The actor: depositor, staker, a transfer's sender.
    pub wallet: Option<String>,
    /// A transfer's receiver.
    pub counterparty: Option<String>,
    pub token: Option<String>,
    pub amount: U256,
    pub shares: U256,
    pub unlock_time: Option<i64>,
    pub pool_type: Option<String>,
    pub status: Option<String>,
    pub creator: Option<String>,
}

impl Event {
    pub fn describe(&self) -> String {
        format!(
            "event {} (block {} {}, tx {}, log_index {})",
            self.kind.as_str(),
            self.block_number,
            self.block_hash,
            self.tx_hash,
            self.log_index
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    pub token: String,
    pub pool_type: String,
    pub creator: Option<String>,
    pub status: String,
    /// Deposited minus withdrawn.
    pub tvl: U256,
    pub total_shares: U256,
    pub staked: U256,
    pub rewards: U256,
    pub created_block: i64,
    pub updated_block: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub shares: U256,
    pub deposited: U256,
    pub withdrawn: U256,
    pub updated_block: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    pub amount: U256,
    pub updated_block: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stake {
    pub staked: U256,
    pub rewards: U256,
    pub unlock_time: Option<i64>,
    /// `active` while something is staked, `withdrawn` after the last unstake.
    pub status: String,
    pub updated_block: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub block_hash: String,
    pub tvl: U256,
    pub staked: U256,
    pub rewards: U256,
}

/// The projection of one chain (or the part of it a batch touches).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub pools: BTreeMap<String, Pool>,
    /// (pool, wallet)
    pub positions: BTreeMap<(String, String), Position>,
    /// (wallet, token)
    pub balances: BTreeMap<(String, String), Balance>,
    /// (pool, wallet)
    pub stakes: BTreeMap<(String, String), Stake>,
    /// (pool, block number): the pool's totals after the last event of that block.
    pub snapshots: BTreeMap<(String, i64), Snapshot>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    /// A position, balance, stake or pool total would go below zero.
    #[error("{event} would make {what} negative")]
    Negative { event: String, what: String },
    /// An amount would pass 2^256-1, or the event does not fit the state (an unknown pool,
    /// a pool created twice, a missing field).
    #[error("{event}: {why}")]
    Invalid { event: String, why: String },
}

fn sub(v: U256, d: U256, e: &Event, what: impl FnOnce() -> String) -> Result<U256, FoldError> {
    v.checked_sub(d).ok_or_else(|| FoldError::Negative { event: e.describe(), what: what() })
}

fn add(v: U256, d: U256, e: &Event, what: impl FnOnce() -> String) -> Result<U256, FoldError> {
    v.checked_add(d)
        .ok_or_else(|| FoldError::Invalid { event: e.describe(), why: format!("{} would exceed 2^256-1", what()) })
}

fn field<'a>(v: &'a Option<String>, name: &str, e: &Event) -> Result<&'a str, FoldError> {
    v.as_deref().ok_or_else(|| FoldError::Invalid { event: e.describe(), why: format!("`{name}` is missing") })
}

impl State {
    /// Applies one event, or changes nothing and says why not.
    pub fn apply(&mut self, e: &Event) -> Result<(), FoldError> {
        self.apply_all(std::iter::once(e))
    }

    /// Applies events in order, on a copy; on the first failure nothing of them is applied.
    pub fn apply_all<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) -> Result<(), FoldError> {
        let mut next = self.clone();
        for e in events {
            next.step(e)?;
        }
        *self = next;
        Ok(())
    }

    fn pool_mut(&mut self, e: &Event) -> Result<(String, &mut Pool), FoldError> {
        let addr = field(&e.pool, "pool", e)?;
        match self.pools.get_mut(addr) {
            Some(p) => Ok((addr.to_owned(), p)),
            None => Err(FoldError::Invalid { event: e.describe(), why: format!("pool {addr} was never created") }),
        }
    }

    fn snapshot(&mut self, pool: &str, e: &Event) {
        if let Some(p) = self.pools.get(pool) {
            self.snapshots.insert(
                (pool.to_owned(), e.block_number),
                Snapshot { block_hash: e.block_hash.clone(), tvl: p.tvl, staked: p.staked, rewards: p.rewards },
            );
        }
    }

    fn step(&mut self, e: &Event) -> Result<(), FoldError> {
        let b = e.block_number;
        match e.kind {
            Kind::PoolCreated => {
                let addr = field(&e.pool, "pool", e)?.to_owned();
                if self.pools.contains_key(&addr) {
                    return Err(FoldError::Invalid { event: e.describe(), why: format!("pool {addr} already exists") });
                }
                let pool = Pool {
                    token: field(&e.token, "token", e)?.to_owned(),
                    pool_type: field(&e.pool_type, "pool_type", e)?.to_owned(),
                    creator: e.creator.clone(),
                    status: "active".to_owned(),
                    tvl: U256::ZERO,
                    total_shares: U256::ZERO,
                    staked: U256::ZERO,
                    rewards: U256::ZERO,
                    created_block: b,
                    updated_block: b,
                };
                self.pools.insert(addr.clone(), pool);
                self.snapshot(&addr, e);
            }
            Kind::PoolStatusChanged => {
                let status = field(&e.status, "status", e)?.to_owned();
                let (addr, p) = self.pool_mut(e)?;
                p.status = status;
                p.updated_block = b;
                self.snapshot(&addr, e);
            }
            Kind::Deposit | Kind::Withdraw | Kind::Stake | Kind::Unstake | Kind::Reward => {
                let wallet = field(&e.wallet, "wallet", e)?.to_owned();
                let (addr, p) = self.pool_mut(e)?;
                let token = p.token.clone();
                let deposit_like = matches!(e.kind, Kind::Deposit | Kind::Stake);
                if deposit_like && p.status != "active" {
                    return Err(FoldError::Invalid {
                        event: e.describe(),
                        why: format!("pool {addr} is {}, not active", p.status),
                    });
                }
                let pk = (addr.clone(), wallet.clone());
                let bk = (wallet.clone(), token.clone());
                match e.kind {
                    Kind::Deposit => {
                        p.tvl = add(p.tvl, e.amount, e, || format!("TVL of pool {addr}"))?;
                        p.total_shares = add(p.total_shares, e.shares, e, || format!("shares of pool {addr}"))?;
                        let pos = self.positions.entry(pk).or_default();
                        pos.shares = add(pos.shares, e.shares, e, || "position shares".into())?;
                        pos.deposited = add(pos.deposited, e.amount, e, || "position deposited".into())?;
                        pos.updated_block = b;
                        let bal = self.balances.entry(bk).or_default();
                        bal.amount = sub(bal.amount, e.amount, e, || format!("balance of {wallet} in {token}"))?;
                        bal.updated_block = b;
                    }
                    Kind::Withdraw => {
                        p.tvl = sub(p.tvl, e.amount, e, || format!("TVL of pool {addr}"))?;
                        p.total_shares = sub(p.total_shares, e.shares, e, || format!("shares of pool {addr}"))?;
                        let pos = self.positions.entry(pk).or_default();
                        pos.shares = sub(pos.shares, e.shares, e, || format!("position of {wallet} in pool {addr}"))?;
                        pos.withdrawn = add(pos.withdrawn, e.amount, e, || "position withdrawn".into())?;
                        pos.updated_block = b;
                        let bal = self.balances.entry(bk).or_default();
                        bal.amount = add(bal.amount, e.amount, e, || format!("balance of {wallet} in {token}"))?;
                        bal.updated_block = b;
                    }
                    Kind::Stake => {
                        p.staked = add(p.staked, e.amount, e, || format!("stake of pool {addr}"))?;
                        let s = self.stakes.entry(pk).or_default();
                        s.staked = add(s.staked, e.amount, e, || "stake".into())?;
                        if e.unlock_time.is_some() {
                            s.unlock_time = e.unlock_time;
                        }
                        s.status = "active".to_owned();
                        s.updated_block = b;
                        let bal = self.balances.entry(bk).or_default();
                        bal.amount = sub(bal.amount, e.amount, e, || format!("balance of {wallet} in {token}"))?;
                        bal.updated_block = b;
                    }
                    Kind::Unstake => {
                        p.staked = sub(p.staked, e.amount, e, || format!("stake of pool {addr}"))?;
                        let s = self.stakes.entry(pk).or_default();
                        s.staked = sub(s.staked, e.amount, e, || format!("stake of {wallet} in pool {addr}"))?;
                        s.status = if s.staked.is_zero() { "withdrawn" } else { "active" }.to_owned();
                        s.updated_block = b;
                        let bal = self.balances.entry(bk).or_default();
                        bal.amount = add(bal.amount, e.amount, e, || format!("balance of {wallet} in {token}"))?;
                        bal.updated_block = b;
                    }
                    _ => {
                        p.rewards = add(p.rewards, e.amount, e, || format!("rewards of pool {addr}"))?;
                        let s = self.stakes.entry(pk).or_default();
                        s.rewards = add(s.rewards, e.amount, e, || "rewards".into())?;
                        if s.status.is_empty() {
                            s.status = "active".to_owned();
                        }
                        s.updated_block = b;
                    }
                }
                if let Some(p) = self.pools.get_mut(&addr) {
                    p.updated_block = b;
                }
                self.snapshot(&addr, e);
            }
            Kind::Transfer => {
                let token = field(&e.token, "token", e)?.to_owned();
                let from = field(&e.wallet, "wallet", e)?.to_owned();
                let to = field(&e.counterparty, "to", e)?.to_owned();
                if from != ZERO_ADDRESS {
                    let bal = self.balances.entry((from.clone(), token.clone())).or_default();
                    bal.amount = sub(bal.amount, e.amount, e, || format!("balance of {from} in {token}"))?;
                    bal.updated_block = b;
                }
                if to != ZERO_ADDRESS {
                    let bal = self.balances.entry((to.clone(), token.clone())).or_default();
                    bal.amount = add(bal.amount, e.amount, e, || format!("balance of {to} in {token}"))?;
                    bal.updated_block = b;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::Rng;

    fn ev(n: i64, kind: Kind) -> Event {
        Event {
            block_number: n,
            block_hash: format!("0x{n:064x}"),
            tx_hash: format!("0x{:064x}", n * 1000),
            log_index: 0,
            kind,
            pool: None,
            wallet: None,
            counterparty: None,
            token: None,
            amount: U256::ZERO,
            shares: U256::ZERO,
            unlock_time: None,
            pool_type: None,
            status: None,
            creator: None,
        }
    }

    fn transfer(n: i64, from: &str, to: &str, amount: U256) -> Event {
        Event {
            token: Some("0xtoken".into()),
            wallet: Some(from.into()),
            counterparty: Some(to.into()),
            amount,
            ..ev(n, Kind::Transfer)
        }
    }

    #[test]
    fn a_step_below_zero_names_its_event_and_changes_nothing() {
        let mut s = State::default();
        s.apply(&transfer(1, ZERO_ADDRESS, "0xa", U256::ONE)).unwrap();
        let before = s.clone();
        let err = s.apply(&transfer(2, "0xa", "0xb", U256::from_u128(2))).unwrap_err();
        assert!(matches!(&err, FoldError::Negative { event, .. } if event.contains("block 2")), "{err}");
        assert_eq!(s, before);
        // …and a batch is all or nothing.
        let batch = [transfer(3, "0xa", "0xb", U256::ONE), transfer(3, "0xa", "0xb", U256::ONE)];
        assert!(s.apply_all(&batch).is_err());
        assert_eq!(s, before);
    }

    #[test]
    fn the_extremes_fold_exactly() {
        let mut s = State::default();
        s.apply(&transfer(1, ZERO_ADDRESS, "0xa", U256::MAX)).unwrap();
        assert!(s.apply(&transfer(2, ZERO_ADDRESS, "0xa", U256::ONE)).is_err(), "2^256 does not fit");
        s.apply(&transfer(3, "0xa", "0xb", U256::ONE)).unwrap();
        assert_eq!(s.balances[&("0xb".into(), "0xtoken".into())].amount, U256::ONE);
        assert_eq!(s.balances[&("0xa".into(), "0xtoken".into())].amount.checked_add(U256::ONE), Some(U256::MAX));
    }

    /// Σ deltas = balance, for random sequences: each accepted transfer's signed deltas,
    /// summed per wallet as i128, equal the folded balance; refused ones add nothing.
    #[test]
    fn the_sum_of_deltas_is_the_balance() {
        let mut rng = rand::rng();
        let wallets = ["0xa", "0xb", "0xc", "0xd"];
        for _ in 0..200 {
            let mut s = State::default();
            let mut sums: BTreeMap<&str, i128> = BTreeMap::new();
            for n in 0..60 {
                let from = if rng.random_bool(0.3) { ZERO_ADDRESS } else { wallets[rng.random_range(0..4)] };
                let to = wallets[rng.random_range(0..4)];
                let amount = rng.random_range(0..1_000_000u128);
                if s.apply(&transfer(n, from, to, U256::from_u128(amount))).is_ok() {
                    if from != ZERO_ADDRESS {
                        *sums.entry(from).or_default() -= amount as i128;
                    }
                    *sums.entry(to).or_default() += amount as i128;
                }
            }
            for w in wallets {
                let folded =
                    s.balances.get(&(w.to_owned(), "0xtoken".to_owned())).map(|b| b.amount).unwrap_or_default();
                let sum = sums.get(w).copied().unwrap_or_default();
                assert!(sum >= 0);
                assert_eq!(folded, U256::from_u128(sum as u128), "{w}");
            }
        }
    }

    #[test]
    fn deposits_and_withdrawals_move_positions_pool_and_balance() {
        let mut s = State::default();
        let pool = |k: Kind, n: i64, amount: u128| Event {
            pool: Some("0xpool".into()),
            wallet: Some("0xa".into()),
            token: Some("0xtoken".into()),
            pool_type: Some("genesis".into()),
            amount: U256::from_u128(amount),
            shares: U256::from_u128(amount),
            ..ev(n, k)
        };
        s.apply(&pool(Kind::PoolCreated, 1, 0)).unwrap();
        s.apply(&transfer(1, ZERO_ADDRESS, "0xa", U256::from_u128(100))).unwrap();
        s.apply(&pool(Kind::Deposit, 2, 60)).unwrap();
        s.apply(&pool(Kind::Withdraw, 3, 10)).unwrap();
        assert!(matches!(s.apply(&pool(Kind::Withdraw, 4, 51)), Err(FoldError::Negative { .. })));
        let p = &s.pools["0xpool"];
        assert_eq!(p.tvl, U256::from_u128(50));
        let pos = &s.positions[&("0xpool".into(), "0xa".into())];
        assert_eq!(
            (pos.shares, pos.deposited, pos.withdrawn),
            (U256::from_u128(50), U256::from_u128(60), U256::from_u128(10))
        );
        assert_eq!(s.balances[&("0xa".into(), "0xtoken".into())].amount, U256::from_u128(50));
        assert_eq!(s.snapshots.len(), 3);
    }
}
