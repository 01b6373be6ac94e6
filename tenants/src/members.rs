//! Members of the tenant: invitations by email with roles, role changes, removal, and
//! accepting an invitation. A tenant always keeps an owner, only an owner makes or
//! unmakes owners, and nobody hands out permissions they do not hold.

use std::collections::HashSet;

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::auth::{self, TokenKeys};
use atrium_core::context::Principal;
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::ids::{TenantId, UserId};
use atrium_core::plugin::{BuiltinRole, Catalog};
use atrium_core::secret::Secret;
use atrium_core::validate::{Email, Name, check_password};
use chrono::Utc;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::credentials::{self, PasswordAttempt, verify_password_throttled};
use crate::entities::{invitations, memberships, users};
use crate::error::{Result, TenantsError, taken};
use crate::events::TenantsEvent;
use crate::service::{create_invitation, issue_tokens};
use crate::throttle::SignInThrottle;
use crate::views::{MemberView, TokenResponse, strings};
use crate::{perm, repo};

/// Who hands out roles, and the catalog that says what each built-in role grants.
pub struct Grantor<'a> {
    pub caller: &'a Principal,
    pub catalog: &'a Catalog,
}

impl Grantor<'_> {
    /// Checks `roles` exist and that the caller holds every permission they grant;
    /// returns them sorted, without repeats.
    async fn resolve_roles(&self, tx: &TenantTx, roles: &[String], field: &str) -> Result<Vec<String>> {
        let custom = repo::roles(tx).await?;
        let mut errors = Vec::new();
        let mut granted: HashSet<String> = HashSet::new();
        for (i, name) in roles.iter().enumerate() {
            if let Some(builtin) = BuiltinRole::parse(name) {
                granted.extend(self.catalog.builtin_grants(builtin).into_iter().map(str::to_owned));
            } else if let Some(role) = custom.iter().find(|r| &r.name == name) {
                granted.extend(strings(&role.permissions));
            } else {
                errors.push(FieldError::new(format!("{field}[{i}]"), format!("no role named `{name}`")));
            }
        }
        if roles.is_empty() {
            errors.push(FieldError::new(field, "must name at least one role"));
        }
        if !errors.is_empty() {
            return Err(TenantsError::Invalid(errors));
        }
        if let Some(p) = granted.iter().find(|p| !self.caller.permissions.contains(p)) {
            return Err(TenantsError::Forbidden(format!("you cannot grant a role with `{p}`, which you do not hold")));
        }
        let mut unique = roles.to_vec();
        unique.sort();
        unique.dedup();
        Ok(unique)
    }

    /// Only an owner makes or unmakes owners: by the owners' permission, not the role
    /// name, which an owner's API key carries too.
    fn require_owner(&self) -> Result<()> {
        if self.caller.permissions.contains(perm::OWNERS_WRITE.as_str()) {
            Ok(())
        } else {
            Err(TenantsError::Forbidden("only an owner can grant, revoke or remove the owner role".into()))
        }
    }
}

async fn check_location(tx: &TenantTx, location: Option<Uuid>, field: &str) -> Result<()> {
    if let Some(id) = location
        && repo::location(tx, id).await?.is_none()
    {
        return Err(TenantsError::Invalid(vec![FieldError::new(field, "no such location")]));
    }
    Ok(())
}

fn is_owner(m: &memberships::Model) -> bool {
    strings(&m.roles).iter().any(|r| r == "owner")
}

/// Owners other than `except`. The memberships are locked for the rest of the
/// transaction (PostgreSQL; SQLite write transactions are serial anyway), so two
/// concurrent demotions cannot both see the other owner and leave none.
async fn other_owners(tx: &TenantTx, except: Uuid) -> Result<usize> {
    Ok(repo::all_memberships_locked(tx).await?.iter().filter(|m| m.id != except && is_owner(m)).count())
}

async fn user_of(tx: &TenantTx, m: &memberships::Model) -> Result<users::Model> {
    repo::user_by_id(tx.conn(), UserId(m.user_id)).await?.ok_or(TenantsError::NotFound)
}

/// One page of members, oldest first (fetched with one extra row, see `Page`).
pub async fn page(tx: &TenantTx, after: Option<Uuid>, limit: u64) -> Result<Vec<MemberView>> {
    let page = repo::memberships_page(tx, after, limit).await?;
    let users = repo::users_by_ids(tx.conn(), page.iter().map(|m| m.user_id).collect()).await?;
    Ok(page.iter().filter_map(|m| users.iter().find(|u| u.id == m.user_id).map(|u| MemberView::new(m, u))).collect())
}

