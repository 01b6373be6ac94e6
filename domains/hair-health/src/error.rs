//! The plugin's failures, and how each one reaches a client: an exhaustive match.

use atrium_core::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum HairError {
    /// Nothing the caller may see (a denied read looks exactly like no data).
    #[error("not found")]
    NotFound,
    #[error("the request is invalid ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    InvalidTransition(String),
    /// A filter or sort on a field the caller's consent does not share.
    #[error("{0}")]
    OutOfScope(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl HairError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<HairError> for ApiError {
    fn from(err: HairError) -> Self {
        match err {
            HairError::NotFound => ApiError::not_found(),
            HairError::Invalid(errors) => ApiError::validation(errors),
            err @ HairError::Conflict(_) => ApiError::new(ErrorCode::Conflict).with_detail(err.to_string()),
            err @ HairError::InvalidTransition(_) => {
                ApiError::new(ErrorCode::InvalidTransition).with_detail(err.to_string())
            }
            err @ HairError::OutOfScope(_) => ApiError::new(ErrorCode::Forbidden).with_detail(err.to_string()),
            HairError::Db(err) => ApiError::from(err),
        }
    }
}

pub type Result<T, E = HairError> = std::result::Result<T, E>;

/// Collected field errors as a result.
pub fn checked(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() { Ok(()) } else { Err(HairError::Invalid(errors)) }
}

/// A merge patch that does not parse, as field errors.
pub fn from_api(e: ApiError) -> HairError {
    if e.errors().is_empty() {
        HairError::field("body", e.problem().detail.map(|d| d.to_string()).unwrap_or_default())
    } else {
        HairError::Invalid(e.errors().to_vec())
    }
}
