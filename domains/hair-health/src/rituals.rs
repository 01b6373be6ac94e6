//! Rituals: the tenant's templates (staff) and customers' own, each with ordered steps
//! (`step_order` unique). `default_duration_minutes` is the sum of the non-optional steps
//! unless given. A stylist may share a ritual with a client whose live consent includes
//! `routine`: the ritual is the client's, `created_by_stylist_id` the stylist.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::Scope;
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::validate::Name;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::consents;
use crate::entities::{rituals, steps};
use crate::error::{HairError, Result, checked};
use crate::events::HairEvent;
pub use crate::input::{RitualInput, StepInput};
use crate::model::*;
use crate::repo;

impl RitualInput {
    pub fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        if let Err(m) = Name::parse(&self.name) {
            e.push(FieldError::new("name", m));
        }
        if self.description.as_ref().is_some_and(|d| d.chars().count() > 4000) {
            e.push(FieldError::new("description", "must be at most 4000 characters"));
        }
        if self.default_duration_minutes.is_some_and(|d| !(0..=1440).contains(&d)) {
            e.push(FieldError::new("default_duration_minutes", "must be between 0 and 1440"));
        }
        if self.education_hint_id.as_ref().is_some_and(|h| !(1..=100).contains(&h.len())) {
            e.push(FieldError::new("education_hint_id", "must be 1–100 characters"));
        }
        if self.is_template && self.for_user_id.is_some() {
            e.push(FieldError::new("for_user_id", "a template belongs to no one"));
        }
        if self.steps.len() > 50 {
            e.push(FieldError::new("steps", "must have at most 50 steps"));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.steps.iter().enumerate() {
            if !(1..=1000).contains(&s.step_order) {
                e.push(FieldError::new(format!("steps[{i}].step_order"), "must be between 1 and 1000"));
            } else if !seen.insert(s.step_order) {
                e.push(FieldError::new(
                    format!("steps[{i}].step_order"),
                    "is used by another step: step order is unique",
                ));
            }
            if !(0..=600).contains(&s.estimated_minutes) {
                e.push(FieldError::new(format!("steps[{i}].estimated_minutes"), "must be between 0 and 600"));
            }
            match &s.name {
                None if s.step_type == StepType::Custom => {
                    e.push(FieldError::new(format!("steps[{i}].name"), "is required for a custom step"))
                }
                Some(n) if Name::parse(n).is_err() => {
                    e.push(FieldError::new(format!("steps[{i}].name"), "must be 1–200 characters"))
                }
                _ => {}
            }
            if s.notes.as_ref().is_some_and(|n| n.chars().count() > 2000) {
                e.push(FieldError::new(format!("steps[{i}].notes"), "must be at most 2000 characters"));
            }
        }
        e
    }

    /// Given, or the sum of the non-optional steps.
    pub fn duration(&self) -> i32 {
        self.default_duration_minutes
            .unwrap_or_else(|| self.steps.iter().filter(|s| !s.optional).map(|s| s.estimated_minutes).sum())
    }

