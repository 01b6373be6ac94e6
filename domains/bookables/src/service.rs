//! What other plugins may ask of bookables (their public service API; never their tables).

use std::collections::HashMap;

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use sea_orm::entity::prelude::*;

use atrium_core::schedule::TimeRange;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::QuerySelect;

use crate::entities::{blocked_times, bookables, date_overrides};
use crate::model::{BookableStatus, BookableType, parse_name};

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

pub(crate) fn tags_of(column: &str) -> Vec<String> {
    column.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

pub(crate) fn tags_column(tags: &[String]) -> String {
    if tags.is_empty() { String::new() } else { format!(",{},", tags.join(",")) }
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
    let rows = bookables::Entity::find()
        .filter(bookables::Column::TenantId.eq(tx.tenant_id().0))
        .filter(bookables::Column::Id.is_in(ids.iter().copied()))
        .filter(bookables::Column::DeletedAt.is_null())
        .all(tx.conn())
        .await?;
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
    use sea_orm::{Condition, QueryOrder};

    let tenant = tx.tenant_id().0;
    let mut any = Condition::any();
    for f in filters {
        let mut all = Condition::all();
        if let Some(kind) = f.bookable_type {
            all = all.add(bookables::Column::BookableType.eq(crate::model::name_of(&kind)));
        }
        if let Some(ids) = &f.ids {
            all = all.add(bookables::Column::Id.is_in(ids.iter().copied()));
        }
        for tag in &f.tags {
            all = all.add(bookables::Column::Tags.contains(format!(",{tag},")));
        }
        if !f.category_ids.is_empty() {
            all = all.add(bookables::Column::CategoryId.is_in(f.category_ids.iter().copied()));
        }
        if let Some(location) = f.location_id {
            all = all.add(bookables::Column::LocationId.eq(location));
        }
        any = any.add(all);
    }
    let bases = bookables::Entity::find()
        .filter(bookables::Column::TenantId.eq(tenant))
        .filter(bookables::Column::DeletedAt.is_null())
        .filter(bookables::Column::Status.eq(crate::model::name_of(&BookableStatus::Active)))
        .filter(any)
        .order_by_asc(bookables::Column::Id)
        .all(tx.conn())
        .await?;
    if bases.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = bases.iter().map(|b| b.id).collect();
    let refs: Vec<BookableRef> = bases.iter().map(to_ref).collect::<Result<_, _>>()?;
    let states = crate::repo::states(tx, bases).await?;
    // Local dates can be a day either side of the UTC window.
    let (first, last) =
        ((from - chrono::Duration::days(1)).date_naive(), (to + chrono::Duration::days(1)).date_naive());
    let mut overrides: HashMap<Uuid, Vec<DateOverride>> = HashMap::new();
    for o in date_overrides::Entity::find()
        .filter(date_overrides::Column::TenantId.eq(tenant))
        .filter(date_overrides::Column::BookableId.is_in(ids.iter().copied()))
        .filter(date_overrides::Column::Date.between(first, last))
        .all(tx.conn())
        .await?
    {
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
    for b in blocked_times::Entity::find()
        .filter(blocked_times::Column::TenantId.eq(tenant))
        .filter(blocked_times::Column::BookableId.is_in(ids.iter().copied()))
        .filter(blocked_times::Column::EndAt.gt(from - chrono::Duration::days(1)))
        .filter(blocked_times::Column::StartAt.lt(to + chrono::Duration::days(1)))
        .filter(blocked_times::Column::AllowOverride.eq(false))
        .all(tx.conn())
        .await?
    {
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
    use sea_orm::{ConnectionTrait, DbBackend, QueryOrder};

    if tx.conn().get_database_backend() != DbBackend::Postgres || ids.is_empty() {
        return Ok(());
    }
    bookables::Entity::find()
        .filter(bookables::Column::TenantId.eq(tx.tenant_id().0))
        .filter(bookables::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(bookables::Column::Id)
        .lock_exclusive()
        .all(tx.conn())
        .await?;
    Ok(())
}
