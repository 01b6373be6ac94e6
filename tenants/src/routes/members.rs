//! Members of the tenant: invitations by email with roles, role changes, removal, and
//! accepting an invitation. A tenant always keeps an owner, and nobody hands out
//! permissions they do not hold.

use std::collections::HashSet;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::auth::{self, TokenKeys};
use atrium_core::context::{PolicyInvalidation, RequestContext, commit_policy_change};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, double_option, ok_versioned};
use atrium_core::ids::{TenantId, UserId};
use atrium_core::plugin::{BuiltinRole, Catalog};
use atrium_core::secret::Secret;
use atrium_core::validate::{Email, Name, check_password};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::memberships;
use crate::error::TenantsError;
use crate::events::TenantsEvent;
use crate::service::issue_tokens;
use crate::views::{MemberView, TokenResponse, strings};
use crate::{perm, repo};

/// Lists members, oldest first.
#[utoipa::path(tag = "members", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery),
    responses((status = 200, body = Page<MemberView>)))]
#[get("/members")]
pub async fn members_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<MemberView>>, ApiError> {
    ctx.require(perm::MEMBERS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let page = repo::memberships_page(&tx, query.cursor()?, limit).await?;
    let users = repo::users_by_ids(tx.conn(), page.iter().map(|m| m.user_id).collect()).await?;
    let views: Vec<MemberView> =
        page.iter().filter_map(|m| users.iter().find(|u| u.id == m.user_id).map(|u| MemberView::new(m, u))).collect();
    Ok(web::Json(Page::from_overfetch(views, limit, |m| m.id)))
}

#[utoipa::path(tag = "members", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = MemberView)))]
#[get("/members/{id}")]
pub async fn members_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::MEMBERS_READ)?;
    let tx = ctx.read().await?;
    let m = repo::membership(&tx, *id).await?.ok_or_else(ApiError::not_found)?;
    let user = repo::user_by_id(tx.conn(), UserId(m.user_id)).await?.ok_or_else(ApiError::not_found)?;
    Ok(ok_versioned(&MemberView::new(&m, &user), m.version))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInvite {
    #[schema(example = "bo@acme.example")]
    pub email: String,
    /// Built-in or custom role names.
    #[schema(example = json!(["staff"]))]
    pub roles: Vec<String>,
    /// Confine the member to one location.
    pub location_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub roles: Vec<String>,
    pub location_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    /// Shown once: send it to the invitee, who accepts with
    /// `POST /v1/invitations/{token}/accept`.
    pub token: String,
}

