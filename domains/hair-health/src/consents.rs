//! Consent that binds: a customer grants a stylist (a member of the tenant) a scope of
//! field groups, optionally until a time. Every grant, change and revocation appends a
//! version. Whether a consent stands is read from the database in the caller's transaction
//! on every request ([`live_scope`]): nothing caches it, so revocation and expiry hold on the
//! next request on every instance, with no job running.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::Directory;
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::{consent_versions, consents};
use crate::error::{HairError, Result, checked};
use crate::events::HairEvent;
use crate::model::FieldGroup;
use crate::repo;

/// A consent that stands now.
#[derive(Clone, Debug)]
pub struct LiveConsent {
    pub id: Uuid,
    pub version: i32,
    pub customer: Uuid,
    pub groups: Vec<FieldGroup>,
}

pub(crate) fn groups_of(c: &consents::Model) -> Vec<FieldGroup> {
    serde_json::from_value(c.scope.clone()).unwrap_or_default()
}

/// Whether `c` stands at `now`: not revoked, not expired, with a scope.
pub fn stands(c: &consents::Model, now: DateTime<Utc>) -> bool {
    c.revoked_at.is_none() && c.valid_until.is_none_or(|u| u > now) && !groups_of(c).is_empty()
}

fn live(c: &consents::Model) -> LiveConsent {
    LiveConsent { id: c.id, version: c.version, customer: c.customer_user_id, groups: groups_of(c) }
}

/// The consent `customer` gives `stylist`, if it stands now (read in `tx`).
pub async fn live_scope(tx: &TenantTx, customer: Uuid, stylist: Uuid) -> Result<Option<LiveConsent>> {
    let now = Utc::now();
    Ok(repo::consent(tx, customer, stylist).await?.filter(|c| stands(c, now)).map(|c| live(&c)))
}

/// Every consent given to `stylist` that stands now.
pub async fn live_for_stylist(tx: &TenantTx, stylist: Uuid) -> Result<Vec<LiveConsent>> {
    let now = Utc::now();
    Ok(repo::consents_to(tx, stylist).await?.iter().filter(|c| stands(c, now)).map(live).collect())
}

/// Grants (or changes) the caller's consent to a stylist.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stylist_user_id": "0190a6f2-0000-7000-8000-000000000001", "scope": ["texture", "porosity"],
    "valid_until": "2030-01-01T00:00:00Z"}))]
pub struct ConsentGrant {
    /// A member of the tenant (not the caller).
    pub stylist_user_id: Uuid,
    /// The field groups shared: at least one, each once.
    pub scope: Vec<FieldGroup>,
    /// When the consent ends by itself (none: until revoked).
    pub valid_until: Option<DateTime<Utc>>,
}

/// Revokes the caller's consent to a stylist.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stylist_user_id": "0190a6f2-0000-7000-8000-000000000001"}))]
pub struct ConsentRevoke {
    pub stylist_user_id: Uuid,
}

