//! The rules that need the database: a template's location is one of the tenant's, and
//! its specific bookables are the tenant's own, of the required type, not retired.
//! [`validate`] adds them to [`ServiceTemplateState::check`] so one 422 lists every problem.

use std::collections::HashSet;

use atrium_bookables::model::{BookableStatus, BookableType, name_of};
use atrium_bookables::service::find_refs;
use atrium_core::context::Directory;
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, FieldError};
use uuid::Uuid;

use crate::error::ServiceTemplatesError;
use crate::model::ServiceTemplateState;

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
) -> Result<Vec<FieldError>, ApiError> {
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
    let found = find_refs(tx, &ids).await?;
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
) -> Result<(), ApiError> {
    let mut errors = state.check();
    errors.extend(check_references(tx, dir, state, before).await?);
    if errors.is_empty() { Ok(()) } else { Err(ServiceTemplatesError::Invalid(errors).into()) }
}
