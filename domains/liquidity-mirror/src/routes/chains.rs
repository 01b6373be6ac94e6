//! `/v1/chains`, their tokens, and wallets (a chain's, and a user's across chains).

use actix_web::{HttpResponse, get, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::RequestContext;
use atrium_core::error::ApiError;
use atrium_core::extract::Json;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::events::MirrorEvent;
use crate::model::{ChainCreate, ChainView, TokenCreate, TokenView, WalletCreate, WalletView};
use crate::{MANAGE, READ, mirror, repo};

/// The mirrored chains with their heads.
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:read"]), ("api_key" = ["liquidity-mirror:read"])),
    responses((status = 200, body = Vec<ChainView>)))]
#[get("/chains")]
pub async fn chains_list(ctx: RequestContext) -> Result<web::Json<Vec<ChainView>>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let rows = repo::chains(&tx).await.map_err(ApiError::from)?;
    Ok(web::Json(rows.into_iter().map(mirror::chain_view).collect()))
}

/// Adds a chain to mirror (409 when its chain id is already mirrored).
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:manage"]), ("api_key" = ["liquidity-mirror:manage"])),
    request_body = ChainCreate, responses((status = 201, body = ChainView)))]
#[post("/chains")]
pub async fn chains_create(ctx: RequestContext, body: Json<ChainCreate>) -> Result<HttpResponse, ApiError> {
    ctx.require(MANAGE)?;
    let tx = ctx.write().await?;
    let view = mirror::create_chain(&tx, &AuditActor::of(&ctx), body.into_inner()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/v1/chains/{}", view.id))).json(view))
}

/// A chain and its head (the last accepted block) and highest final block.
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:read"]), ("api_key" = ["liquidity-mirror:read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ChainView)))]
#[get("/chains/{id}")]
pub async fn chains_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<ChainView>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    Ok(web::Json(mirror::chain_view(mirror::find(&tx, *id).await?)))
}

#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:read"]), ("api_key" = ["liquidity-mirror:read"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<TokenView>)))]
#[get("/chains/{id}/tokens")]
pub async fn tokens_list(ctx: RequestContext, id: web::Path<Uuid>) -> Result<web::Json<Vec<TokenView>>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let chain = mirror::find(&tx, *id).await?;
    let rows = repo::tokens(&tx, chain.id).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|(id, address, symbol, decimals)| TokenView { id, chain: chain.id, address, symbol, decimals })
            .collect(),
    ))
}

/// Registers a token (or changes its symbol and decimals): display amounts use its decimals.
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:manage"]), ("api_key" = ["liquidity-mirror:manage"])),
    params(("id" = Uuid, Path)), request_body = TokenCreate, responses((status = 201, body = TokenView)))]
#[post("/chains/{id}/tokens")]
pub async fn tokens_create(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<TokenCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(MANAGE)?;
    let tx = ctx.write().await?;
    let chain = mirror::find(&tx, *id).await?;
    let body = body.into_inner().checked()?;
    let token_id = repo::upsert_token(&tx, chain.id, &body.address, body.symbol.trim(), body.decimals).await?;
    let view = TokenView {
        id: token_id,
        chain: chain.id,
        address: body.address,
        symbol: body.symbol,
        decimals: body.decimals,
    };
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(MirrorEvent::TokenRegistered, "token", token_id, None, Some(json!(view))),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

/// Registers a wallet of the chain (or changes its type and owner).
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:manage"]), ("api_key" = ["liquidity-mirror:manage"])),
    params(("id" = Uuid, Path)), request_body = WalletCreate, responses((status = 201, body = WalletView)))]
#[post("/chains/{id}/wallets")]
pub async fn chain_wallets_create(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Json<WalletCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(MANAGE)?;
    let tx = ctx.write().await?;
    let chain = mirror::find(&tx, *id).await?;
    let body = body.into_inner();
    if !crate::model::is_address(&body.address) {
        return Err(crate::error::MirrorError::field("address", "must be a 0x-prefixed 20-byte hex address").into());
    }
    let address = body.address.to_ascii_lowercase();
    let wallet_id = repo::upsert_wallet(&tx, chain.id, &address, body.wallet_type.as_str(), body.owner_user_id).await?;
    let view = WalletView {
        id: wallet_id,
        chain: chain.id,
        address,
        wallet_type: body.wallet_type.as_str().to_owned(),
        owner_user_id: body.owner_user_id,
    };
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(MirrorEvent::WalletRegistered, "wallet", wallet_id, None, Some(json!(view))),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WalletFilter {
    /// A user's wallets.
    pub owner_user_id: Option<Uuid>,
    pub chain: Option<Uuid>,
}

/// Registered wallets, across chains; `owner_user_id` gives a user's.
#[utoipa::path(tag = "liquidity-mirror",
    security(("bearer_jwt" = ["liquidity-mirror:read"]), ("api_key" = ["liquidity-mirror:read"])),
    params(WalletFilter), responses((status = 200, body = Vec<WalletView>)))]
#[get("/wallets")]
pub async fn wallets_list(
    ctx: RequestContext,
    filter: web::Query<WalletFilter>,
) -> Result<web::Json<Vec<WalletView>>, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let rows = repo::wallets(&tx, filter.chain, filter.owner_user_id).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|w| WalletView {
                id: w.id,
                chain: w.chain,
                address: w.address,
                wallet_type: w.wallet_type,
                owner_user_id: w.owner_user_id,
            })
            .collect(),
    ))
}
