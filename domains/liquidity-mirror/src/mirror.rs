//! The operations and their rules: chains, ingestion (all or nothing, parent-hash checked,
//! duplicates a no-op, one batch per chain at a time), reorgs (orphaning back to a common
//! ancestor within the finality depth, then a replay of the canonical log), rebuild,
//! reconciliation. Routes and the `mirror rebuild` command both call these.

use std::collections::BTreeSet;

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::db::TenantTx;
use atrium_core::events;
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use crate::error::{MirrorError, Result};
use crate::events::MirrorEvent;
use crate::fold::{FoldError, Kind, State};
use crate::model::{
    Block, BlockRef, ChainCreate, ChainView, IngestView, ReconciliationLine, ReconciliationRequest, ReconciliationView,
    ReorgView, is_address,
};
use crate::repo::{self, ChainRow, ReorgRow};
use crate::u256::U256;

pub fn chain_view(c: ChainRow) -> ChainView {
    let finalized_number = c.head.as_ref().map(|h| (h.number - c.finality_depth).max(-1)).filter(|n| *n >= 0);
    ChainView {
        id: c.id,
        chain_id: c.chain_id,
        name: c.name,
        finality_depth: c.finality_depth,
        head: c.head,
        finalized_number,
        created_at: c.created_at,
    }
}

pub fn reorg_view(r: ReorgRow) -> ReorgView {
    ReorgView {
        id: r.id,
        ancestor: r.ancestor,
        old_head: r.old_head,
        depth: r.depth,
        blocks_orphaned: r.blocks_orphaned,
        events_orphaned: r.events_orphaned,
        status: r.status,
        created_at: r.created_at,
    }
}

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<ChainRow> {
    repo::chain(tx, id, false).await?.ok_or(MirrorError::NotFound)
}

pub async fn create_chain(tx: &TenantTx, actor: &AuditActor, body: ChainCreate) -> Result<ChainView> {
    let body = body.checked()?;
    if repo::chain_by_chain_id(tx, body.chain_id).await?.is_some() {
        return Err(MirrorError::Conflict(format!("chain {} is already mirrored", body.chain_id)));
    }
    let id = Uuid::now_v7();
    repo::insert_chain(tx, id, body.chain_id, body.name.trim(), body.finality_depth).await?;
    let view = chain_view(find(tx, id).await?);
    audit::record(tx, actor, Change::new(MirrorEvent::ChainCreated, "chain", id, None, Some(json!(view)))).await?;
    Ok(view)
}

fn fold_error(e: FoldError) -> MirrorError {
    match e {
        FoldError::Negative { .. } => MirrorError::NegativeBalance(e.to_string()),
        FoldError::Invalid { .. } => MirrorError::EventRefused(e.to_string()),
    }
}

/// Replays the chain's canonical log into an empty projection; returns (rows removed,
/// rows written).
pub async fn replay(tx: &TenantTx, chain: Uuid) -> Result<(u64, usize)> {
    let removed = repo::clear_projection(tx, chain).await?;
    let events = repo::canonical_events(tx, chain, None).await?;
    let mut state = State::default();
    state.apply_all(&events).map_err(fold_error)?;
    repo::write_state(tx, chain, &state).await?;
    let written =
        state.pools.len() + state.positions.len() + state.balances.len() + state.stakes.len() + state.snapshots.len();
    Ok((removed, written))
}

/// Orphans every canonical block above `ancestor` (which must be canonical), within the
/// finality depth, and recomputes the projection from the log.
async fn roll_back(tx: &TenantTx, actor: &AuditActor, chain: &ChainRow, ancestor: &BlockRef) -> Result<ReorgRow> {
    let head = chain.head.clone().ok_or_else(|| MirrorError::Conflict("the chain has no blocks yet".into()))?;
    let finalized = head.number - chain.finality_depth;
    if ancestor.number < finalized {
        return Err(MirrorError::BeyondFinality {
            detail: format!(
                "a reorg back to block {} would orphan block {finalized}, final at depth {} below head {}",
                ancestor.number, chain.finality_depth, head.number
            ),
            head: Some(head),
        });
    }
    let id = Uuid::now_v7();
    let (blocks, events_orphaned) = repo::orphan_after(tx, chain.id, ancestor.number, id).await?;
    let row = ReorgRow {
        id,
        ancestor: ancestor.clone(),
        depth: head.number - ancestor.number,
        old_head: head,
        blocks_orphaned: blocks as i64,
        events_orphaned: events_orphaned as i64,
        status: "applied".to_owned(),
        created_at: Utc::now(),
    };
    repo::insert_reorg(tx, chain.id, &row).await?;
    repo::set_head(tx, chain.id, Some(ancestor)).await?;
    replay(tx, chain.id).await?;
    let data = json!({"chain": chain.id, "chain_id": chain.chain_id, "reorg": reorg_view_ref(&row)});
    emit(tx, actor, MirrorEvent::Reorged, "chain", chain.id, data).await?;
    Ok(row)
}

