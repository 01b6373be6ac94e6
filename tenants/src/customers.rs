//! Customers on their own: registration at a tenant, their profile and password, and
//! leaving a tenant. Staff join by invitation (`members`); customers need none.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::auth::TokenKeys;
use atrium_core::db::TenantTx;
use atrium_core::ids::{TenantId, UserId};
use atrium_core::secret::Secret;
use atrium_core::validate::{Email, Name, Phone};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel, Set};
use uuid::Uuid;

use crate::credentials::{PasswordAttempt, hash_password, verify_password_throttled};
use crate::entities::{memberships, users};
use crate::error::{Result, TenantsError, taken};
use crate::events::TenantsEvent;
use crate::model::{CUSTOMER, CustomerRegistration, TenantStatus, is_customer_only};
use crate::repo;
use crate::service::issue_tokens;
use crate::throttle::SignInThrottle;
use crate::views::{TokenResponse, strings};

/// A validated registration.
pub struct NewCustomer {
    pub email: Email,
    pub password: Secret,
    pub name: Name,
    pub phone: Option<Phone>,
}

pub struct Registered {
    pub user: users::Model,
    pub tokens: TokenResponse,
}

/// Registers `input` as a customer of the tenant `slug`. An e-mail with an account joins
/// with that account's password (a wrong one is [`TenantsError::InvalidCredentials`], the
/// answer of a failed sign-in); a new e-mail gets an account. The caller commits the
/// transaction (a policy change: the tenant has a new member).
pub async fn register(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    throttle: &SignInThrottle,
    slug: &str,
    input: NewCustomer,
    client_ip: Option<String>,
) -> Result<(TenantTx, Registered)> {
    let tenant = repo::tenant_by_slug(db, slug).await?.ok_or(TenantsError::NotFound)?;
    if tenant.status != TenantStatus::Active.as_str() {
        return Err(TenantsError::NotFound);
    }
    if tenant.customer_registration != CustomerRegistration::Open.as_str() {
        return Err(TenantsError::RegistrationClosed);
    }
    let existing = repo::user_by_email(db, input.email.as_str()).await?;
    // The slow part, outside the transaction and off the async workers.
    let password_hash = match &existing {
        Some(user) => {
            let attempt = PasswordAttempt { email: input.email.as_str(), client_ip: client_ip.as_deref() };
            verify_password_throttled(throttle, attempt, &input.password, Some(&user.password_hash)).await?;
            None
        }
        None => Some(hash_password(&input.password).await?),
    };
    let tenant_id = TenantId(tenant.id);
    let tx = TenantTx::begin(db, tenant_id, true).await?;
    let user = match existing {
        Some(user) => {
            if repo::membership_of(&tx, UserId(user.id)).await?.is_some() {
                return Err(TenantsError::Conflict("you are already a member of this tenant; sign in".into()));
            }
            user
        }
        None => {
            let user = repo::insert_user(
                tx.conn(),
                input.email.as_str(),
                password_hash.unwrap_or_default(),
                input.name.as_str(),
            )
            .await
            .map_err(|e| match e {
                TenantsError::Db(err) => taken("email")(err),
                other => other,
            })?;
            match input.phone {
                Some(phone) => set_profile(tx.conn(), user, None, Some(Some(phone))).await?,
                None => user,
            }
        }
    };
    let user_id = UserId(user.id);
    let membership = repo::insert_membership(&tx, user_id, &[CUSTOMER.to_owned()], None).await?;
    audit::record(
        &tx,
        &AuditActor::user(user_id, client_ip),
        Change::new(
            TenantsEvent::CustomerRegistered,
            "membership",
            membership.id.to_string(),
            None,
            Some(serde_json::json!({"user_id": user.id, "roles": [CUSTOMER]})),
        ),
    )
    .await?;
    crate::account_tokens::issue(&tx, user_id, crate::account_tokens::Purpose::EmailVerification, Utc::now()).await?;
    let tokens = issue_tokens(&tx, keys, user_id, Uuid::now_v7()).await?;
    Ok((tx, Registered { user, tokens }))
}

/// Changes the caller's name and phone (`Some(None)` clears the phone).
pub async fn set_profile(
    conn: &impl sea_orm::ConnectionTrait,
    user: users::Model,
    name: Option<Name>,
    phone: Option<Option<Phone>>,
) -> Result<users::Model> {
    if name.is_none() && phone.is_none() {
        return Ok(user);
    }
    let mut am = user.into_active_model();
    if let Some(name) = name {
        am.name = Set(name.into_string());
    }
    if let Some(phone) = phone {
        am.phone = Set(phone.map(Phone::into_string));
    }
    am.updated_at = Set(Utc::now());
    Ok(am.update(conn).await?)
}

/// Changes the caller's password when `current` proves it. Every refresh token issued
/// before, in every tenant, stops working (see [`crate::service::refresh`]); the caller
/// gets a fresh pair for this session.
/// A wrong `current` is a failed sign-in: answered and throttled like one.
pub async fn change_password(
    tx: &TenantTx,
    keys: &TokenKeys,
    throttle: &SignInThrottle,
    user: users::Model,
    current: Secret,
    new: Secret,
    actor: &AuditActor,
) -> Result<(users::Model, TokenResponse)> {
    let client_ip = actor.client_ip.clone();
    let attempt = PasswordAttempt { email: &user.email, client_ip: client_ip.as_deref() };
    verify_password_throttled(throttle, attempt, &current, Some(&user.password_hash)).await?;
    let hash = hash_password(&new).await?;
    let user_id = UserId(user.id);
    let now = Utc::now();
    let mut am = user.into_active_model();
    am.password_hash = Set(hash);
    am.password_changed_at = Set(Some(now));
    am.updated_at = Set(now);
    let user = am.update(tx.conn()).await?;
    repo::revoke_user_refresh_tokens(tx, user_id).await?;
    audit::record(tx, actor, Change::new(TenantsEvent::PasswordChanged, "user", user.id.to_string(), None, None))
        .await?;
    let tokens = issue_tokens(tx, keys, user_id, Uuid::now_v7()).await?;
    Ok((user, tokens))
}

/// The caller leaves the transaction's tenant: their membership goes and their sessions
/// there end. Only a customer leaves by themselves; staff are removed by an admin.
pub async fn leave(tx: &TenantTx, user: UserId, actor: &AuditActor) -> Result<memberships::Model> {
    let m = repo::membership_of(tx, user).await?.ok_or(TenantsError::NotFound)?;
    let roles = strings(&m.roles);
    if !is_customer_only(&roles) {
        return Err(TenantsError::Conflict(
            "only customers leave a tenant by themselves; an admin removes a member of staff".into(),
        ));
    }
    repo::delete_membership(tx, m.id).await?;
    repo::revoke_user_refresh_tokens(tx, user).await?;
    audit::record(
        tx,
        actor,
        Change::new(
            TenantsEvent::CustomerLeft,
            "membership",
            m.id.to_string(),
            Some(serde_json::json!({"user_id": m.user_id, "roles": roles})),
            None,
        ),
    )
    .await?;
    Ok(m)
}
