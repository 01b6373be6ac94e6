//! API keys: `atr_` + key id (tenant and key) + a high-entropy secret. Shown once, stored
//! as a SHA-256 hash. A key acts for its tenant with its scopes, and never beyond what its
//! creator may do now: its permissions are its scopes ∩ its creator's current ones.
//! Rotation issues a new secret and keeps the old one valid for a stated grace period.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::auth;
use atrium_core::context::{PermissionSet, Principal, grant_text, parse_grant};
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::ids::{TenantId, UserId};
use atrium_core::plugin::Catalog;
use atrium_core::validate::Name;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseConnection, DbErr, IntoActiveModel, Set};
use uuid::Uuid;

use crate::entities::api_keys as entity;
use crate::error::{IntegrationsError, Result};
use crate::events::IntegrationsEvent;
use crate::model::ApiKeyCreate;
use crate::repo;
use crate::views::ApiKeyView;

/// Grace period of the old secret after a rotation, unless the request says otherwise.
pub const DEFAULT_GRACE_SECONDS: u32 = 24 * 3600;
const MAX_GRACE_SECONDS: u32 = 7 * 24 * 3600;
/// `last_used_at` is written at most this often per key, not on every request.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

/// A parsed `atr_<tenant><key>_<secret>`.
pub struct PresentedKey<'a> {
    pub tenant: TenantId,
    pub key_id: Uuid,
    pub whole: &'a str,
}

pub fn parse_key(token: &str) -> Option<PresentedKey<'_>> {
    let rest = token.strip_prefix("atr_")?;
    let (ids, secret) = rest.split_once('_')?;
    if ids.len() != 64 || secret.len() < 32 {
        return None;
    }
    let tenant = Uuid::try_parse(&ids[..32]).ok()?;
    let key_id = Uuid::try_parse(&ids[32..]).ok()?;
    Some(PresentedKey { tenant: TenantId(tenant), key_id, whole: token })
}

/// A new secret for key `key_id` of `tenant`, and its public prefix.
fn mint(tenant: TenantId, key_id: Uuid) -> (String, String) {
    let secret = format!("atr_{}{}_{}", tenant.0.simple(), key_id.simple(), auth::random_secret(32).expose());
    // `atr_` + the key id: public, no character of the secret.
    let prefix = format!("{}_…", &secret[..68]);
    (secret, prefix)
}

/// The key's row when `presented` matches it (current secret, or the previous one within
/// its grace period) and it is neither revoked nor expired.
pub async fn verify(db: &DatabaseConnection, presented: &PresentedKey<'_>) -> Result<Option<entity::Model>, DbErr> {
    let tx = TenantTx::begin(db, presented.tenant, false).await?;
    let row = repo::api_keys::find(&tx, presented.key_id).await?;
    tx.commit().await?;
    let hash = auth::sha256_hex(presented.whole);
    Ok(row.filter(|k| secret_matches(k, &hash, Utc::now())))
}

/// Whether `hash` (of a presented key) is the key's current secret's, or its previous
/// one's within the grace period, and the key is live at `now`. Digests are compared in
/// constant time, both of them always: no early exit tells how much of one matched.
fn secret_matches(key: &entity::Model, hash: &str, now: DateTime<Utc>) -> bool {
    let current = auth::constant_time_eq(key.secret_hash.as_bytes(), hash.as_bytes());
    let previous =
        key.previous_secret_hash.as_deref().is_some_and(|p| auth::constant_time_eq(p.as_bytes(), hash.as_bytes()))
            && key.previous_valid_until.is_some_and(|until| until > now);
    (current | previous) && is_live(key, now)
}

/// Whether the key may act at `now`: neither revoked nor expired.
pub fn is_live(key: &entity::Model, now: DateTime<Utc>) -> bool {
    key.revoked_at.is_none() && key.expires_at.is_none_or(|e| e > now)
}

/// What a key may do: its scopes ∩ its creator's current permissions, each at the
/// narrower of the two scopes. A key never exceeds what its creator may do now.
pub fn permissions(key: &entity::Model, creator: &PermissionSet) -> PermissionSet {
    let scopes = atrium_core::json::strings(&key.scopes);
    PermissionSet::new(scopes.iter().filter_map(|grant| {
        let (permission, wanted) = parse_grant(grant);
        let held = creator.scope_of(permission)?;
        Some(grant_text(permission, wanted.min(held)))
    }))
}

