//! The one public error type. Every failure a client can see is an [`ApiError`],
//! rendered as `application/problem+json` (RFC 9457) with a stable [`ErrorCode`] and the
//! request id. Plugins keep their own error enums and convert them into this one with an
//! exhaustive `match`.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_id;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Stable, documented error codes. A client may branch on these; they never change meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not well-formed JSON, or does not have the expected shape or types.
    MalformedJson,
    /// A path or query parameter could not be parsed.
    InvalidParameter,
    /// No credential, or a credential that is not valid.
    Unauthenticated,
    /// Authenticated, but not allowed to do this.
    Forbidden,
    /// No such resource (or not yours: the two are not told apart).
    NotFound,
    /// No route has this path.
    RouteNotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The plugin that serves this route is switched off for the tenant.
    PluginDisabled,
    /// The request conflicts with the current state of the resource.
    Conflict,
    /// A state change the resource's state machine does not allow from its current state.
    InvalidTransition,
    /// The slot was taken (or held) by someone else first.
    SlotUnavailable,
    /// Not enough stock is available for this (product, location); `detail` says how much is.
    InsufficientStock,
    /// No package credit can pay for this booking: none left on the purchase named, or no
    /// purchase of the customer's (or shared by their household) is eligible for this
    /// service, location and date; `detail` says why. Nothing was booked.
    NoCreditLeft,
    /// A compare-and-set stock adjustment found another quantity on hand than expected.
    StockChanged,
    /// A chain batch's first parent hash is not the hash of the mirror's block below it;
    /// `head` is the mirror's head (number, hash), so the indexer can walk back.
    ParentMismatch,
    /// A reorg would roll back blocks at or below the chain's finality depth.
    BeyondFinality,
    /// A chain batch would drive a position, balance or stake below zero; `detail` names
    /// the event. Nothing of the batch was applied.
    NegativeBalance,
    /// The booking's terms do not let its customer cancel it (any more); staff still can.
    CancellationNotAllowed,
    /// The tenant does not let customers register themselves.
    RegistrationClosed,
    /// A custom domain's TXT record was not found with the expected value (yet).
    DomainNotVerified,
    /// A limit on how many of these a tenant may have is reached (webhook endpoints);
    /// delete one to make room.
    LimitReached,
    /// A request with this `Idempotency-Key` is still being processed.
    IdempotencyInProgress,
    /// This `Idempotency-Key` was used with another request body, method or path.
    IdempotencyKeyReused,
    /// `If-Match` did not match the resource's current version.
    PreconditionFailed,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// The body's content type is not accepted by this route.
    UnsupportedMediaType,
    /// The request is well-formed but its values are not valid; see `errors`.
    ValidationFailed,
    /// Too many requests; see `Retry-After`.
    RateLimited,
    /// The server took too long to answer.
    Timeout,
    /// A dependency (the database) is not available.
    Unavailable,
    /// A fault of the server itself; quote the request id when reporting it.
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            MalformedJson | InvalidParameter => StatusCode::BAD_REQUEST,
            Unauthenticated => StatusCode::UNAUTHORIZED,
            Forbidden | RegistrationClosed => StatusCode::FORBIDDEN,
            NotFound | RouteNotFound | PluginDisabled => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Conflict
            | InvalidTransition
            | SlotUnavailable
            | InsufficientStock
            | NoCreditLeft
            | StockChanged
            | ParentMismatch
            | BeyondFinality
            | CancellationNotAllowed
            | IdempotencyInProgress
            | LimitReached => StatusCode::CONFLICT,
            IdempotencyKeyReused | DomainNotVerified | NegativeBalance => StatusCode::UNPROCESSABLE_ENTITY,
            PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Timeout => StatusCode::GATEWAY_TIMEOUT,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            MalformedJson => "malformed_json",
            InvalidParameter => "invalid_parameter",
            Unauthenticated => "unauthenticated",
            Forbidden => "forbidden",
            NotFound => "not_found",
            RouteNotFound => "route_not_found",
            MethodNotAllowed => "method_not_allowed",
            PluginDisabled => "plugin_disabled",
            Conflict => "conflict",
            InvalidTransition => "invalid_transition",
            SlotUnavailable => "slot_unavailable",
            InsufficientStock => "insufficient_stock",
            NoCreditLeft => "no_credit_left",
            StockChanged => "stock_changed",
            ParentMismatch => "parent_mismatch",
            BeyondFinality => "beyond_finality",
            NegativeBalance => "negative_balance",
            CancellationNotAllowed => "cancellation_not_allowed",
            RegistrationClosed => "registration_closed",
            DomainNotVerified => "domain_not_verified",
            LimitReached => "limit_reached",
            IdempotencyInProgress => "idempotency_in_progress",
            IdempotencyKeyReused => "idempotency_key_reused",
            PreconditionFailed => "precondition_failed",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            ValidationFailed => "validation_failed",
            RateLimited => "rate_limited",
            Timeout => "timeout",
            Unavailable => "unavailable",
            Internal => "internal",
        }
    }

    pub fn title(self) -> &'static str {
        use ErrorCode::*;
        match self {
            MalformedJson => "Request body is malformed",
            InvalidParameter => "Request parameter is invalid",
            Unauthenticated => "Authentication required",
            Forbidden => "Not allowed",
            NotFound => "Resource not found",
            RouteNotFound => "No such route",
            MethodNotAllowed => "Method not allowed",
            PluginDisabled => "Plugin not enabled for this tenant",
            Conflict => "Conflict with current state",
            InvalidTransition => "Transition not allowed from the current state",
            SlotUnavailable => "Slot no longer available",
            InsufficientStock => "Not enough stock available",
            NoCreditLeft => "No package credit left",
            StockChanged => "Stock changed since it was read",
            ParentMismatch => "Parent hash does not match the mirror",
            BeyondFinality => "Reorg deeper than the finality depth",
            NegativeBalance => "A balance would go negative",
            CancellationNotAllowed => "Cancellation not allowed",
            RegistrationClosed => "Registration closed",
            DomainNotVerified => "Domain not verified",
            LimitReached => "Limit reached",
            IdempotencyInProgress => "A request with this Idempotency-Key is in progress",
            IdempotencyKeyReused => "Idempotency-Key reused with another request",
            PreconditionFailed => "Precondition failed",
            PayloadTooLarge => "Request body is too large",
            UnsupportedMediaType => "Unsupported content type",
            ValidationFailed => "Request body is invalid",
            RateLimited => "Too many requests",
            Timeout => "Request timed out",
            Unavailable => "Service unavailable",
            Internal => "Internal server error",
        }
    }
}

