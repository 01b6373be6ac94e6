//! The plugin registry: the list of plugins compiled into this binary, checked once at
//! startup, from which the server derives its routes, spec and catalogs.

use std::collections::HashSet;
use std::sync::Arc;

use std::collections::HashMap;

use atrium_core::plugin::{Catalog, DomainPlugin, EventTypeDef, PermissionDef};
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
}

#[derive(Clone)]
pub struct PluginRegistry {
    plugins: Arc<Vec<Box<dyn DomainPlugin>>>,
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
            if let Some(e) = plugin.event_types().iter().find(|e| !is_event_name(e.name)) {
                return Err(RegistryError::EventName { plugin: plugin.name(), event: e.name });
            }
        }
        Ok(Self { plugins: Arc::new(plugins) })
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

    /// Starts every plugin's background work.
    pub fn start(&self, db: &sea_orm::DatabaseConnection) {
        for plugin in self.plugins.iter() {
            plugin.start(db);
        }
    }

    pub fn permissions(&self) -> Vec<PermissionDef> {
        self.plugins.iter().flat_map(|p| p.permissions()).collect()
    }

    pub fn event_types(&self) -> Vec<EventTypeDef> {
        self.plugins.iter().flat_map(|p| p.event_types()).collect()
    }

    pub fn catalog(&self) -> Catalog {
        Catalog {
            plugins: self.names(),
            optional_plugins: self.plugins.iter().filter(|p| !p.always_on()).map(|p| p.name()).collect(),
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

#[allow(unused_mut)] // one push per feature, none without features
pub fn compiled_plugins() -> Vec<Box<dyn DomainPlugin>> {
    let mut plugins: Vec<Box<dyn DomainPlugin>> =
        vec![Box::new(atrium_tenants::TenantsPlugin::default()), Box::new(crate::integrations::IntegrationsPlugin)];
    // Each domain plugin behind its Cargo feature.
    #[cfg(feature = "households")]
    plugins.push(Box::new(atrium_households::HouseholdsPlugin));
    #[cfg(feature = "bookables")]
    plugins.push(Box::new(atrium_bookables::BookablesPlugin));
    #[cfg(feature = "service-templates")]
    plugins.push(Box::new(atrium_service_templates::ServiceTemplatesPlugin));
    #[cfg(feature = "bookings")]
    plugins.push(Box::new(atrium_bookings::BookingsPlugin));
    plugins
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
            vec![PermissionDef { name: self.permission, description: "", granted_to: &[BuiltinRole::Owner] }]
        }
    }

    fn fake(name: &'static str, deps: &'static [&'static str], permission: &'static str) -> Box<dyn DomainPlugin> {
        Box::new(Fake { name, deps, permission })
    }

    #[test]
    fn registry_checks_the_contract() {
        assert!(PluginRegistry::new(vec![fake("a", &[], "a:read"), fake("b", &["a"], "b:read")]).is_ok());
        assert!(matches!(
            PluginRegistry::new(vec![fake("a", &[], "a:read"), fake("a", &[], "a:read")]),
            Err(RegistryError::Duplicate("a"))
        ));
        assert!(matches!(
            PluginRegistry::new(vec![fake("b", &["a"], "b:read")]),
            Err(RegistryError::MissingDependency { .. })
        ));
        assert!(matches!(
            PluginRegistry::new(vec![fake("a", &[], "other:read")]),
            Err(RegistryError::PermissionPrefix { .. })
        ));
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