/// Checks `roles` exist and that the caller holds every permission they grant.
async fn resolve_roles(
    tx: &TenantTx,
    ctx: &RequestContext,
    catalog: &Catalog,
    roles: &[String],
    field: &str,
) -> Result<Vec<String>, ApiError> {
    let custom = repo::roles(tx).await?;
    let mut errors = Vec::new();
    let mut granted: HashSet<String> = HashSet::new();
    for (i, name) in roles.iter().enumerate() {
        if let Some(builtin) = BuiltinRole::parse(name) {
            granted.extend(catalog.builtin_grants(builtin).into_iter().map(str::to_owned));
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
        return Err(ApiError::validation(errors));
    }
    if let Some(p) = granted.iter().find(|p| !ctx.principal().permissions.contains(p)) {
        return Err(
            TenantsError::Forbidden(format!("you cannot grant a role with `{p}`, which you do not hold")).into()
        );
    }
    let mut unique = roles.to_vec();
    unique.sort();
    unique.dedup();
    Ok(unique)
}

async fn check_location(tx: &TenantTx, location: Option<Uuid>, field: &str) -> Result<(), ApiError> {
    if let Some(id) = location
        && repo::location(tx, id).await?.is_none()
    {
        return Err(ApiError::validation(vec![FieldError::new(field, "no such location")]));
    }
    Ok(())
}

/// Invites someone by email with roles. The answer carries the invitation token once.
#[utoipa::path(tag = "members", security(("bearer_jwt" = []), ("api_key" = [])), request_body = MemberInvite,
    responses((status = 201, body = InvitationView), (status = 409, description = "Already a member",
        body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[post("/members")]
pub async fn members_create(
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    body: Json<MemberInvite>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::MEMBERS_WRITE)?;
    let input = body.into_inner();
    let email = Email::parse(&input.email).map_err(|m| ApiError::validation(vec![FieldError::new("email", m)]))?;
    let tx = ctx.write().await?;
    let roles = resolve_roles(&tx, &ctx, &catalog, &input.roles, "roles").await?;
    if roles.iter().any(|r| r == "owner") {
        require_owner(&ctx)?;
    }
    check_location(&tx, input.location_id, "location_id").await?;
    repo::check_seats(&tx, 1, true).await?;
    if let Some(user) = repo::user_by_email(tx.conn(), email.as_str()).await?
        && repo::membership_of(&tx, UserId(user.id)).await?.is_some()
    {
        return Err(TenantsError::Conflict("this person is already a member".into()).into());
    }
    let (inv, token) = crate::service::create_invitation(
        &tx,
        &AuditActor::of(&ctx),
        &email,
        &roles,
        input.location_id,
        ctx.principal().user_id().0,
    )
    .await?;
    tx.commit().await?;
    let view = InvitationView {
        id: inv.id,
        email: inv.email,
        roles: strings(&inv.roles),
        location_id: inv.location_id,
        expires_at: inv.expires_at,
        token,
    };
    Ok(created(format!("/v1/members?invitation={}", view.id), &view, None))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    #[schema(example = json!(["manager"]))]
    pub roles: Option<Vec<String>>,
    /// `null` lifts the location scope.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub location_id: Option<Option<Uuid>>,
}

/// Only an owner makes or unmakes owners.
fn require_owner(ctx: &RequestContext) -> Result<(), ApiError> {
    if ctx.principal().roles.iter().any(|r| r == "owner") {
        Ok(())
    } else {
        Err(TenantsError::Forbidden("only an owner can grant, revoke or remove the owner role".into()).into())
    }
}

fn is_owner(m: &memberships::Model) -> bool {
    strings(&m.roles).iter().any(|r| r == "owner")
}

/// Owners other than `except`. The memberships are locked for the rest of the
/// transaction (PostgreSQL; SQLite write transactions are serial anyway), so two
/// concurrent demotions cannot both see the other owner and leave none.
async fn other_owners(tx: &TenantTx, except: Uuid) -> Result<usize, ApiError> {
    Ok(repo::all_memberships_locked(tx).await?.iter().filter(|m| m.id != except && is_owner(m)).count())
}

/// Changes a member's roles or location scope. The last owner cannot be demoted.
#[utoipa::path(tag = "members", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    request_body = MemberPatch, responses((status = 200, body = MemberView)))]
#[patch("/members/{id}")]
pub async fn members_update(
    req: HttpRequest,
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    id: web::Path<Uuid>,
    body: Json<MemberPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::MEMBERS_WRITE)?;
    let patch = body.into_inner();
    let tx = ctx.write().await?;
    let m = repo::membership(&tx, *id).await?.ok_or_else(ApiError::not_found)?;
    check_if_match(&req, m.version)?;
    let old_roles = strings(&m.roles);
    let roles = match &patch.roles {
        Some(new) => {
            // Both what is added and what is taken away must be within the caller's rights.
            let changed: Vec<String> = new
                .iter()
                .filter(|r| !old_roles.contains(r))
                .chain(old_roles.iter().filter(|r| !new.contains(r)))
                .cloned()
                .collect();
            if !changed.is_empty() {
                resolve_roles(&tx, &ctx, &catalog, &changed, "roles").await?;
            }
            if changed.iter().any(|r| r == "owner") {
                require_owner(&ctx)?;
            }
            let mut new = new.clone();
            new.sort();
            new.dedup();
            if new.is_empty() {
                return Err(ApiError::validation(vec![FieldError::new("roles", "must name at least one role")]));
            }
            new
        }
        None => old_roles.clone(),
    };
    let location = match patch.location_id {
        Some(location) => {
            check_location(&tx, location, "location_id").await?;
            location
        }
        None => m.location_id,
    };
    if is_owner(&m) && !roles.iter().any(|r| r == "owner") && other_owners(&tx, m.id).await? == 0 {
        return Err(TenantsError::LastOwner.into());
    }
    let user = repo::user_by_id(tx.conn(), UserId(m.user_id)).await?.ok_or_else(ApiError::not_found)?;
    let before = MemberView::new(&m, &user);
    let m = repo::update_membership(&tx, m, roles, location).await?;
    let view = MemberView::new(&m, &user);
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            TenantsEvent::MemberUpdated,
            "membership",
            m.id.to_string(),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    ctx.commit_policy_change(tx).await?;
    Ok(ok_versioned(&view, m.version))
}

/// Removes a member and signs them out of this tenant. The last owner cannot be removed.
#[utoipa::path(tag = "members", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 409, description = "The last owner",
        body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[delete("/members/{id}")]
pub async fn members_delete(
    req: HttpRequest,
    ctx: RequestContext,
    catalog: web::Data<Catalog>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::MEMBERS_WRITE)?;
    let tx = ctx.write().await?;
    let m = repo::membership(&tx, *id).await?.ok_or_else(ApiError::not_found)?;
    check_if_match(&req, m.version)?;
    resolve_roles(&tx, &ctx, &catalog, &strings(&m.roles), "roles").await?;
    if is_owner(&m) {
        require_owner(&ctx)?;
    }
    if is_owner(&m) && other_owners(&tx, m.id).await? == 0 {
        return Err(TenantsError::LastOwner.into());
    }
    repo::delete_membership(&tx, m.id).await?;
    repo::revoke_user_refresh_tokens(&tx, UserId(m.user_id)).await?;
    audit::record(
        &tx,
        &AuditActor::of(&ctx),
        Change::new(
            TenantsEvent::MemberRemoved,
            "membership",
            m.id.to_string(),
            Some(serde_json::json!({"user_id": m.user_id, "roles": strings(&m.roles)})),
            None,
        ),
    )
    .await?;
    ctx.commit_policy_change(tx).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationAccept {
    /// The invitee's password: their existing one, or a new one for a new account.
    #[schema(value_type = String, example = "correct horse battery staple")]
    pub password: Secret,
    /// Needed when the email has no account yet.
    #[schema(example = "Bo Chen")]
    pub name: Option<String>,
}

/// Accepts an invitation: joins the tenant with the invited roles (creating the account
/// when the email has none) and signs in.
#[utoipa::path(tag = "members", params(("token" = String, Path)), request_body = InvitationAccept,
    responses((status = 200, body = TokenResponse)))]
