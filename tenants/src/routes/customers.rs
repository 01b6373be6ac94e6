//! Customers register themselves at a tenant's public address.

use actix_web::{HttpRequest, HttpResponse, post, web};
use atrium_core::all_valid;
use atrium_core::auth::TokenKeys;
use atrium_core::context::{PolicyInvalidation, commit_policy_change};
use atrium_core::error::{ApiError, FieldError};
use atrium_core::extract::Json;
use atrium_core::secret::Secret;
use atrium_core::validate::{Email, Name, Phone, check_password};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::customers::{self, NewCustomer};
use crate::throttle::SignInThrottle;
use crate::views::UserView;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerRegistration {
    #[schema(example = "lea@example.com")]
    pub email: String,
    /// A new password, or the existing account's password when the e-mail has one.
    #[schema(value_type = String, example = "correct horse battery staple", min_length = 10)]
    pub password: Secret,
    #[schema(example = "Léa Martin")]
    pub name: String,
    /// E.164.
    #[schema(example = "+33612345678")]
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerRegistered {
    pub user: UserView,
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: u64,
    pub refresh_token: String,
}

/// Registers a customer at the tenant and signs them in. An e-mail that already has an
/// account (at any tenant) joins with that account's password; a wrong one gets exactly
/// the answer, and the throttling, of a failed sign-in. Refused with 403
/// `registration_closed` when the tenant's `customer_registration` is `closed`.
#[utoipa::path(
    tag = "customers",
    params(("tenant_slug" = String, Path, example = "acme-salon")),
    request_body = CustomerRegistration,
    responses(
        (status = 201, description = "Registered and signed in", body = CustomerRegistered),
        (status = 401, description = "The e-mail has an account and the password is not its",
         body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The tenant does not take registrations",
         body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a customer of this tenant",
         body = atrium_core::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts",
         body = atrium_core::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/{tenant_slug}/customers")]
pub async fn customers_register(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    keys: web::Data<TokenKeys>,
    throttle: web::Data<SignInThrottle>,
    policies: web::Data<dyn PolicyInvalidation>,
    slug: web::Path<String>,
    body: Json<CustomerRegistration>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let field = |path: &'static str| move |m: String| FieldError::new(path, m);
    let email = Email::parse(&body.email).map_err(field("email"));
    let _password_ok = check_password(body.password.expose()).map_err(field("password"));
    let name = Name::parse(&body.name).map_err(field("name"));
    let phone = body.phone.as_deref().map(Phone::parse).transpose().map_err(field("phone"));
    all_valid!(email, _password_ok, name, phone);

    let client_ip = atrium_core::client::client_ip(&req);
    let input = NewCustomer { email, password: body.password, name, phone };
    let (tx, done) = customers::register(&db, &keys, &throttle, &slug, input, client_ip).await?;
    commit_policy_change(tx, policies.get_ref()).await?;
    let body = CustomerRegistered {
        user: (&done.user).into(),
        access_token: done.tokens.access_token,
        token_type: "Bearer",
        expires_in: done.tokens.expires_in,
        refresh_token: done.tokens.refresh_token,
    };
    Ok(atrium_core::http::created("/v1/me".into(), &body, None))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailVerification {
    /// The code from the verification e-mail.
    pub token: String,
}

/// Confirms a customer's e-mail address with the code e-mailed at registration (single
/// use, 48 hours).
#[utoipa::path(
    tag = "customers",
    params(("tenant_slug" = String, Path, example = "acme-salon")),
    request_body = EmailVerification,
    responses(
        (status = 204, description = "The address is confirmed"),
        (status = 422, description = "The code is unknown, used or expired",
         body = atrium_core::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/{tenant_slug}/customers/verify-email")]
pub async fn customers_verify_email(
    db: web::Data<DatabaseConnection>,
    slug: web::Path<String>,
    body: Json<EmailVerification>,
) -> Result<HttpResponse, ApiError> {
    crate::account_tokens::confirm_email(&db, &slug, &body.token).await?;
    Ok(HttpResponse::NoContent().finish())
}