/// One invalid field of a request, by its JSON path (`duration.fixed_minutes`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    #[schema(example = "duration.fixed_minutes")]
    pub field: String,
    #[schema(example = "must be between 5 and 1440")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// The body of every error response (`application/problem+json`, RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation_failed", "title": "Request body is invalid", "status": 422,
    "code": "validation_failed", "detail": "1 field is invalid",
    "errors": [{"field": "duration.fixed_minutes", "message": "must be between 5 and 1440"}],
    "request_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10"
}))]
pub struct Problem {
    /// A relative URI naming the problem type: `/problems/<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: &'static str,
    pub status: u16,
    pub code: ErrorCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Quote it when reporting a problem; the server's log carries the same id.
    pub request_id: String,
    /// Extension members of some problems (RFC 9457 §3.2), e.g. `head` of a
    /// `parent_mismatch`.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// An error a client sees. Build it from an [`ErrorCode`]; a server fault keeps its cause
/// for the log and shows the client only the request id.
pub struct ApiError {
    code: ErrorCode,
    detail: Option<Cow<'static, str>>,
    errors: Vec<FieldError>,
    /// Extra headers and problem members, boxed: most errors have none, and
    /// `Result<_, ApiError>` stays small.
    extra: Option<Box<Extra>>,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Captured when the error is made, so it renders right wherever it is rendered.
    request_id: Option<request_id::RequestId>,
}

#[derive(Default)]
struct Extra {
    headers: Vec<(header::HeaderName, String)>,
    extensions: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self { code, detail: None, errors: Vec::new(), extra: None, cause: None, request_id: request_id::current() }
    }

    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds field-level details (a 409 that names what it is about, too).
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors.extend(errors);
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.extra.get_or_insert_default().headers.push((name, value.into()));
        self
    }

    /// Adds an extension member to the problem (never one of its standard members).
    pub fn with_extension(mut self, name: &str, value: serde_json::Value) -> Self {
        self.extra.get_or_insert_default().extensions.insert(name.to_owned(), value);
        self
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound)
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => "1 field is invalid".to_owned(),
            n => format!("{n} fields are invalid"),
        };
        Self { errors, ..Self::new(ErrorCode::ValidationFailed) }.with_detail(detail)
    }

    /// A fault of the server. The cause is logged with the request id (once, here) and
    /// never shown to the client.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let cause = cause.into();
        tracing::error!(error = %ErrorChain(cause.as_ref()), "internal error");
        Self { cause: Some(cause), ..Self::new(ErrorCode::Internal) }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub fn problem(&self) -> Problem {
        let detail = match self.code {
            ErrorCode::Internal => {
                Some("The server failed to answer this request; quote the request id when reporting it.".to_owned())
            }
            _ => self.detail.as_ref().map(|d| d.to_string()),
        };
        Problem {
            type_uri: format!("/problems/{}", self.code.as_str()),
            title: self.code.title(),
            status: self.code.status().as_u16(),
            code: self.code,
            detail,
            errors: self.errors.clone(),
            request_id: self.request_id.as_ref().map(|id| id.to_string()).unwrap_or_default(),
            extensions: self.extra.as_ref().map(|e| e.extensions.clone()).unwrap_or_default(),
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("code", &self.code)
            .field("detail", &self.detail)
            .field("errors", &self.errors)
            .field("cause", &self.cause.as_ref().map(|c| ErrorChain(c.as_ref()).to_string()))
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{}: {detail}", self.code.as_str()),
            None => f.write_str(self.code.as_str()),
        }
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_ref().map(|c| c.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.content_type(PROBLEM_CONTENT_TYPE);
        for (name, value) in self.extra.iter().flat_map(|e| &e.headers) {
            res.insert_header((name.clone(), value.as_str()));
        }
        if let Some(id) = &self.request_id {
            res.insert_header((request_id::HEADER, id.as_str()));
        }
        res.json(self.problem())
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        match err {
            // Every pooled connection stayed busy past the acquire timeout: overload, not a
            // fault; the client may retry.
            sea_orm::DbErr::ConnectionAcquire(_) => Self::new(ErrorCode::Unavailable)
                .with_detail("the database is busy; retry shortly")
                .with_header(header::RETRY_AFTER, "1"),
            // PostgreSQL gave up on one of two transactions (deadlock, serialization):
            // nothing was written; the client may retry.
            err if ["deadlock detected", "could not serialize access"].iter().any(|m| err.to_string().contains(m)) => {
                Self::new(ErrorCode::Unavailable)
                    .with_detail("a concurrent request conflicted; retry")
                    .with_header(header::RETRY_AFTER, "1")
            }
            // SQLite's busy timeout ran out waiting for the write lock: nothing was written;
            // the client may retry.
            err if err.to_string().contains("database is locked") => Self::new(ErrorCode::Unavailable)
                .with_detail("the database is busy; retry shortly")
                .with_header(header::RETRY_AFTER, "1"),
            err => Self::internal(err),
        }
    }
}

