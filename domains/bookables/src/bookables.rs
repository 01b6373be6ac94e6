//! Operations on bookables: create (with its first calendar exceptions and
//! certifications), read, change by merge patch (the type never changes; `retired` is
//! final) and soft-delete; the rules that need the database (the tenant's locations and
//! members, a company provider's household), the slug a bookable gets, and where a
//! location-scoped member may place one.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Directory, Scope};
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::ids::UserId;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entities::bookables;
use crate::error::{BookablesError, Result};
use crate::events::BookablesEvent;
use crate::model::{
    BookableDetails, BookableState, BookableStatus, BookableType, CompanyProviderFields, name_of, slugify,
};
use crate::repo::{self, ListFilter, Stats};
use crate::views::{BookableFilter, BookableMeta, BookableView, CheckedCreate};
use crate::{calendar, certifications};

fn view(b: &bookables::Model, state: BookableState, stats: Stats) -> BookableView {
    let provider = state.details.bookable_type() == BookableType::Provider;
    BookableView {
        meta: BookableMeta {
            id: b.id,
            max_overlapping_bookings: state.details.capacity(),
            rating: stats.rating,
            review_count: provider.then_some(stats.review_count),
            version: b.version,
            created_at: b.created_at,
            updated_at: b.updated_at,
        },
        state,
    }
}

/// Checks what needs the database: the tenant's locations and members, and for company
/// providers their company household.
async fn check_references(
    tx: &TenantTx,
    dir: &dyn Directory,
    state: &BookableState,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    if let Some(location) = state.common.location_id
        && !dir.has_location(tx, location).await?
    {
        errors.push(FieldError::new("location_id", "is not one of this tenant's locations"));
    }
    match &state.details {
        BookableDetails::Provider(p) => {
            if let Some(user) = p.user_id
                && !dir.is_member(tx, UserId(user)).await?
            {
                errors.push(FieldError::new("user_id", "is not a member of this tenant"));
            }
            for (i, location) in p.can_work_at_locations.iter().enumerate() {
                if !dir.has_location(tx, *location).await? {
                    errors.push(FieldError::new(
                        format!("can_work_at_locations[{i}]"),
                        "is not one of this tenant's locations",
                    ));
                }
            }
        }
        BookableDetails::CompanyProvider(c) => check_company(tx, c, errors).await?,
        BookableDetails::Asset(_) | BookableDetails::Venue(_) => {}
    }
    Ok(())
}

/// A company provider's household is a `company` household of the tenant, and each of
/// its technicians is a member of it.
#[cfg(feature = "households")]
async fn check_company(tx: &TenantTx, c: &CompanyProviderFields, errors: &mut Vec<FieldError>) -> Result<()> {
    match atrium_households::service::household(tx, c.household_id).await.map_err(BookablesError::Api)? {
        Some(h) if h.household_type == "company" => {
            for (i, tech) in c.available_technicians.iter().enumerate() {
                if !h.member_user_ids.contains(tech) {
                    errors.push(FieldError::new(
                        format!("available_technicians[{i}]"),
                        "is not a member of the company household",
                    ));
                }
            }
        }
        Some(_) => errors.push(FieldError::new("household_id", "must be a household of type company")),
        None => errors.push(FieldError::new("household_id", "is not one of this tenant's households")),
    }
    Ok(())
}

#[cfg(not(feature = "households"))]
async fn check_company(_tx: &TenantTx, _c: &CompanyProviderFields, errors: &mut Vec<FieldError>) -> Result<()> {
    errors.push(FieldError::new("type", "company providers need the households plugin, which this server lacks"));
    Ok(())
}

/// A 403 unless a caller of `scope` may have a bookable at `location`: a location-scoped
/// member only at one of their locations (so never without one). Bookables are written
/// with a tenant-wide or location scope only; an own scope places none.
fn may_place(scope: &Scope, location: Option<Uuid>) -> Result<()> {
    let allowed = match scope {
        Scope::Tenant => true,
        Scope::Locations(ids) => location.is_some_and(|l| ids.contains(&l)),
        Scope::Own(_) => false,
    };
    if allowed { Ok(()) } else { Err(BookablesError::OutsideLocations) }
}

/// The slug asked for (409 when taken), or one made from the name (made unique).
async fn resolve_slug(tx: &TenantTx, state: &BookableState, id: Uuid) -> Result<String> {
    if let Some(slug) = &state.common.slug {
        if repo::slug_taken(tx, slug, Some(id)).await? {
            return Err(BookablesError::SlugTaken);
        }
        return Ok(slug.clone());
    }
    let slug = slugify(&state.common.name);
    if repo::slug_taken(tx, &slug, Some(id)).await? {
        let simple = id.simple().to_string();
        return Ok(format!("{slug}-{}", &simple[simple.len() - 8..]));
    }
    Ok(slug)
}