/// A membership of the tenant.
pub async fn find(tx: &TenantTx, id: Uuid) -> Result<memberships::Model> {
    repo::membership(tx, id).await?.ok_or(TenantsError::NotFound)
}

/// A member as the API shows it.
pub async fn show(tx: &TenantTx, id: Uuid) -> Result<MemberView> {
    let m = find(tx, id).await?;
    Ok(MemberView::new(&m, &user_of(tx, &m).await?))
}

/// Invites `email` with `roles`, confined to `location` when given; returns the
/// invitation and its token (shown once). The plan's seats count pending invitations.
pub async fn invite(
    tx: &TenantTx,
    by: &Grantor<'_>,
    actor: &AuditActor,
    email: &Email,
    roles: &[String],
    location: Option<Uuid>,
) -> Result<(invitations::Model, String)> {
    let roles = by.resolve_roles(tx, roles, "roles").await?;
    if roles.iter().any(|r| r == "owner") {
        by.require_owner()?;
    }
    check_location(tx, location, "location_id").await?;
    if !crate::model::is_customer_only(&roles) {
        repo::check_seats(tx, 1, true).await?;
    }
    if let Some(user) = repo::user_by_email(tx.conn(), email.as_str()).await?
        && repo::membership_of(tx, UserId(user.id)).await?.is_some()
    {
        return Err(TenantsError::Conflict("this person is already a member".into()));
    }
    create_invitation(tx, actor, email, &roles, location, by.caller.user_id().0).await
}

/// The roles `current` ends up with when `new` replaces them: both what is added and
/// what is taken away must be within the caller's rights.
async fn changed_roles(
    tx: &TenantTx,
    by: &Grantor<'_>,
    current: &memberships::Model,
    new: &[String],
) -> Result<Vec<String>> {
    let old = strings(&current.roles);
    let changed: Vec<String> =
        new.iter().filter(|r| !old.contains(r)).chain(old.iter().filter(|r| !new.contains(r))).cloned().collect();
    if !changed.is_empty() {
        by.resolve_roles(tx, &changed, "roles").await?;
    }
    if changed.iter().any(|r| r == "owner") {
        by.require_owner()?;
    }
    let mut new = new.to_vec();
    new.sort();
    new.dedup();
    if new.is_empty() {
        return Err(TenantsError::Invalid(vec![FieldError::new("roles", "must name at least one role")]));
    }
    Ok(new)
}

