//! Authentication: `Authorization: Bearer <JWT>` → tenant (the `tid` claim) → the
//! tenant's policy → membership, roles and permissions → [`RequestContext`]. Also the
//! per-tenant plugin switch: a plugin's routes answer 404 `plugin_disabled` for a tenant
//! that has not switched it on.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest};
use atrium_core::auth::TokenKeys;
use atrium_core::context::{Actor, Authenticator, Principal, RequestContext};
use atrium_core::error::{ApiError, ErrorCode};
use sea_orm::DatabaseConnection;

use atrium_integrations::api_keys;
use atrium_integrations::ratelimit::{Limiter, RateLimitInfo};

use crate::authz::Authz;

pub struct Authn {
    pub db: DatabaseConnection,
    pub limiter: Limiter,
    pub keys: TokenKeys,
    pub authz: Arc<Authz>,
    /// Route pattern → the optional plugin that serves it.
    pub route_plugins: HashMap<String, &'static str>,
}

fn unauthenticated(detail: &'static str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated)
        .with_detail(detail)
        .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"atrium\"")
}

/// The bearer token of the request, if well-formed.
pub fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthenticated("send Authorization: Bearer <access token or API key>"))?;
    let value = value.to_str().map_err(|_| unauthenticated("the Authorization header is not valid"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(unauthenticated("the Authorization header must be `Bearer <token>`")),
    }
}

#[async_trait::async_trait(?Send)]
impl Authenticator for Authn {
    async fn authenticate(&self, req: &HttpRequest) -> Result<RequestContext, ApiError> {
        let token = bearer(req)?;
        let (tenant, user, key) = if token.starts_with("atr_") {
            let presented = api_keys::parse_key(token).ok_or_else(|| unauthenticated("the API key is not valid"))?;
            let key = api_keys::verify(&self.db, &presented)
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(|| unauthenticated("the API key is not valid, revoked or expired"))?;
            (presented.tenant, api_keys::creator(&key), Some(key))
        } else {
            let claims = self.keys.verify(token).map_err(|err| {
                tracing::debug!(error = %err, "access token refused");
                unauthenticated("the access token is not valid or has expired")
            })?;
            (claims.tid, claims.sub, None)
        };
        let policy = self
            .authz
            .policy(tenant)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| unauthenticated("the credential's tenant does not exist"))?;
        if policy.status != "active" {
            return Err(ApiError::new(ErrorCode::Forbidden).with_detail("the tenant is suspended"));
        }
        let member = policy
            .members
            .get(&user)
            .ok_or_else(|| unauthenticated("the credential's user is no longer a member of this tenant"))?;
        let (roles, locations) = (member.roles.clone(), member.locations.clone().map(Arc::from));
        if let Some(plugin) = req.match_pattern().and_then(|p| self.route_plugins.get(&p).copied())
            && !policy.enabled_plugins.contains(plugin)
        {
            return Err(ApiError::new(ErrorCode::PluginDisabled)
                .with_detail(format!("the `{plugin}` plugin is not enabled for this tenant")));
        }
        let mut permissions = policy.permissions_of(user).map_err(|e| ApiError::internal(e.to_string()))?;
        let actor = match &key {
            // A key never exceeds its creator's current rights: scopes ∩ creator's
            // permissions, each at the narrower of the two scopes.
            Some(key) => {
                permissions = Arc::new(api_keys::permissions(key, &permissions));
                if let Err(err) = api_keys::touch(&self.db, key).await {
                    tracing::warn!(error = %err, "could not record API key use");
                }
                Actor::ApiKey { key_id: key.id, created_by: user }
            }
            None => Actor::User(user),
        };
        let bucket = match &actor {
            Actor::ApiKey { key_id, .. } => format!("key:{key_id}"),
            Actor::User(user) => format!("user:{tenant}:{user}"),
        };
        match self.limiter.take(&bucket, policy.rate_limit_per_minute) {
            Ok(info) => {
                req.extensions_mut().insert(info);
            }
            Err(info) => return Err(rate_limited(info)),
        }
        let principal = Principal { tenant_id: tenant, actor, roles, permissions, locations };
        let client_ip = atrium_core::client::client_ip(req);
        Ok(RequestContext::new(principal, self.db.clone(), client_ip, self.authz.clone()))
    }
}

pub fn rate_limited(info: RateLimitInfo) -> ApiError {
    let mut err = ApiError::new(ErrorCode::RateLimited)
        .with_detail(format!("{} requests per minute; retry in {} s", info.limit, info.retry_after_seconds))
        .with_header(header::RETRY_AFTER, info.retry_after_seconds.to_string());
    for (name, value) in rate_limit_headers(&info) {
        err = err.with_header(name, value);
    }
    err
}

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`.
pub fn rate_limit_headers(info: &RateLimitInfo) -> [(header::HeaderName, String); 3] {
    [
        (header::HeaderName::from_static("ratelimit-limit"), info.limit.to_string()),
        (header::HeaderName::from_static("ratelimit-remaining"), info.remaining.to_string()),
        (header::HeaderName::from_static("ratelimit-reset"), info.reset_seconds.to_string()),
    ]
}
