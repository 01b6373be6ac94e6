//! Password resets and e-mail verification: single-use tokens e-mailed to a member of a
//! tenant (through the mail outbox, in the transaction that makes the token), kept only as
//! SHA-256 hashes. A token reads `<tenant id>.<secret>`: the tenant part opens the right
//! tenant's transaction (row-level security), the whole is hashed and looked up.
//!
//! Asking for a reset answers the same whether the e-mail has an account at the tenant or
//! not (the route returns one fixed answer); asking is throttled per e-mail and per client
//! address like sign-in. A reset sets the password, ends every session (refresh tokens) of
//! the user, and is audited.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::auth::{random_secret, sha256_hex};
use atrium_core::db::TenantTx;
use atrium_core::ids::{TenantId, UserId};
use atrium_core::mail::{self, MailKind, Recipient, TokenMail};
use atrium_core::secret::Secret;
use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseConnection, IntoActiveModel, Set};

use crate::credentials::hash_password;
use crate::entities::account_tokens as tokens;
use crate::error::{Result, TenantsError};
use crate::events::TenantsEvent;
use crate::model::TenantStatus;
use crate::repo;
use crate::throttle::SignInThrottle;

pub const PASSWORD_RESET_MINUTES: i64 = 30;
pub const VERIFICATION_MINUTES: i64 = 48 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailVerification,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
        }
    }

    fn minutes(self) -> i64 {
        match self {
            Self::PasswordReset => PASSWORD_RESET_MINUTES,
            Self::EmailVerification => VERIFICATION_MINUTES,
        }
    }

    fn mail(self) -> MailKind {
        match self {
            Self::PasswordReset => MailKind::PasswordReset,
            Self::EmailVerification => MailKind::EmailVerification,
        }
    }
}

/// Makes a token for `user` and enqueues its e-mail, in `tx` (not committed).
pub async fn issue(tx: &TenantTx, user: UserId, purpose: Purpose, now: DateTime<Utc>) -> Result<()> {
    let token = format!("{}.{}", tx.tenant_id().0.simple(), random_secret(32).expose());
    tokens::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        user_id: Set(user.0),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(sha256_hex(&token)),
        expires_at: Set(now + Duration::minutes(purpose.minutes())),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let data = TokenMail { token, valid_minutes: u32::try_from(purpose.minutes()).unwrap_or(30) };
    let key = format!("{}:{}", purpose.as_str(), Uuid::now_v7());
    mail::enqueue(tx, purpose.mail(), &key, Recipient::User(user), &data).await?;
    Ok(())
}

