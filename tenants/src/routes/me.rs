//! The signed-in person's own profile, password and memberships.

use actix_web::{HttpResponse, delete, get, patch, web};
use atrium_core::audit::AuditActor;
use atrium_core::auth::TokenKeys;
use atrium_core::context::{Actor, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{Page, double_option};
use atrium_core::secret::Secret;
use atrium_core::validate::{Name, Phone, check_password};
use atrium_core::{all_valid, ids::UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::customers;
use crate::entities::users;
use crate::throttle::SignInThrottle;
use crate::views::{TenantView, TokenResponse, UserView};
use crate::{perm, repo};

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub tenant: TenantView,
    #[schema(example = json!(["owner"]))]
    pub roles: Vec<String>,
    /// Everything the caller may do in this tenant; `@own` marks a permission held for the
    /// caller's own records only.
    #[schema(example = json!(["tenants:read", "bookings:read@own"]))]
    pub permissions: Vec<String>,
    /// After a password change only: a fresh token pair for this session (every session
    /// begun before the change has ended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenResponse>,
}

async fn me_view(ctx: &RequestContext, tx: &TenantTx, user: &users::Model) -> Result<MeView, ApiError> {
    let tenant = repo::tenant_by_id(tx.conn(), ctx.tenant_id()).await?.ok_or_else(ApiError::not_found)?;
    let mut permissions: Vec<String> = ctx.principal().permissions.iter().map(str::to_owned).collect();
    permissions.sort();
    Ok(MeView {
        user: user.into(),
        tenant: (&tenant).into(),
        roles: ctx.principal().roles.clone(),
        permissions,
        tokens: None,
    })
}

/// The person behind a signed-in session; API keys have no profile to change.
fn person(ctx: &RequestContext) -> Result<UserId, ApiError> {
    match ctx.principal().actor {
        Actor::User(user) => Ok(user),
        Actor::ApiKey { .. } => Err(ApiError::new(ErrorCode::Forbidden)
            .with_detail("an API key cannot change a person's profile or memberships; sign in as them")),
    }
}

/// The signed-in user, their tenant, roles and effective permissions.
#[utoipa::path(tag = "auth", security(("bearer_jwt" = []), ("api_key" = [])), responses((status = 200, body = MeView)))]
#[get("/me")]
pub async fn me_get(ctx: RequestContext) -> Result<web::Json<MeView>, ApiError> {
    ctx.require(perm::TENANT_READ)?;
    let tx = ctx.read().await?;
    let user =
        repo::user_by_id(tx.conn(), UserId(ctx.principal().user_id().0)).await?.ok_or_else(ApiError::not_found)?;
    Ok(web::Json(me_view(&ctx, &tx, &user).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeUpdate {
    #[schema(example = "Léa Martin")]
    pub name: Option<String>,
    /// E.164; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, example = "+33612345678")]
    pub phone: Option<Option<String>>,
    /// With `current_password`: changes the password. Every other session ends (their
    /// refresh tokens stop working in every tenant; access tokens lapse within their
    /// lifetime), and the answer carries a fresh pair for this one.
    #[schema(value_type = Option<String>, min_length = 10)]
    pub new_password: Option<Secret>,
    /// Required with `new_password`. A wrong one counts as a failed sign-in.
    #[schema(value_type = Option<String>)]
    pub current_password: Option<Secret>,
}

/// Changes the signed-in person's name, phone or password. The profile is the person's
/// own, the same at every tenant they belong to.
#[utoipa::path(tag = "auth", security(("bearer_jwt" = []), ("api_key" = [])), request_body = MeUpdate,
    responses((status = 200, body = MeView),
        (status = 401, description = "The current password is not right",
         body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Called with an API key",
         body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[patch("/me")]
pub async fn me_update(
    ctx: RequestContext,
    keys: web::Data<TokenKeys>,
    throttle: web::Data<SignInThrottle>,
    body: Json<MeUpdate>,
) -> Result<web::Json<MeView>, ApiError> {
    let user_id = person(&ctx)?;
    let body = body.into_inner();
    let field = |path: &'static str| move |m: String| FieldError::new(path, m);
    let name = body.name.as_deref().map(Name::parse).transpose().map_err(field("name"));
    let phone = match &body.phone {
        Some(Some(p)) => Phone::parse(p).map(|p| Some(Some(p))).map_err(field("phone")),
        Some(None) => Ok(Some(None)),
        None => Ok(None),
    };
    let password = match (body.new_password, body.current_password) {
        (Some(new), Some(current)) => {
            check_password(new.expose()).map(|_| Some((current, new))).map_err(field("new_password"))
        }
        (Some(_), None) => Err(FieldError::new("current_password", "required to change the password")),
        (None, Some(_)) => Err(FieldError::new("new_password", "required with current_password")),
        (None, None) => Ok(None),
    };
    all_valid!(name, phone, password);

    let tx = ctx.write().await?;
    let user = repo::user_by_id(tx.conn(), user_id).await?.ok_or_else(ApiError::not_found)?;
    let user = customers::set_profile(tx.conn(), user, name, phone).await?;
    let (user, tokens) = match password {
        Some((current, new)) => {
            let (user, tokens) =
                customers::change_password(&tx, &keys, &throttle, user, current, new, &AuditActor::of(&ctx)).await?;
            (user, Some(tokens))
        }
        None => (user, None),
    };
    let mut view = me_view(&ctx, &tx, &user).await?;
    view.tokens = tokens;
    tx.commit().await?;
    Ok(web::Json(view))
}

/// One of the caller's memberships, named by its tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyMembership {
    /// The tenant's id (it names the membership: `DELETE /v1/me/memberships/{tenant_id}`).
    pub id: Uuid,
    #[schema(example = "acme-salon")]
    pub tenant_slug: String,
    #[schema(example = "Acme Salon")]
    pub tenant_name: String,
    #[schema(example = json!(["customer"]))]
    pub roles: Vec<String>,
    pub location_id: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The caller's memberships this session reaches: its tenant's (a session, and its
/// tokens, belong to one tenant; sign in to another to see that one).
#[utoipa::path(tag = "auth", security(("bearer_jwt" = ["tenants:read"]), ("api_key" = ["tenants:read"])),
    responses((status = 200, body = Page<MyMembership>)))]
#[get("/me/memberships")]
pub async fn me_memberships_list(ctx: RequestContext) -> Result<web::Json<Page<MyMembership>>, ApiError> {
    ctx.require(perm::TENANT_READ)?;
    let tx = ctx.read().await?;
    let tenant = repo::tenant_by_id(tx.conn(), ctx.tenant_id()).await?.ok_or_else(ApiError::not_found)?;
    let mine = repo::membership_of(&tx, ctx.principal().user_id()).await?;
    let data = mine
        .into_iter()
        .map(|m| MyMembership {
            id: tenant.id,
            tenant_slug: tenant.slug.clone(),
            tenant_name: tenant.name.clone(),
            roles: crate::views::strings(&m.roles),
            location_id: m.location_id,
            created_at: m.created_at,
        })
        .collect();
    Ok(web::Json(Page { data, next_cursor: None }))
}

/// Leaves a tenant as a customer: the membership goes and the sessions at that tenant
/// end. Bookings stay the tenant's records. Only the tenant the session is signed in to
/// can be left this way (another tenant's id answers 404); members of staff are removed
/// by an admin instead (409).
#[utoipa::path(tag = "auth", security(("bearer_jwt" = []), ("api_key" = [])),
    params(("tenant_id" = Uuid, Path)),
    responses((status = 204, description = "Left the tenant"),
        (status = 409, description = "A member of staff",
         body = atrium_core::error::Problem, content_type = "application/problem+json")))]
#[delete("/me/memberships/{tenant_id}")]
pub async fn me_memberships_delete(ctx: RequestContext, tenant_id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let user = person(&ctx)?;
    if *tenant_id != ctx.tenant_id().0 {
        return Err(ApiError::not_found());
    }
    let tx = ctx.write().await?;
    customers::leave(&tx, user, &AuditActor::of(&ctx)).await?;
    ctx.commit_policy_change(tx).await?;
    Ok(HttpResponse::NoContent().finish())
}
