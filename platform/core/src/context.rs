//! Who is asking, for which tenant, and what they may do: the [`RequestContext`] every
//! tenant-scoped handler takes. It is built by the server's [`Authenticator`] (credential →
//! tenant → principal → permissions); handlers name their permission with
//! [`RequestContext::require`] and reach the database only through [`TenantTx`].

use std::collections::HashSet;
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

/// What a principal may do in its tenant, decided once per policy version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionSet(HashSet<String>);

impl PermissionSet {
    pub fn new(permissions: impl IntoIterator<Item = String>) -> Self {
        Self(permissions.into_iter().collect())
    }

    pub fn contains(&self, permission: &str) -> bool {
        self.0.contains(permission)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
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

    /// 403 unless the principal holds `permission` in its tenant.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.principal.permissions.contains(permission.as_str()) {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::Forbidden).with_detail(format!("requires the `{}` permission", permission.0)))
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

/// Drops cached authorization decisions of a tenant; provided by the server.
pub trait PolicyInvalidation: Send + Sync + 'static {
    fn invalidate(&self, tenant: TenantId);
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
    /// The tenant a public (unauthenticated) page names by slug, with its enabled plugins.
    async fn public_tenant(
        &self,
        db: &sea_orm::DatabaseConnection,
        slug: &str,
    ) -> Result<Option<(crate::ids::TenantId, Vec<String>)>, sea_orm::DbErr>;
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
}

/// Where the kernel reads [`TenantFacts`]; provided by the tenants module (see
/// [`crate::plugin::DomainPlugin::policy_source`]).
#[async_trait::async_trait]
pub trait PolicySource: Send + Sync + 'static {
    /// The facts of the transaction's tenant, or `None` when it does not exist.
    async fn tenant_facts(&self, tx: &TenantTx) -> Result<Option<TenantFacts>, sea_orm::DbErr>;
}
