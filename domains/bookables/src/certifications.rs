//! Operations on providers' certifications: only providers have them; each is checked on
//! its own fields, versioned, and every change is recorded. The bookable is reached
//! through the caller's scope (404 outside it).

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::Scope;
use atrium_core::db::TenantTx;
use atrium_core::http::patched;
use uuid::Uuid;

use crate::entities::{bookables, certifications};
use crate::error::{BookablesError, Result};
use crate::events::BookablesEvent;
use crate::model::{BookableType, name_of};
use crate::repo;
use crate::views::certifications::{CertificationInput, CertificationView};

fn check(input: &CertificationInput) -> Result<()> {
    let mut errors = Vec::new();
    input.check("", &mut errors);
    BookablesError::unless_empty(errors)
}

/// The bookable, when it is a provider (certifications belong to providers only).
async fn find_provider(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<bookables::Model> {
    let b = repo::find(tx, scope, id).await?;
    if b.bookable_type != name_of(&BookableType::Provider) {
        return Err(BookablesError::NotAProvider);
    }
    Ok(b)
}

/// Adds an already checked certification to provider `bookable` and records it.
pub async fn add(
    tx: &TenantTx,
    actor: &AuditActor,
    bookable: Uuid,
    input: &CertificationInput,
) -> Result<CertificationView> {
    let m = repo::certifications::insert(tx, bookable, input).await?;
    let v = CertificationView::of(&m);
    let after = serde_json::to_value(&v).ok();
    let change = Change::new(BookablesEvent::BookableCertificationAdded, "provider_certification", m.id, None, after);
    audit::record(tx, actor, change).await?;
    Ok(v)
}

/// Adds a certification to provider `bookable`.
pub async fn create(
    tx: &TenantTx,
    actor: &AuditActor,
    scope: &Scope,
    bookable: Uuid,
    input: &CertificationInput,
) -> Result<CertificationView> {
    let b = find_provider(tx, scope, bookable).await?;
    check(input)?;
    add(tx, actor, b.id, input).await
}

pub async fn list(tx: &TenantTx, scope: &Scope, bookable: Uuid) -> Result<Vec<CertificationView>> {
    let b = repo::find(tx, scope, bookable).await?;
    Ok(repo::certifications::of_bookable(tx, b.id).await?.iter().map(CertificationView::of).collect())
}

/// Certification `id` of bookable `bookable` (not deleted).
pub async fn find(tx: &TenantTx, scope: &Scope, bookable: Uuid, id: Uuid) -> Result<certifications::Model> {
    let b = repo::find(tx, scope, bookable).await?;
    repo::certifications::find(tx, b.id, id).await
}

/// Applies a JSON merge patch to certification `m`; the result is checked like a new one.
pub async fn update(
    tx: &TenantTx,
    actor: &AuditActor,
    m: certifications::Model,
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<CertificationView> {
    let before = CertificationView::of(&m);
    let input: CertificationInput =
        patched(&before.input, &serde_json::Value::Object(patch)).map_err(BookablesError::Api)?;
    check(&input)?;
    let m = repo::certifications::update(tx, m, &input).await?;
    let after = CertificationView::of(&m);
    let change = Change::new(
        BookablesEvent::BookableCertificationUpdated,
        "provider_certification",
        m.id,
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    );
    audit::record(tx, actor, change).await?;
    Ok(after)
}

pub async fn remove(tx: &TenantTx, actor: &AuditActor, scope: &Scope, bookable: Uuid, id: Uuid) -> Result<()> {
    let m = find(tx, scope, bookable, id).await?;
    let before = serde_json::to_value(CertificationView::of(&m)).ok();
    repo::certifications::delete(tx, m.id).await?;
    let change =
        Change::new(BookablesEvent::BookableCertificationRemoved, "provider_certification", m.id, before, None);
    audit::record(tx, actor, change).await?;
    Ok(())
}