fn reorg_view_ref(r: &ReorgRow) -> serde_json::Value {
    json!({"id": r.id, "ancestor": r.ancestor, "old_head": r.old_head, "depth": r.depth,
        "blocks_orphaned": r.blocks_orphaned, "events_orphaned": r.events_orphaned, "status": r.status})
}

/// A person's change is audited (and emitted); an API key's is emitted only.
async fn emit(
    tx: &TenantTx,
    actor: &AuditActor,
    event: MirrorEvent,
    entity: &str,
    id: impl ToString,
    data: serde_json::Value,
) -> Result<()> {
    if actor.actor_type == "user" {
        audit::record(tx, actor, Change::new(event, entity, id, None, Some(data))).await?;
    } else {
        events::emit(tx, event, &json!({"id": id.to_string(), "object": data})).await?;
    }
    Ok(())
}

/// `POST /v1/chains/{id}/reorgs`: the indexer names the common ancestor.
pub async fn reorg(tx: &TenantTx, actor: &AuditActor, chain_id: Uuid, ancestor: BlockRef) -> Result<ReorgView> {
    let chain = repo::chain(tx, chain_id, true).await?.ok_or(MirrorError::NotFound)?;
    let ancestor = BlockRef { number: ancestor.number, hash: ancestor.hash.to_ascii_lowercase() };
    let known = repo::canonical_blocks(tx, chain.id, ancestor.number, ancestor.number).await?;
    if known.get(&ancestor.number) != Some(&ancestor.hash) {
        return Err(MirrorError::ParentMismatch {
            detail: format!("block {} {} is not a canonical block of the mirror", ancestor.number, ancestor.hash),
            head: chain.head,
        });
    }
    let head = chain.head.clone().ok_or(MirrorError::NotFound)?;
    if ancestor.number >= head.number {
        // Nothing above it: a repeated notice changes nothing.
        return Ok(ReorgView {
            id: Uuid::nil(),
            ancestor: ancestor.clone(),
            old_head: head,
            depth: 0,
            blocks_orphaned: 0,
            events_orphaned: 0,
            status: "noop".to_owned(),
            created_at: Utc::now(),
        });
    }
    Ok(reorg_view(roll_back(tx, actor, &chain, &ancestor).await?))
}

