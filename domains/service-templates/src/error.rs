//! The plugin's failures, and how each one reaches a client: an exhaustive match, so a new
//! variant must decide its status and code.

use atrium_core::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum ServiceTemplatesError {
    #[error("no such service template")]
    NotFound,
    #[error("the service template is invalid ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    /// The `tag` query parameter is not a tag.
    #[error("tag is not a tag")]
    BadTag,
    #[error("slug `{0}` is already used by another service template")]
    SlugTaken(String),
    /// A location-scoped member creates a template, or moves one, outside their locations.
    #[error("your membership reaches only service templates at its own locations")]
    OutsideLocations,
    /// A stored row that no longer reads as the model: a fault of ours, not the client's.
    #[error("service template {0} cannot be read: {1}")]
    Corrupt(uuid::Uuid, String),
    /// Already in the platform's terms: a patched body that does not parse (with its field
    /// paths), or the answer of the bookables plugin's service API.
    #[error(transparent)]
    Api(ApiError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<ServiceTemplatesError> for ApiError {
    fn from(err: ServiceTemplatesError) -> Self {
        match err {
            ServiceTemplatesError::NotFound => ApiError::not_found(),
            ServiceTemplatesError::Invalid(errors) => ApiError::validation(errors),
            err @ ServiceTemplatesError::BadTag => {
                ApiError::new(ErrorCode::InvalidParameter).with_detail(err.to_string())
            }
            err @ ServiceTemplatesError::SlugTaken(_) => {
                ApiError::new(ErrorCode::Conflict).with_detail(err.to_string())
            }
            err @ ServiceTemplatesError::OutsideLocations => {
                ApiError::new(ErrorCode::Forbidden).with_detail(err.to_string())
            }
            err @ ServiceTemplatesError::Corrupt(..) => ApiError::internal(err),
            ServiceTemplatesError::Api(err) => err,
            // The kernel's mapping: a deadlock or a pool timeout is a 503 to retry.
            ServiceTemplatesError::Db(err) => ApiError::from(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_database_is_a_503_not_a_500() {
        let err = ServiceTemplatesError::Db(DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout));
        assert_eq!(ApiError::from(err).code(), ErrorCode::Unavailable);
    }

    #[test]
    fn each_variant_keeps_its_status_and_detail() {
        let problem = ApiError::from(ServiceTemplatesError::SlugTaken("cut".into())).problem();
        assert_eq!(
            (problem.status, problem.detail.as_deref()),
            (409, Some("slug `cut` is already used by another service template"))
        );
        let problem = ApiError::from(ServiceTemplatesError::BadTag).problem();
        assert_eq!((problem.status, problem.detail.as_deref()), (400, Some("tag is not a tag")));
        assert_eq!(ApiError::from(ServiceTemplatesError::NotFound).code(), ErrorCode::NotFound);
        assert_eq!(ApiError::from(ServiceTemplatesError::OutsideLocations).problem().status, 403);
    }
}
