//! Locations (Bizing §1): creating, changing and soft-deleting a tenant's places of
//! business. Every state is checked as a whole, so a patch can never store what a
//! creation could not; every change is audited.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::db::TenantTx;
use chrono::Utc;
use sea_orm::{IntoActiveModel, Set};
use uuid::Uuid;

use crate::entities::locations;
use crate::error::{Result, TenantsError};
use crate::events::TenantsEvent;
use crate::model::{LocationCreate, LocationPatch, LocationStatus};
use crate::repo;
use crate::views::LocationView;

/// The stored location as the API shows it.
pub fn view(m: &locations::Model) -> Result<LocationView> {
    LocationView::from_row(m).map_err(TenantsError::Stored)
}

fn checked(state: &LocationCreate) -> Result<()> {
    let errors = state.check();
    if errors.is_empty() { Ok(()) } else { Err(TenantsError::Invalid(errors)) }
}

/// One page of the tenant's locations (fetched with one extra row, see `Page`).
pub async fn page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    status: Option<LocationStatus>,
) -> Result<Vec<LocationView>> {
    let rows = repo::locations_page(tx, after, limit, status.map(LocationStatus::as_str)).await?;
    rows.iter().map(view).collect()
}

/// A location of the tenant that is not deleted.
pub async fn find(tx: &TenantTx, id: Uuid) -> Result<locations::Model> {
    repo::location(tx, id).await?.ok_or(TenantsError::NotFound)
}

pub async fn create(tx: &TenantTx, actor: &AuditActor, state: LocationCreate) -> Result<LocationView> {
    checked(&state)?;
    let now = Utc::now();
    let mut am = locations::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    state.write_to(&mut am);
    let saved = repo::save_location(tx, am, true).await?;
    let v = view(&saved)?;
    audit::record(
        tx,
        actor,
        Change::new(
            TenantsEvent::LocationCreated,
            "location",
            saved.id.to_string(),
            None,
            serde_json::to_value(&v).ok(),
        ),
    )
    .await?;
    Ok(v)
}

/// Applies `patch` to `current` (already checked against `If-Match` by the caller).
pub async fn update(
    tx: &TenantTx,
    actor: &AuditActor,
    current: locations::Model,
    patch: LocationPatch,
) -> Result<LocationView> {
    let before = view(&current)?;
    let state = patch.applied_to(before.body.clone());
    checked(&state)?;
    let version = current.version + 1;
    let mut am = current.into_active_model();
    state.write_to(&mut am);
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    let saved = repo::save_location(tx, am, false).await?;
    let after = view(&saved)?;
    audit::record(
        tx,
        actor,
        Change::new(
            TenantsEvent::LocationUpdated,
            "location",
            saved.id.to_string(),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        ),
    )
    .await?;
    Ok(after)
}

/// Soft-deletes `current`: the row stays, marked deleted; the API no longer shows it.
pub async fn delete(tx: &TenantTx, actor: &AuditActor, current: locations::Model) -> Result<()> {
    let before = view(&current)?;
    let version = current.version + 1;
    let mut am = current.into_active_model();
    am.deleted_at = Set(Some(Utc::now()));
    am.version = Set(version);
    let saved = repo::save_location(tx, am, false).await?;
    audit::record(
        tx,
        actor,
        Change::new(
            TenantsEvent::LocationDeleted,
            "location",
            saved.id.to_string(),
            serde_json::to_value(&before).ok(),
            None,
        ),
    )
    .await?;
    Ok(())
}
