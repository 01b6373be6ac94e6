//! The module's errors, each mapped to the platform's problem codes with an exhaustive
//! match: a new variant must decide its status.

use atrium_core::error::{ApiError, ErrorCode, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum TenantsError {
    #[error("{0} is already taken")]
    Taken(&'static str),
    #[error("email, password or tenant is not right")]
    InvalidCredentials,
    #[error("too many attempts; retry in {0} s")]
    Throttled(u64),
    #[error("not found")]
    NotFound,
    #[error("this invitation was used, revoked or has expired")]
    InvitationSpent,
    #[error("a tenant keeps at least one owner")]
    LastOwner,
    #[error("role `{0}` is still held by members")]
    RoleInUse(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the tenant is suspended")]
    Suspended,
    #[error("this tenant does not take customer registrations; ask it for an invitation")]
    RegistrationClosed,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A stored JSON column that no longer reads as its type: a fault, never the client's.
    #[error("a stored value does not parse")]
    Stored(#[source] serde_json::Error),
    /// Hashing a password failed: a fault of the server.
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<TenantsError> for ApiError {
    fn from(err: TenantsError) -> Self {
        let detail = err.to_string();
        match err {
            TenantsError::Taken(_)
            | TenantsError::LastOwner
            | TenantsError::RoleInUse(_)
            | TenantsError::Conflict(_) => ApiError::new(ErrorCode::Conflict).with_detail(detail),
            TenantsError::InvalidCredentials => ApiError::new(ErrorCode::Unauthenticated).with_detail(detail),
            TenantsError::Throttled(secs) => ApiError::new(ErrorCode::RateLimited)
                .with_detail(detail)
                .with_header(actix_web::http::header::RETRY_AFTER, secs.to_string()),
            TenantsError::NotFound => ApiError::not_found(),
            TenantsError::InvitationSpent => ApiError::not_found().with_detail(detail),
            TenantsError::Forbidden(_) | TenantsError::Suspended => {
                ApiError::new(ErrorCode::Forbidden).with_detail(detail)
            }
            TenantsError::RegistrationClosed => ApiError::new(ErrorCode::RegistrationClosed).with_detail(detail),
            TenantsError::Invalid(errors) => ApiError::validation(errors),
            TenantsError::Stored(err) => ApiError::internal(err),
            TenantsError::Hashing(message) => ApiError::internal(message),
            // A unique key the domain did not name (see `taken`) is still the client's
            // conflict; everything else keeps the kernel's mapping (busy pool or
            // deadlock → 503, a fault → 500).
            TenantsError::Db(err) => match err.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                    ApiError::new(ErrorCode::Conflict).with_detail("a resource with the same unique key exists")
                }
                _ => ApiError::from(err),
            },
        }
    }
}

pub type Result<T, E = TenantsError> = std::result::Result<T, E>;

/// A unique-key violation on insert means the business key is taken.
pub fn taken(what: &'static str) -> impl Fn(sea_orm::DbErr) -> TenantsError {
    move |err| match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => TenantsError::Taken(what),
        _ => TenantsError::Db(err),
    }
}
