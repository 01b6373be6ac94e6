//! The plugin's failures, and how each one reaches a client.

use atrium_core::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum ServiceTemplatesError {
    #[error("no such service template")]
    NotFound,
    #[error("the service template is invalid ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("slug `{0}` is already used by another service template")]
    SlugTaken(String),
    /// A stored row that no longer reads as the model: a fault of ours, not the client's.
    #[error("service template {0} cannot be read: {1}")]
    Corrupt(uuid::Uuid, String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<ServiceTemplatesError> for ApiError {
    fn from(err: ServiceTemplatesError) -> Self {
        match err {
            ServiceTemplatesError::NotFound => ApiError::not_found(),
            ServiceTemplatesError::Invalid(errors) => ApiError::validation(errors),
            ServiceTemplatesError::SlugTaken(slug) => ApiError::new(ErrorCode::Conflict)
                .with_detail(format!("slug `{slug}` is already used by another service template")),
            err @ ServiceTemplatesError::Corrupt(..) => ApiError::internal(err),
            ServiceTemplatesError::Db(err) => ApiError::internal(err),
        }
    }
}
