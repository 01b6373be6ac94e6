//! Proving a custom domain: the tenant publishes a TXT record with its claim's token at
//! `_atrium-challenge.<domain>`, then asks for it to be checked. Until it is found the
//! host resolves to no tenant, so nobody can dress their booking page in someone
//! else's domain by merely listing it.

use std::net::SocketAddr;
use std::time::Duration;

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode};
use atrium_core::validate::DomainName;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::dns;
use crate::entities::custom_domains;
use crate::events::TenantsEvent;
use crate::repo;

/// Where the record is published, under the claimed domain.
pub const RECORD_PREFIX: &str = "_atrium-challenge";
/// What the record's value starts with; the claim's token follows.
pub const VALUE_PREFIX: &str = "atrium-domain-verification=";
/// How long one check waits for the resolver.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DomainStatus {
    /// Listed, but the TXT record has not been found yet: the host shows no tenant.
    Pending,
    /// The TXT record was found: the host shows this tenant.
    Verified,
}

/// The DNS record to publish to prove a domain.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationRecord {
    #[schema(example = "TXT")]
    pub r#type: &'static str,
    #[schema(example = "_atrium-challenge.book.example.com")]
    pub name: String,
    #[schema(example = "atrium-domain-verification=3f9c0d7e8a2b4c6d9e1f0a3b5c7d9e2f")]
    pub value: String,
}

/// One of the tenant's custom domains and how far its proof has come.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomDomainView {
    pub id: uuid::Uuid,
    #[schema(example = "book.example.com")]
    pub domain: String,
    pub status: DomainStatus,
    pub verified_at: Option<DateTime<Utc>>,
    pub verification: VerificationRecord,
    pub created_at: DateTime<Utc>,
}

impl From<&custom_domains::Model> for CustomDomainView {
    fn from(c: &custom_domains::Model) -> Self {
        Self {
            id: c.id,
            domain: c.domain.clone(),
            status: if c.verified_at.is_some() { DomainStatus::Verified } else { DomainStatus::Pending },
            verified_at: c.verified_at,
            verification: VerificationRecord {
                r#type: "TXT",
                name: format!("{RECORD_PREFIX}.{}", c.domain),
                value: format!("{VALUE_PREFIX}{}", c.verification_token),
            },
            created_at: c.created_at,
        }
    }
}

pub async fn list(tx: &TenantTx) -> Result<Vec<CustomDomainView>, ApiError> {
    Ok(repo::custom_domains(tx).await.map_err(ApiError::from)?.iter().map(CustomDomainView::from).collect())
}

/// The caller's claim named in a path: by its id, or by the domain itself (any case);
/// 404 when the tenant has no such claim.
pub async fn claim(tx: &TenantTx, key: &str) -> Result<custom_domains::Model, ApiError> {
    let by_id = uuid::Uuid::parse_str(key).ok();
    let domain = DomainName::parse(key).ok();
    repo::custom_domains(tx)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .find(|c| Some(c.id) == by_id || domain.as_ref().is_some_and(|d| c.domain == d.as_str()))
        .ok_or_else(ApiError::not_found)
}

/// Asks the resolver for the claim's TXT record: `Ok(())` when one carries the token,
/// else the problem to answer (422 with what was found; 503 when the resolver failed).
pub async fn check_record(resolver: Option<SocketAddr>, claim: &custom_domains::Model) -> Result<(), ApiError> {
    let view = CustomDomainView::from(claim);
    let resolver = resolver.or_else(dns::system_resolver).ok_or_else(|| {
        ApiError::new(ErrorCode::Unavailable).with_detail("no DNS resolver is configured (ATRIUM_DNS_RESOLVER)")
    })?;
    let found = match dns::txt_records(resolver, &view.verification.name, LOOKUP_TIMEOUT).await {
        Ok(found) => found,
        Err(err) => {
            tracing::warn!(domain = %claim.domain, error = %err, "custom domain lookup failed");
            return Err(ApiError::new(ErrorCode::Unavailable)
                // The resolver's address and error stay in the log: they are the deployment's.
                .with_detail("the TXT record could not be looked up; try again shortly")
                .with_header(actix_web::http::header::RETRY_AFTER, "30"));
        }
    };
    if found.iter().any(|v| v.trim() == view.verification.value) {
        return Ok(());
    }
    let seen = if found.is_empty() {
        "none".to_owned()
    } else {
        found.iter().map(|v| format!("`{}`", v.chars().take(120).collect::<String>())).collect::<Vec<_>>().join(", ")
    };
    Err(ApiError::new(ErrorCode::DomainNotVerified).with_detail(format!(
        "no TXT record `{}` with the value `{}` was found (found: {seen}); DNS changes can take a while to appear",
        view.verification.name, view.verification.value
    )))
}

/// Marks the claim verified (once: a second check keeps the first time) and records it.
pub async fn mark_verified(
    tx: &TenantTx,
    actor: &AuditActor,
    claim: &custom_domains::Model,
) -> Result<CustomDomainView, ApiError> {
    if claim.verified_at.is_none() {
        repo::mark_domain_verified(tx, claim.id, Utc::now()).await.map_err(ApiError::from)?;
    }
    let after = self::claim(tx, &claim.domain).await?;
    let view = CustomDomainView::from(&after);
    if claim.verified_at.is_none() {
        audit::record(
            tx,
            actor,
            Change::new(
                TenantsEvent::CustomDomainVerified,
                "custom_domain",
                after.domain.clone(),
                None,
                serde_json::to_value(&view).ok(),
            ),
        )
        .await
        .map_err(ApiError::from)?;
    }
    Ok(view)
}
