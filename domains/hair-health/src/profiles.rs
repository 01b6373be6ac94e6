//! Hair profiles: one per customer per tenant, every §12.1 field typed, `retention_risk`
//! derived ([`crate::model::retention_risk`]), a version row per change, and reads by anyone
//! but the owner decided by the live consent read in the same transaction, redacted to its
//! scope and written to the access log.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::Scope;
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::consents::{self, LiveConsent};
use crate::entities::profiles;
use crate::error::{HairError, Result, checked};
use crate::events::HairEvent;
pub use crate::input::{ProfileFilter, ProfileInput};
use crate::model::*;
use crate::repo;

impl ProfileInput {
    pub fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        if self.estimated_wash_day_minutes.is_some_and(|m| !(30..=480).contains(&m)) {
            e.push(FieldError::new("estimated_wash_day_minutes", "must be between 30 and 480"));
        }
        if self.learning_nodes_unlocked.len() > 100 {
            e.push(FieldError::new("learning_nodes_unlocked", "must have at most 100 entries"));
        }
        for (i, n) in self.learning_nodes_unlocked.iter().enumerate() {
            let ok = (1..=64).contains(&n.len())
                && n.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                e.push(FieldError::new(
                    format!("learning_nodes_unlocked[{i}]"),
                    "must be 1–64 characters of A–Z, 0–9, _",
                ));
            }
        }
        e
    }

    fn of(p: &profiles::Model) -> Self {
        fn o<T: serde::de::DeserializeOwned>(v: &Option<String>) -> Option<T> {
            v.as_deref().and_then(parse_text)
        }
        Self {
            texture_class: o(&p.texture_class),
            pattern_family: o(&p.pattern_family),
            strand_thickness: o(&p.strand_thickness),
            density_level: o(&p.density_level),
            shrinkage_tendency: o(&p.shrinkage_tendency),
            porosity_level: o(&p.porosity_level),
            detangle_tolerance: o(&p.detangle_tolerance),
            manipulation_tolerance: o(&p.manipulation_tolerance),
            tension_sensitivity: o(&p.tension_sensitivity),
            scalp_sensitivity: o(&p.scalp_sensitivity),
            wash_day_load_factor: o(&p.wash_day_load_factor),
            estimated_wash_day_minutes: p.estimated_wash_day_minutes,
            routine_type: o(&p.routine_type),
            learning_nodes_unlocked: serde_json::from_value(p.learning_nodes_unlocked.clone()).unwrap_or_default(),
            last_reviewed_at: p.last_reviewed_at,
        }
    }
}

/// A profile as a reader sees it. To a stylist, only the fields of the groups in the live
/// consent's scope are present (the others are absent, not null), with `shared_groups` and
/// `consent_version` saying what was shared.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The §12 schema version the profile follows (`0.7`).
    pub profile_version: String,
    pub texture_class: Option<TextureClass>,
    pub pattern_family: Option<PatternFamily>,
    pub strand_thickness: Option<StrandThickness>,
    pub density_level: Option<Level4>,
    pub shrinkage_tendency: Option<ShrinkageTendency>,
    pub porosity_level: Option<Level4>,
    /// Derived from porosity and texture (never set by clients): see the plugin docs.
    pub retention_risk: Option<Level>,
    pub detangle_tolerance: Option<Level>,
    pub manipulation_tolerance: Option<Level>,
    pub tension_sensitivity: Option<Level>,
    pub scalp_sensitivity: Option<Level>,
    pub wash_day_load_factor: Option<WashDayLoadFactor>,
    pub estimated_wash_day_minutes: Option<i32>,
    pub routine_type: Option<RoutineType>,
    pub learning_nodes_unlocked: Vec<String>,
    pub last_reviewed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present on a stylist's read: the groups the consent shares.
    pub shared_groups: Option<Vec<FieldGroup>>,
    pub consent_version: Option<i32>,
}

impl ProfileView {
    pub fn of(p: &profiles::Model) -> Self {
        let i = ProfileInput::of(p);
        Self {
            id: p.id,
            user_id: p.user_id,
            profile_version: p.profile_version.clone(),
            texture_class: i.texture_class,
            pattern_family: i.pattern_family,
            strand_thickness: i.strand_thickness,
            density_level: i.density_level,
            shrinkage_tendency: i.shrinkage_tendency,
            porosity_level: i.porosity_level,
            retention_risk: p.retention_risk.as_deref().and_then(parse_text),
            detangle_tolerance: i.detangle_tolerance,
            manipulation_tolerance: i.manipulation_tolerance,
            tension_sensitivity: i.tension_sensitivity,
            scalp_sensitivity: i.scalp_sensitivity,
            wash_day_load_factor: i.wash_day_load_factor,
            estimated_wash_day_minutes: i.estimated_wash_day_minutes,
            routine_type: i.routine_type,
            learning_nodes_unlocked: i.learning_nodes_unlocked,
            last_reviewed_at: i.last_reviewed_at,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
            shared_groups: None,
            consent_version: None,
        }
    }

    /// The whole view as JSON (its owner's, or a tenant-wide reader's).
    pub fn full(p: &profiles::Model) -> Value {
        serde_json::to_value(Self::of(p)).unwrap_or(Value::Null)
    }

    /// Only what `consent` shares: every profile field outside its groups is removed.
    pub fn redacted(p: &profiles::Model, consent: &LiveConsent) -> Value {
        let mut v = Self::of(p);
        v.shared_groups = Some(consent.groups.clone());
        v.consent_version = Some(consent.version);
        let Value::Object(map) = serde_json::to_value(v).unwrap_or(Value::Null) else { return Value::Null };
        let kept: Map<String, Value> = map
            .into_iter()
            .filter(|(k, _)| FieldGroup::of_field(k).is_none_or(|g| consent.groups.contains(&g)))
            .collect();
        Value::Object(kept)
    }
}

