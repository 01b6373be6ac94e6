//! The plugin's failures, and how each one reaches a client: an exhaustive match, so a new
//! variant must decide its status and code.

use atrium_core::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum HouseholdsError {
    /// No such household or member in the tenant (or not in this household).
    #[error("not found")]
    NotFound,
    #[error("the request is invalid ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("this user is already a member of the household")]
    AlreadyMember,
    #[error("a household keeps at least one primary member")]
    LastPrimary,
    #[error("make another primary member the contact first")]
    IsContact,
    #[error("this member still manages another member")]
    StillManages,
    /// Under own scope, a member who is not primary changes the household or its members.
    #[error("only a primary member of the household may change it or its members")]
    NotPrimary,
    /// A stored row that no longer reads as the model: a fault of ours, not the client's.
    #[error("{0} cannot be read: {1}")]
    Corrupt(String, String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl HouseholdsError {
    /// A 422 naming one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<HouseholdsError> for ApiError {
    fn from(err: HouseholdsError) -> Self {
        match err {
            HouseholdsError::NotFound => ApiError::not_found(),
            HouseholdsError::Invalid(errors) => ApiError::validation(errors),
            err @ (HouseholdsError::AlreadyMember
            | HouseholdsError::LastPrimary
            | HouseholdsError::IsContact
            | HouseholdsError::StillManages) => ApiError::new(ErrorCode::Conflict).with_detail(err.to_string()),
            err @ HouseholdsError::NotPrimary => ApiError::new(ErrorCode::Forbidden).with_detail(err.to_string()),
            err @ HouseholdsError::Corrupt(..) => ApiError::internal(err),
            HouseholdsError::Db(err) => ApiError::from(err),
        }
    }
}

pub type Result<T, E = HouseholdsError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_database_is_a_503_not_a_500() {
        let err = HouseholdsError::Db(DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout));
        assert_eq!(ApiError::from(err).code(), ErrorCode::Unavailable);
    }

    #[test]
    fn the_household_rules_are_409s_with_their_details() {
        for (err, detail) in [
            (HouseholdsError::AlreadyMember, "this user is already a member of the household"),
            (HouseholdsError::LastPrimary, "a household keeps at least one primary member"),
            (HouseholdsError::IsContact, "make another primary member the contact first"),
            (HouseholdsError::StillManages, "this member still manages another member"),
        ] {
            let problem = ApiError::from(err).problem();
            assert_eq!((problem.status, problem.detail.as_deref()), (409, Some(detail)));
        }
        let problem = ApiError::from(HouseholdsError::NotPrimary).problem();
        assert_eq!(problem.status, 403);
        let problem = ApiError::from(HouseholdsError::field("user_id", "is not a member of this tenant")).problem();
        assert_eq!((problem.status, problem.errors[0].field.as_str()), (422, "user_id"));
    }
}
