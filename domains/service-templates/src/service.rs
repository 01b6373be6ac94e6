//! The operations on service templates (create, change by merge patch, soft-delete, list,
//! quote) and the rules that need the database: a template's location is one of the
//! tenant's, and its specific bookables are the tenant's own, of the required type, not
//! retired. [`validate`] adds them to [`ServiceTemplateState::check`] so one 422 lists
//! every problem. A location-scoped member reaches, creates and moves templates only at
//! their locations; the public list shows a tenant's active templates to anyone.

use std::collections::HashSet;

use atrium_bookables::model::{BookableStatus, BookableType, name_of};
use atrium_bookables::service::find_refs;
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Directory, Scope};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, FieldError};
use atrium_core::http::patched;
use chrono::Utc;
use uuid::Uuid;

use crate::entities::service_templates::Model;
use crate::error::ServiceTemplatesError;
use crate::events::ServiceTemplatesEvent;
use crate::model::{ServiceTemplateState, ServiceTemplateStatus};
use crate::quote::{PricingSnapshot, QuoteOrigin, QuoteRequest, quote as price};
use crate::repo::{self, ListFilter};
use crate::views::{PublicServiceTemplateView, ServiceTemplateView};

type Result<T> = std::result::Result<T, ServiceTemplatesError>;

/// `(path, id, type)` of every specific bookable the state names.
fn specific_bookables(state: &ServiceTemplateState) -> Vec<(String, Uuid, BookableType)> {
    [("required_bookables", &state.required_bookables), ("optional_bookables", &state.optional_bookables)]
        .into_iter()
        .flat_map(|(field, list)| {
            list.iter().enumerate().filter_map(move |(i, r)| {
                r.specific_bookable_id.map(|id| (format!("{field}[{i}].specific_bookable_id"), id, r.bookable_type))
            })
        })
        .collect()
}

/// The references `state` makes that the database does not confirm. Only references new
/// since `before` (the stored state, for a PATCH) are checked: a bookable retired after it
/// was chosen does not stop the template from being edited.
pub async fn check_references(
    tx: &TenantTx,
    dir: &dyn Directory,
    state: &ServiceTemplateState,
    before: Option<&ServiceTemplateState>,
) -> Result<Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Some(location) = state.location_id
        && before.is_none_or(|b| b.location_id != Some(location))
        && !dir.has_location(tx, location).await?
    {
        errors.push(FieldError::new("location_id", "is not a location of this tenant"));
    }
    let known: HashSet<(Uuid, BookableType)> =
        before.map(|b| specific_bookables(b).into_iter().map(|(_, id, t)| (id, t)).collect()).unwrap_or_default();
    let new: Vec<_> = specific_bookables(state).into_iter().filter(|(_, id, t)| !known.contains(&(*id, *t))).collect();
    let ids: Vec<Uuid> = new.iter().map(|(_, id, _)| *id).collect();
    let found = find_refs(tx, &ids).await.map_err(ServiceTemplatesError::Api)?;
    for (path, id, wanted) in new {
        match found.get(&id) {
            None => errors.push(FieldError::new(path, "is not a bookable of this tenant")),
            Some(b) if b.bookable_type != wanted => errors
                .push(FieldError::new(path, format!("is a {}, not a {}", name_of(&b.bookable_type), name_of(&wanted)))),
            Some(b) if b.status == BookableStatus::Retired => errors.push(FieldError::new(path, "is retired")),
            Some(_) => {}
        }
    }
    Ok(errors)
}

/// Every rule on `state`, the database's included; one 422 with all that fail.
pub async fn validate(
    tx: &TenantTx,
    dir: &dyn Directory,
    state: &ServiceTemplateState,
    before: Option<&ServiceTemplateState>,
) -> Result<()> {
    let mut errors = state.check();
    errors.extend(check_references(tx, dir, state, before).await?);
    errors.extend(check_extensions(tx, state, before).await?);
    if errors.is_empty() { Ok(()) } else { Err(ServiceTemplatesError::Invalid(errors)) }
}

/// What the plugins' booking extensions check of a template: its `included_products` name
/// products of the tenant (the products plugin says which), without this crate knowing it.
async fn check_extensions(
    tx: &TenantTx,
    state: &ServiceTemplateState,
    before: Option<&ServiceTemplateState>,
) -> Result<Vec<FieldError>> {
    let extensions = atrium_core::booking_ext::installed();
    if !state.included_products.is_empty() && !extensions.has("products") {
        return Ok(vec![FieldError::new("included_products", "needs the products plugin, which this server lacks")]);
    }
    let template = serde_json::to_value(state).map_err(|e| ServiceTemplatesError::Api(ApiError::internal(e)))?;
    let before =
        before.map(serde_json::to_value).transpose().map_err(|e| ServiceTemplatesError::Api(ApiError::internal(e)))?;
    extensions.check_template(tx, &template, before.as_ref()).await.map_err(ServiceTemplatesError::Api)
}

