//! The plugin's failures, and how each one reaches a client: one exhaustive `match`, so a
//! new variant must decide its status and code.

use atrium_core::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum BookingsError {
    /// No such record of the tenant's (another tenant's is not told apart).
    #[error("not found")]
    NotFound,
    /// Values of the request that are not valid, by field path.
    #[error("the request is invalid ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    /// Someone else occupies the slot (or the technician) then, or no bookable is free.
    #[error("{0}")]
    SlotUnavailable(&'static str),
    /// The record's state does not allow this change.
    #[error("{0}")]
    InvalidTransition(String),
    /// Allowed by the caller's permissions, but not by the record's owner or household.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The booking's terms do not let its customer cancel it (any more).
    #[error("{0}")]
    CancellationNotAllowed(String),
    /// A hold extended up to its `max_expires_at` already.
    #[error("the hold is at its maximum already")]
    HoldAtMaximum,
    /// A stored row that no longer reads as the model: a fault of ours, not the client's.
    #[error("{0}")]
    Corrupt(String),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A failure of the kernel or of another plugin's service, already in its public form.
    #[error(transparent)]
    Upstream(#[from] ApiError),
}

impl BookingsError {
    /// Whether the server or the database failed rather than the request: such a failure
    /// ends the whole operation, where a refused item (one occurrence, one offer) does not.
    pub fn is_fault(&self) -> bool {
        match self {
            Self::NotFound
            | Self::Invalid(_)
            | Self::SlotUnavailable(_)
            | Self::InvalidTransition(_)
            | Self::Forbidden(_)
            | Self::CancellationNotAllowed(_)
            | Self::HoldAtMaximum => false,
            Self::Corrupt(_) | Self::Json(_) | Self::Db(_) => true,
            Self::Upstream(e) => matches!(e.code(), ErrorCode::Internal | ErrorCode::Unavailable | ErrorCode::Timeout),
        }
    }
}

impl From<BookingsError> for ApiError {
    fn from(err: BookingsError) -> Self {
        match err {
            BookingsError::NotFound => ApiError::not_found(),
            BookingsError::Invalid(errors) => ApiError::validation(errors),
            BookingsError::SlotUnavailable(detail) => ApiError::new(ErrorCode::SlotUnavailable).with_detail(detail),
            BookingsError::InvalidTransition(detail) => ApiError::new(ErrorCode::InvalidTransition).with_detail(detail),
            BookingsError::Forbidden(detail) => ApiError::new(ErrorCode::Forbidden).with_detail(detail),
            BookingsError::CancellationNotAllowed(detail) => {
                ApiError::new(ErrorCode::CancellationNotAllowed).with_detail(detail)
            }
            err @ BookingsError::HoldAtMaximum => ApiError::new(ErrorCode::Conflict).with_detail(err.to_string()),
            err @ (BookingsError::Corrupt(_) | BookingsError::Json(_)) => ApiError::internal(err),
            // The kernel's mapping: a deadlock or a pool timeout is a 503 to retry, not a 500.
            BookingsError::Db(err) => ApiError::from(err),
            BookingsError::Upstream(err) => err,
        }
    }
}

/// A 422 naming one field.
pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> BookingsError {
    BookingsError::Invalid(vec![FieldError::new(field, message)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(err: BookingsError) -> (u16, &'static str, Option<String>) {
        let p = ApiError::from(err).problem();
        (p.status, p.code.as_str(), p.detail)
    }

    #[test]
    fn each_failure_keeps_its_status_and_code() {
        assert_eq!(problem(BookingsError::NotFound), (404, "not_found", None));
        let (status, code, _) = problem(invalid("start", "must be within 10 years of now"));
        assert_eq!((status, code), (422, "validation_failed"));
        assert_eq!(
            problem(BookingsError::SlotUnavailable("the slot is taken or held")),
            (409, "slot_unavailable", Some("the slot is taken or held".to_owned()))
        );
        assert_eq!(
            problem(BookingsError::InvalidTransition("the hold is released".to_owned())),
            (409, "invalid_transition", Some("the hold is released".to_owned()))
        );
        assert_eq!(
            problem(BookingsError::Forbidden("only the holder may use this hold")),
            (403, "forbidden", Some("only the holder may use this hold".to_owned()))
        );
        assert_eq!(
            problem(BookingsError::HoldAtMaximum),
            (409, "conflict", Some("the hold is at its maximum already".to_owned()))
        );
        assert_eq!(problem(BookingsError::Corrupt("booking x".to_owned())).1, "internal");
    }

    #[test]
    fn database_errors_keep_the_kernels_mapping() {
        let deadlock = DbErr::Custom("deadlock detected".to_owned());
        assert_eq!(problem(BookingsError::Db(deadlock)).0, 503);
        assert!(BookingsError::Db(DbErr::Custom("x".to_owned())).is_fault());
        assert!(!BookingsError::SlotUnavailable("x").is_fault());
    }
}