/// Displays an error with its whole `source()` chain: `a: b: c`.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_to_its_stable_name() {
        use ErrorCode::*;
        for code in [
            MalformedJson,
            InvalidParameter,
            Unauthenticated,
            Forbidden,
            NotFound,
            RouteNotFound,
            MethodNotAllowed,
            PluginDisabled,
            Conflict,
            InvalidTransition,
            SlotUnavailable,
            InsufficientStock,
            NoCreditLeft,
            StockChanged,
            ParentMismatch,
            BeyondFinality,
            NegativeBalance,
            CancellationNotAllowed,
            RegistrationClosed,
            IdempotencyInProgress,
            LimitReached,
            IdempotencyKeyReused,
            PreconditionFailed,
            PayloadTooLarge,
            UnsupportedMediaType,
            ValidationFailed,
            RateLimited,
            Timeout,
            Unavailable,
            Internal,
        ] {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::internal(std::io::Error::other("disk on fire at /secret/path"));
        let body = serde_json::to_string(&err.problem()).unwrap();
        assert!(!body.contains("disk on fire"), "{body}");
        assert!(body.contains("\"code\":\"internal\""));
    }

    #[test]
    fn validation_lists_fields() {
        let err = ApiError::validation(vec![FieldError::new("name", "must not be empty")]);
        let problem = err.problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "name");
        assert_eq!(problem.type_uri, "/problems/validation_failed");
    }
}
