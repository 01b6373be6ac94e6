//! The plugin contract. Every plugin (each domain, and the always-on platform modules)
//! implements [`DomainPlugin`]; the server holds a list of them, built from the enabled
//! Cargo features, and derives its routes, its OpenAPI document, its permission catalog
//! and its event-type catalog from that list alone.

use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, RefOr};
use utoipa_actix_web::service_config::ServiceConfig;

/// The roles every tenant has. Custom roles are made per tenant from the permission
/// catalog; these are the ones a plugin can grant by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BuiltinRole {
    Owner,
    Admin,
    Manager,
    Staff,
    Provider,
    Customer,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 6] = [
        BuiltinRole::Owner,
        BuiltinRole::Admin,
        BuiltinRole::Manager,
        BuiltinRole::Staff,
        BuiltinRole::Provider,
        BuiltinRole::Customer,
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "owner",
            BuiltinRole::Admin => "admin",
            BuiltinRole::Manager => "manager",
            BuiltinRole::Staff => "staff",
            BuiltinRole::Provider => "provider",
            BuiltinRole::Customer => "customer",
        }
    }
}

/// A permission a plugin defines (`bookables:write`), and the built-in roles that hold it.
#[derive(Clone, Debug)]
pub struct PermissionDef {
    pub name: &'static str,
    pub description: &'static str,
    pub granted_to: &'static [BuiltinRole],
}

/// A webhook event type a plugin emits (`booking.confirmed`), with the JSON schema of its
/// `data`.
#[derive(Clone)]
pub struct EventTypeDef {
    pub name: &'static str,
    pub description: &'static str,
    pub data_schema: RefOr<Schema>,
    /// Who may subscribe a webhook to it: the permission that reads what it carries.
    pub read_permission: &'static str,
}

impl EventTypeDef {
    /// An event emitted by an audited change: its data is a [`crate::audit::ChangeEvent`].
    pub fn change(name: &'static str, description: &'static str, read_permission: &'static str) -> Self {
        use utoipa::PartialSchema;
        Self { name, description, data_schema: crate::audit::ChangeEvent::schema(), read_permission }
    }
}

/// What the server knows of its plugins, for handlers that list or check them
/// (`GET /v1/permissions`, custom roles, a tenant's `enabled_plugins`).
#[derive(Clone)]
pub struct Catalog {
    pub plugins: Vec<&'static str>,
    /// Plugins a tenant can switch on and off (the always-on modules are not listed).
    pub optional_plugins: Vec<&'static str>,
    pub permissions: Vec<(&'static str, PermissionDef)>,
    pub event_types: Vec<EventTypeDef>,
}

impl Catalog {
    pub fn permission(&self, name: &str) -> Option<&PermissionDef> {
        self.permissions.iter().map(|(_, p)| p).find(|p| p.name == name)
    }

    /// The permissions a built-in role holds.
    pub fn builtin_grants(&self, role: BuiltinRole) -> Vec<&'static str> {
        self.permissions.iter().filter(|(_, p)| p.granted_to.contains(&role)).map(|(_, p)| p.name).collect()
    }
}

/// The deployment, as handlers need to know it (white-label title, public host names).
#[derive(Clone, Debug)]
pub struct Deployment {
    pub title: String,
    /// Tenants are reachable at `{slug}.{base_domain}`.
    pub base_domain: Option<String>,
    /// The request budget per minute of a self-serve signup's plan.
    pub signup_rate_limit_per_minute: u32,
    /// Members (with pending invitations) a self-serve signup's plan allows.
    pub signup_seats: u32,
}

/// What a plugin declares, in one place.
pub trait DomainPlugin: Send + Sync + 'static {
    /// `"bookables"`: also its Cargo feature, URL prefix and permission prefix.
    fn name(&self) -> &'static str;

    /// Always on for every tenant (the platform's own modules); domain plugins are not.
    fn always_on(&self) -> bool {
        false
    }

    /// Other plugins it needs, by name.
    fn depends_on(&self) -> &'static [&'static str] {
        &[]
    }

    /// Mounts its handlers (under `/v1/…`). Handlers go in with `cfg.service(handler)` so
    /// their `#[utoipa::path]` lands in the spec: the routes and the spec cannot drift.
    fn routes(&self, cfg: &mut ServiceConfig<'_>);

    /// Anything the spec needs beyond the handlers' own paths: tags, extra schemas.
    fn openapi(&self) -> OpenApi {
        OpenApi::default()
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        Vec::new()
    }

    fn event_types(&self) -> Vec<EventTypeDef> {
        Vec::new()
    }

    /// Starts the plugin's background work in the server (sweepers), on the server's
    /// runtime; called once at startup.
    fn start(&self, _db: &sea_orm::DatabaseConnection) {}
}
