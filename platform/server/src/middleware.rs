//! The kernel middleware, outermost on every request: request id, the client's address
//! (through trusted proxies), the per-address budget of anonymous requests, tracing span,
//! request timeout, metrics, and the guarantee that every error leaves as a problem
//! response.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use atrium_core::error::{ApiError, ErrorCode, PROBLEM_CONTENT_TYPE};
use atrium_core::request_id::{self, RequestId};
use tracing::Instrument;

use atrium_core::client::{self, Cidr, ClientAddr};
use atrium_integrations::ratelimit::{Limiter, RateLimitInfo};

use crate::authn::{rate_limit_headers, rate_limited};
use crate::metrics::Metrics;

/// What the middleware needs, shared by all workers.
pub struct Kernel {
    pub metrics: Metrics,
    pub request_timeout: Duration,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Cidr>,
    pub anonymous: AnonymousBudget,
    /// For the metrics of its bounded cache.
    pub authz: std::sync::Arc<crate::authz::Authz>,
}

/// Requests to public routes (sign-up, sign-in, public pages, the docs), requests that
/// carry no credential, and requests whose credential fails (charged once answered 401) draw
/// on a budget per client address; authenticated requests have the per-credential budget of
/// the tenant's plan instead.
pub struct AnonymousBudget {
    pub per_minute: u32,
    /// Route patterns (`/v1/public/{tenant_slug}/branding`) that take no credential.
    pub public_routes: HashSet<String>,
    pub limiter: Limiter,
}

impl AnonymousBudget {
    /// `None` when the request does not draw on it (credentialed requests to authenticated
    /// routes, the probes).
    fn take(
        &self,
        route: Option<&str>,
        credentialed: bool,
        addr: std::net::IpAddr,
    ) -> Option<Result<RateLimitInfo, RateLimitInfo>> {
        let counted = match route {
            Some("/health" | "/ready" | "/metrics") => false,
            Some(route) if self.public_routes.contains(route) => true,
            _ => !credentialed,
        };
        counted.then(|| self.charge(addr)).flatten()
    }

    fn charge(&self, addr: std::net::IpAddr) -> Option<Result<RateLimitInfo, RateLimitInfo>> {
        (self.per_minute > 0).then(|| self.limiter.take(&format!("anon:{addr}"), self.per_minute))
    }
}

