//! The waitlist's reaction to a freed slot (filled in with the waitlist itself).

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A slot of `template` at `[start, end)` was freed (a cancellation, a no-show, a hold
/// released or expired): offer it to the first matching waiting entry.
pub async fn slot_freed(
    _tx: &TenantTx,
    _template: Uuid,
    _start: DateTime<Utc>,
    _end: DateTime<Utc>,
    _now: DateTime<Utc>,
) -> Result<(), ApiError> {
    Ok(())
}