/// A stylist's notes in the context of a client who consents to them.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_user_id": "0190a6f2-0000-7000-8000-000000000002", "stylist_notes": "Prefers low tension"}))]
pub struct StylistNotes {
    pub customer_user_id: Uuid,
    pub stylist_notes: Option<String>,
    pub last_service_notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    pub id: Uuid,
    pub customer_user_id: Uuid,
    pub stylist_user_id: Uuid,
    pub scope: Vec<FieldGroup>,
    /// Whether the consent stands now (granted, not revoked, not expired).
    pub active: bool,
    pub granted_at: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub stylist_notes: Option<String>,
    pub last_service_notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ConsentView {
    pub fn of(c: &consents::Model) -> Self {
        Self {
            id: c.id,
            customer_user_id: c.customer_user_id,
            stylist_user_id: c.stylist_user_id,
            scope: groups_of(c),
            active: stands(c, Utc::now()),
            granted_at: c.granted_at,
            valid_until: c.valid_until,
            revoked_at: c.revoked_at,
            stylist_notes: c.stylist_notes.clone(),
            last_service_notes: c.last_service_notes.clone(),
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// One appended version of a consent: `granted`, `changed` or `revoked`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentVersionView {
    pub id: Uuid,
    pub consent_id: Uuid,
    pub customer_user_id: Uuid,
    pub stylist_user_id: Uuid,
    pub version: i32,
    pub action: String,
    pub scope: Vec<FieldGroup>,
    pub valid_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl ConsentVersionView {
    pub fn of(v: &consent_versions::Model) -> Self {
        Self {
            id: v.id,
            consent_id: v.consent_id,
            customer_user_id: v.customer_user_id,
            stylist_user_id: v.stylist_user_id,
            version: v.version,
            action: v.action.clone(),
            scope: serde_json::from_value(v.scope.clone()).unwrap_or_default(),
            valid_until: v.valid_until,
            created_at: v.created_at,
        }
    }
}

pub async fn grant(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    customer: Uuid,
    input: ConsentGrant,
) -> Result<ConsentView> {
    let mut e = Vec::new();
    if input.stylist_user_id == customer {
        e.push(FieldError::new("stylist_user_id", "is yourself"));
    } else if !dir.is_member(tx, UserId(input.stylist_user_id)).await? {
        e.push(FieldError::new("stylist_user_id", "is not a member of this tenant"));
    }
    if input.scope.is_empty() {
        e.push(FieldError::new("scope", "must name at least one field group (revoke to share nothing)"));
    }
    let mut scope = input.scope.clone();
    scope.sort();
    scope.dedup();
    if scope.len() != input.scope.len() {
        e.push(FieldError::new("scope", "names a field group twice"));
    }
    if input.valid_until.is_some_and(|u| u <= Utc::now()) {
        e.push(FieldError::new("valid_until", "must be in the future"));
    }
    checked(e)?;
    let existing = repo::consent_for_update(tx, customer, input.stylist_user_id).await?;
    let action = if existing.as_ref().is_some_and(|c| stands(c, Utc::now())) { "changed" } else { "granted" };
    let c =
        repo::upsert_consent(tx, existing, customer, input.stylist_user_id, json!(scope), input.valid_until).await?;
    repo::insert_consent_version(tx, &c, action).await?;
    let view = ConsentView::of(&c);
    audit::record(tx, actor, Change::new(HairEvent::ConsentGranted, "hair_consent", c.id, None, None)).await?;
    Ok(view)
}

pub async fn revoke(tx: &TenantTx, actor: &AuditActor, customer: Uuid, stylist: Uuid) -> Result<ConsentView> {
    let c = repo::consent_for_update(tx, customer, stylist).await?.ok_or(HairError::NotFound)?;
    if c.revoked_at.is_some() {
        return Err(HairError::Conflict("this consent is already revoked".into()));
    }
    let c = repo::revoke_consent(tx, c).await?;
    repo::insert_consent_version(tx, &c, "revoked").await?;
    audit::record(tx, actor, Change::new(HairEvent::ConsentRevoked, "hair_consent", c.id, None, None)).await?;
    Ok(ConsentView::of(&c))
}

/// The stylist's notes on a client: only while the client's consent stands (404 otherwise).
pub async fn set_notes(tx: &TenantTx, stylist: Uuid, input: StylistNotes) -> Result<ConsentView> {
    let mut e = Vec::new();
    for (field, v) in [("stylist_notes", &input.stylist_notes), ("last_service_notes", &input.last_service_notes)] {
        if v.as_ref().is_some_and(|n| n.chars().count() > 4000) {
            e.push(FieldError::new(field, "must be at most 4000 characters"));
        }
    }
    checked(e)?;
    let c = repo::consent_for_update(tx, input.customer_user_id, stylist).await?.ok_or(HairError::NotFound)?;
    if !stands(&c, Utc::now()) {
        return Err(HairError::NotFound);
    }
    let c = repo::set_consent_notes(tx, c, input.stylist_notes, input.last_service_notes).await?;
    Ok(ConsentView::of(&c))
}