fn json_of(view: &ServiceTemplateView) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

/// A 403 unless a caller of `scope` may have a template at `location`: a location-scoped
/// member only at one of their locations (so never without one). Templates are written
/// with a tenant-wide or location scope only; an own scope places none.
fn may_place(scope: &Scope, location: Option<Uuid>) -> Result<()> {
    let allowed = match scope {
        Scope::Tenant => true,
        Scope::Locations(ids) => location.is_some_and(|l| ids.contains(&l)),
        Scope::Own(_) => false,
    };
    if allowed { Ok(()) } else { Err(ServiceTemplatesError::OutsideLocations) }
}

/// The tenant's template `id` (not deleted), if `scope` reaches it.
pub async fn find(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<Model> {
    repo::find_within(tx, scope, id).await
}

/// One page of the templates `scope` reaches (one more than `limit` when there is a next
/// one).
pub async fn list(
    tx: &TenantTx,
    scope: &Scope,
    after: Option<Uuid>,
    limit: u64,
    filter: &ListFilter,
) -> Result<Vec<ServiceTemplateView>> {
    repo::page(tx, scope, after, limit, filter).await?.iter().map(ServiceTemplateView::of).collect()
}

/// One page of the tenant's active templates as a customer-facing page shows them (one
/// more than `limit` when there is a next one); `filter`'s status is ignored.
pub async fn public_list(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    filter: ListFilter,
) -> Result<Vec<PublicServiceTemplateView>> {
    let filter = ListFilter { status: Some(ServiceTemplateStatus::Active), ..filter };
    repo::page(tx, &Scope::Tenant, after, limit, &filter).await?.iter().map(PublicServiceTemplateView::of).collect()
}

/// Creates a template from its whole state, once every rule holds; a location-scoped
/// member only at one of their locations (403).
pub async fn create(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    scope: &Scope,
    state: ServiceTemplateState,
) -> Result<ServiceTemplateView> {
    may_place(scope, state.location_id)?;
    validate(tx, dir, &state, None).await?;
    let m = repo::insert(tx, Uuid::now_v7(), &state).await?;
    let view = ServiceTemplateView::of(&m)?;
    let change =
        Change::new(ServiceTemplatesEvent::ServiceTemplateCreated, "service_template", m.id, None, json_of(&view));
    audit::record(tx, actor, change).await?;
    Ok(view)
}

/// Applies a JSON merge patch to template `m`'s state; the result is checked like a
/// creation (references only where they are new). A location-scoped member keeps it at
/// one of their locations (403).
pub async fn update(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    scope: &Scope,
    m: Model,
    patch: serde_json::Value,
) -> Result<ServiceTemplateView> {
    let before = ServiceTemplateView::of(&m)?;
    let state = patched(&before.state, &patch).map_err(ServiceTemplatesError::Api)?;
    may_place(scope, state.location_id)?;
    validate(tx, dir, &state, Some(&before.state)).await?;
    let m = repo::update(tx, m, &state).await?;
    let after = ServiceTemplateView::of(&m)?;
    let change = Change::new(
        ServiceTemplatesEvent::ServiceTemplateUpdated,
        "service_template",
        m.id,
        json_of(&before),
        json_of(&after),
    );
    audit::record(tx, actor, change).await?;
    Ok(after)
}

/// Soft-deletes template `m`; its slug may be used again.
pub async fn delete(tx: &TenantTx, actor: &AuditActor, m: Model) -> Result<()> {
    let before = ServiceTemplateView::of(&m)?;
    let m = repo::soft_delete(tx, m).await?;
    let change =
        Change::new(ServiceTemplatesEvent::ServiceTemplateDeleted, "service_template", m.id, json_of(&before), None);
    audit::record(tx, actor, change).await?;
    Ok(())
}

/// The price of a booking of template `id` (of any status): a 422 naming the field the
/// template cannot take; only templates `scope` reaches.
pub async fn quote(tx: &TenantTx, scope: &Scope, id: Uuid, request: &QuoteRequest) -> Result<PricingSnapshot> {
    let m = repo::find_within(tx, scope, id).await?;
    let state = repo::state_of(&m)?;
    let origin = QuoteOrigin { template_id: m.id, template_version: m.version, quoted_at: Utc::now() };
    price(&state, request, origin).map_err(ServiceTemplatesError::Invalid)
}
