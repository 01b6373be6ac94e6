//! The module's errors, each mapped to the platform's problem codes with an exhaustive
//! match: a new variant must decide its status.

use atrium_core::error::{ApiError, ErrorCode, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum IntegrationsError {
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The caller may not do this (hand out a scope, subscribe to an event, rotate a key).
    #[error("{0}")]
    Forbidden(String),
    /// The resource's state does not allow it (a revoked key, a disabled endpoint).
    #[error("{0}")]
    Conflict(&'static str),
    /// The tenant has as many of these as it may (webhook endpoints).
    #[error("{0}")]
    LimitReached(String),
    /// A webhook secret could not be sealed for storage: a fault of the server.
    #[error("cannot seal the secret")]
    Sealing,
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<IntegrationsError> for ApiError {
    fn from(err: IntegrationsError) -> Self {
        let detail = err.to_string();
        match err {
            IntegrationsError::NotFound => ApiError::not_found(),
            IntegrationsError::Invalid(errors) => ApiError::validation(errors),
            IntegrationsError::Forbidden(_) => ApiError::new(ErrorCode::Forbidden).with_detail(detail),
            IntegrationsError::Conflict(_) => ApiError::new(ErrorCode::Conflict).with_detail(detail),
            IntegrationsError::LimitReached(_) => ApiError::new(ErrorCode::LimitReached).with_detail(detail),
            IntegrationsError::Sealing => ApiError::internal(detail),
            // The kernel's mapping: a busy pool or a deadlock is a 503, anything else a 500.
            IntegrationsError::Db(err) => ApiError::from(err),
        }
    }
}

pub type Result<T, E = IntegrationsError> = std::result::Result<T, E>;
