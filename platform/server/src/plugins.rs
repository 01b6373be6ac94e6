//! The plugin registry: the list of plugins compiled into this binary, checked once at
//! startup, from which the server derives its routes, spec, catalogs, schema (the
//! migrator), background jobs and commands.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use atrium_core::booking_ext::BookingExtensions;
use atrium_core::context::{Directory, PolicySource};
use atrium_core::events::EventTypeDef;
use atrium_core::jobs::JobDef;
use atrium_core::plugin::{Catalog, CommandDef, DomainPlugin, PermissionDef};
use atrium_migrations::Migrator;
use utoipa::openapi::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("plugin `{0}` is registered twice")]
    Duplicate(&'static str),
    #[error("plugin `{plugin}` depends on `{missing}`, which is not compiled in")]
    MissingDependency { plugin: &'static str, missing: &'static str },
    #[error("plugin `{plugin}` defines permission `{permission}` outside its `{plugin}:` prefix")]
    PermissionPrefix { plugin: &'static str, permission: &'static str },
    #[error("plugin `{plugin}` defines event type `{event}`, not of the form `resource.past_verb`")]
    EventName { plugin: &'static str, event: &'static str },
    #[error("event type `{0}` is declared by two plugins")]
    DuplicateEvent(&'static str),
    #[error("plugin `{plugin}` declares migration `{migration}`, not named `m<date>_<time>_{plugin}_<what>`")]
    MigrationName { plugin: &'static str, migration: String },
    #[error("plugin `{plugin}` declares job `{job}`, not named `{plugin}.<what>`")]
    JobName { plugin: &'static str, job: &'static str },
    #[error("no compiled plugin provides the {0} (the tenants module does)")]
    MissingService(&'static str),
}

#[derive(Clone)]
pub struct PluginRegistry {
    plugins: Arc<Vec<Box<dyn DomainPlugin>>>,
    directory: Arc<dyn Directory>,
    policy_source: Arc<dyn PolicySource>,
}

impl PluginRegistry {
    pub fn new(plugins: Vec<Box<dyn DomainPlugin>>) -> Result<Self, RegistryError> {
        let mut names = HashSet::new();
        for plugin in &plugins {
            if !names.insert(plugin.name()) {
                return Err(RegistryError::Duplicate(plugin.name()));
            }
        }
        for plugin in &plugins {
            if let Some(missing) = plugin.depends_on().iter().find(|d| !names.contains(*d)) {
                return Err(RegistryError::MissingDependency { plugin: plugin.name(), missing });
            }
            let prefix = format!("{}:", plugin.name());
            if let Some(p) = plugin.permissions().iter().find(|p| !p.name.starts_with(&prefix)) {
                return Err(RegistryError::PermissionPrefix { plugin: plugin.name(), permission: p.name });
            }
            if let Some(e) = plugin.events().iter().find(|e| !is_event_name(e.name)) {
                return Err(RegistryError::EventName { plugin: plugin.name(), event: e.name });
            }
            let prefix = format!("_{}_", plugin.name().replace('-', "_"));
            if let Some(m) = plugin.migrations().iter().find(|m| !is_migration_of(m.name(), &prefix)) {
                return Err(RegistryError::MigrationName { plugin: plugin.name(), migration: m.name().to_owned() });
            }
            let prefix = format!("{}.", plugin.name());
            if let Some(j) = plugin.jobs().iter().find(|j| !j.name.starts_with(&prefix)) {
                return Err(RegistryError::JobName { plugin: plugin.name(), job: j.name });
            }
        }
        let mut events = HashSet::new();
        for e in plugins.iter().flat_map(|p| p.events()) {
            if !events.insert(e.name) {
                return Err(RegistryError::DuplicateEvent(e.name));
            }
        }
        let directory = plugins.iter().find_map(|p| p.directory()).ok_or(RegistryError::MissingService("directory"))?;
        let policy_source =
            plugins.iter().find_map(|p| p.policy_source()).ok_or(RegistryError::MissingService("policy source"))?;
        let extensions = plugins.iter().filter_map(|p| p.booking_extension()).collect();
        atrium_core::booking_ext::install(BookingExtensions::new(extensions, policy_source.clone()));
        Ok(Self { plugins: Arc::new(plugins), directory, policy_source })
    }

    /// The booking extensions of the compiled plugins (installed for the bookings engine).
    pub fn booking_extensions(&self) -> BookingExtensions {
        let extensions = self.plugins.iter().filter_map(|p| p.booking_extension()).collect();
        BookingExtensions::new(extensions, self.policy_source.clone())
    }

    /// The plugins this binary was built with (one Cargo feature each).
    pub fn compiled() -> Result<Self, RegistryError> {
        Self::new(compiled_plugins())
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.plugins.iter().map(|p| p.name()).collect()
    }

    pub fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        for plugin in self.plugins.iter() {
            plugin.routes(cfg);
        }
    }

    /// The plugins' own additions to the spec (tags, extra schemas), merged.
    pub fn openapi(&self) -> OpenApi {
        self.plugins.iter().fold(OpenApi::default(), |mut all, p| {
            all.merge(p.openapi());
            all
        })
    }

    /// The migrator of this binary: the kernel's migrations and every plugin's.
    pub fn migrator(&self) -> Migrator {
        let plugins = self.plugins.clone();
        Migrator::new(move || plugins.iter().flat_map(|p| p.migrations()).collect())
    }

    /// Every plugin's background jobs, with the plugin each belongs to.
    pub fn jobs(&self) -> Vec<(&'static str, JobDef)> {
        self.plugins.iter().flat_map(|p| p.jobs().into_iter().map(move |j| (p.name(), j))).collect()
    }

    /// Every plugin's commands, with the plugin each belongs to.
    pub fn commands(&self) -> Vec<(&'static str, CommandDef)> {
        self.plugins.iter().flat_map(|p| p.commands().into_iter().map(move |c| (p.name(), c))).collect()
    }

    pub fn directory(&self) -> Arc<dyn Directory> {
        self.directory.clone()
    }

    pub fn policy_source(&self) -> Arc<dyn PolicySource> {
        self.policy_source.clone()
    }

    pub fn permissions(&self) -> Vec<PermissionDef> {
        self.plugins.iter().flat_map(|p| p.permissions()).collect()
    }

    pub fn event_types(&self) -> Vec<EventTypeDef> {
        self.plugins.iter().flat_map(|p| p.events()).collect()
    }

    /// Each optional plugin with the plugins it needs, for the per-tenant switch.
    pub fn dependencies(&self) -> Vec<(&'static str, &'static [&'static str])> {
        self.plugins.iter().filter(|p| !p.always_on()).map(|p| (p.name(), p.depends_on())).collect()
    }

    pub fn catalog(&self) -> Catalog {
        Catalog {
            plugins: self.names(),
            optional_plugins: self.plugins.iter().filter(|p| !p.always_on()).map(|p| p.name()).collect(),
            dependencies: self.dependencies(),
            permissions: self
                .plugins
                .iter()
                .flat_map(|p| p.permissions().into_iter().map(move |d| (p.name(), d)))
                .collect(),
            event_types: self.event_types(),
        }
    }

    /// Route pattern (`/v1/bookables/{id}`) → the optional plugin serving it, for the
    /// per-tenant plugin switch.
    pub fn route_plugins(&self) -> HashMap<String, &'static str> {
        let mut owners = HashMap::new();
        for plugin in self.plugins.iter().filter(|p| !p.always_on()) {
            let (_, spec) = actix_web::App::new()
                .into_utoipa_app()
                .service(utoipa_actix_web::scope("/v1").configure(|cfg| plugin.routes(cfg)))
                .split_for_parts();
            for path in spec.paths.paths.keys() {
                owners.insert(path.clone(), plugin.name());
            }
        }
        owners
    }
}

/// The always-on modules, then each domain plugin whose Cargo feature is on.
macro_rules! compiled {
    ($($feature:literal => $plugin:expr),* $(,)?) => {{
        #[allow(unused_mut)] // one push per feature, none without features
        let mut plugins: Vec<Box<dyn DomainPlugin>> = vec![
            Box::new(atrium_tenants::TenantsPlugin::default()),
            Box::new(atrium_integrations::IntegrationsPlugin),
        ];
        $(
            #[cfg(feature = $feature)]
            plugins.push(Box::new($plugin));
        )*
        plugins
    }};
}

/// The plugin registry's one line per plugin.
pub fn compiled_plugins() -> Vec<Box<dyn DomainPlugin>> {
    compiled! {
        "households" => atrium_households::HouseholdsPlugin,
        "bookables" => atrium_bookables::BookablesPlugin,
        "service-templates" => atrium_service_templates::ServiceTemplatesPlugin,
        "bookings" => atrium_bookings::BookingsPlugin,
        "products" => atrium_products::ProductsPlugin,
        "liquidity-mirror" => atrium_liquidity_mirror::LiquidityMirrorPlugin,
        "packages" => atrium_packages::PackagesPlugin,
        "hair-health" => atrium_hair_health::HairHealthPlugin,
    }
}

/// `m20261122_004000_bookings_core` for prefix `_bookings_`.
fn is_migration_of(name: &str, prefix: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    name.len() > 17
        && name.starts_with('m')
        && digits(&name[1..9], 8)
        && &name[9..10] == "_"
        && digits(&name[10..16], 6)
        && name[16..].starts_with(prefix)
}

fn is_event_name(name: &str) -> bool {
    let mut parts = name.split('.');
    let ok =
        |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use atrium_core::plugin::BuiltinRole;

    use super::*;

    struct Fake {
        name: &'static str,
        deps: &'static [&'static str],
        permission: &'static str,
    }

    impl DomainPlugin for Fake {
        fn name(&self) -> &'static str {
            self.name
        }
        fn depends_on(&self) -> &'static [&'static str] {
            self.deps
        }
        fn routes(&self, _cfg: &mut ServiceConfig<'_>) {}
        fn permissions(&self) -> Vec<PermissionDef> {
            vec![PermissionDef::tenant(self.permission, "", &[BuiltinRole::Owner])]
        }
    }

    fn fake(name: &'static str, deps: &'static [&'static str], permission: &'static str) -> Box<dyn DomainPlugin> {
        Box::new(Fake { name, deps, permission })
    }

    /// The kernel's services, as the tenants module provides them.
    struct Kernel;

    #[async_trait::async_trait]
    impl Directory for Kernel {
        async fn is_member(
            &self,
            _: &atrium_core::db::TenantTx,
            _: atrium_core::ids::UserId,
        ) -> Result<bool, sea_orm::DbErr> {
            Ok(false)
        }
        async fn has_location(&self, _: &atrium_core::db::TenantTx, _: uuid::Uuid) -> Result<bool, sea_orm::DbErr> {
            Ok(false)
        }
        async fn currency(&self, _: &atrium_core::db::TenantTx) -> Result<Option<String>, sea_orm::DbErr> {
            Ok(None)
        }
        async fn customer_policy(
            &self,
            _: &atrium_core::db::TenantTx,
        ) -> Result<atrium_core::context::CustomerPolicy, sea_orm::DbErr> {
            Ok(atrium_core::context::CustomerPolicy { registration_open: false, guests_allowed: false })
        }
        async fn public_tenant(
            &self,
            _: &sea_orm::DatabaseConnection,
            _: &str,
        ) -> Result<Option<(atrium_core::ids::TenantId, Vec<String>)>, sea_orm::DbErr> {
            Ok(None)
        }
    }

    #[async_trait::async_trait]
    impl PolicySource for Kernel {
        async fn tenant_facts(
            &self,
            _: &atrium_core::db::TenantTx,
        ) -> Result<Option<atrium_core::context::TenantFacts>, sea_orm::DbErr> {
            Ok(None)
        }
    }

    impl DomainPlugin for Kernel {
        fn name(&self) -> &'static str {
            "kernel"
        }
        fn always_on(&self) -> bool {
            true
        }
        fn routes(&self, _cfg: &mut ServiceConfig<'_>) {}
        fn directory(&self) -> Option<Arc<dyn Directory>> {
            Some(Arc::new(Kernel))
        }
        fn policy_source(&self) -> Option<Arc<dyn PolicySource>> {
            Some(Arc::new(Kernel))
        }
    }

    fn with_kernel(plugins: Vec<Box<dyn DomainPlugin>>) -> Result<PluginRegistry, RegistryError> {
        PluginRegistry::new(std::iter::once(Box::new(Kernel) as Box<dyn DomainPlugin>).chain(plugins).collect())
    }

    #[test]
    fn registry_checks_the_contract() {
        assert!(with_kernel(vec![fake("a", &[], "a:read"), fake("b", &["a"], "b:read")]).is_ok());
        assert!(matches!(
            with_kernel(vec![fake("a", &[], "a:read"), fake("a", &[], "a:read")]),
            Err(RegistryError::Duplicate("a"))
        ));
        assert!(matches!(with_kernel(vec![fake("b", &["a"], "b:read")]), Err(RegistryError::MissingDependency { .. })));
        assert!(matches!(with_kernel(vec![fake("a", &[], "other:read")]), Err(RegistryError::PermissionPrefix { .. })));
        assert!(matches!(
            PluginRegistry::new(vec![fake("a", &[], "a:read")]),
            Err(RegistryError::MissingService("directory"))
        ));
    }

    #[test]
    fn migrations_are_named_after_their_plugin() {
        assert!(is_migration_of("m20261122_004000_bookings_core", "_bookings_"));
        assert!(is_migration_of("m20261122_003000_service_templates_core", "_service_templates_"));
        assert!(!is_migration_of("m20261122_004000_bookables_core", "_bookings_"));
        assert!(!is_migration_of("m2026112_004000_bookings_core", "_bookings_"));
        assert!(!is_migration_of("create_bookings", "_bookings_"));
    }

    #[test]
    fn the_compiled_plugins_keep_the_contract() {
        let registry = PluginRegistry::compiled().unwrap();
        let names = registry.migrator().names().to_vec();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted, "migrations run in name order, each once");
    }

    #[test]
    fn event_names_are_resource_dot_verb() {
        assert!(is_event_name("booking.confirmed"));
        assert!(is_event_name("api_key.created"));
        assert!(!is_event_name("booking"));
        assert!(!is_event_name("Booking.Confirmed"));
        assert!(!is_event_name("a.b.c"));
    }
}