/// Creates a bookable of any type, with its calendar, and then its first date overrides,
/// blocked times and certifications; one 422 lists every problem found. A
/// location-scoped member creates one only at one of their locations (403).
pub async fn create(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    scope: &Scope,
    checked: CheckedCreate,
) -> Result<BookableView> {
    let CheckedCreate { create, mut errors } = checked;
    may_place(scope, create.state.common.location_id)?;
    check_references(tx, dir, &create.state, &mut errors).await?;
    BookablesError::unless_empty(errors)?;
    let id = Uuid::now_v7();
    let slug = resolve_slug(tx, &create.state, id).await?;
    let base = repo::insert(tx, id, &create.state, &slug).await?;
    let (base, state, stats) = repo::state(tx, base).await?;
    let view = view(&base, state, stats);
    let after = serde_json::to_value(&view).ok();
    audit::record(tx, actor, Change::new(BookablesEvent::BookableCreated, "bookable", id, None, after)).await?;
    for o in &create.date_overrides {
        calendar::add_override(tx, actor, id, o).await?;
    }
    for b in &create.blocked_times {
        calendar::add_blocked_time(tx, actor, id, b).await?;
    }
    for c in &create.certifications {
        certifications::add(tx, actor, id, c).await?;
    }
    Ok(view)
}

/// One page of the bookables `scope` reaches (one more than `limit` when there is a next
/// one).
pub async fn list(
    tx: &TenantTx,
    scope: &Scope,
    after: Option<Uuid>,
    limit: u64,
    filter: BookableFilter,
) -> Result<Vec<BookableView>> {
    let filter = ListFilter {
        bookable_type: filter.bookable_type.map(|t| name_of(&t)),
        status: filter.status.map(|s| name_of(&s)),
        location_id: filter.location_id,
        category_id: filter.category_id,
        tag: filter.tag,
    };
    let rows = repo::page(tx, scope, after, limit, &filter).await?;
    Ok(repo::states(tx, rows).await?.into_iter().map(|(b, s, st)| view(&b, s, st)).collect())
}

/// The tenant's bookable `id` (not deleted), if `scope` reaches it.
pub async fn find(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<bookables::Model> {
    repo::find(tx, scope, id).await
}

pub async fn get(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<BookableView> {
    let (b, state, stats) = repo::state(tx, repo::find(tx, scope, id).await?).await?;
    Ok(view(&b, state, stats))
}

/// Applies a JSON merge patch to bookable `b`: the type cannot change, the result is
/// checked like a creation, and the status moves only as [`BookableStatus::may_become`]
/// allows. A location-scoped member keeps it at one of their locations (403).
pub async fn update(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    scope: &Scope,
    b: bookables::Model,
    patch: serde_json::Map<String, Value>,
) -> Result<BookableView> {
    let (b, current, stats) = repo::state(tx, b).await?;
    let before = view(&b, current.clone(), stats);
    if current.common.status == BookableStatus::Retired {
        return Err(BookablesError::Retired);
    }
    if patch.get("type").is_some_and(|t| t.as_str() != Some(&name_of(&current.details.bookable_type()))) {
        return Err(BookablesError::Invalid(vec![FieldError::new("type", "cannot change; create another bookable")]));
    }
    let next = current.patched(&patch).map_err(BookablesError::Api)?;
    may_place(scope, next.common.location_id)?;
    let mut errors = next.check();
    check_references(tx, dir, &next, &mut errors).await?;
    BookablesError::unless_empty(errors)?;
    let (from, to) = (current.common.status, next.common.status);
    if from != to && !from.may_become(to) {
        return Err(BookablesError::Transition { from: name_of(&from), to: name_of(&to) });
    }
    let slug = resolve_slug(tx, &next, b.id).await?;
    let b = repo::update(tx, b, &next, &slug).await?;
    let (b, state, stats) = repo::state(tx, b).await?;
    let after = view(&b, state, stats);
    let action = if from != to { BookablesEvent::BookableStatusChanged } else { BookablesEvent::BookableUpdated };
    let change =
        Change::new(action, "bookable", b.id, serde_json::to_value(&before).ok(), serde_json::to_value(&after).ok());
    audit::record(tx, actor, change).await?;
    Ok(after)
}

/// Soft-deletes bookable `b`, keeping why.
pub async fn delete(tx: &TenantTx, actor: &AuditActor, b: bookables::Model, reason: Option<String>) -> Result<()> {
    let (b, state, stats) = repo::state(tx, b).await?;
    // The event carries the bookable as it was, and why it went.
    let mut before =
        serde_json::to_value(view(&b, state, stats)).map_err(|e| BookablesError::Corrupt(e.to_string()))?;
    before["deletion_reason"] = json!(reason);
    let bookable_id = b.id;
    repo::soft_delete(tx, b, reason).await?;
    let change = Change::new(BookablesEvent::BookableDeleted, "bookable", bookable_id, Some(before), None);
    audit::record(tx, actor, change).await?;
    Ok(())
}
