//! Roles: the built-in ones (granted by the plugins' declarations, read-only) and the
//! tenant's custom roles, made from the permission catalog. Nobody hands out a
//! permission they do not hold, and a role still held by someone cannot be deleted.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Principal, grant_text, parse_grant};
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::plugin::{BuiltinRole, Catalog};
use uuid::Uuid;

use crate::entities::roles;
use crate::error::{Result, TenantsError};
use crate::events::TenantsEvent;
use crate::repo;
use crate::views::{RoleView, strings};

/// Longest description of a custom role, in characters.
const MAX_DESCRIPTION: usize = 1000;

/// A custom role's name: 2–63 of `a-z 0-9 _`, starting with a letter (so it can never
/// look like a casbin subject such as `user:…`).
pub fn valid_role_name(name: &str) -> bool {
    (2..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Grants (`bookings:read`, `bookings:read@own`) not in the catalog, or at a scope their
/// permission does not allow, become field errors; the result is sorted and deduplicated.
fn check_permissions(catalog: &Catalog, permissions: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    for (i, p) in permissions.iter().enumerate() {
        if !catalog.is_grant(p) {
            errors.push(FieldError::new(
                format!("permissions[{i}]"),
                format!("`{p}` is not in the permission catalog (or cannot be granted for own records)"),
            ));
        }
    }
    let mut unique = permissions.to_vec();
    unique.sort();
    unique.dedup();
    unique
}

fn check_description(description: &str, errors: &mut Vec<FieldError>) {
    if description.chars().count() > MAX_DESCRIPTION {
        errors.push(FieldError::new("description", "must be at most 1000 characters"));
    }
}

/// The caller may hand out only what it holds itself.
fn check_within_caller(caller: &Principal, permissions: &[String]) -> Result<()> {
    match permissions.iter().find(|p| !holds(caller, p)) {
        Some(p) => Err(TenantsError::Forbidden(format!("you cannot grant `{p}`, which you do not hold"))),
        None => Ok(()),
    }
}

/// Whether `caller` holds `grant` at its scope or a wider one (`bookings:read` covers
/// `bookings:read@own`).
fn holds(caller: &Principal, grant: &str) -> bool {
    let (permission, wanted) = parse_grant(grant);
    caller.permissions.scope_of(permission).is_some_and(|held| held >= wanted)
}

/// A custom role about to be created: its name and permissions checked, and within the
/// caller's own.
pub struct NewRole {
    name: String,
    description: String,
    permissions: Vec<String>,
}

impl NewRole {
    pub fn parse(
        catalog: &Catalog,
        caller: &Principal,
        name: String,
        description: String,
        permissions: &[String],
    ) -> Result<Self> {
        let mut errors = Vec::new();
        if !valid_role_name(&name) {
            errors.push(FieldError::new("name", "must be 2–63 characters of a-z, 0-9 and '_', starting with a letter"));
        } else if BuiltinRole::parse(&name).is_some() {
            errors.push(FieldError::new("name", "is the name of a built-in role"));
        }
        check_description(&description, &mut errors);
        let permissions = check_permissions(catalog, permissions, &mut errors);
        if !errors.is_empty() {
            return Err(TenantsError::Invalid(errors));
        }
        check_within_caller(caller, &permissions)?;
        Ok(Self { name, description, permissions })
    }
}

/// A change to a custom role: absent fields stay as they are. What it adds and takes away
/// is checked against the caller's permissions by [`update`], which knows the role as it is.
pub struct RoleChange {
    description: Option<String>,
    permissions: Option<Vec<String>>,
}

impl RoleChange {
    pub fn parse(catalog: &Catalog, description: Option<String>, permissions: Option<&[String]>) -> Result<Self> {
        let mut errors = Vec::new();
        let permissions = permissions.map(|p| check_permissions(catalog, p, &mut errors));
        if let Some(d) = &description {
            check_description(d, &mut errors);
        }
        if !errors.is_empty() {
            return Err(TenantsError::Invalid(errors));
        }
        Ok(Self { description, permissions })
    }
}

/// Built-in roles first, then the tenant's custom roles by name.
pub async fn all(tx: &TenantTx, catalog: &Catalog) -> Result<Vec<RoleView>> {
    let mut all: Vec<RoleView> = BuiltinRole::ALL
        .into_iter()
        .map(|role| RoleView {
            id: None,
            name: role.as_str().to_owned(),
            description: format!("Built-in role `{}`", role.as_str()),
            builtin: true,
            permissions: catalog
                .builtin_scoped_grants(role)
                .into_iter()
                .map(|(permission, scope)| grant_text(permission, scope))
                .collect(),
            version: None,
        })
        .collect();
    all.extend(repo::roles(tx).await?.iter().map(RoleView::from));
    Ok(all)
}

/// A custom role of the tenant.
pub async fn find(tx: &TenantTx, id: Uuid) -> Result<roles::Model> {
    repo::role(tx, id).await?.ok_or(TenantsError::NotFound)
}

pub async fn create(tx: &TenantTx, actor: &AuditActor, role: NewRole) -> Result<roles::Model> {
    let saved = repo::insert_role(tx, &role.name, &role.description, &role.permissions).await?;
    let view = RoleView::from(&saved);
    audit::record(
        tx,
        actor,
        Change::new(TenantsEvent::RoleCreated, "role", saved.id.to_string(), None, serde_json::to_value(&view).ok()),
    )
    .await?;
    Ok(saved)
}

/// Applies `change` to `current` (already checked against `If-Match` by the caller). Both
/// the permissions it adds and those it takes away must be the caller's own: a lesser
/// admin can neither widen a role nor strip one of what they do not hold themselves.
pub async fn update(
    tx: &TenantTx,
    caller: &Principal,
    actor: &AuditActor,
    current: roles::Model,
    change: RoleChange,
) -> Result<roles::Model> {
    let before = RoleView::from(&current);
    let description = change.description.unwrap_or_else(|| current.description.clone());
    let old = strings(&current.permissions);
    let permissions = change.permissions.unwrap_or_else(|| old.clone());
    let added = permissions.iter().filter(|p| !old.contains(p));
    let removed = old.iter().filter(|p| !permissions.contains(p));
    if let Some(p) = added.chain(removed).find(|p| !caller.permissions.contains(p)) {
        return Err(TenantsError::Forbidden(format!("you cannot grant or take away `{p}`, which you do not hold")));
    }
    let saved = repo::update_role(tx, current, description, permissions).await?;
    let view = RoleView::from(&saved);
    audit::record(
        tx,
        actor,
        Change::new(
            TenantsEvent::RoleUpdated,
            "role",
            saved.id.to_string(),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&view).ok(),
        ),
    )
    .await?;
    Ok(saved)
}

/// Deletes `role` unless a member or a pending invitation holds it.
pub async fn delete(tx: &TenantTx, actor: &AuditActor, role: roles::Model) -> Result<()> {
    let held = repo::all_memberships(tx).await?.iter().any(|m| strings(&m.roles).contains(&role.name))
        || repo::pending_invitations(tx).await?.iter().any(|i| strings(&i.roles).contains(&role.name));
    if held {
        return Err(TenantsError::RoleInUse(role.name));
    }
    repo::delete_role(tx, role.id).await?;
    audit::record(
        tx,
        actor,
        Change::new(
            TenantsEvent::RoleDeleted,
            "role",
            role.id.to_string(),
            serde_json::to_value(RoleView::from(&role)).ok(),
            None,
        ),
    )
    .await?;
    Ok(())
}
