//! The read side — pools with their TVL history, positions, balances and stakes (by
//! wallet) — and reconciliation against reported on-chain totals.

use actix_web::{HttpResponse, get, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::model::{
    BalanceView, PoolView, PositionView, ReconciliationLine, ReconciliationRequest, ReconciliationView, SnapshotView,
    StakeView,
};
use crate::repo::{self, ReadFilter};
use crate::{MANAGE, READ, mirror};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectionFilter {
    /// Only this wallet's rows.
    pub wallet: Option<String>,
    /// Only this pool's rows.
    pub pool: Option<String>,
}

impl ProjectionFilter {
    fn as_filter(&self) -> ReadFilter<'_> {
        ReadFilter { wallet: self.wallet.as_deref(), pool: self.pool.as_deref() }
    }
}

macro_rules! projection_list {
    ($name:ident, $path:literal, $view:ty, $doc:literal, $page:path, |$tx:ident, $chain:ident, $row:ident| $map:expr) => {
        #[doc = $doc]
        #[utoipa::path(tag = "liquidity-mirror",
            security(("bearer_jwt" = ["liquidity-mirror:read"]), ("api_key" = ["liquidity-mirror:read"])),
            params(("id" = Uuid, Path), ListQuery, ProjectionFilter), responses((status = 200, body = Page<$view>)))]
        #[get($path)]
        pub async fn $name(
            ctx: RequestContext,
            id: web::Path<Uuid>,
            query: web::Query<ListQuery>,
            filter: web::Query<ProjectionFilter>,
        ) -> Result<web::Json<Page<$view>>, ApiError> {
            ctx.require(READ)?;
            let limit = query.limit()?;
            let $tx = ctx.read().await?;
            let $chain = mirror::find(&$tx, *id).await?;
            let rows = $page(&$tx, $chain.id, &filter.as_filter(), query.cursor()?, limit).await?;
            let mut views = Vec::with_capacity(rows.len());
            for $row in &rows {
                views.push($map);
            }
            Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
        }
    };
}

projection_list!(
    pools_list,
    "/chains/{id}/pools",
    PoolView,
    "The chain's pools with their totals (TVL = deposited − withdrawn, exact).",
    repo::pools_page,
    |tx, chain, row| {
        let decimals = repo::token_decimals(&tx, chain.id).await?;
        let (id, address, p) = repo::pool_row(row)?;
        PoolView {
            id,
            tvl_display: decimals.get(&p.token).map(|d| p.tvl.display_with_decimals(*d)),
            address,
            token: p.token,
            pool_type: p.pool_type,
            creator: p.creator,
            status: p.status,
            tvl: p.tvl,
            total_shares: p.total_shares,
            staked: p.staked,
            rewards: p.rewards,
            created_block: p.created_block,
            updated_block: p.updated_block,
        }
    }
);

projection_list!(
    snapshots_list,
    "/chains/{id}/snapshots",
    SnapshotView,
    "Pool TVL history: one snapshot per pool and block it changed in, oldest block first.",
    repo::snapshots_page,
    |tx, chain, row| {
        let (id, (pool, block_number), s) = repo::snapshot_row(row)?;
        SnapshotView {
            id,
            pool,
            block_number,
            block_hash: s.block_hash,
            tvl: s.tvl,
            staked: s.staked,
            rewards: s.rewards,
            estimated_apr: None,
            price_source: "event_log",
        }
    }
);

projection_list!(
    positions_list,
    "/chains/{id}/positions",
    PositionView,
    "Positions (pool × wallet): shares, deposited, withdrawn.",
    repo::positions_page,
    |tx, chain, row| {
        let (id, (pool, wallet), p) = repo::position_row(row)?;
        PositionView {
            id,
            pool,
            wallet,
            shares: p.shares,
            deposited: p.deposited,
            withdrawn: p.withdrawn,
            updated_block: p.updated_block,
        }
    }
);

projection_list!(
    balances_list,
    "/chains/{id}/balances",
    BalanceView,
    "Balances (wallet × token), raw and with the token's decimals.",
    repo::balances_page,
    |tx, chain, row| {
        let decimals = repo::token_decimals(&tx, chain.id).await?;
        let (id, (wallet, token), b) = repo::balance_row(row)?;
        BalanceView {
            id,
            display: decimals.get(&token).map(|d| b.amount.display_with_decimals(*d)),
            wallet,
            token,
            amount: b.amount,
            updated_block: b.updated_block,
        }
    }
);

projection_list!(
    stakes_list,
    "/chains/{id}/stakes",
    StakeView,
    "Stakes (pool × wallet): staked, rewards, unlock time, status.",
    repo::stakes_page,
    |tx, chain, row| {
        let (id, (pool, wallet), s) = repo::stake_row(row)?;
        StakeView {
            id,
            pool,
            wallet,
            staked: s.staked,
            rewards: s.rewards,
            unlock_time: s.unlock_time,
            status: s.status,
            updated_block: s.updated_block,
        }
    }
);

/// Compares on-chain totals reported at `block_number` with the projection at exactly that
/// block (expected difference 0); a difference emits `mirror.drift_detected`.
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:manage"]), ("api_key" = ["liquidity-mirror:manage"])),
    params(("id" = Uuid, Path)), request_body = ReconciliationRequest,
    responses((status = 201, body = ReconciliationView)))]
#[post("/chains/{id}/reconciliations")]
pub async fn reconciliations_create(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<ReconciliationRequest>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(MANAGE)?;
    let tx = ctx.write().await?;
    let view = mirror::reconcile(&tx, &AuditActor::of(&ctx), *id, body.into_inner()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:read"]), ("api_key" = ["liquidity-mirror:read"])),
    params(("id" = Uuid, Path), ListQuery), responses((status = 200, body = Page<ReconciliationView>)))]
#[get("/chains/{id}/reconciliations")]
pub async fn reconciliations_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ReconciliationView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let chain = mirror::find(&tx, *id).await?;
    let rows = repo::reconciliations(&tx, chain.id, query.cursor()?, limit).await?;
    let views = rows
        .into_iter()
        .map(|(id, block_number, lines, drift, created_at)| ReconciliationView {
            id,
            block_number,
            drift,
            lines: serde_json::from_value::<Vec<ReconciliationLine>>(lines).unwrap_or_default(),
            created_at,
        })
        .collect();
    Ok(web::Json(Page::from_overfetch(views, limit, |r| r.id)))
}
