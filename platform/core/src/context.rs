//! Who is asking, for which tenant, and what they may do: the [`RequestContext`] every
//! tenant-scoped handler takes. It is built by the server's [`Authenticator`] (credential →
//! tenant → principal → permissions); handlers name their permission with
//! [`RequestContext::require`] and reach the database only through [`TenantTx`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use sea_orm::DatabaseConnection;

use crate::db::TenantTx;
use crate::error::{ApiError, ErrorCode};
use crate::ids::{TenantId, UserId};

/// A permission from the catalog, `<plugin>:<action>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Permission(pub &'static str);

impl Permission {
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// The owner's own permission, declared by the always-on tenants module and granted to
/// the built-in `owner` role only: making and unmaking owners, and acting on API keys
/// other members created. Checked as a permission, never as a role name — an API key
/// carries its creator's role names, but holds this only when its scopes name it.
pub const OWNERS_WRITE: Permission = Permission("tenants:owners_write");

/// How far a grant of a permission reaches: the whole tenant, or only the holder's own
/// records (what "own" means is declared per permission, see
/// [`crate::plugin::PermissionDef::own`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    Own,
    Tenant,
}

/// The suffix that narrows a grant to own records: `bookings:read@own`.
pub const OWN_SUFFIX: &str = "@own";

/// A grant as roles, API keys and `/v1/me` write it: `bookings:read` (whole tenant) or
/// `bookings:read@own` (own records), split into the permission and its scope.
pub fn parse_grant(grant: &str) -> (&str, GrantScope) {
    match grant.strip_suffix(OWN_SUFFIX) {
        Some(permission) => (permission, GrantScope::Own),
        None => (grant, GrantScope::Tenant),
    }
}

/// The text of a grant: `permission` or `permission@own`.
pub fn grant_text(permission: &str, scope: GrantScope) -> String {
    match scope {
        GrantScope::Tenant => permission.to_owned(),
        GrantScope::Own => format!("{permission}{OWN_SUFFIX}"),
    }
}

/// What a principal may do in its tenant, decided once per policy version: each held
/// permission with the widest scope it is held at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionSet {
    scopes: HashMap<String, GrantScope>,
    /// The same, as grant texts.
    grants: Vec<String>,
}

impl PermissionSet {
    /// From grants in their text form (`bookings:read`, `bookings:read@own`); a permission
    /// granted at both scopes keeps the wider.
    pub fn new(grants: impl IntoIterator<Item = String>) -> Self {
        let mut scopes = HashMap::new();
        for grant in grants {
            let (permission, scope) = parse_grant(&grant);
            let held = scopes.entry(permission.to_owned()).or_insert(scope);
            *held = (*held).max(scope);
        }
        let mut grants: Vec<String> = scopes.iter().map(|(p, s)| grant_text(p, *s)).collect();
        grants.sort();
        Self { scopes, grants }
    }

    /// The scope `permission` is held at, if it is.
    pub fn scope_of(&self, permission: &str) -> Option<GrantScope> {
        self.scopes.get(permission).copied()
    }

    /// Whether `grant` is covered: `p` needs `p` for the whole tenant, `p@own` needs `p`
    /// at any scope. This is the check for granting to others: nobody grants more than
    /// they hold.
    pub fn contains(&self, grant: &str) -> bool {
        let (permission, wanted) = parse_grant(grant);
        self.scope_of(permission).is_some_and(|held| held >= wanted)
    }

    /// The grants held, in their text form, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.grants.iter().map(String::as_str)
    }
}

/// What a handler may see of a resource, from [`RequestContext::require_scoped`]. The
/// repository turns it into a filter; a record outside it answers 404.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole tenant.
    Tenant,
    /// The whole tenant within these locations (a location-scoped membership).
    Locations(Arc<[uuid::Uuid]>),
    /// Only the caller's own records.
    Own(UserId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    /// An API key acts for its tenant with its scopes, never beyond its creator's rights.
    ApiKey {
        key_id: uuid::Uuid,
        created_by: UserId,
    },
}

#[derive(Clone, Debug)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub actor: Actor,
    pub roles: Vec<String>,
    pub permissions: Arc<PermissionSet>,
    /// A location-scoped membership's locations: its tenant-wide grants reach only them
    /// for resources that have a location.
    pub locations: Option<Arc<[uuid::Uuid]>>,
}

impl Principal {
    /// The user behind the request: the signed-in user, or an API key's creator.
    pub fn user_id(&self) -> UserId {
        match &self.actor {
            Actor::User(id) => *id,
            Actor::ApiKey { created_by, .. } => *created_by,
        }
    }
}

pub struct RequestContext {
    principal: Principal,
    db: DatabaseConnection,
    client_ip: Option<String>,
    policies: Arc<dyn PolicyInvalidation>,
}

impl RequestContext {
    pub fn new(
        principal: Principal,
        db: DatabaseConnection,
        client_ip: Option<String>,
        policies: Arc<dyn PolicyInvalidation>,
    ) -> Self {
        Self { principal, db, client_ip, policies }
    }

