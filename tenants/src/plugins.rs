//! The per-tenant plugin switch: which optional plugins a tenant may have on together.
//! A set is refused when it names a plugin this server lacks, or switches a plugin on
//! without one it depends on — whether by enabling the one or by switching the other off.

use atrium_core::error::FieldError;
use atrium_core::plugin::Catalog;

/// Field errors for `enabled` as the whole set of a tenant's optional plugins, under
/// `field` (`enabled_plugins`, or `tenant.enabled_plugins` in a manifest).
pub fn check_enabled(catalog: &Catalog, enabled: &[String], field: &str, errors: &mut Vec<FieldError>) {
    for (i, p) in enabled.iter().enumerate() {
        if !catalog.optional_plugins.contains(&p.as_str()) {
            errors.push(FieldError::new(format!("{field}[{i}]"), format!("`{p}` is not a plugin of this server")));
        }
    }
    for (plugin, needed) in catalog.missing_dependencies(enabled) {
        errors.push(FieldError::new(field, format!("`{plugin}` cannot be on without `{needed}`")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog {
            plugins: vec!["tenants", "bookables", "bookings"],
            optional_plugins: vec!["bookables", "bookings"],
            dependencies: vec![("bookables", &[]), ("bookings", &["bookables"])],
            permissions: Vec::new(),
            event_types: Vec::new(),
        }
    }

    fn errors(enabled: &[&str]) -> Vec<FieldError> {
        let enabled: Vec<String> = enabled.iter().map(|s| (*s).to_owned()).collect();
        let mut errors = Vec::new();
        check_enabled(&catalog(), &enabled, "enabled_plugins", &mut errors);
        errors
    }

    #[test]
    fn a_plugin_needs_what_it_depends_on() {
        assert_eq!(
            errors(&["bookings"]),
            vec![FieldError::new("enabled_plugins", "`bookings` cannot be on without `bookables`")]
        );
        assert!(errors(&["bookables", "bookings"]).is_empty());
        assert!(errors(&["bookables"]).is_empty());
        assert!(errors(&[]).is_empty());
    }

    #[test]
    fn unknown_plugins_are_named_by_index() {
        assert_eq!(
            errors(&["bookables", "nope"]),
            vec![FieldError::new("enabled_plugins[1]", "`nope` is not a plugin of this server")]
        );
    }
}