    fn of(r: &rituals::Model, steps: &[steps::Model]) -> Self {
        Self {
            ritual_type: parse_text(&r.ritual_type).unwrap_or(RitualType::Custom),
            name: r.name.clone(),
            description: r.description.clone(),
            default_duration_minutes: Some(r.default_duration_minutes),
            load_level: parse_text(&r.load_level).unwrap_or(Level::Medium),
            education_hint_id: r.education_hint_id.clone(),
            is_template: r.is_template,
            for_user_id: None,
            steps: steps.iter().map(StepView::of).map(|s| s.input).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub id: Uuid,
    #[serde(flatten)]
    pub input: StepInput,
}

impl StepView {
    fn of(s: &steps::Model) -> Self {
        Self {
            id: s.id,
            input: StepInput {
                step_order: s.step_order,
                step_type: parse_text(&s.step_type).unwrap_or(StepType::Custom),
                name: s.name.clone(),
                estimated_minutes: s.estimated_minutes,
                optional: s.optional,
                notes: s.notes.clone(),
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RitualView {
    pub id: Uuid,
    /// The customer it belongs to; none for a template.
    pub user_id: Option<Uuid>,
    pub ritual_type: RitualType,
    pub name: String,
    pub description: Option<String>,
    pub default_duration_minutes: i32,
    pub load_level: Level,
    pub education_hint_id: Option<String>,
    pub is_template: bool,
    pub created_by_stylist_id: Option<Uuid>,
    /// In `step_order`.
    pub steps: Vec<StepView>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RitualView {
    pub fn of(r: &rituals::Model, steps: &[steps::Model]) -> Self {
        let i = RitualInput::of(r, steps);
        Self {
            id: r.id,
            user_id: r.user_id,
            ritual_type: i.ritual_type,
            name: i.name,
            description: i.description,
            default_duration_minutes: r.default_duration_minutes,
            load_level: i.load_level,
            education_hint_id: i.education_hint_id,
            is_template: r.is_template,
            created_by_stylist_id: r.created_by_stylist_id,
            steps: steps.iter().map(StepView::of).collect(),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Whether `caller` (own scope) may see `r`: a template, their own, or one they shared.
fn visible(r: &rituals::Model, scope: &Scope) -> bool {
    match scope {
        Scope::Own(u) => r.is_template || r.user_id == Some(u.0) || r.created_by_stylist_id == Some(u.0),
        _ => true,
    }
}

/// Whether `caller` may change `r`: their own or one they shared (templates: tenant-wide).
fn writable(r: &rituals::Model, scope: &Scope) -> bool {
    match scope {
        Scope::Own(u) => !r.is_template && (r.user_id == Some(u.0) || r.created_by_stylist_id == Some(u.0)),
        _ => true,
    }
}

pub async fn find(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<(rituals::Model, Vec<steps::Model>)> {
    let r = repo::ritual(tx, id).await?.filter(|r| visible(r, scope)).ok_or(HairError::NotFound)?;
    let s = repo::steps_of(tx, r.id).await?;
    Ok((r, s))
}

pub async fn find_writable(tx: &TenantTx, scope: &Scope, id: Uuid) -> Result<(rituals::Model, Vec<steps::Model>)> {
    let (r, s) = find(tx, scope, id).await?;
    if !writable(&r, scope) {
        return Err(HairError::NotFound);
    }
    Ok((r, s))
}

pub async fn list(tx: &TenantTx, scope: &Scope, after: Option<Uuid>, limit: u64) -> Result<Vec<RitualView>> {
    let own = match scope {
        Scope::Own(u) => Some(u.0),
        _ => None,
    };
    let rows = repo::rituals_page(tx, own, after, limit).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let s = repo::steps_of(tx, r.id).await?;
        out.push(RitualView::of(&r, &s));
    }
    Ok(out)
}

/// Whose ritual this is and who shared it, by the rules of the caller's scope.
async fn owner_of(
    tx: &TenantTx,
    scope: &Scope,
    caller: Uuid,
    input: &RitualInput,
) -> Result<(Option<Uuid>, Option<Uuid>)> {
    if input.is_template {
        if matches!(scope, Scope::Own(_)) {
            return Err(HairError::field("is_template", "only tenant staff create templates"));
        }
        return Ok((None, None));
    }
    match input.for_user_id {
        None => Ok((Some(caller), None)),
        Some(client) if client == caller => Ok((Some(caller), None)),
        Some(client) => {
            if matches!(scope, Scope::Own(_)) {
                let shares = consents::live_scope(tx, client, caller)
                    .await?
                    .is_some_and(|c| c.groups.contains(&FieldGroup::Routine));
                if !shares {
                    return Err(HairError::field("for_user_id", "this client does not share their routine with you"));
                }
            }
            Ok((Some(client), Some(caller)))
        }
    }
}

pub async fn create(
    tx: &TenantTx,
    actor: &AuditActor,
    scope: &Scope,
    caller: Uuid,
    input: RitualInput,
) -> Result<RitualView> {
    checked(input.check())?;
    let (user, stylist) = owner_of(tx, scope, caller, &input).await?;
    let r = repo::insert_ritual(tx, user, stylist, &input).await?;
    let s = repo::replace_steps(tx, &r, &input.steps).await?;
    let view = RitualView::of(&r, &s);
    audit::record(
        tx,
        actor,
        Change::new(HairEvent::RitualCreated, "hair_ritual", r.id, None, Some(json!({"id": r.id}))),
    )
    .await?;
    Ok(view)
}

pub async fn update(
    tx: &TenantTx,
    actor: &AuditActor,
    scope: &Scope,
    (r, s): (rituals::Model, Vec<steps::Model>),
    patch: &serde_json::Value,
) -> Result<RitualView> {
    let current = RitualInput::of(&r, &s);
    let mut patch = patch.clone();
    // Unless the patch changes steps or the duration, the duration follows the steps.
    if patch.get("steps").is_some() && patch.get("default_duration_minutes").is_none() {
        patch["default_duration_minutes"] = serde_json::Value::Null;
    }
    let input: RitualInput = atrium_core::http::patched(&current, &patch).map_err(crate::error::from_api)?;
    checked(input.check())?;
    if input.is_template != r.is_template || input.for_user_id.is_some() {
        return Err(HairError::field("is_template", "whether a ritual is a template, and whose it is, cannot change"));
    }
    if input.is_template && matches!(scope, Scope::Own(_)) {
        return Err(HairError::NotFound);
    }
    let r = repo::update_ritual(tx, r, &input).await?;
    let s = if patch.get("steps").is_some() { repo::replace_steps(tx, &r, &input.steps).await? } else { s };
    audit::record(
        tx,
        actor,
        Change::new(HairEvent::RitualUpdated, "hair_ritual", r.id, None, Some(json!({"id": r.id}))),
    )
    .await?;
    Ok(RitualView::of(&r, &s))
}

pub async fn delete(tx: &TenantTx, actor: &AuditActor, r: rituals::Model) -> Result<()> {
    repo::delete_ritual(tx, r.id).await?;
    audit::record(tx, actor, Change::new(HairEvent::RitualDeleted, "hair_ritual", r.id, None, None)).await?;
    Ok(())
}