#[post("/invitations/{token}/accept")]
pub async fn invitations_accept(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    keys: web::Data<TokenKeys>,
    policies: web::Data<dyn PolicyInvalidation>,
    token: web::Path<String>,
    body: Json<InvitationAccept>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let input = body.into_inner();
    let tenant = token
        .strip_prefix("inv_")
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(t, _)| Uuid::parse_str(t).ok())
        .map(TenantId)
        .ok_or_else(ApiError::not_found)?;
    let password = input.password;
    let tx = TenantTx::begin(&db, tenant, true).await?;
    let inv = repo::invitation_by_token_hash(&tx, &auth::sha256_hex(&token)).await?.ok_or_else(ApiError::not_found)?;
    if inv.accepted_at.is_some() || inv.revoked_at.is_some() || inv.expires_at <= Utc::now() {
        return Err(ApiError::not_found().with_detail("this invitation was used, revoked or has expired"));
    }
    let user = match repo::user_by_email(tx.conn(), &inv.email).await? {
        Some(user) if auth::verify_password(&password, &user.password_hash) => user,
        Some(_) => return Err(TenantsError::InvalidCredentials.into()),
        None => {
            let mut errors = Vec::new();
            if let Err(m) = check_password(password.expose()) {
                errors.push(FieldError::new("password", m));
            }
            let name = match input.name.as_deref().map(Name::parse) {
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
            let (true, Some(name)) = (errors.is_empty(), name) else { return Err(ApiError::validation(errors)) };
            let hash = auth::hash_password(&password).map_err(|e| ApiError::internal(e.to_string()))?;
            repo::insert_user(tx.conn(), &inv.email, hash, name.as_str()).await?
        }
    };
    let user_id = UserId(user.id);
    if repo::membership_of(&tx, user_id).await?.is_some() {
        return Err(TenantsError::Conflict("already a member".into()).into());
    }
    repo::check_seats(&tx, 1, false).await?;
    let roles = strings(&inv.roles);
    let membership = repo::insert_membership(&tx, user_id, &roles, inv.location_id).await?;
    let actor = AuditActor::user(user_id, crate::routes::auth::client_ip(&req));
    audit::record(
        &tx,
        &actor,
        Change::new(
            TenantsEvent::MemberAdded,
            "membership",
            membership.id.to_string(),
            None,
            Some(serde_json::json!({"user_id": user.id, "roles": roles, "invitation_id": inv.id})),
        ),
    )
    .await?;
    repo::mark_invitation_accepted(&tx, inv).await?;
    let tokens = issue_tokens(&tx, &keys, user_id, Uuid::now_v7()).await?;
    commit_policy_change(tx, policies.get_ref()).await?;
    Ok(web::Json(tokens))
}