/// Records use, at most once a minute per key.
pub async fn touch(db: &DatabaseConnection, key: &entity::Model) -> Result<(), DbErr> {
    let now = Utc::now();
    if key.last_used_at.is_some_and(|t| now - t < Duration::seconds(LAST_USED_RESOLUTION_SECONDS)) {
        return Ok(());
    }
    let tx = TenantTx::begin(db, TenantId(key.tenant_id), true).await?;
    repo::api_keys::touch(&tx, key.id, now).await?;
    tx.commit().await
}

/// The user a key acts for.
pub fn creator(key: &entity::Model) -> UserId {
    UserId(key.created_by)
}

/// A key about to be created: named, with scopes from the catalog that the caller
/// holds, expiring in the future if at all.
pub struct NewApiKey {
    name: Name,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
}

impl NewApiKey {
    /// The name and expiry are checked first (one 422), then the scopes (another).
    pub fn parse(catalog: &Catalog, caller: &Principal, input: ApiKeyCreate) -> Result<Self> {
        let mut errors = Vec::new();
        let name = Name::parse(&input.name).map_err(|m| errors.push(FieldError::new("name", m))).ok();
        if input.expires_at.is_some_and(|e| e <= Utc::now()) {
            errors.push(FieldError::new("expires_at", "must be in the future"));
        }
        let (Some(name), true) = (name, errors.is_empty()) else { return Err(IntegrationsError::Invalid(errors)) };
        let scopes = check_scopes(catalog, caller, &input.scopes)?;
        Ok(Self { name, scopes, expires_at: input.expires_at })
    }
}

/// Scopes must be grants of the catalog (`p`, or `p@own` where `p` has an own scope) and
/// held by the caller; sorted, without repeats.
fn check_scopes(catalog: &Catalog, caller: &Principal, scopes: &[String]) -> Result<Vec<String>> {
    let mut errors = Vec::new();
    for (i, s) in scopes.iter().enumerate() {
        if !catalog.is_grant(s) {
            errors.push(FieldError::new(format!("scopes[{i}]"), format!("`{s}` is not in the permission catalog")));
        }
    }
    if scopes.is_empty() {
        errors.push(FieldError::new("scopes", "must name at least one permission"));
    }
    if !errors.is_empty() {
        return Err(IntegrationsError::Invalid(errors));
    }
    if let Some(s) = scopes.iter().find(|s| !caller.permissions.contains(s)) {
        return Err(IntegrationsError::Forbidden(format!("you cannot give a key `{s}`, which you do not hold")));
    }
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

/// Creates the key for `caller`; returns it with its secret (the only time it is shown).
pub async fn create(
    tx: &TenantTx,
    caller: &Principal,
    actor: &AuditActor,
    key: NewApiKey,
) -> Result<(entity::Model, String)> {
    let id = Uuid::now_v7();
    let (secret, prefix) = mint(tx.tenant_id(), id);
    let saved = repo::api_keys::insert(
        tx,
        entity::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(id),
            name: Set(key.name.into_string()),
            prefix: Set(prefix),
            secret_hash: Set(auth::sha256_hex(&secret)),
            previous_secret_hash: Set(None),
            previous_valid_until: Set(None),
            scopes: Set(serde_json::json!(key.scopes)),
            created_by: Set(caller.user_id().0),
            created_at: Set(Utc::now()),
            last_used_at: Set(None),
            expires_at: Set(key.expires_at),
            revoked_at: Set(None),
            version: Set(1),
        },
    )
    .await?;
    record(tx, actor, IntegrationsEvent::ApiKeyCreated, &saved).await?;
    Ok((saved, secret))
}

async fn record(tx: &TenantTx, actor: &AuditActor, event: IntegrationsEvent, key: &entity::Model) -> Result<()> {
    let after = serde_json::to_value(ApiKeyView::from(key)).ok();
    audit::record(tx, actor, Change::new(event, "api_key", key.id.to_string(), None, after)).await?;
    Ok(())
}

/// A key of the tenant.
pub async fn find(tx: &TenantTx, id: Uuid) -> Result<entity::Model> {
    repo::api_keys::find(tx, id).await?.ok_or(IntegrationsError::NotFound)
}

