//! The plugin's failures, and how each one reaches a client: an exhaustive match, so a new
//! variant must decide its status and code.

use atrium_core::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum BookablesError {
    /// No such bookable, date override, blocked time or certification in the tenant (or
    /// not under this bookable).
    #[error("not found")]
    NotFound,
    #[error("the request is invalid ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    /// A query parameter that does not read (`tag`, `reason`); the message names it.
    #[error("{0}")]
    BadParameter(&'static str),
    #[error("another bookable of this tenant has this slug")]
    SlugTaken,
    #[error("this date already has an override")]
    OverrideExists,
    #[error("only providers have certifications")]
    NotAProvider,
    #[error("a retired bookable does not change")]
    Retired,
    #[error("a bookable cannot go from {from} to {to}")]
    Transition { from: String, to: String },
    /// A location-scoped member creates a bookable, or moves one, outside their locations.
    #[error("your membership reaches only bookables at its own locations")]
    OutsideLocations,
    /// A stored row that no longer reads as the model: a fault of ours, not the client's.
    #[error("{0}")]
    Corrupt(String),
    /// Already in the platform's terms: a body that does not parse (with its field paths),
    /// or the answer of another plugin's service API.
    #[error(transparent)]
    Api(ApiError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl BookablesError {
    /// A 422 when `errors` is not empty.
    pub fn unless_empty(errors: Vec<FieldError>) -> Result<(), Self> {
        if errors.is_empty() { Ok(()) } else { Err(Self::Invalid(errors)) }
    }
}

impl From<BookablesError> for ApiError {
    fn from(err: BookablesError) -> Self {
        match err {
            BookablesError::NotFound => ApiError::not_found(),
            BookablesError::Invalid(errors) => ApiError::validation(errors),
            BookablesError::BadParameter(detail) => ApiError::new(ErrorCode::InvalidParameter).with_detail(detail),
            err @ (BookablesError::SlugTaken | BookablesError::OverrideExists | BookablesError::NotAProvider) => {
                ApiError::new(ErrorCode::Conflict).with_detail(err.to_string())
            }
            err @ (BookablesError::Retired | BookablesError::Transition { .. }) => {
                ApiError::new(ErrorCode::InvalidTransition).with_detail(err.to_string())
            }
            err @ BookablesError::OutsideLocations => ApiError::new(ErrorCode::Forbidden).with_detail(err.to_string()),
            err @ BookablesError::Corrupt(_) => ApiError::internal(err),
            BookablesError::Api(err) => err,
            BookablesError::Db(err) => ApiError::from(err),
        }
    }
}

pub type Result<T, E = BookablesError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_database_is_a_503_not_a_500() {
        let err = BookablesError::Db(DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout));
        assert_eq!(ApiError::from(err).code(), ErrorCode::Unavailable);
    }

    #[test]
    fn each_variant_keeps_its_status_code_and_detail() {
        let transition = BookablesError::Transition { from: "retired".into(), to: "active".into() };
        for (err, status, code, detail) in [
            (BookablesError::SlugTaken, 409, "conflict", "another bookable of this tenant has this slug"),
            (BookablesError::OverrideExists, 409, "conflict", "this date already has an override"),
            (BookablesError::NotAProvider, 409, "conflict", "only providers have certifications"),
            (BookablesError::Retired, 409, "invalid_transition", "a retired bookable does not change"),
            (transition, 409, "invalid_transition", "a bookable cannot go from retired to active"),
            (
                BookablesError::OutsideLocations,
                403,
                "forbidden",
                "your membership reaches only bookables at its own locations",
            ),
            (
                BookablesError::BadParameter("`tag` is not a valid tag"),
                400,
                "invalid_parameter",
                "`tag` is not a valid tag",
            ),
        ] {
            let problem = ApiError::from(err).problem();
            assert_eq!(
                (problem.status, problem.code.as_str(), problem.detail.as_deref()),
                (status, code, Some(detail))
            );
        }
    }
}