    /// Commits a transaction that changed who may do what in the tenant (roles,
    /// memberships, the tenant's status): every instance drops its cached decisions.
    pub async fn commit_policy_change(&self, tx: TenantTx) -> Result<(), ApiError> {
        commit_policy_change(tx, self.policies.as_ref()).await
    }

    pub fn tenant_id(&self) -> TenantId {
        self.principal.tenant_id
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn client_ip(&self) -> Option<&str> {
        self.client_ip.as_deref()
    }

    /// 403 unless the principal holds `permission` for the whole tenant: for routes over
    /// resources that belong to the tenant rather than to a person or a location.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        match self.principal.permissions.scope_of(permission.as_str()) {
            Some(GrantScope::Tenant) => Ok(()),
            _ => Err(forbidden(permission)),
        }
    }

    /// The reach of the principal's `permission`, for the repository to filter by (403
    /// when not held at all): the whole tenant, a location-scoped membership's locations,
    /// or the caller's own records.
    pub fn require_scoped(&self, permission: Permission) -> Result<Scope, ApiError> {
        match self.principal.permissions.scope_of(permission.as_str()) {
            Some(GrantScope::Tenant) => Ok(match &self.principal.locations {
                Some(locations) => Scope::Locations(locations.clone()),
                None => Scope::Tenant,
            }),
            Some(GrantScope::Own) => Ok(Scope::Own(self.principal.user_id())),
            None => Err(forbidden(permission)),
        }
    }

    /// A read transaction confined to the caller's tenant.
    pub async fn read(&self) -> Result<TenantTx, ApiError> {
        Ok(TenantTx::begin(&self.db, self.tenant_id(), false).await?)
    }

    /// A write transaction confined to the caller's tenant.
    pub async fn write(&self) -> Result<TenantTx, ApiError> {
        Ok(TenantTx::begin(&self.db, self.tenant_id(), true).await?)
    }
}

fn forbidden(permission: Permission) -> ApiError {
    ApiError::new(ErrorCode::Forbidden).with_detail(format!("requires the `{}` permission", permission.0))
}

/// Who acted, as a booking's history and its `cancelled_by` record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person acting on their own records (own scope).
    Customer,
    /// A provider acting on what is assigned to them (own scope, provider role).
    Provider,
    /// A member of the tenant's team (tenant-wide or location scope).
    Staff,
    /// A third party's API key.
    ApiKey,
    /// The platform itself (sweepers, expiry).
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Provider => "provider",
            Self::Staff => "staff",
            Self::ApiKey => "api_key",
            Self::System => "system",
        }
    }
}

impl RequestContext {
    /// Who is acting, given the scope the action was allowed at.
    pub fn actor_kind(&self, scope: &Scope) -> ActorKind {
        match (&self.principal.actor, scope) {
            (Actor::ApiKey { .. }, _) => ActorKind::ApiKey,
            (Actor::User(_), Scope::Own(_)) => {
                let roles = &self.principal.roles;
                if roles.iter().any(|r| r == "provider") && !roles.iter().any(|r| r == "customer") {
                    ActorKind::Provider
                } else {
                    ActorKind::Customer
                }
            }
            (Actor::User(_), Scope::Tenant | Scope::Locations(_)) => ActorKind::Staff,
        }
    }
}

/// Drops cached authorization decisions of a tenant; provided by the server.
pub trait PolicyInvalidation: Send + Sync + 'static {
    fn invalidate(&self, tenant: TenantId);
}

/// What a member may do now, for work outside a request: the webhook worker checks each
/// subscription against its subscriber's current rights when it fans an event out.
/// Provided by the server (its cached per-tenant policy).
#[async_trait::async_trait]
pub trait MemberPermissions: Send + Sync + 'static {
    /// `user`'s current permissions in `tenant`; `None` when the user is not a member of
    /// it (any more) or the tenant is not active.
    async fn member_permissions(&self, tenant: TenantId, user: UserId) -> Result<Option<Arc<PermissionSet>>, String>;
}

/// Commits `tx` and invalidates the tenant's cached decisions: through
/// `pg_notify('atrium_policy', tenant)` in the same transaction on PostgreSQL (so every
/// instance hears of it exactly when it commits), and in this process right after.
pub async fn commit_policy_change(tx: TenantTx, policies: &dyn PolicyInvalidation) -> Result<(), ApiError> {
    use sea_orm::ConnectionTrait;
    let tenant = tx.tenant_id();
    if tx.conn().get_database_backend() == sea_orm::DbBackend::Postgres {
        tx.conn()
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT pg_notify('atrium_policy', $1)",
                [tenant.to_string().into()],
            ))
            .await?;
    }
    tx.commit().await?;
    policies.invalidate(tenant);
    Ok(())
}