/// `POST /v1/chains/{id}/blocks`.
pub async fn ingest(tx: &TenantTx, actor: &AuditActor, chain_id: Uuid, blocks: Vec<Block>) -> Result<IngestView> {
    let chain = repo::chain(tx, chain_id, true).await?.ok_or(MirrorError::NotFound)?;
    let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
        return Err(MirrorError::field("blocks", "must hold at least one block"));
    };
    let known = repo::canonical_blocks(tx, chain.id, first.number, last.number).await?;
    let duplicates = blocks.iter().take_while(|b| known.get(&b.number) == Some(&b.hash)).count();
    if duplicates == blocks.len() {
        return Ok(IngestView { accepted: 0, duplicates, events_applied: 0, reorg: None, head: chain.head });
    }
    let rest = &blocks[duplicates..];
    let b = &rest[0];
    let mut reorg = None;
    if let Some(head) = &chain.head {
        let mismatch = |why: String| MirrorError::ParentMismatch { detail: why, head: Some(head.clone()) };
        if b.number > head.number + 1 {
            return Err(mismatch(format!(
                "block {} does not follow the mirror's head {}: blocks are missing between them",
                b.number, head.number
            )));
        }
        let parent = if b.number - 1 == head.number {
            Some(head.hash.clone())
        } else {
            repo::canonical_blocks(tx, chain.id, b.number - 1, b.number - 1).await?.remove(&(b.number - 1))
        };
        if parent.as_deref() != Some(b.parent_hash.as_str()) {
            return Err(mismatch(format!(
                "block {}'s parent hash {} is not the mirror's block {} ({})",
                b.number,
                b.parent_hash,
                b.number - 1,
                parent.as_deref().unwrap_or("unknown")
            )));
        }
        if b.number <= head.number {
            // The batch forks off an earlier block: a reorg to it.
            let ancestor = BlockRef { number: b.number - 1, hash: b.parent_hash.clone() };
            reorg = Some(reorg_view(roll_back(tx, actor, &chain, &ancestor).await?));
        }
    }

    let events: Vec<&crate::fold::Event> = rest.iter().flat_map(|b| b.events.iter()).collect();
    // The same (tx, log index) already canonical in another block is a reorg signal the
    // indexer has not sent: never deduplicated silently.
    let txs: BTreeSet<&str> = events.iter().map(|e| e.tx_hash.as_str()).collect();
    let seen = repo::canonical_txs(tx, chain.id, &txs).await?;
    for e in &events {
        if let Some((number, hash)) = seen.get(&(e.tx_hash.clone(), e.log_index)) {
            return Err(MirrorError::Conflict(format!(
                "{} is already canonical in block {number} ({hash}): send the reorg first",
                e.describe()
            )));
        }
    }

    // The incremental fold: load what the batch touches, apply it all (or nothing), write.
    let mut pools = BTreeSet::new();
    let mut wallets = BTreeSet::new();
    for e in &events {
        pools.extend(e.pool.clone());
        wallets.extend(e.wallet.clone());
        wallets.extend(e.counterparty.clone());
    }
    let mut state = repo::load_touched(tx, chain.id, &pools, &wallets).await?;
    state.apply_all(events.iter().copied()).map_err(fold_error)?;

    let rows: Vec<(i64, &str, &str, i64)> =
        rest.iter().map(|b| (b.number, b.hash.as_str(), b.parent_hash.as_str(), b.events.len() as i64)).collect();
    repo::insert_blocks(tx, chain.id, &rows).await?;
    repo::insert_events(tx, chain.id, &events).await?;
    repo::write_state(tx, chain.id, &state).await?;
    let head = BlockRef { number: last.number, hash: last.hash.clone() };
    repo::set_head(tx, chain.id, Some(&head)).await?;

    let data = json!({"chain": chain.id, "chain_id": chain.chain_id, "first": rest[0].number,
        "last": last.number, "blocks": rest.len(), "events": events.len(), "head": head});
    emit(tx, actor, MirrorEvent::BlockAccepted, "chain", chain.id, data).await?;
    let touched_pools: BTreeSet<&str> = events.iter().filter_map(|e| e.pool.as_deref()).collect();
    for p in touched_pools {
        if let Some(pool) = state.pools.get(p) {
            let data = json!({"chain": chain.id, "address": p, "status": pool.status, "tvl": pool.tvl,
                "staked": pool.staked, "rewards": pool.rewards, "block": pool.updated_block});
            emit(tx, actor, MirrorEvent::PoolUpdated, "pool", repo::key_id(chain.id, "mirror_pools", &[p]), data)
                .await?;
        }
    }
    let touched_positions: BTreeSet<(&str, &str)> = events
        .iter()
        .filter(|e| matches!(e.kind, Kind::Deposit | Kind::Withdraw))
        .filter_map(|e| e.pool.as_deref().zip(e.wallet.as_deref()))
        .collect();
    for (p, w) in touched_positions {
        if let Some(pos) = state.positions.get(&(p.to_owned(), w.to_owned())) {
            let id = repo::key_id(chain.id, "mirror_positions", &[p, w]);
            let data = json!({"chain": chain.id, "pool": p, "wallet": w, "shares": pos.shares,
                "deposited": pos.deposited, "withdrawn": pos.withdrawn, "block": pos.updated_block});
            emit(tx, actor, MirrorEvent::PositionChanged, "position", id, data).await?;
        }
    }
    Ok(IngestView { accepted: rest.len(), duplicates, events_applied: events.len(), reorg, head: Some(head) })
}