/// Revokes key `id` at once (and the previous secret of a rotation with it); a revoked
/// key stays as it is.
pub async fn revoke(tx: &TenantTx, actor: &AuditActor, id: Uuid) -> Result<entity::Model> {
    let key = find(tx, id).await?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let version = key.version + 1;
    let mut am = key.into_active_model();
    am.revoked_at = Set(Some(Utc::now()));
    am.version = Set(version);
    let key = repo::api_keys::update(tx, am).await?;
    record(tx, actor, IntegrationsEvent::ApiKeyRevoked, &key).await?;
    Ok(key)
}

/// How long the old secret keeps working after a rotation: `requested`, or the default.
pub fn grace_period(requested: Option<u32>) -> Result<Duration> {
    let grace = requested.unwrap_or(DEFAULT_GRACE_SECONDS);
    if grace > MAX_GRACE_SECONDS {
        return Err(IntegrationsError::Invalid(vec![FieldError::new(
            "grace_period_seconds",
            "must be at most 604800",
        )]));
    }
    Ok(Duration::seconds(grace.into()))
}

/// Issues key `id` a new secret; the old one keeps working for `grace`. Returns the key
/// with its new secret.
pub async fn rotate(
    tx: &TenantTx,
    caller: &Principal,
    actor: &AuditActor,
    id: Uuid,
    grace: Duration,
) -> Result<(entity::Model, String)> {
    let key = find(tx, id).await?;
    if key.revoked_at.is_some() {
        return Err(IntegrationsError::Conflict("the key is revoked"));
    }
    // A new secret acts as the key's creator: only the creator or an owner may take one,
    // and never for scopes beyond their own.
    let is_creator = key.created_by == caller.user_id().0;
    // By permission: an owner's API key carries the role name `owner` too.
    let is_owner = caller.permissions.contains(atrium_core::context::OWNERS_WRITE.as_str());
    let scopes = atrium_core::json::strings(&key.scopes);
    if !(is_creator || is_owner) || scopes.iter().any(|s| !caller.permissions.contains(s)) {
        return Err(IntegrationsError::Forbidden(
            "only the key's creator or an owner holding its scopes can rotate it".into(),
        ));
    }
    let (secret, prefix) = mint(tx.tenant_id(), key.id);
    let version = key.version + 1;
    let old_hash = key.secret_hash.clone();
    let mut am = key.into_active_model();
    am.previous_secret_hash = Set(Some(old_hash));
    am.previous_valid_until = Set(Some(Utc::now() + grace));
    am.secret_hash = Set(auth::sha256_hex(&secret));
    am.prefix = Set(prefix);
    am.version = Set(version);
    let key = repo::api_keys::update(tx, am).await?;
    record(tx, actor, IntegrationsEvent::ApiKeyRotated, &key).await?;
    Ok((key, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(hash: &str) -> entity::Model {
        entity::Model {
            tenant_id: Uuid::nil(),
            id: Uuid::nil(),
            name: "k".into(),
            prefix: "atr_…".into(),
            secret_hash: hash.into(),
            previous_secret_hash: Some(auth::sha256_hex("old")),
            previous_valid_until: Some(Utc::now() + Duration::hours(1)),
            scopes: serde_json::json!([]),
            created_by: Uuid::nil(),
            created_at: Utc::now(),
            last_used_at: None,
            expires_at: None,
            revoked_at: None,
            version: 1,
        }
    }

    /// #13.19: a presented key's digest is compared with the stored ones in constant time
    /// (through `auth::constant_time_eq`), current and previous alike.
    #[test]
    fn security_19_digests_are_compared_in_constant_time() {
        let now = Utc::now();
        let k = key(&auth::sha256_hex("current"));
        assert!(secret_matches(&k, &auth::sha256_hex("current"), now));
        assert!(secret_matches(&k, &auth::sha256_hex("old"), now));
        assert!(!secret_matches(&k, &auth::sha256_hex("other"), now));
        // A digest differing in its last character only, or a prefix of it, does not match.
        let mut near = auth::sha256_hex("current");
        near.pop();
        assert!(!secret_matches(&k, &near, now));
        near.push('x');
        assert!(!secret_matches(&k, &near, now));
        // The previous secret lapses with its grace period; a revoked key matches nothing.
        assert!(!secret_matches(&k, &auth::sha256_hex("old"), now + Duration::hours(2)));
        let revoked = entity::Model { revoked_at: Some(now), ..k };
        assert!(!secret_matches(&revoked, &auth::sha256_hex("current"), now));
    }
}
