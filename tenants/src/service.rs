//! The rules of onboarding and sign-in. Handlers parse and authorize; this decides.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::auth::{self, TokenKeys};
use atrium_core::db::TenantTx;
use atrium_core::ids::{TenantId, UserId};
use atrium_core::secret::Secret;
use atrium_core::validate::{CurrencyCode, Email, Name, Slug, Timezone};
use chrono::Utc;
use sea_orm::{DatabaseConnection, Set};
use uuid::Uuid;

use crate::credentials::{self, PasswordAttempt, verify_password_throttled};
use crate::entities::{tenants, users};
use crate::error::{Result, TenantsError, taken};
use crate::events::TenantsEvent;
use crate::model::{Branding, DefaultConfig, Plan, TenantStatus, TenantType};
use crate::repo;
use crate::throttle::SignInThrottle;
use crate::views::TokenResponse;

/// A validated signup.
pub struct NewTenant {
    pub slug: Slug,
    pub name: Name,
    pub tenant_type: TenantType,
    pub timezone: Timezone,
    pub currency: CurrencyCode,
    pub owner_email: Email,
    pub owner_password: Secret,
    pub owner_name: Name,
}

pub struct SignedUp {
    pub tenant: tenants::Model,
    pub user: users::Model,
    pub tokens: TokenResponse,
}

/// Creates the tenant, its owner (or reuses the global identity when the password
/// proves it — a password check like a sign-in's, throttled the same) and the owner's
/// membership, in one transaction.
pub async fn signup(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    throttle: &SignInThrottle,
    input: NewTenant,
    plan: Plan,
    client_ip: Option<String>,
) -> Result<SignedUp> {
    let tenant_id = TenantId::new();
    let existing = repo::user_by_email(db, input.owner_email.as_str()).await?;
    // Hash or verify outside the transaction: it is the slow part.
    let password_hash = match &existing {
        Some(user) => {
            let attempt = PasswordAttempt { email: input.owner_email.as_str(), client_ip: client_ip.as_deref() };
            verify_password_throttled(throttle, attempt, &input.owner_password, Some(&user.password_hash)).await?;
            None
        }
        None => Some(credentials::hash_password(&input.owner_password).await?),
    };

    let tx = TenantTx::begin(db, tenant_id, true).await?;
    let now = Utc::now();
    let tenant = repo::insert_tenant(
        &tx,
        tenants::ActiveModel {
            id: Set(tenant_id.0),
            slug: Set(input.slug.into_string()),
            name: Set(input.name.into_string()),
            tenant_type: Set(input.tenant_type.as_str().to_owned()),
            status: Set(TenantStatus::Active.as_str().to_owned()),
            timezone: Set(input.timezone.into_string()),
            currency: Set(input.currency.into_string()),
            enabled_plugins: Set(serde_json::json!([])),
            default_config: Set(serde_json::to_value(DefaultConfig::default()).unwrap_or_default()),
            branding: Set(serde_json::to_value(Branding::default()).unwrap_or_default()),
            custom_domains: Set(serde_json::json!([])),
            plan: Set(serde_json::to_value(plan).unwrap_or_default()),
            customer_registration: Set("open".to_owned()),
            customer_guests_allowed: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
        },
    )
    .await
    .map_err(|e| match e {
        TenantsError::Db(err) => taken("tenant slug")(err),
        other => other,
    })?;
    let user = match existing {
        Some(user) => user,
        None => repo::insert_user(
            tx.conn(),
            input.owner_email.as_str(),
            password_hash.unwrap_or_default(),
            input.owner_name.as_str(),
        )
        .await
        .map_err(|e| match e {
            TenantsError::Db(err) => taken("email")(err),
            other => other,
        })?,
    };
    let user_id = UserId(user.id);
    let membership = repo::insert_membership(&tx, user_id, &["owner".to_owned()], None).await?;
    let actor = AuditActor::user(user_id, client_ip);
    audit::record(
        &tx,
        &actor,
        Change::new(
            TenantsEvent::TenantCreated,
            "tenant",
            tenant.id.to_string(),
            None,
            Some(serde_json::json!({"slug": tenant.slug, "name": tenant.name})),
        ),
    )
    .await?;
    audit::record(
        &tx,
        &actor,
        Change::new(
            TenantsEvent::MemberAdded,
            "membership",
            membership.id.to_string(),
            None,
            Some(serde_json::json!({"user_id": user.id, "roles": ["owner"]})),
        ),
    )
    .await?;
    let tokens = issue_tokens(&tx, keys, user_id, Uuid::now_v7()).await?;
    tx.commit().await?;
    Ok(SignedUp { tenant, user, tokens })
}

/// Access token + a new refresh token of `family`, stored hashed.
pub async fn issue_tokens(tx: &TenantTx, keys: &TokenKeys, user: UserId, family: Uuid) -> Result<TokenResponse> {
    let access_token = keys.issue(user, tx.tenant_id()).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    let refresh_token = format!("rt_{}_{}", tx.tenant_id().0.simple(), auth::random_secret(32).expose());
    repo::insert_refresh_token(tx, user, family, auth::sha256_hex(&refresh_token), keys.refresh_ttl_seconds()).await?;
    Ok(TokenResponse { access_token, token_type: "Bearer", expires_in: keys.ttl_seconds(), refresh_token })
}

