//! What other plugins may ask of bookables (their public service API; never their
//! tables). It answers in the platform's [`ApiError`], which the calling plugins already
//! speak; the bookables' own failures are converted here, at the boundary.

use std::collections::HashMap;

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use atrium_core::schedule::TimeRange;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::entities::bookables;
use crate::model::{BookableStatus, BookableType, name_of, parse_name};
use crate::repo::{self, Candidates};
use crate::tags::tags_of;

/// A bookable as other plugins see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookableRef {
    pub id: Uuid,
    pub bookable_type: BookableType,
    pub status: BookableStatus,
    pub tags: Vec<String>,
    pub category_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
}

fn to_ref(m: &bookables::Model) -> Result<BookableRef, ApiError> {
    let bad = || ApiError::internal(format!("bookable {} has an unknown type or status", m.id));
    Ok(BookableRef {
        id: m.id,
        bookable_type: parse_name(&m.bookable_type).ok_or_else(bad)?,
        status: parse_name(&m.status).ok_or_else(bad)?,
        tags: tags_of(&m.tags),
        category_id: m.category_id,
        location_id: m.location_id,
    })
}

/// The transaction's tenant's bookables among `ids` that exist and are not deleted; ids of
/// other tenants are simply absent.
pub async fn find_refs(tx: &TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, BookableRef>, ApiError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = repo::find_many(tx, ids).await?;
    rows.iter().map(|m| to_ref(m).map(|r| (r.id, r))).collect()
}

/// A bookable with everything availability needs: its full state (calendar and type
/// fields), its date overrides and its blocked times inside a window.
#[derive(Clone, Debug)]
pub struct BookableSchedule {
    pub bookable: BookableRef,
    pub state: crate::model::BookableState,
    pub overrides: Vec<DateOverride>,
    pub blocked: Vec<Span>,
}

/// A UTC interval `[start, end)`.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

#[derive(Clone, Debug)]
pub struct DateOverride {
    /// A local date in the calendar's zone.
    pub date: NaiveDate,
    pub kind: OverrideKind,
}

#[derive(Clone, Debug)]
pub enum OverrideKind {
    Closed,
    /// Open only during these local ranges.
    ModifiedHours(Vec<TimeRange>),
    /// Usual hours, usual price × this.
    SpecialPricing(rust_decimal::Decimal),
}

/// Which bookables a requirement may use.
#[derive(Clone, Debug, Default)]
pub struct CandidateFilter {
    pub bookable_type: Option<BookableType>,
    pub ids: Option<Vec<Uuid>>,
    /// Every one of these tags.
    pub tags: Vec<String>,
    /// Any of these categories (none: any category).
    pub category_ids: Vec<Uuid>,
    pub location_id: Option<Uuid>,
}

/// The tenant's active, non-deleted bookables matching any of `filters`, with their
/// schedules between `from` and `to` — a fixed handful of queries whatever their number.
pub async fn schedules(
    tx: &TenantTx,
    filters: &[CandidateFilter],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<BookableSchedule>, ApiError> {
    let wanted: Vec<Candidates<'_>> = filters
        .iter()
        .map(|f| Candidates {
            bookable_type: f.bookable_type.map(|kind| name_of(&kind)),
            ids: f.ids.as_deref(),
            tags: &f.tags,
            category_ids: &f.category_ids,
            location_id: f.location_id,
        })
        .collect();
    let bases = repo::active_candidates(tx, &wanted).await?;
    if bases.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = bases.iter().map(|b| b.id).collect();
    let refs: Vec<BookableRef> = bases.iter().map(to_ref).collect::<Result<_, _>>()?;
    let states = repo::states(tx, bases).await?;
    // Local dates can be a day either side of the UTC window.
    let (first, last) =
        ((from - chrono::Duration::days(1)).date_naive(), (to + chrono::Duration::days(1)).date_naive());
    let mut overrides: HashMap<Uuid, Vec<DateOverride>> = HashMap::new();
    for o in repo::calendar::overrides_of(tx, &ids, first, last).await? {
        let kind = match o.override_type.as_str() {
            "closed" => OverrideKind::Closed,
            "modified_hours" => {
                OverrideKind::ModifiedHours(serde_json::from_value(o.hours.clone()).map_err(ApiError::internal)?)
            }
            _ => OverrideKind::SpecialPricing(
                o.pricing_multiplier.as_deref().unwrap_or("1").parse().map_err(ApiError::internal)?,
            ),
        };
        overrides.entry(o.bookable_id).or_default().push(DateOverride { date: o.date, kind });
    }
    let mut blocked: HashMap<Uuid, Vec<Span>> = HashMap::new();
    let (window_from, window_to) = (from - chrono::Duration::days(1), to + chrono::Duration::days(1));
    for b in repo::calendar::hard_blocks_of(tx, &ids, window_from, window_to).await? {
        blocked.entry(b.bookable_id).or_default().push((b.start_at, b.end_at));
    }
    Ok(refs
        .into_iter()
        .zip(states)
        .map(|(bookable, (_, state, _))| BookableSchedule {
            overrides: overrides.remove(&bookable.id).unwrap_or_default(),
            blocked: blocked.remove(&bookable.id).unwrap_or_default(),
            bookable,
            state,
        })
        .collect())
}

/// Locks the bookables' rows until the transaction ends (PostgreSQL; SQLite's write
/// transactions are already serialized), in id order so two lockers never deadlock.
pub async fn lock(tx: &TenantTx, ids: &[Uuid]) -> Result<(), ApiError> {
    Ok(repo::lock(tx, ids).await?)
}

/// The provider bookables (not deleted) that `user` is: what a provider's own scope reaches.
pub async fn provider_bookables_of(tx: &TenantTx, user: Uuid) -> Result<Vec<Uuid>, ApiError> {
    Ok(repo::owners::provider_bookables_of(tx, user).await?)
}
