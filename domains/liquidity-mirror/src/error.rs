//! The plugin's failures, and how each one reaches a client: an exhaustive match, so a new
//! variant must decide its status and code.

use atrium_core::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

use crate::block::BlockRef;

#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("not found")]
    NotFound,
    #[error("the request is invalid ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    /// The batch does not continue the mirror's chain.
    #[error("{detail}")]
    ParentMismatch { detail: String, head: Option<BlockRef> },
    /// A rollback past the finality depth.
    #[error("{detail}")]
    BeyondFinality { detail: String, head: Option<BlockRef> },
    /// The batch would drive something negative; the message names the event.
    #[error("{0}")]
    NegativeBalance(String),
    /// An event the state refuses (an unknown pool, an overflow…), named.
    #[error("{0}")]
    EventRefused(String),
    /// A conflict with the current state (a chain id taken, an event seen in another block).
    #[error("{0}")]
    Conflict(String),
    /// A stored row that no longer reads as the model: a fault of ours.
    #[error("{0} cannot be read: {1}")]
    Corrupt(String, String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl MirrorError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// The problem code, for the record of refused batches.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ParentMismatch { .. } => "parent_mismatch",
            Self::BeyondFinality { .. } => "beyond_finality",
            Self::NegativeBalance(_) => "negative_balance",
            Self::EventRefused(_) | Self::Invalid(_) => "validation_failed",
            Self::Conflict(_) => "conflict",
            Self::NotFound => "not_found",
            Self::Corrupt(..) | Self::Db(_) => "internal",
        }
    }
}

fn head_json(head: &Option<BlockRef>) -> serde_json::Value {
    serde_json::to_value(head).unwrap_or(serde_json::Value::Null)
}

impl From<MirrorError> for ApiError {
    fn from(err: MirrorError) -> Self {
        match err {
            MirrorError::NotFound => ApiError::not_found(),
            MirrorError::Invalid(errors) => ApiError::validation(errors),
            MirrorError::ParentMismatch { detail, head } => {
                ApiError::new(ErrorCode::ParentMismatch).with_detail(detail).with_extension("head", head_json(&head))
            }
            MirrorError::BeyondFinality { detail, head } => {
                ApiError::new(ErrorCode::BeyondFinality).with_detail(detail).with_extension("head", head_json(&head))
            }
            MirrorError::NegativeBalance(detail) => ApiError::new(ErrorCode::NegativeBalance).with_detail(detail),
            MirrorError::EventRefused(detail) => ApiError::new(ErrorCode::ValidationFailed).with_detail(detail),
            MirrorError::Conflict(detail) => ApiError::new(ErrorCode::Conflict).with_detail(detail),
            err @ MirrorError::Corrupt(..) => ApiError::internal(err),
            MirrorError::Db(err) => ApiError::from(err),
        }
    }
}

pub type Result<T, E = MirrorError> = std::result::Result<T, E>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chain_failures_have_their_own_codes_and_the_head() {
        let head = Some(BlockRef { number: 7, hash: "0xabc".into() });
        let problem = ApiError::from(MirrorError::ParentMismatch { detail: "x".into(), head }).problem();
        assert_eq!((problem.status, problem.code), (409, ErrorCode::ParentMismatch));
        assert_eq!(problem.extensions["head"]["number"], 7);
        let problem = ApiError::from(MirrorError::BeyondFinality { detail: "x".into(), head: None }).problem();
        assert_eq!((problem.status, problem.code), (409, ErrorCode::BeyondFinality));
        let problem = ApiError::from(MirrorError::NegativeBalance("event …".into())).problem();
        assert_eq!((problem.status, problem.code), (422, ErrorCode::NegativeBalance));
    }
}
