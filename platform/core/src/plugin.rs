//! The plugin contract. Every plugin (each domain, and the always-on platform modules)
//! implements [`DomainPlugin`]; the server holds a list of them, built from the enabled
//! Cargo features, and derives its routes, its OpenAPI document, its permission catalog
//! and its event-type catalog from that list alone.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use utoipa::openapi::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::context::{Directory, PolicySource};
use crate::events::EventTypeDef;
use crate::jobs::{JobDef, PluginSettings};

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

/// A permission a plugin defines (`bookables:write`), the built-in roles that hold it for
/// the whole tenant and those that hold it for their own records only, and what "own
/// records" means for it (`None`: it cannot be granted for own records).
#[derive(Clone, Debug)]
pub struct PermissionDef {
    pub name: &'static str,
    pub description: &'static str,
    pub granted_to: &'static [BuiltinRole],
    pub own_granted_to: &'static [BuiltinRole],
    pub own: Option<&'static str>,
}

impl PermissionDef {
    /// A permission held for the whole tenant by `granted_to`, with no own scope.
    pub const fn tenant(name: &'static str, description: &'static str, granted_to: &'static [BuiltinRole]) -> Self {
        Self { name, description, granted_to, own_granted_to: &[], own: None }
    }

    /// This permission, also grantable for own records (`own` says what they are), and held
    /// so by `roles`.
    pub const fn with_own(self, own: &'static str, roles: &'static [BuiltinRole]) -> Self {
        Self { own: Some(own), own_granted_to: roles, ..self }
    }

    /// Whether `scope` can be granted.
    pub fn allows(&self, scope: crate::context::GrantScope) -> bool {
        scope == crate::context::GrantScope::Tenant || self.own.is_some()
    }
}