/// What a refused batch or reorg leaves behind, written after its transaction rolled back:
/// the refusal, and for a reorg beyond finality the refused reorg and `chain.reorg_refused`.
pub async fn record_refusal(tx: &TenantTx, chain_id: Uuid, err: &MirrorError, first: i64, last: i64) -> Result<()> {
    let Some(chain) = repo::chain(tx, chain_id, false).await? else { return Ok(()) };
    repo::insert_rejection(tx, chain.id, err.code(), &err.to_string(), first, last).await?;
    if let MirrorError::BeyondFinality { head: Some(head), .. } = err {
        let row = ReorgRow {
            id: Uuid::now_v7(),
            ancestor: BlockRef { number: first - 1, hash: String::new() },
            old_head: head.clone(),
            depth: head.number - (first - 1),
            blocks_orphaned: 0,
            events_orphaned: 0,
            status: "refused".to_owned(),
            created_at: Utc::now(),
        };
        repo::insert_reorg(tx, chain.id, &row).await?;
        let data = json!({"chain": chain.id, "chain_id": chain.chain_id, "reorg": reorg_view_ref(&row),
            "detail": err.to_string()});
        events::emit(tx, MirrorEvent::ReorgRefused, &json!({"id": chain.id.to_string(), "object": data})).await?;
    }
    Ok(())
}

fn signed_difference(reported: U256, mirrored: U256) -> String {
    match reported.checked_sub(mirrored) {
        Some(d) => d.to_string(),
        None => format!("-{}", mirrored.checked_sub(reported).unwrap_or_default()),
    }
}

/// Compares reported on-chain totals with the projection at exactly `block_number`.
pub async fn reconcile(
    tx: &TenantTx,
    actor: &AuditActor,
    chain_id: Uuid,
    req: ReconciliationRequest,
) -> Result<ReconciliationView> {
    let chain = find(tx, chain_id).await?;
    let mut errors = Vec::new();
    let head = chain.head.as_ref().map(|h| h.number).unwrap_or(-1);
    if req.block_number < 0 || req.block_number > head {
        errors.push(atrium_core::error::FieldError::new(
            "block_number",
            format!("must be a block the mirror has accepted (0 to {head})"),
        ));
    }
    for (i, p) in req.pools.iter().enumerate() {
        if !is_address(&p.pool) {
            errors.push(atrium_core::error::FieldError::new(format!("pools[{i}].pool"), "must be an address"));
        }
    }
    for (i, b) in req.balances.iter().enumerate() {
        if !is_address(&b.wallet) || !is_address(&b.token) {
            errors.push(atrium_core::error::FieldError::new(
                format!("balances[{i}]"),
                "wallet and token must be addresses",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(MirrorError::Invalid(errors));
    }
    let events = repo::canonical_events(tx, chain.id, Some(req.block_number)).await?;
    let mut state = State::default();
    state.apply_all(&events).map_err(fold_error)?;
    let mut lines = Vec::new();
    for p in &req.pools {
        let pool = p.pool.to_ascii_lowercase();
        let mirrored = state.pools.get(&pool).map(|x| x.tvl).unwrap_or_default();
        lines.push(ReconciliationLine {
            what: "pool_tvl".into(),
            pool: Some(pool),
            wallet: None,
            token: None,
            reported: p.tvl,
            mirrored,
            difference: signed_difference(p.tvl, mirrored),
        });
    }
    for b in &req.balances {
        let key = (b.wallet.to_ascii_lowercase(), b.token.to_ascii_lowercase());
        let mirrored = state.balances.get(&key).map(|x| x.amount).unwrap_or_default();
        lines.push(ReconciliationLine {
            what: "balance".into(),
            pool: None,
            wallet: Some(key.0),
            token: Some(key.1),
            reported: b.amount,
            mirrored,
            difference: signed_difference(b.amount, mirrored),
        });
    }
    let drift = lines.iter().any(|l| l.difference != "0");
    let id = Uuid::now_v7();
    let at = Utc::now();
    let lines_json = serde_json::to_value(&lines).map_err(|e| MirrorError::Corrupt("lines".into(), e.to_string()))?;
    repo::insert_reconciliation(tx, id, chain.id, req.block_number, &lines_json, drift, at).await?;
    let view = ReconciliationView { id, block_number: req.block_number, drift, lines, created_at: at };
    let data = json!(view);
    emit(tx, actor, MirrorEvent::Reconciled, "reconciliation", id, data.clone()).await?;
    if drift {
        emit(tx, actor, MirrorEvent::DriftDetected, "reconciliation", id, data).await?;
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_signed_and_exact() {
        assert_eq!(signed_difference(U256::MAX, U256::MAX), "0");
        assert_eq!(signed_difference(U256::from_u128(5), U256::from_u128(2)), "3");
        assert_eq!(signed_difference(U256::ZERO, U256::MAX), format!("-{}", U256::MAX));
    }
}
