//! The plugin's failures, and how each one reaches a client: an exhaustive match, so a new
//! variant must decide its status and code.

use atrium_core::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum ProductsError {
    /// No such product (or reservation) in the tenant.
    #[error("not found")]
    NotFound,
    #[error("the request is invalid ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("a product with SKU `{0}` already exists")]
    SkuTaken(String),
    /// The conditional update found too little available stock.
    #[error("{0}")]
    InsufficientStock(String),
    /// A compare-and-set adjustment expected another quantity on hand.
    #[error("on hand is {actual}, not the expected {expected}; re-read the inventory and retry")]
    StockChanged { expected: i64, actual: i64 },
    /// The reservation was already released or expired.
    #[error("this reservation is already {0}")]
    ReservationEnded(String),
    /// A state of the product that refuses the request.
    #[error("{0}")]
    Conflict(&'static str),
    /// The idempotency key was first used with another request.
    #[error("this idempotency_key was already used with another request")]
    KeyReused,
    /// Outside a location-scoped membership's locations.
    #[error("this location is outside the locations you manage")]
    OutsideLocations,
    /// A stored row that no longer reads as the model: a fault of ours, not the client's.
    #[error("{0} cannot be read: {1}")]
    Corrupt(String, String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl ProductsError {
    /// A 422 naming one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<ProductsError> for ApiError {
    fn from(err: ProductsError) -> Self {
        match err {
            ProductsError::NotFound => ApiError::not_found(),
            ProductsError::Invalid(errors) => ApiError::validation(errors),
            err @ (ProductsError::SkuTaken(_) | ProductsError::ReservationEnded(_) | ProductsError::Conflict(_)) => {
                ApiError::new(ErrorCode::Conflict).with_detail(err.to_string())
            }
            err @ ProductsError::InsufficientStock(_) => {
                ApiError::new(ErrorCode::InsufficientStock).with_detail(err.to_string())
            }
            err @ ProductsError::StockChanged { .. } => {
                ApiError::new(ErrorCode::StockChanged).with_detail(err.to_string())
            }
            err @ ProductsError::KeyReused => {
                ApiError::new(ErrorCode::IdempotencyKeyReused).with_detail(err.to_string())
            }
            err @ ProductsError::OutsideLocations => ApiError::new(ErrorCode::Forbidden).with_detail(err.to_string()),
            err @ ProductsError::Corrupt(..) => ApiError::internal(err),
            ProductsError::Db(err) => ApiError::from(err),
        }
    }
}

pub type Result<T, E = ProductsError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_database_is_a_503_not_a_500() {
        let err = ProductsError::Db(DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout));
        assert_eq!(ApiError::from(err).code(), ErrorCode::Unavailable);
    }

    #[test]
    fn stock_failures_have_their_own_codes() {
        let problem = ApiError::from(ProductsError::InsufficientStock("1 available".into())).problem();
        assert_eq!((problem.status, problem.code), (409, ErrorCode::InsufficientStock));
        let problem = ApiError::from(ProductsError::StockChanged { expected: 3, actual: 4 }).problem();
        assert_eq!((problem.status, problem.code), (409, ErrorCode::StockChanged));
        let problem = ApiError::from(ProductsError::KeyReused).problem();
        assert_eq!(problem.status, 422);
        let problem = ApiError::from(ProductsError::SkuTaken("A-1".into())).problem();
        assert_eq!((problem.status, problem.code), (409, ErrorCode::Conflict));
    }
}