/// One stored version of a profile (the state after the change).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileVersionView {
    pub id: Uuid,
    pub version: i32,
    #[schema(value_type = Object)]
    pub snapshot: Value,
    pub changed_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Who asks: the caller's user and the reach of their `profiles_read`.
pub struct Reader {
    pub user: Uuid,
    pub scope: Scope,
}

impl Reader {
    fn tenant_wide(&self) -> bool {
        !matches!(self.scope, Scope::Own(_))
    }
}

pub async fn create(tx: &TenantTx, actor: &AuditActor, user: Uuid, input: ProfileInput) -> Result<Value> {
    checked(input.check())?;
    if repo::profile_of_user(tx, user).await?.is_some() {
        return Err(HairError::Conflict("this customer already has a hair profile: change it with PATCH".into()));
    }
    let p = repo::insert_profile(tx, user, &input, retention_risk(input.porosity_level, input.texture_class)).await?;
    repo::insert_profile_version(tx, &p, ProfileView::full(&p), Some(user)).await?;
    audit::record(tx, actor, Change::new(HairEvent::ProfileCreated, "hair_profile", p.id, None, None)).await?;
    Ok(ProfileView::full(&p))
}

/// The profile `id` as `reader` may see it, logged when the reader is not its owner. A
/// stylist without a live consent gets exactly what a missing profile gives: 404.
pub async fn read(tx: &TenantTx, reader: &Reader, id: Uuid) -> Result<profiles::Model> {
    let p = repo::profile(tx, id).await?.ok_or(HairError::NotFound)?;
    if p.user_id == reader.user || reader.tenant_wide() {
        return Ok(p);
    }
    Err(HairError::NotFound)
}

pub async fn read_view(tx: &TenantTx, reader: &Reader, id: Uuid) -> Result<Value> {
    let p = repo::profile(tx, id).await?.ok_or(HairError::NotFound)?;
    view_for(tx, reader, &p).await?.ok_or(HairError::NotFound)
}

/// What `reader` sees of `p` now (`None`: nothing), logging every read by someone else.
async fn view_for(tx: &TenantTx, reader: &Reader, p: &profiles::Model) -> Result<Option<Value>> {
    if p.user_id == reader.user {
        return Ok(Some(ProfileView::full(p)));
    }
    if reader.tenant_wide() {
        let all: Vec<&str> = FieldGroup::ALL.iter().flat_map(|g| g.fields()).copied().collect();
        repo::log_access(tx, p, reader.user, json!(all), None).await?;
        return Ok(Some(ProfileView::full(p)));
    }
    let Some(consent) = consents::live_scope(tx, p.user_id, reader.user).await? else { return Ok(None) };
    let fields: Vec<&str> = consent.groups.iter().flat_map(|g| g.fields()).copied().collect();
    repo::log_access(tx, p, reader.user, json!(fields), Some((consent.id, consent.version))).await?;
    Ok(Some(ProfileView::redacted(p, &consent)))
}

/// A page of the profiles `reader` may see. A stylist may filter only on fields every
/// live consent given to them shares (403 otherwise: no filter probes a withheld field).
pub async fn list(
    tx: &TenantTx,
    reader: &Reader,
    after: Option<Uuid>,
    limit: u64,
    filter: &ProfileFilter,
) -> Result<Vec<Value>> {
    let users = if reader.tenant_wide() {
        None
    } else {
        let live = consents::live_for_stylist(tx, reader.user).await?;
        for (field, _) in &filter.fields {
            let group = FieldGroup::of_field(field);
            if let Some(g) = group
                && live.iter().any(|c| !c.groups.contains(&g))
            {
                return Err(HairError::OutOfScope(format!(
                    "`{field}` is not in the scope of every consent given to you: it cannot be filtered on"
                )));
            }
        }
        let mut users: Vec<Uuid> = live.iter().map(|c| c.customer).collect();
        users.push(reader.user);
        Some(users)
    };
    let rows = repo::profiles_page(tx, after, limit, users.as_deref(), filter).await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in &rows {
        if let Some(v) = view_for(tx, reader, p).await? {
            out.push(v);
        }
    }
    Ok(out)
}

/// Applies a merge patch to the profile (its owner, or a tenant-wide writer): a new version.
pub async fn update(
    tx: &TenantTx,
    actor: &AuditActor,
    changed_by: Uuid,
    p: profiles::Model,
    patch: &Value,
) -> Result<Value> {
    let current = ProfileInput::of(&p);
    let input: ProfileInput = atrium_core::http::patched(&current, patch).map_err(crate::error::from_api)?;
    checked(input.check())?;
    let risk = retention_risk(input.porosity_level, input.texture_class);
    let p = repo::update_profile(tx, p, &input, risk).await?;
    repo::insert_profile_version(tx, &p, ProfileView::full(&p), Some(changed_by)).await?;
    audit::record(tx, actor, Change::new(HairEvent::ProfileUpdated, "hair_profile", p.id, None, None)).await?;
    Ok(ProfileView::full(&p))
}

pub async fn versions(tx: &TenantTx, p: &profiles::Model) -> Result<Vec<ProfileVersionView>> {
    Ok(repo::profile_versions(tx, p.id)
        .await?
        .into_iter()
        .map(|v| ProfileVersionView {
            id: v.id,
            version: v.version,
            snapshot: v.snapshot,
            changed_by: v.changed_by,
            created_at: v.created_at,
        })
        .collect())
}