/// What the server knows of its plugins, for handlers that list or check them
/// (`GET /v1/permissions`, custom roles, a tenant's `enabled_plugins`).
#[derive(Clone)]
pub struct Catalog {
    pub plugins: Vec<&'static str>,
    /// Plugins a tenant can switch on and off (the always-on modules are not listed).
    pub optional_plugins: Vec<&'static str>,
    /// Each optional plugin and the plugins it needs: a tenant switches a plugin on only
    /// with them, and off only when no plugin it keeps needs it.
    pub dependencies: Vec<(&'static str, &'static [&'static str])>,
    pub permissions: Vec<(&'static str, PermissionDef)>,
    pub event_types: Vec<EventTypeDef>,
}

impl Catalog {
    pub fn permission(&self, name: &str) -> Option<&PermissionDef> {
        self.permissions.iter().map(|(_, p)| p).find(|p| p.name == name)
    }

    /// Each `(plugin, needed)` pair where `enabled` switches `plugin` on without the plugin
    /// `needed` it depends on; empty when the set is consistent.
    pub fn missing_dependencies(&self, enabled: &[String]) -> Vec<(&'static str, &'static str)> {
        self.dependencies
            .iter()
            .filter(|(plugin, _)| enabled.iter().any(|e| e == plugin))
            .flat_map(|(plugin, needs)| {
                needs.iter().filter(|n| !enabled.iter().any(|e| e == *n)).map(move |n| (*plugin, *n))
            })
            .collect()
    }

    /// The permissions a built-in role holds for the whole tenant.
    pub fn builtin_grants(&self, role: BuiltinRole) -> Vec<&'static str> {
        self.permissions.iter().filter(|(_, p)| p.granted_to.contains(&role)).map(|(_, p)| p.name).collect()
    }

    /// Every permission a built-in role holds, each with its scope.
    pub fn builtin_scoped_grants(&self, role: BuiltinRole) -> Vec<(&'static str, crate::context::GrantScope)> {
        use crate::context::GrantScope;
        self.permissions
            .iter()
            .filter_map(|(_, p)| {
                if p.granted_to.contains(&role) {
                    Some((p.name, GrantScope::Tenant))
                } else if p.own_granted_to.contains(&role) {
                    Some((p.name, GrantScope::Own))
                } else {
                    None
                }
            })
            .collect()
    }

    /// Whether `grant` (`bookings:read`, `bookings:read@own`) names a permission of the
    /// catalog at a scope it allows.
    pub fn is_grant(&self, grant: &str) -> bool {
        let (name, scope) = crate::context::parse_grant(grant);
        self.permission(name).is_some_and(|p| p.allows(scope))
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
    /// The DNS resolver custom-domain verification asks; the host's (`/etc/resolv.conf`)
    /// when unset.
    pub dns_resolver: Option<std::net::SocketAddr>,
}

/// A command a plugin adds to the `atrium` binary (`atrium tenant apply FILE`,
/// `atrium inventory verify`): its clap definition and what it does.
#[derive(Clone)]
pub struct CommandDef {
    pub command: clap::Command,
    run: Arc<CommandFn>,
}

type CommandFn =
    dyn Fn(CommandContext, clap::ArgMatches) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>> + Send + Sync;

impl CommandDef {
    pub fn new<F, Fut>(command: clap::Command, run: F) -> Self
    where
        F: Fn(CommandContext, clap::ArgMatches) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        Self { command, run: Arc::new(move |ctx, args| Box::pin(run(ctx, args))) }
    }

    pub fn run(
        &self,
        ctx: CommandContext,
        args: clap::ArgMatches,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>> {
        (self.run)(ctx, args)
    }
}

/// What a plugin's command is given: the runtime database (migrated), the catalog, and
/// the plugin's settings.
#[derive(Clone)]
pub struct CommandContext {
    pub db: sea_orm::DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub settings: PluginSettings,
}

/// A plugin's migrations, each named `m<YYYYMMDD>_<HHMMSS>_<plugin>_<what>`; the migrator
/// is built from every compiled plugin's and applies them in name order.
pub type Migrations = Vec<Box<dyn sea_orm_migration::MigrationTrait>>;

/// What a plugin declares, in one place: the server derives its routes, spec, permission
/// and event catalogs, schema, background jobs and commands from the list of plugins.
pub trait DomainPlugin: Send + Sync + 'static {
    /// `"bookables"`: also its Cargo feature, crate suffix and permission prefix.
    fn name(&self) -> &'static str;

    /// Always on for every tenant (the platform's own modules); domain plugins are not.
    fn always_on(&self) -> bool {
        false
    }

    /// Other plugins it needs, by name: checked when the binary starts and whenever a
    /// tenant switches plugins on or off.
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

    /// Its event types: `crate::events::catalog::<TheEnum>()` of the enum its code emits.
    fn events(&self) -> Vec<EventTypeDef> {
        Vec::new()
    }

    /// Its schema.
    fn migrations(&self) -> Migrations {
        Vec::new()
    }

    /// Its background work (sweepers), run by the server's job runner.
    fn jobs(&self) -> Vec<JobDef> {
        Vec::new()
    }

    /// Commands it adds to the `atrium` binary.
    fn commands(&self) -> Vec<CommandDef> {
        Vec::new()
    }

    /// The tenant directory the kernel and other plugins ask about people; exactly one
    /// compiled plugin (the tenants module) provides it.
    fn directory(&self) -> Option<Arc<dyn Directory>> {
        None
    }

    /// What it adds to bookings and holds (body fields, stock or credits taken in the
    /// booking's transaction, lines of its pricing snapshot, what happens on its status
    /// changes): see [`crate::booking_ext`].
    fn booking_extension(&self) -> Option<Arc<dyn crate::booking_ext::BookingExtension>> {
        None
    }

    /// Where the kernel reads a tenant's policy facts (status, plan, plugins, roles,
    /// members); exactly one compiled plugin (the tenants module) provides it.
    fn policy_source(&self) -> Option<Arc<dyn PolicySource>> {
        None
    }
}