pub async fn kernel(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(request_id::HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(RequestId::from_client)
        .unwrap_or_default();
    // A NUL character in the path or query can only be an attack; PostgreSQL refuses it.
    let raw = req.uri().path_and_query().map_or("", |pq| pq.as_str());
    if raw.as_bytes().windows(3).any(|w| w.eq_ignore_ascii_case(b"%00")) {
        let err = request_id::scope(id.clone(), async {
            ApiError::new(ErrorCode::InvalidParameter).with_detail("the URL must not contain NUL characters")
        })
        .await;
        return Ok(req.into_response(err.error_response()));
    }
    let kernel = req.app_data::<web::Data<Kernel>>().cloned();
    let mut anonymous = None;
    let mut client_addr = None;
    if let (Some(kernel), Some(peer)) = (&kernel, req.peer_addr()) {
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let addr = client::resolve(peer.ip(), forwarded, &kernel.trusted_proxies);
        req.extensions_mut().insert(ClientAddr(addr));
        client_addr = Some(ClientAddr(addr));
        let credentialed = req.headers().contains_key(header::AUTHORIZATION);
        match kernel.anonymous.take(req.match_pattern().as_deref(), credentialed, addr) {
            Some(Ok(info)) => anonymous = Some(info),
            Some(Err(info)) => {
                let err = request_id::scope(id.clone(), async { rate_limited(info) }).await;
                let mut res = req.into_response(err.error_response());
                insert_id(&mut res, &id);
                return Ok(res);
            }
            None => {}
        }
    }
    let timeout = kernel.as_ref().map_or(Duration::from_secs(30), |k| k.request_timeout);
    let method = req.method().clone();
    let started = Instant::now();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %redact_path(req.path()));

    // The request cannot be cloned here (routing needs it unshared), so a timed-out
    // request leaves as an `Err`: its ApiError carries the request id and renders itself.
    let (result, statements) = crate::metrics::counting_statements(request_id::scope(id.clone(), async move {
        match tokio::time::timeout(timeout, next.call(req)).await {
            Ok(Ok(res)) => Ok(into_problem(res.map_into_boxed_body())),
            Ok(Err(err)) => Err(err),
            Err(_elapsed) => {
                tracing::warn!(timeout_s = timeout.as_secs(), "request timed out");
                Err(ApiError::new(ErrorCode::Timeout)
                    .with_detail(format!("no answer within {} s", timeout.as_secs()))
                    .into())
            }
        }
    }))
    .instrument(span.clone())
    .await;

    let elapsed = started.elapsed();
    let (status, route) = match &result {
        Ok(res) => (res.status(), res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned())),
        Err(err) => (err.as_response_error().status_code(), "unmatched".to_owned()),
    };
    if let Some(kernel) = kernel {
        kernel.metrics.observe(method.as_str(), &route, status.as_u16(), elapsed, statements);
        // A credential that failed makes the request anonymous after all: it is charged, so
        // made-up tokens cannot go around the budget.
        if status == StatusCode::UNAUTHORIZED
            && anonymous.is_none()
            && let Some(ClientAddr(addr)) = client_addr
        {
            let _ = kernel.anonymous.charge(addr);
        }
    }
    span.in_scope(|| log(status, &route, elapsed));
    let mut res = result?;
    insert_id(&mut res, &id);
    let limits = res.request().extensions().get::<RateLimitInfo>().copied().or(anonymous);
    if let Some(info) = limits {
        for (name, value) in rate_limit_headers(&info) {
            if let Ok(value) = HeaderValue::from_str(&value) {
                res.headers_mut().insert(name, value);
            }
        }
    }
    Ok(res)
}

fn insert_id(res: &mut ServiceResponse<BoxBody>, id: &RequestId) {
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        res.headers_mut().insert(header::HeaderName::from_static(request_id::HEADER), value);
    }
}

/// The path with token-bearing segments (`inv_…`, `rt_…`, `atr_…`) masked, for logs.
fn redact_path(path: &str) -> String {
    path.split('/')
        .map(|seg| if ["inv_", "rt_", "atr_", "whsec_"].iter().any(|p| seg.starts_with(p)) { "***" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn log(status: StatusCode, route: &str, elapsed: Duration) {
    let micros = elapsed.as_micros() as u64;
    if status.is_server_error() {
        tracing::warn!(status = status.as_u16(), route, micros, "served");
    } else if matches!(route, "/health" | "/ready" | "/metrics") {
        tracing::debug!(status = status.as_u16(), route, micros, "served");
    } else {
        tracing::info!(status = status.as_u16(), route, micros, "served");
    }
}

/// Turns any error response that is not already a problem (a framework error, a bare
/// status) into one. Must run inside the request-id scope.
fn into_problem(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_CONTENT_TYPE.as_bytes()));
    // The booking page answers its errors as HTML pages of its own.
    let is_page = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_problem || is_page {
        return res;
    }
    let code = code_for_status(status);
    let mut err = ApiError::new(code);
    if let Some(cause) = res.response().error() {
        if code == ErrorCode::Internal {
            err = ApiError::internal(cause.to_string());
        } else {
            err = err.with_detail(cause.to_string());
        }
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let mut problem = err.error_response();
    if let Some(allow) = allow {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    res.into_response(problem)
}

fn code_for_status(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::CONFLICT => ErrorCode::Conflict,
        StatusCode::PRECONDITION_FAILED => ErrorCode::PreconditionFailed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::ValidationFailed,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
        StatusCode::GATEWAY_TIMEOUT => ErrorCode::Timeout,
        s if s.is_client_error() => ErrorCode::InvalidParameter,
        _ => ErrorCode::Internal,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_segments_are_masked() {
        assert_eq!(super::redact_path("/v1/invitations/inv_abc_def/accept"), "/v1/invitations/***/accept");
        assert_eq!(super::redact_path("/v1/members/0193"), "/v1/members/0193");
    }
}
