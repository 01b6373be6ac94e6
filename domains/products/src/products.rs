//! Catalog operations: create, change and soft-delete products, whose SKU is unique in
//! the tenant and whose locations are the tenant's own.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::Directory;
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use chrono::Utc;
use uuid::Uuid;

use crate::entities::products;
use crate::error::{ProductsError, Result};
use crate::events::ProductsEvent;
use crate::inventory::{NO_LOCATION, stock_location};
use crate::model::{ProductCreate, ProductPatch, ProductState, ProductView};
use crate::repo::{self, ProductFilter};

/// The tenant's product `id` (not deleted).
pub async fn find(tx: &TenantTx, id: Uuid) -> Result<products::Model> {
    repo::product(tx, id).await?.ok_or(ProductsError::NotFound)
}

pub async fn list(tx: &TenantTx, after: Option<Uuid>, limit: u64, f: &ProductFilter<'_>) -> Result<Vec<ProductView>> {
    repo::products_page(tx, after, limit, f).await?.iter().map(ProductView::of).collect()
}

fn json<T: serde::Serialize>(view: &T) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

/// Every rule on `s`: its own fields, then that each location is one of the tenant's.
async fn check(tx: &TenantTx, dir: &dyn Directory, s: &ProductState) -> Result<()> {
    let mut errors = s.check();
    if errors.is_empty() {
        for (i, l) in s.location_ids.iter().enumerate() {
            if !dir.has_location(tx, *l).await? {
                errors.push(FieldError::new(format!("location_ids[{i}]"), "is not a location of this tenant"));
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ProductsError::Invalid(errors)) }
}

pub async fn create(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    input: ProductCreate,
) -> Result<ProductView> {
    let currency = dir.currency(tx).await?.unwrap_or_else(|| "USD".to_owned());
    let state = input.state(&currency);
    check(tx, dir, &state).await?;
    let p = repo::insert_product(tx, &state).await?;
    let view = ProductView::of(&p)?;
    audit::record(tx, actor, Change::new(ProductsEvent::ProductCreated, "product", p.id, None, json(&view))).await?;
    Ok(view)
}

/// Applies `patch` to product `p`: the result is checked as at creation, and no location
/// that still holds stock may stop stocking it.
pub async fn update(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    p: products::Model,
    patch: ProductPatch,
) -> Result<ProductView> {
    let before = ProductView::of(&p)?;
    let current = ProductState::of(&p)?;
    let state = patch.apply(current.clone());
    check(tx, dir, &state).await?;
    if state.location_ids != current.location_ids {
        for b in repo::balances_of(tx, p.id).await? {
            let kept = if state.location_ids.is_empty() {
                b.location_id == NO_LOCATION
            } else {
                state.location_ids.contains(&b.location_id)
            };
            if !kept && (b.on_hand > 0 || b.reserved > 0) {
                let at = stock_location(b.location_id).map_or("without a location".to_owned(), |l| format!("at {l}"));
                return Err(ProductsError::field(
                    "location_ids",
                    format!("stock is still kept {at} ({} on hand): move or adjust it to 0 first", b.on_hand),
                ));
            }
        }
    }
    let p = repo::update_product(tx, p, &state).await?;
    let view = ProductView::of(&p)?;
    let change = Change::new(ProductsEvent::ProductUpdated, "product", p.id, json(&before), json(&view));
    audit::record(tx, actor, change).await?;
    Ok(view)
}

/// Soft-deletes product `p`, unless stock of it is still reserved (409).
pub async fn delete(tx: &TenantTx, actor: &AuditActor, p: products::Model) -> Result<()> {
    if repo::has_live_reservation(tx, p.id, Utc::now()).await? {
        return Err(ProductsError::Conflict("stock of this product is still reserved: release it first"));
    }
    let before = ProductView::of(&p)?;
    let p = repo::soft_delete_product(tx, p).await?;
    audit::record(tx, actor, Change::new(ProductsEvent::ProductDeleted, "product", p.id, json(&before), None)).await?;
    Ok(())
}