/// Asks for a password reset of `email` at the tenant `slug`: when it is an active member
/// there, a token is e-mailed. Says nothing either way (the caller answers the same).
/// Throttled per e-mail and per address (429 for both kinds of e-mail alike).
pub async fn request_password_reset(
    db: &DatabaseConnection,
    throttle: &SignInThrottle,
    slug: &str,
    email: &str,
    client_ip: Option<&str>,
) -> Result<()> {
    let email = email.trim().to_lowercase();
    throttle.resets.take(&format!("acct:{email}")).map_err(TenantsError::Throttled)?;
    throttle
        .resets_by_address
        .take(&format!("ip:{}", client_ip.unwrap_or_default()))
        .map_err(TenantsError::Throttled)?;
    let Some(tenant) = repo::tenant_by_slug(db, slug).await? else { return Ok(()) };
    if tenant.status != TenantStatus::Active.as_str() {
        return Ok(());
    }
    let Some(user) = repo::user_by_email(db, &email).await? else { return Ok(()) };
    let tx = TenantTx::begin(db, TenantId(tenant.id), true).await?;
    let member = repo::membership_of(&tx, UserId(user.id)).await?.is_some_and(|m| m.status == "active");
    if member {
        issue(&tx, UserId(user.id), Purpose::PasswordReset, Utc::now()).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Spends `token` (of `purpose`): the user it was for, or a 422 at `token` when it is
/// unknown, used or expired. Single-use under concurrency: the spending is a conditional
/// update, and only one transaction sees it succeed.
async fn spend(db: &DatabaseConnection, token: &str, purpose: Purpose) -> Result<(TenantTx, UserId)> {
    let invalid =
        || TenantsError::Invalid(vec![atrium_core::error::FieldError::new("token", "is unknown, used or expired")]);
    let tenant = token
        .split_once('.')
        .and_then(|(t, _)| Uuid::try_parse(t).ok())
        .filter(|_| token.len() <= 200)
        .ok_or_else(invalid)?;
    let now = Utc::now();
    let tx = TenantTx::begin(db, TenantId(tenant), true).await?;
    let hash = sha256_hex(token);
    let row = tokens::Entity::find()
        .filter(tokens::Column::TenantId.eq(tenant))
        .filter(tokens::Column::TokenHash.eq(hash))
        .filter(tokens::Column::Purpose.eq(purpose.as_str()))
        .one(tx.conn())
        .await?
        .ok_or_else(invalid)?;
    if row.used_at.is_some() || row.expires_at <= now {
        return Err(invalid());
    }
    let spent = tokens::Entity::update_many()
        .col_expr(tokens::Column::UsedAt, Expr::value(now))
        .filter(tokens::Column::TenantId.eq(tenant))
        .filter(tokens::Column::Id.eq(row.id))
        .filter(tokens::Column::UsedAt.is_null())
        .exec(tx.conn())
        .await?;
    if spent.rows_affected != 1 {
        return Err(invalid());
    }
    Ok((tx, UserId(row.user_id)))
}

/// Sets a new password with a reset token: every session of the user ends (in every
/// tenant), the other reset tokens of the user at this tenant are spent, and the change is
/// audited.
pub async fn confirm_password_reset(
    db: &DatabaseConnection,
    token: &str,
    new_password: &Secret,
    client_ip: Option<String>,
) -> Result<()> {
    let hash = hash_password(new_password).await?;
    let (tx, user_id) = spend(db, token, Purpose::PasswordReset).await?;
    let user = repo::user_by_id(tx.conn(), user_id).await?.ok_or(TenantsError::NotFound)?;
    let now = Utc::now();
    let mut am = user.into_active_model();
    am.password_hash = Set(hash);
    am.password_changed_at = Set(Some(now));
    am.updated_at = Set(now);
    am.update(tx.conn()).await?;
    tokens::Entity::update_many()
        .col_expr(tokens::Column::UsedAt, Expr::value(now))
        .filter(tokens::Column::TenantId.eq(tx.tenant_id().0))
        .filter(tokens::Column::UserId.eq(user_id.0))
        .filter(tokens::Column::Purpose.eq(Purpose::PasswordReset.as_str()))
        .filter(tokens::Column::UsedAt.is_null())
        .exec(tx.conn())
        .await?;
    repo::revoke_user_refresh_tokens(&tx, user_id).await?;
    let actor = AuditActor::user(user_id, client_ip);
    let change = Change::new(
        TenantsEvent::PasswordChanged,
        "user",
        user_id.0.to_string(),
        None,
        Some(serde_json::json!({"by": "password_reset"})),
    );
    audit::record(&tx, &actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Confirms a customer's e-mail address with its verification token.
pub async fn confirm_email(db: &DatabaseConnection, slug: &str, token: &str) -> Result<()> {
    let tenant = repo::tenant_by_slug(db, slug).await?.ok_or(TenantsError::NotFound)?;
    if !token.starts_with(&tenant.id.simple().to_string()) {
        return Err(TenantsError::Invalid(vec![atrium_core::error::FieldError::new(
            "token",
            "is unknown, used or expired",
        )]));
    }
    let (tx, _user) = spend(db, token, Purpose::EmailVerification).await?;
    tx.commit().await?;
    Ok(())
}
