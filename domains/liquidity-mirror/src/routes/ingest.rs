//! What an indexer sends: `POST /v1/chains/{id}/blocks` and `/reorgs` (the
//! `liquidity-mirror:ingest` scope), and the event log and reorgs it leaves.

use actix_web::{get, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::MirrorError;
use crate::model::{BatchRequest, EventView, IngestView, ReorgRequest, ReorgView};
use crate::{INGEST, READ, mirror, repo};

/// A refused batch is recorded after its transaction rolled back (nothing of it applied).
async fn refused(ctx: &RequestContext, chain: Uuid, err: MirrorError, first: i64, last: i64) -> ApiError {
    if matches!(
        err,
        MirrorError::ParentMismatch { .. }
            | MirrorError::BeyondFinality { .. }
            | MirrorError::NegativeBalance(_)
            | MirrorError::EventRefused(_)
    ) && let Ok(tx) = ctx.write().await
    {
        let recorded = mirror::record_refusal(&tx, chain, &err, first, last).await;
        if recorded.is_ok() {
            let _ = tx.commit().await;
        }
    }
    err.into()
}

/// Ingests consecutive blocks, all or nothing. The first block's parent must be the
/// mirror's block below it (409 `parent_mismatch` with `head` otherwise); blocks already
/// accepted with the same hashes are `duplicates` (no-op); a first block whose parent is an
/// earlier accepted block reorgs back to it (409 `beyond_finality` past the finality
/// depth); a batch that would drive a balance, position or stake negative is refused whole
/// (422 `negative_balance` naming the event).
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:ingest"]), ("api_key" = ["liquidity-mirror:ingest"])),
    params(("id" = Uuid, Path)), request_body = BatchRequest, responses((status = 200, body = IngestView)))]
#[post("/chains/{id}/blocks")]
pub async fn blocks_ingest(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<BatchRequest>,
) -> Result<web::Json<IngestView>, ApiError> {
    ctx.require(INGEST)?;
    let tx = ctx.write().await?;
    mirror::find(&tx, *id).await?;
    let blocks = body.into_inner().checked()?;
    let (first, last) = (blocks[0].number, blocks[blocks.len() - 1].number);
    match mirror::ingest(&tx, &AuditActor::of(&ctx), *id, blocks).await {
        Ok(view) => {
            tx.commit().await?;
            Ok(web::Json(view))
        }
        Err(err) => {
            tx.rollback().await?;
            Err(refused(&ctx, *id, err, first, last).await)
        }
    }
}

/// Orphans every block after the common ancestor (their events are kept, marked with this
/// reorg) and recomputes the projection; 409 `beyond_finality` past the finality depth.
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:ingest"]), ("api_key" = ["liquidity-mirror:ingest"])),
    params(("id" = Uuid, Path)), request_body = ReorgRequest, responses((status = 200, body = ReorgView)))]
#[post("/chains/{id}/reorgs")]
pub async fn reorgs_create(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<ReorgRequest>,
) -> Result<web::Json<ReorgView>, ApiError> {
    ctx.require(INGEST)?;
    let tx = ctx.write().await?;
    let chain = mirror::find(&tx, *id).await?;
    let ancestor = body.into_inner().ancestor;
    let first = ancestor.number + 1;
    let last = chain.head.map(|h| h.number).unwrap_or(first);
    match mirror::reorg(&tx, &AuditActor::of(&ctx), *id, ancestor).await {
        Ok(view) => {
            tx.commit().await?;
            Ok(web::Json(view))
        }
        Err(err) => {
            tx.rollback().await?;
            Err(refused(&ctx, *id, err, first, last).await)
        }
    }
}

/// The chain's reorgs, applied and refused, oldest first.
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:read"]), ("api_key" = ["liquidity-mirror:read"])),
    params(("id" = Uuid, Path), ListQuery), responses((status = 200, body = Page<ReorgView>)))]
#[get("/chains/{id}/reorgs")]
pub async fn reorgs_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ReorgView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let chain = mirror::find(&tx, *id).await?;
    let rows = repo::reorgs(&tx, chain.id, query.cursor()?, limit).await?;
    Ok(web::Json(Page::from_overfetch(rows.into_iter().map(mirror::reorg_view).collect(), limit, |r| r.id)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventFilter {
    /// Also list orphaned events (marked with the reorg that orphaned them).
    pub include_orphaned: Option<bool>,
}

/// The chain event log, in the order it was received.
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:read"]), ("api_key" = ["liquidity-mirror:read"])),
    params(("id" = Uuid, Path), ListQuery, EventFilter), responses((status = 200, body = Page<EventView>)))]
#[get("/chains/{id}/events")]
pub async fn events_list(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
    filter: web::Query<EventFilter>,
) -> Result<web::Json<Page<EventView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let chain = mirror::find(&tx, *id).await?;
    let rows =
        repo::events_page(&tx, chain.id, filter.include_orphaned.unwrap_or(false), query.cursor()?, limit).await?;
    let views = rows
        .into_iter()
        .map(|(id, e, orphaned_by)| EventView {
            id,
            block_number: e.block_number,
            block_hash: e.block_hash,
            tx_hash: e.tx_hash,
            log_index: e.log_index,
            kind: e.kind.as_str().to_owned(),
            pool: e.pool,
            wallet: e.wallet,
            to: e.counterparty,
            token: e.token,
            amount: e.amount,
            shares: e.shares,
            orphaned_by,
        })
        .collect();
    Ok(web::Json(Page::from_overfetch(views, limit, |e| e.id)))
}
