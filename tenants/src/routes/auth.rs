//! Signup, sign-in, token refresh and sign-out.

use actix_web::{HttpRequest, HttpResponse, post, web};
use atrium_core::all_valid;
use atrium_core::auth::TokenKeys;
use atrium_core::error::{ApiError, FieldError};
use atrium_core::extract::Json;
use atrium_core::secret::Secret;
use atrium_core::validate::{CurrencyCode, Email, Name, Slug, Timezone, check_password};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::credentials::PasswordAttempt;
use crate::model::TenantType;
use crate::service::{self, NewTenant};
use crate::throttle::SignInThrottle;
use crate::views::{TenantView, TokenResponse, UserView};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupTenant {
    #[schema(example = "acme-salon")]
    pub slug: String,
    #[schema(example = "Acme Salon")]
    pub name: String,
    #[serde(rename = "type")]
    pub tenant_type: TenantType,
    #[schema(example = "Europe/Paris")]
    pub timezone: String,
    #[schema(example = "EUR")]
    pub currency: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupOwner {
    #[schema(example = "ana@acme.example")]
    pub email: String,
    #[schema(value_type = String, example = "correct horse battery staple", min_length = 10)]
    pub password: Secret,
    #[schema(example = "Ana Lima")]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    pub tenant: SignupTenant,
    pub owner: SignupOwner,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignupResponse {
    pub tenant: TenantView,
    pub user: UserView,
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: u64,
    pub refresh_token: String,
}

/// Self-serve onboarding: creates a tenant, its owner and the owner's membership in one
/// transaction, and signs the owner in.
#[utoipa::path(
    tag = "auth",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Tenant created; the owner is signed in", body = SignupResponse),
        (status = 401, description = "The email has an account and this is not its password (as a failed sign-in)",
         body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slug taken", body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed password checks for this email or address (as sign-in)",
         body = atrium_core::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/signup")]
pub async fn signup_create(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    keys: web::Data<TokenKeys>,
    deployment: web::Data<atrium_core::plugin::Deployment>,
    throttle: web::Data<SignInThrottle>,
    body: Json<SignupRequest>,
) -> Result<HttpResponse, ApiError> {
    let SignupRequest { tenant, owner } = body.into_inner();
    let field = |path: &'static str| move |m: String| FieldError::new(path, m);
    let slug = Slug::parse(&tenant.slug).map_err(field("tenant.slug"));
    let name = Name::parse(&tenant.name).map_err(field("tenant.name"));
    let timezone = Timezone::parse(&tenant.timezone).map_err(field("tenant.timezone"));
    let currency = CurrencyCode::parse(&tenant.currency).map_err(field("tenant.currency"));
    let email = Email::parse(&owner.email).map_err(field("owner.email"));
    let _password_ok = check_password(owner.password.expose()).map_err(field("owner.password"));
    let owner_name = Name::parse(&owner.name).map_err(field("owner.name"));
    all_valid!(slug, name, timezone, currency, email, _password_ok, owner_name);

    let input = NewTenant {
        slug,
        name,
        tenant_type: tenant.tenant_type,
        timezone,
        currency,
        owner_email: email,
        owner_password: owner.password,
        owner_name,
    };
    let plan = crate::model::Plan {
        rate_limit_per_minute: deployment.signup_rate_limit_per_minute,
        seats: deployment.signup_seats,
    };
    let client_ip = atrium_core::client::client_ip(&req);
    let done = service::signup(&db, &keys, &throttle, input, plan, client_ip).await?;
    let body = SignupResponse {
        tenant: (&done.tenant).into(),
        user: (&done.user).into(),
        access_token: done.tokens.access_token,
        token_type: "Bearer",
        expires_in: done.tokens.expires_in,
        refresh_token: done.tokens.refresh_token,
    };
    Ok(atrium_core::http::created("/v1/tenant".into(), &body, None))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(example = "ana@acme.example")]
    pub email: String,
    #[schema(value_type = String, example = "correct horse battery staple")]
    pub password: Secret,
    /// The tenant's slug.
    #[schema(example = "acme-salon")]
    pub tenant: String,
}

/// Sign in: an access token (JWT, 15 minutes) and a single-use refresh token. Failed
/// attempts are throttled per account and per client address.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses((status = 200, description = "Signed in", body = TokenResponse))
)]
#[post("/auth/token")]
pub async fn auth_token_create(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    keys: web::Data<TokenKeys>,
    throttle: web::Data<SignInThrottle>,
    body: Json<TokenRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let body = body.into_inner();
    let client_ip = atrium_core::client::client_ip(&req);
    let attempt = PasswordAttempt { email: &body.email, client_ip: client_ip.as_deref() };
    Ok(web::Json(service::sign_in(&db, &keys, &throttle, attempt, &body.password, &body.tenant).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new pair. Each refresh token works once; presenting a
/// spent one revokes every token of its sign-in.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, description = "New tokens", body = TokenResponse))
)]
#[post("/auth/refresh")]
pub async fn auth_refresh_create(
    db: web::Data<DatabaseConnection>,
    keys: web::Data<TokenKeys>,
    body: Json<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    Ok(web::Json(service::refresh(&db, &keys, &body.refresh_token).await?))
}

/// Signs out: revokes the refresh token and every token of its sign-in.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out"))
)]
#[post("/auth/logout")]
pub async fn auth_logout_create(
    db: web::Data<DatabaseConnection>,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    service::logout(&db, &body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(example = "lea@example.com")]
    pub email: String,
    /// The tenant's slug: the reset e-mail comes in its name.
    #[schema(example = "acme-salon")]
    pub tenant: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordResetAccepted {
    #[schema(example = "If this e-mail has an account at this tenant, a reset code is on its way.")]
    pub detail: &'static str,
}

/// Asks for a password reset: when the e-mail has an account at the tenant, a single-use
/// code (30 minutes) is e-mailed. The answer is the same whether it has or not; requests
/// are throttled per e-mail and per client address.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted (whether or not the e-mail has an account)", body = PasswordResetAccepted),
        (status = 429, description = "Too many requests for this e-mail or address",
         body = atrium_core::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset")]
pub async fn password_reset_create(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    throttle: web::Data<SignInThrottle>,
    body: Json<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let field = |path: &'static str| move |m: String| FieldError::new(path, m);
    let email = Email::parse(&body.email).map_err(field("email"));
    let slug = Slug::parse(&body.tenant).map_err(field("tenant"));
    all_valid!(email, slug);
    let client_ip = atrium_core::client::client_ip(&req);
    crate::account_tokens::request_password_reset(&db, &throttle, slug.as_str(), email.as_str(), client_ip.as_deref())
        .await?;
    Ok(HttpResponse::Accepted().json(PasswordResetAccepted {
        detail: "If this e-mail has an account at this tenant, a reset code is on its way.",
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The code from the e-mail.
    pub token: String,
    #[schema(value_type = String, example = "correct horse battery staple", min_length = 10)]
    pub new_password: Secret,
}

/// Sets a new password with a reset code. The code works once, within 30 minutes; every
/// session of the account ends.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password set; sign in with it"),
        (status = 422, description = "The code is unknown, used or expired, or the password too weak",
         body = atrium_core::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn password_reset_confirm(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    body: Json<PasswordResetConfirm>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    check_password(body.new_password.expose())
        .map_err(|m| ApiError::validation(vec![FieldError::new("new_password", m)]))?;
    let client_ip = atrium_core::client::client_ip(&req);
    crate::account_tokens::confirm_password_reset(&db, &body.token, &body.new_password, client_ip).await?;
    Ok(HttpResponse::NoContent().finish())
}