/// Turns a request's credential into a [`RequestContext`]; provided by the server.
#[async_trait::async_trait(?Send)]
pub trait Authenticator: Send + Sync + 'static {
    async fn authenticate(&self, req: &HttpRequest) -> Result<RequestContext, ApiError>;
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        // Already built by a middleware that needed it first (idempotency keys).
        if let Some(ctx) = actix_web::HttpMessage::extensions_mut(req).remove::<RequestContext>() {
            return Box::pin(async move { Ok(ctx) });
        }
        let req = req.clone();
        Box::pin(async move {
            let auth = req
                .app_data::<web::Data<dyn Authenticator>>()
                .ok_or_else(|| ApiError::internal("no Authenticator registered"))?
                .clone();
            auth.authenticate(&req).await
        })
    }
}

/// What a domain plugin may ask about the tenant's people without touching the tenants
/// module's tables; provided by the server.
#[async_trait::async_trait]
pub trait Directory: Send + Sync + 'static {
    /// Whether `user` is an active member of the transaction's tenant.
    async fn is_member(&self, tx: &TenantTx, user: UserId) -> Result<bool, sea_orm::DbErr>;
    /// Whether `location` is one of the transaction's tenant's locations (not deleted).
    async fn has_location(&self, tx: &TenantTx, location: uuid::Uuid) -> Result<bool, sea_orm::DbErr>;
    /// The transaction's tenant's currency (ISO 4217), the default for its prices.
    async fn currency(&self, tx: &TenantTx) -> Result<Option<String>, sea_orm::DbErr>;
    /// How the transaction's tenant lets its customers act.
    async fn customer_policy(&self, tx: &TenantTx) -> Result<CustomerPolicy, sea_orm::DbErr>;
    /// The tenant a public (unauthenticated) page names by slug, with its enabled plugins.
    async fn public_tenant(
        &self,
        db: &sea_orm::DatabaseConnection,
        slug: &str,
    ) -> Result<Option<(crate::ids::TenantId, Vec<String>)>, sea_orm::DbErr>;
    /// How the transaction's tenant signs its e-mail: name, slug, colours, support address.
    async fn mail_identity(&self, _tx: &TenantTx) -> Result<Option<MailIdentity>, sea_orm::DbErr> {
        Ok(None)
    }
    /// A user's address and name, for messages to them (`None`: no such user).
    async fn contact(&self, _tx: &TenantTx, _user: UserId) -> Result<Option<(String, String)>, sea_orm::DbErr> {
        Ok(None)
    }
}

/// A tenant as its e-mail shows it (white-label branding, with fallbacks filled in).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailIdentity {
    pub slug: String,
    /// The branding's display name, else the tenant's name.
    pub display_name: String,
    /// `#rrggbb`, when the tenant set one.
    pub primary_color: Option<String>,
    pub secondary_color: Option<String>,
    pub support_email: Option<String>,
    /// IANA zone the tenant's times are shown in.
    pub timezone: String,
}

/// A tenant's settings for its customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerPolicy {
    /// Customers may register themselves (`customer_registration: open`).
    pub registration_open: bool,
    /// Customers may name guests as participants of their bookings.
    pub guests_allowed: bool,
}

/// What the kernel must know of a tenant to authenticate and authorize its requests.
#[derive(Clone, Debug, Default)]
pub struct TenantFacts {
    /// `active` or `suspended`.
    pub status: String,
    /// The plan's request budget per API key or user.
    pub rate_limit_per_minute: u32,
    pub enabled_plugins: HashSet<String>,
    /// The tenant's custom roles: name → permission names.
    pub custom_roles: Vec<(String, Vec<String>)>,
    /// Active members.
    pub members: std::collections::HashMap<UserId, MemberFacts>,
}

/// An active member, as authorization sees them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberFacts {
    pub roles: Vec<String>,
    /// A location-scoped membership's locations.
    pub locations: Option<Vec<uuid::Uuid>>,
}

/// Where the kernel reads [`TenantFacts`]; provided by the tenants module (see
/// [`crate::plugin::DomainPlugin::policy_source`]).
#[async_trait::async_trait]
pub trait PolicySource: Send + Sync + 'static {
    /// The facts of the transaction's tenant, or `None` when it does not exist.
    async fn tenant_facts(&self, tx: &TenantTx) -> Result<Option<TenantFacts>, sea_orm::DbErr>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permission_set_keeps_the_widest_scope_and_covers_narrower_grants() {
        let set =
            PermissionSet::new(["bookings:read@own".into(), "bookings:read".into(), "households:write@own".into()]);
        assert_eq!(set.scope_of("bookings:read"), Some(GrantScope::Tenant));
        assert_eq!(set.scope_of("households:write"), Some(GrantScope::Own));
        assert!(set.contains("bookings:read") && set.contains("bookings:read@own"));
        assert!(set.contains("households:write@own") && !set.contains("households:write"));
        assert!(!set.contains("bookings:write@own"));
        assert_eq!(set.iter().collect::<Vec<_>>(), ["bookings:read", "households:write@own"]);
    }

    #[test]
    fn grants_read_and_write_their_scope() {
        assert_eq!(parse_grant("bookings:read@own"), ("bookings:read", GrantScope::Own));
        assert_eq!(parse_grant("bookings:read"), ("bookings:read", GrantScope::Tenant));
        assert_eq!(grant_text("bookings:read", GrantScope::Own), "bookings:read@own");
    }
}