/// Changes `current`'s roles and location scope (absent: unchanged; a location of
/// `Some(None)` lifts the scope). The last owner cannot be demoted.
pub async fn update(
    tx: &TenantTx,
    by: &Grantor<'_>,
    actor: &AuditActor,
    current: memberships::Model,
    roles: Option<Vec<String>>,
    location: Option<Option<Uuid>>,
) -> Result<MemberView> {
    let roles = match roles {
        Some(new) => changed_roles(tx, by, &current, &new).await?,
        None => strings(&current.roles),
    };
    let location = match location {
        Some(location) => {
            check_location(tx, location, "location_id").await?;
            location
        }
        None => current.location_id,
    };
    if is_owner(&current) && !roles.iter().any(|r| r == "owner") && other_owners(tx, current.id).await? == 0 {
        return Err(TenantsError::LastOwner);
    }
    // A customer made staff now takes a seat.
    if crate::model::is_customer_only(&strings(&current.roles)) && !crate::model::is_customer_only(&roles) {
        repo::check_seats(tx, 1, true).await?;
    }
    let user = user_of(tx, &current).await?;
    let before = MemberView::new(&current, &user);
    let m = repo::update_membership(tx, current, roles, location).await?;
    let view = MemberView::new(&m, &user);
    audit::record(
        tx,
        actor,
        Change::new(
            TenantsEvent::MemberUpdated,
            "membership",
            m.id.to_string(),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    Ok(view)
}

/// Removes `m` and signs them out of this tenant. The last owner cannot be removed.
pub async fn remove(tx: &TenantTx, by: &Grantor<'_>, actor: &AuditActor, m: memberships::Model) -> Result<()> {
    by.resolve_roles(tx, &strings(&m.roles), "roles").await?;
    if is_owner(&m) {
        by.require_owner()?;
    }
    if is_owner(&m) && other_owners(tx, m.id).await? == 0 {
        return Err(TenantsError::LastOwner);
    }
    repo::delete_membership(tx, m.id).await?;
    repo::revoke_user_refresh_tokens(tx, UserId(m.user_id)).await?;
    audit::record(
        tx,
        actor,
        Change::new(
            TenantsEvent::MemberRemoved,
            "membership",
            m.id.to_string(),
            Some(serde_json::json!({"user_id": m.user_id, "roles": strings(&m.roles)})),
            None,
        ),
    )
    .await?;
    Ok(())
}

/// The tenant an invitation token belongs to (it is in the token, `inv_<tenant>_…`, so
/// the lookup can run inside that tenant's row-level security).
pub fn invitation_tenant(token: &str) -> Option<TenantId> {
    token
        .strip_prefix("inv_")
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(t, _)| Uuid::parse_str(t).ok())
        .map(TenantId)
}

/// Who accepts an invitation, proven before the write transaction opens (argon2 is the
/// slow part): the invited e-mail's account, whose password was checked, or a new account
/// whose password is already hashed.
pub enum Invitee {
    Existing(users::Model),
    New { name: Name, password_hash: String },
}

/// The invitation `token`, unless it was used, revoked or has expired.
async fn live_invitation(tx: &TenantTx, token: &str) -> Result<invitations::Model> {
    let inv = repo::invitation_by_token_hash(tx, &auth::sha256_hex(token)).await?.ok_or(TenantsError::NotFound)?;
    if inv.accepted_at.is_some() || inv.revoked_at.is_some() || inv.expires_at <= Utc::now() {
        return Err(TenantsError::InvitationSpent);
    }
    Ok(inv)
}

/// Proves who accepts the invitation `token` of `tenant` (see [`invitation_tenant`]): the
/// existing account when the password proves it — a password check like a sign-in's,
/// throttled the same — or a new one, which needs a valid password and a name.
pub async fn prove_invitee(
    db: &DatabaseConnection,
    throttle: &SignInThrottle,
    tenant: TenantId,
    token: &str,
    password: &Secret,
    name: Option<&str>,
    client_ip: Option<&str>,
) -> Result<Invitee> {
    let tx = TenantTx::begin(db, tenant, false).await?;
    let inv = live_invitation(&tx, token).await?;
    let existing = repo::user_by_email(tx.conn(), &inv.email).await?;
    tx.commit().await?;
    if let Some(user) = existing {
        let attempt = PasswordAttempt { email: &inv.email, client_ip };
        verify_password_throttled(throttle, attempt, password, Some(&user.password_hash)).await?;
        return Ok(Invitee::Existing(user));
    }
    let mut errors = Vec::new();
    if let Err(m) = check_password(password.expose()) {
        errors.push(FieldError::new("password", m));
    }
    let name = match name.map(Name::parse) {
        Some(Ok(name)) => Some(name),
        Some(Err(m)) => {
            errors.push(FieldError::new("name", m));
            None
        }
        None => {
            errors.push(FieldError::new("name", "is required for a new account"));
            None
        }
    };
    let (true, Some(name)) = (errors.is_empty(), name) else { return Err(TenantsError::Invalid(errors)) };
    Ok(Invitee::New { name, password_hash: credentials::hash_password(password).await? })
}

/// Accepts the invitation `token` in `tx` (its tenant's, see [`invitation_tenant`]) as
/// `invitee` (from [`prove_invitee`]): joins with the invited roles, creating the account
/// when the email has none, and signs in. The caller commits as a policy change.
pub async fn accept_invitation(
    tx: &TenantTx,
    keys: &TokenKeys,
    token: &str,
    invitee: Invitee,
    client_ip: Option<String>,
) -> Result<TokenResponse> {
    let inv = live_invitation(tx, token).await?;
    let user = match invitee {
        Invitee::Existing(user) => user,
        Invitee::New { name, password_hash } => {
            repo::insert_user(tx.conn(), &inv.email, password_hash, name.as_str()).await.map_err(|e| match e {
                TenantsError::Db(err) => taken("email")(err),
                other => other,
            })?
        }
    };
    let user_id = UserId(user.id);
    if repo::membership_of(tx, user_id).await?.is_some() {
        return Err(TenantsError::Conflict("already a member".into()));
    }
    let roles = strings(&inv.roles);
    if !crate::model::is_customer_only(&roles) {
        repo::check_seats(tx, 1, false).await?;
    }
    let membership = repo::insert_membership(tx, user_id, &roles, inv.location_id).await?;
    audit::record(
        tx,
        &AuditActor::user(user_id, client_ip),
        Change::new(
            TenantsEvent::MemberAdded,
            "membership",
            membership.id.to_string(),
            None,
            Some(serde_json::json!({"user_id": user.id, "roles": roles, "invitation_id": inv.id})),
        ),
    )
    .await?;
    repo::mark_invitation_accepted(tx, inv).await?;
    issue_tokens(tx, keys, user_id, Uuid::now_v7()).await
}
