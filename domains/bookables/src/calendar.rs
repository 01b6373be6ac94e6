//! Operations on a bookable's calendar exceptions: date overrides and blocked times are
//! added (each checked on its own fields, one override per date), read and removed, and
//! every change is recorded. The bookable is reached through the caller's scope (404
//! outside it).

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::Scope;
use atrium_core::db::TenantTx;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::{BookablesError, Result};
use crate::events::BookablesEvent;
use crate::repo;
use crate::views::calendar::{BlockedTimeInput, BlockedTimeView, DateOverrideInput, DateOverrideView};

/// A 422 unless `check` finds nothing wrong.
fn checked(check: impl FnOnce(&mut Vec<atrium_core::error::FieldError>)) -> Result<()> {
    let mut errors = Vec::new();
    check(&mut errors);
    BookablesError::unless_empty(errors)
}

/// Adds an already checked override to `bookable` and records it.
pub async fn add_override(
    tx: &TenantTx,
    actor: &AuditActor,
    bookable: Uuid,
    input: &DateOverrideInput,
) -> Result<DateOverrideView> {
    let m = repo::calendar::insert_override(tx, bookable, input).await?;
    let view = DateOverrideView::of(&m)?;
    let after = serde_json::to_value(&view).ok();
    let change = Change::new(BookablesEvent::BookableDateOverrideAdded, "bookable_date_override", m.id, None, after);
    audit::record(tx, actor, change).await?;
    Ok(view)
}

/// Adds an override to bookable `bookable` (not deleted).
pub async fn create_override(
    tx: &TenantTx,
    actor: &AuditActor,
    scope: &Scope,
    bookable: Uuid,
    input: &DateOverrideInput,
) -> Result<DateOverrideView> {
    let b = repo::find(tx, scope, bookable).await?;
    checked(|errors| input.check("", errors))?;
    add_override(tx, actor, b.id, input).await
}

/// Bookable `bookable`'s overrides between two local dates (both included).
pub async fn overrides(
    tx: &TenantTx,
    scope: &Scope,
    bookable: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<DateOverrideView>> {
    let b = repo::find(tx, scope, bookable).await?;
    repo::calendar::overrides(tx, b.id, from, to).await?.iter().map(DateOverrideView::of).collect()
}

pub async fn find_override(tx: &TenantTx, scope: &Scope, bookable: Uuid, id: Uuid) -> Result<DateOverrideView> {
    let b = repo::find(tx, scope, bookable).await?;
    DateOverrideView::of(&repo::calendar::find_override(tx, b.id, id).await?)
}

pub async fn remove_override(tx: &TenantTx, actor: &AuditActor, scope: &Scope, bookable: Uuid, id: Uuid) -> Result<()> {
    let b = repo::find(tx, scope, bookable).await?;
    let m = repo::calendar::find_override(tx, b.id, id).await?;
    let before = serde_json::to_value(DateOverrideView::of(&m)?).ok();
    repo::calendar::delete_override(tx, m.id).await?;
    let change = Change::new(BookablesEvent::BookableDateOverrideRemoved, "bookable_date_override", m.id, before, None);
    audit::record(tx, actor, change).await?;
    Ok(())
}

/// Adds an already checked blocked time to `bookable` and records it.
pub async fn add_blocked_time(
    tx: &TenantTx,
    actor: &AuditActor,
    bookable: Uuid,
    input: &BlockedTimeInput,
) -> Result<BlockedTimeView> {
    let m = repo::calendar::insert_blocked_time(tx, bookable, input).await?;
    let view = BlockedTimeView::of(&m)?;
    let after = serde_json::to_value(&view).ok();
    let change = Change::new(BookablesEvent::BookableBlockedTimeAdded, "blocked_time", m.id, None, after);
    audit::record(tx, actor, change).await?;
    Ok(view)
}

/// Adds a blocked time to bookable `bookable` (not deleted).
pub async fn create_blocked_time(
    tx: &TenantTx,
    actor: &AuditActor,
    scope: &Scope,
    bookable: Uuid,
    input: &BlockedTimeInput,
) -> Result<BlockedTimeView> {
    let b = repo::find(tx, scope, bookable).await?;
    checked(|errors| input.check("", errors))?;
    add_blocked_time(tx, actor, b.id, input).await
}

/// Bookable `bookable`'s blocked times ending after `from` and starting before `to`.
pub async fn blocked_times(
    tx: &TenantTx,
    scope: &Scope,
    bookable: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<BlockedTimeView>> {
    let b = repo::find(tx, scope, bookable).await?;
    repo::calendar::blocked_times(tx, b.id, from, to).await?.iter().map(BlockedTimeView::of).collect()
}

pub async fn find_blocked_time(tx: &TenantTx, scope: &Scope, bookable: Uuid, id: Uuid) -> Result<BlockedTimeView> {
    let b = repo::find(tx, scope, bookable).await?;
    BlockedTimeView::of(&repo::calendar::find_blocked_time(tx, b.id, id).await?)
}

pub async fn remove_blocked_time(
    tx: &TenantTx,
    actor: &AuditActor,
    scope: &Scope,
    bookable: Uuid,
    id: Uuid,
) -> Result<()> {
    let b = repo::find(tx, scope, bookable).await?;
    let m = repo::calendar::find_blocked_time(tx, b.id, id).await?;
    let before = serde_json::to_value(BlockedTimeView::of(&m)?).ok();
    repo::calendar::delete_blocked_time(tx, m.id).await?;
    let change = Change::new(BookablesEvent::BookableBlockedTimeRemoved, "blocked_time", m.id, before, None);
    audit::record(tx, actor, change).await?;
    Ok(())
}
