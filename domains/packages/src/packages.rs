//! Catalog operations: create and change packages. A package's items name the tenant's
//! service templates and locations; its purchases snapshot its terms, so an edit never
//! reaches what was sold.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::Directory;
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use chrono::Utc;
use uuid::Uuid;

use crate::entities::packages;
use crate::error::{PackagesError, Result};
use crate::events::PackagesEvent;
use crate::model::{PackageCreate, PackagePatch, PackageStatus, PackageTerms, PackageView, check_name, name_of};
use crate::repo;

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<packages::Model> {
    repo::package(tx, id).await?.ok_or(PackagesError::NotFound)
}

pub async fn list(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    status: Option<PackageStatus>,
) -> Result<Vec<PackageView>> {
    repo::packages_page(tx, after, limit, status.map(|s| name_of(&s))).await?.iter().map(PackageView::of).collect()
}

fn json<T: serde::Serialize>(view: &T) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

/// Every rule on the terms: their own fields, then that each template and location is the
/// tenant's.
async fn check(tx: &TenantTx, dir: &dyn Directory, terms: &PackageTerms, mut errors: Vec<FieldError>) -> Result<()> {
    errors.extend(terms.check());
    if errors.is_empty() {
        for (i, item) in terms.items.iter().enumerate() {
            if atrium_service_templates::repo::find(tx, item.service_template_id).await.is_err() {
                errors.push(FieldError::new(
                    format!("items[{i}].service_template_id"),
                    "is not a service template of this tenant",
                ));
            }
            for (j, l) in item.allowed_location_ids.iter().enumerate() {
                if !dir.has_location(tx, *l).await? {
                    errors.push(FieldError::new(
                        format!("items[{i}].allowed_location_ids[{j}]"),
                        "is not a location of this tenant",
                    ));
                }
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(PackagesError::Invalid(errors)) }
}

pub async fn create(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    input: PackageCreate,
) -> Result<PackageView> {
    let currency = dir.currency(tx).await?.unwrap_or_else(|| "USD".to_owned());
    let name = input.name.trim().to_owned();
    let terms = input.terms(&currency);
    check(tx, dir, &terms, check_name(&name, input.description.as_deref())).await?;
    let now = Utc::now();
    let p = repo::insert_package(
        tx,
        packages::Model {
            tenant_id: tx.tenant_id().0,
            id: Uuid::now_v7(),
            name,
            description: input.description,
            terms: serde_json::to_value(&terms).map_err(|e| PackagesError::Corrupt("terms".into(), e.to_string()))?,
            status: name_of(&input.status.unwrap_or(PackageStatus::Draft)),
            version: 1,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    let view = PackageView::of(&p)?;
    audit::record(tx, actor, Change::new(PackagesEvent::PackageCreated, "package", p.id, None, json(&view))).await?;
    Ok(view)
}

pub async fn update(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    p: packages::Model,
    patch: PackagePatch,
) -> Result<PackageView> {
    let before = PackageView::of(&p)?;
    let mut terms = before.terms.clone();
    let mut errors = Vec::new();
    if let Some(items) = patch.items {
        if before.status != PackageStatus::Draft {
            errors.push(FieldError::new("items", "can change only while the package is a draft"));
        }
        terms.items = items;
    }
    terms.price = patch.price.unwrap_or(terms.price);
    terms.transferable = patch.transferable.unwrap_or(terms.transferable);
    if patch.max_per_customer.is_some() {
        terms.max_per_customer = patch.max_per_customer;
    }
    let status = patch.status.unwrap_or(before.status);
    if status == PackageStatus::Draft && before.status != PackageStatus::Draft {
        errors.push(FieldError::new("status", "a package that was offered cannot become a draft again"));
    }
    let name = patch.name.map_or(before.name.clone(), |n| n.trim().to_owned());
    let description = patch.description.or(before.description.clone());
    errors.extend(check_name(&name, description.as_deref()));
    check(tx, dir, &terms, errors).await?;
    let version = p.version + 1;
    let p = repo::update_package(
        tx,
        packages::Model {
            name,
            description,
            terms: serde_json::to_value(&terms).map_err(|e| PackagesError::Corrupt("terms".into(), e.to_string()))?,
            status: name_of(&status),
            version,
            updated_at: Utc::now(),
            ..p
        },
    )
    .await?;
    let view = PackageView::of(&p)?;
    let change = Change::new(PackagesEvent::PackageUpdated, "package", p.id, json(&before), json(&view));
    audit::record(tx, actor, change).await?;
    Ok(view)
}