/// The tenant a refresh token belongs to (it is in the token, so the lookup can run
/// inside that tenant's row-level security).
pub fn refresh_token_tenant(token: &str) -> Option<TenantId> {
    let rest = token.strip_prefix("rt_")?;
    let (tenant, _) = rest.split_once('_')?;
    Uuid::parse_str(tenant).ok().map(TenantId)
}

/// Verifies email, password (throttled, see [`verify_password_throttled`]) and membership;
/// returns a fresh token pair. `email` is as the client sent it.
pub async fn sign_in(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    throttle: &SignInThrottle,
    attempt: PasswordAttempt<'_>,
    password: &Secret,
    tenant_slug: &str,
) -> Result<TokenResponse> {
    let user = match Email::parse(attempt.email) {
        Ok(email) => repo::user_by_email(db, email.as_str()).await?,
        Err(_) => None,
    };
    verify_password_throttled(throttle, attempt, password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
    let user = user.ok_or(TenantsError::InvalidCredentials)?;
    let tenant = repo::tenant_by_slug(db, tenant_slug).await?.ok_or(TenantsError::InvalidCredentials)?;
    if tenant.status != TenantStatus::Active.as_str() {
        return Err(TenantsError::Suspended);
    }
    let tx = TenantTx::begin(db, TenantId(tenant.id), true).await?;
    let membership = repo::membership_of(&tx, UserId(user.id)).await?;
    if membership.is_none_or(|m| m.status != "active") {
        return Err(TenantsError::InvalidCredentials);
    }
    let tokens = issue_tokens(&tx, keys, UserId(user.id), Uuid::now_v7()).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// Rotates a refresh token. A token that was already rotated is being replayed: the
/// whole family is revoked, so a thief and the victim are both signed out.
pub async fn refresh(db: &DatabaseConnection, keys: &TokenKeys, token: &str) -> Result<TokenResponse> {
    let tenant = refresh_token_tenant(token).ok_or(TenantsError::InvalidCredentials)?;
    let tx = TenantTx::begin(db, tenant, true).await?;
    let stored =
        repo::refresh_token_by_hash(&tx, &auth::sha256_hex(token)).await?.ok_or(TenantsError::InvalidCredentials)?;
    if stored.rotated_at.is_some() && stored.revoked_at.is_none() {
        repo::revoke_refresh_family(&tx, stored.family_id).await?;
        tx.commit().await?;
        tracing::warn!(family = %stored.family_id, "refresh token reused: family revoked");
        return Err(TenantsError::InvalidCredentials);
    }
    if stored.revoked_at.is_some() || stored.rotated_at.is_some() || stored.expires_at <= Utc::now() {
        return Err(TenantsError::InvalidCredentials);
    }
    let user = UserId(stored.user_id);
    if repo::membership_of(&tx, user).await?.is_none_or(|m| m.status != "active") {
        return Err(TenantsError::InvalidCredentials);
    }
    // A password change ends every session begun before it, in every tenant.
    let changed = repo::user_by_id(tx.conn(), user).await?.and_then(|u| u.password_changed_at);
    if changed.is_some_and(|at| stored.created_at <= at) {
        return Err(TenantsError::InvalidCredentials);
    }
    let family = stored.family_id;
    if !repo::mark_refresh_rotated(&tx, &stored).await? {
        // Two refreshes raced with one token: treat the loser as a replay.
        repo::revoke_refresh_family(&tx, family).await?;
        tx.commit().await?;
        return Err(TenantsError::InvalidCredentials);
    }
    let tokens = issue_tokens(&tx, keys, user, family).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// Revokes the refresh token's family. Unknown tokens are ignored (logout is idempotent).
pub async fn logout(db: &DatabaseConnection, token: &str) -> Result<()> {
    let Some(tenant) = refresh_token_tenant(token) else { return Ok(()) };
    let tx = TenantTx::begin(db, tenant, true).await?;
    if let Some(stored) = repo::refresh_token_by_hash(&tx, &auth::sha256_hex(token)).await? {
        repo::revoke_refresh_family(&tx, stored.family_id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Days an invitation stays valid.
pub const INVITATION_DAYS: i64 = 7;

/// Creates an invitation for `email` with `roles` (audited); returns it and its token,
/// `inv_<tenant>_<secret>`, which is stored only as a hash.
pub async fn create_invitation(
    tx: &TenantTx,
    actor: &AuditActor,
    email: &Email,
    roles: &[String],
    location: Option<Uuid>,
    invited_by: Uuid,
) -> Result<(crate::entities::invitations::Model, String)> {
    let token = format!("inv_{}_{}", tx.tenant_id().0.simple(), auth::random_secret(32).expose());
    let now = Utc::now();
    let inv = repo::insert_invitation(
        tx,
        crate::entities::invitations::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            email: Set(email.as_str().to_owned()),
            roles: Set(serde_json::json!(roles)),
            location_id: Set(location),
            token_hash: Set(auth::sha256_hex(&token)),
            invited_by: Set(invited_by),
            expires_at: Set(now + chrono::Duration::days(INVITATION_DAYS)),
            accepted_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(now),
        },
    )
    .await?;
    audit::record(
        tx,
        actor,
        Change::new(
            TenantsEvent::InvitationCreated,
            "invitation",
            inv.id.to_string(),
            None,
            Some(serde_json::json!({"email": inv.email, "roles": roles, "location_id": location})),
        ),
    )
    .await?;
    Ok((inv, token))
}
