//! The plugin's failures, and how each one reaches a client: an exhaustive match, so a new
//! variant must decide its status and code.

use atrium_core::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum PackagesError {
    /// No such package or purchase in the tenant (or not the caller's).
    #[error("not found")]
    NotFound,
    #[error("the request is invalid ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    /// A state of the package or purchase that refuses the request.
    #[error("{0}")]
    Conflict(String),
    /// A stored row that no longer reads as the model: a fault of ours, not the client's.
    #[error("{0} cannot be read: {1}")]
    Corrupt(String, String),
    /// A failure another plugin's service answered in the platform's terms.
    #[error("{0}")]
    Api(ApiError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl PackagesError {
    /// A 422 naming one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }
}

impl From<ApiError> for PackagesError {
    fn from(err: ApiError) -> Self {
        Self::Api(err)
    }
}

impl From<PackagesError> for ApiError {
    fn from(err: PackagesError) -> Self {
        match err {
            PackagesError::NotFound => ApiError::not_found(),
            PackagesError::Invalid(errors) => ApiError::validation(errors),
            err @ PackagesError::Conflict(_) => ApiError::new(ErrorCode::Conflict).with_detail(err.to_string()),
            err @ PackagesError::Corrupt(..) => ApiError::internal(err),
            PackagesError::Api(err) => err,
            PackagesError::Db(err) => ApiError::from(err),
        }
    }
}

pub type Result<T, E = PackagesError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_database_is_a_503_not_a_500() {
        let err = PackagesError::Db(DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout));
        assert_eq!(ApiError::from(err).code(), ErrorCode::Unavailable);
    }

    #[test]
    fn a_refused_state_is_a_409() {
        let problem = ApiError::from(PackagesError::conflict("not transferable")).problem();
        assert_eq!((problem.status, problem.code), (409, ErrorCode::Conflict));
    }
}
