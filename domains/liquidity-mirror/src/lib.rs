//! atrium-liquidity-mirror: an exact, reorg-safe mirror of on-chain liquidity (Vlossom
//! v1.1 §8.5 and §10, the VIBEUP crypto domain). Atrium does not talk to a chain: an
//! indexer the tenant runs posts batches of blocks and their events; the contracts stay
//! the source of truth.
//!
//! Layers: [`routes`] (extract, authorize, call, map) → [`mirror`] (the operations and
//! their rules) → `repo` (the only queries); [`fold`] is the projection as a pure fold over
//! the canonical event log, on exact [`u256::U256`] amounts.
//!
//! A batch applies all or nothing in one transaction that holds its chain's row: its first
//! block must continue the mirror (parent hash), blocks already accepted are duplicates
//! (no-op), a parent earlier than the head is a reorg (orphaning, within the finality
//! depth, then a replay of the canonical log), and the fold refuses anything that would
//! go negative.

pub mod block;
pub mod commands;
pub mod error;
pub mod events;
pub mod fold;
pub mod migrations;
pub mod mirror;
pub mod model;
pub mod repo;
pub mod routes;
pub mod u256;

use atrium_core::context::Permission;
use atrium_core::events::EventTypeDef;
use atrium_core::plugin::{BuiltinRole::*, CommandDef, DomainPlugin, Migrations, PermissionDef};
use utoipa_actix_web::service_config::ServiceConfig;

pub const READ: Permission = Permission("liquidity-mirror:read");
pub const MANAGE: Permission = Permission("liquidity-mirror:manage");
pub const INGEST: Permission = Permission("liquidity-mirror:ingest");

pub struct LiquidityMirrorPlugin;

impl DomainPlugin for LiquidityMirrorPlugin {
    fn name(&self) -> &'static str {
        "liquidity-mirror"
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        routes::configure(cfg);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![
            PermissionDef::tenant(
                READ.0,
                "Read mirrored chains, pools, positions, balances, stakes, the event log and reconciliations",
                &[Owner, Admin, Manager, Staff],
            ),
            PermissionDef::tenant(
                MANAGE.0,
                "Add chains, register tokens and wallets, and reconcile against on-chain totals",
                &[Owner, Admin],
            ),
            PermissionDef::tenant(
                INGEST.0,
                "Post blocks, events and reorgs from an indexer (give it to the indexer's API key)",
                &[Owner, Admin],
            ),
        ]
    }

    fn migrations(&self) -> Migrations {
        migrations::migrations()
    }

    fn events(&self) -> Vec<EventTypeDef> {
        atrium_core::events::catalog::<events::MirrorEvent>()
    }

    fn commands(&self) -> Vec<CommandDef> {
        vec![commands::mirror()]
    }
}
