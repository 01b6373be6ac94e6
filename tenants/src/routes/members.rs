//! Members of the tenant: invitations by email with roles, role changes, removal, and
//! accepting an invitation. The rules (owners, seats, grants) are in [`crate::members`].

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use atrium_core::audit::AuditActor;
use atrium_core::auth::TokenKeys;
use atrium_core::context::{PolicyInvalidation, RequestContext, commit_policy_change};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, double_option, ok_versioned};
use atrium_core::plugin::Catalog;
use atrium_core::secret::Secret;
use atrium_core::validate::Email;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::members::{self, Grantor};
use crate::perm;
use crate::throttle::SignInThrottle;
use crate::views::{MemberView, TokenResponse, strings};

/// Lists members, oldest first.
#[utoipa::path(tag = "members", security(("bearer_jwt" = ["tenants:members_read"]), ("api_key" = ["tenants:members_read"])), params(ListQuery),
    responses((status = 200, body = Page<MemberView>)))]
#[get("/members")]
pub async fn members_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<MemberView>>, ApiError> {
    ctx.require(perm::MEMBERS_READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let views = members::page(&tx, query.cursor()?, limit).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |m| m.id)))
}

#[utoipa::path(tag = "members", security(("bearer_jwt" = ["tenants:members_read"]), ("api_key" = ["tenants:members_read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = MemberView)))]
#[get("/members/{id}")]
pub async fn members_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(perm::MEMBERS_READ)?;
    let tx = ctx.read().await?;
    let view = members::show(&tx, *id).await?;
    Ok(ok_versioned(&view, view.version))
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

/// Invites someone by email with roles. The answer carries the invitation token once.
#[utoipa::path(tag = "members", security(("bearer_jwt" = ["tenants:members_write"]), ("api_key" = ["tenants:members_write"])), request_body = MemberInvite,
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
    let by = Grantor { caller: ctx.principal(), catalog: &catalog };
    let tx = ctx.write().await?;
    let (inv, token) =
        members::invite(&tx, &by, &AuditActor::of(&ctx), &email, &input.roles, input.location_id).await?;
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

/// Changes a member's roles or location scope. The last owner cannot be demoted.
#[utoipa::path(tag = "members", security(("bearer_jwt" = ["tenants:members_write"]), ("api_key" = ["tenants:members_write"])), params(("id" = Uuid, Path)),
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
    let by = Grantor { caller: ctx.principal(), catalog: &catalog };
    let tx = ctx.write().await?;
    let m = members::find(&tx, *id).await?;
    check_if_match(&req, m.version)?;
    let view = members::update(&tx, &by, &AuditActor::of(&ctx), m, patch.roles, patch.location_id).await?;
    ctx.commit_policy_change(tx).await?;
    Ok(ok_versioned(&view, view.version))
}

/// Removes a member and signs them out of this tenant. The last owner cannot be removed.
#[utoipa::path(tag = "members", security(("bearer_jwt" = ["tenants:members_write"]), ("api_key" = ["tenants:members_write"])), params(("id" = Uuid, Path)),
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
    let by = Grantor { caller: ctx.principal(), catalog: &catalog };
    let tx = ctx.write().await?;
    let m = members::find(&tx, *id).await?;
    check_if_match(&req, m.version)?;
    members::remove(&tx, &by, &AuditActor::of(&ctx), m).await?;
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
    responses((status = 200, body = TokenResponse),
        (status = 401, description = "The invited email has an account and this is not its password (as a failed sign-in)",
            body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed password checks for this email or address (as sign-in)",
            body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[post("/invitations/{token}/accept")]
pub async fn invitations_accept(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    keys: web::Data<TokenKeys>,
    policies: web::Data<dyn PolicyInvalidation>,
    throttle: web::Data<SignInThrottle>,
    token: web::Path<String>,
    body: Json<InvitationAccept>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    // Public: the token is the credential, and it names its tenant.
    let input = body.into_inner();
    let tenant = members::invitation_tenant(&token).ok_or_else(ApiError::not_found)?;
    let client_ip = atrium_core::client::client_ip(&req);
    let invitee = members::prove_invitee(
        &db,
        &throttle,
        tenant,
        &token,
        &input.password,
        input.name.as_deref(),
        client_ip.as_deref(),
    )
    .await?;
    let tx = TenantTx::begin(&db, tenant, true).await?;
    let tokens = members::accept_invitation(&tx, &keys, &token, invitee, client_ip).await?;
    commit_policy_change(tx, policies.get_ref()).await?;
    Ok(web::Json(tokens))
}
