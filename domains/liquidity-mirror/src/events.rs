//! The events this plugin emits, declared once: the webhook catalog is derived from this
//! enum. Changes a person makes are audited (`audit::record`); what an indexer's API key
//! ingests is emitted to the outbox (one `chain.block_accepted` per batch).

use atrium_core::context::Permission;
use atrium_core::events::EventKind;
use sea_orm::EnumIter;

use crate::READ;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter)]
pub enum MirrorEvent {
    /// `chain.created`
    ChainCreated,
    /// `chain.block_accepted`
    BlockAccepted,
    /// `chain.reorged`
    Reorged,
    /// `chain.reorg_refused`
    ReorgRefused,
    /// `pool.updated`
    PoolUpdated,
    /// `position.changed`
    PositionChanged,
    /// `mirror.drift_detected`
    DriftDetected,
    /// `mirror.reconciled`
    Reconciled,
    /// `mirror.token_registered`
    TokenRegistered,
    /// `mirror.wallet_registered`
    WalletRegistered,
}

impl EventKind for MirrorEvent {
    fn name(self) -> &'static str {
        match self {
            Self::ChainCreated => "chain.created",
            Self::BlockAccepted => "chain.block_accepted",
            Self::Reorged => "chain.reorged",
            Self::ReorgRefused => "chain.reorg_refused",
            Self::PoolUpdated => "pool.updated",
            Self::PositionChanged => "position.changed",
            Self::DriftDetected => "mirror.drift_detected",
            Self::Reconciled => "mirror.reconciled",
            Self::TokenRegistered => "mirror.token_registered",
            Self::WalletRegistered => "mirror.wallet_registered",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::ChainCreated => "A chain was added to the mirror",
            Self::BlockAccepted => "A batch of consecutive blocks was accepted (one event per batch)",
            Self::Reorged => "Blocks were orphaned back to a common ancestor and the projection recomputed",
            Self::ReorgRefused => "A reorg deeper than the chain's finality depth was refused",
            Self::PoolUpdated => "A pool's totals or status changed (one event per pool and batch)",
            Self::PositionChanged => "A wallet's position in a pool changed (one event per position and batch)",
            Self::DriftDetected => "Reported on-chain totals differ from the mirror's projection at the same block",
            Self::Reconciled => "Reported on-chain totals were compared with the projection",
            Self::TokenRegistered => "A token was registered or changed",
            Self::WalletRegistered => "A wallet was registered or changed",
        }
    }

    fn read_permission(self) -> Permission {
        match self {
            Self::ChainCreated
            | Self::BlockAccepted
            | Self::Reorged
            | Self::ReorgRefused
            | Self::PoolUpdated
            | Self::PositionChanged
            | Self::DriftDetected
            | Self::Reconciled
            | Self::TokenRegistered
            | Self::WalletRegistered => READ,
        }
    }
}
