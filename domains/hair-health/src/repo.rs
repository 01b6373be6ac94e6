//! The only place that builds queries on the hair-health tables. Every query filters by the
//! transaction's tenant (row-level security also binds them on PostgreSQL).

use atrium_core::db::TenantTx;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{Condition, IntoActiveModel, QueryOrder, QuerySelect, Set};
use serde_json::{Value, json};

use crate::entities::*;
use crate::error::{HairError, Result};
use crate::input::{Draft, Evaluation, EventFilter, EventInput, ProfileFilter, ProfileInput, RitualInput, StepInput};
use crate::model::{CompletionQuality, EventStatus, GeneratedBy, Level, text};

fn t(tx: &TenantTx) -> Uuid {
    tx.tenant_id().0
}

fn conflict(what: &'static str) -> impl FnOnce(DbErr) -> HairError {
    move |e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => HairError::Conflict(what.to_owned()),
        _ => HairError::Db(e),
    }
}

// ---- profiles ----

pub async fn profile(tx: &TenantTx, id: Uuid) -> Result<Option<profiles::Model>> {
    Ok(profiles::Entity::find_by_id((t(tx), id)).one(tx.conn()).await?)
}

pub async fn profile_of_user(tx: &TenantTx, user: Uuid) -> Result<Option<profiles::Model>> {
    Ok(profiles::Entity::find()
        .filter(profiles::Column::TenantId.eq(t(tx)))
        .filter(profiles::Column::UserId.eq(user))
        .one(tx.conn())
        .await?)
}

pub async fn profiles_page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    users: Option<&[Uuid]>,
    f: &ProfileFilter,
) -> Result<Vec<profiles::Model>> {
    let mut q = profiles::Entity::find().filter(profiles::Column::TenantId.eq(t(tx)));
    if let Some(users) = users {
        q = q.filter(profiles::Column::UserId.is_in(users.iter().copied()));
    }
    if let Some(after) = after {
        q = q.filter(profiles::Column::Id.gt(after));
    }
    for (field, value) in &f.fields {
        let column = match *field {
            "texture_class" => profiles::Column::TextureClass,
            "pattern_family" => profiles::Column::PatternFamily,
            "porosity_level" => profiles::Column::PorosityLevel,
            "retention_risk" => profiles::Column::RetentionRisk,
            "scalp_sensitivity" => profiles::Column::ScalpSensitivity,
            "routine_type" => profiles::Column::RoutineType,
            _ => continue,
        };
        q = q.filter(column.eq(value.as_str()));
    }
    Ok(q.order_by_asc(profiles::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

fn set_profile(am: &mut profiles::ActiveModel, i: &ProfileInput, risk: Option<Level>) {
    fn o<T: serde::Serialize>(v: &Option<T>) -> Option<String> {
        v.as_ref().map(text)
    }
    am.texture_class = Set(o(&i.texture_class));
    am.pattern_family = Set(o(&i.pattern_family));
    am.strand_thickness = Set(o(&i.strand_thickness));
    am.density_level = Set(o(&i.density_level));
    am.shrinkage_tendency = Set(o(&i.shrinkage_tendency));
    am.porosity_level = Set(o(&i.porosity_level));
    am.retention_risk = Set(o(&risk));
    am.detangle_tolerance = Set(o(&i.detangle_tolerance));
    am.manipulation_tolerance = Set(o(&i.manipulation_tolerance));
    am.tension_sensitivity = Set(o(&i.tension_sensitivity));
    am.scalp_sensitivity = Set(o(&i.scalp_sensitivity));
    am.wash_day_load_factor = Set(o(&i.wash_day_load_factor));
    am.routine_type = Set(o(&i.routine_type));
    am.estimated_wash_day_minutes = Set(i.estimated_wash_day_minutes);
    am.learning_nodes_unlocked = Set(json!(i.learning_nodes_unlocked));
    am.last_reviewed_at = Set(i.last_reviewed_at);
}

pub async fn insert_profile(
    tx: &TenantTx,
    user: Uuid,
    i: &ProfileInput,
    risk: Option<Level>,
) -> Result<profiles::Model> {
    let now = Utc::now();
    let mut am = profiles::ActiveModel {
        tenant_id: Set(t(tx)),
        id: Set(Uuid::now_v7()),
        user_id: Set(user),
        profile_version: Set("0.7".into()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_profile(&mut am, i, risk);
    am.insert(tx.conn()).await.map_err(conflict("this customer already has a hair profile"))
}

pub async fn update_profile(
    tx: &TenantTx,
    p: profiles::Model,
    i: &ProfileInput,
    risk: Option<Level>,
) -> Result<profiles::Model> {
    let version = p.version + 1;
    let mut am = p.into_active_model();
    set_profile(&mut am, i, risk);
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    Ok(am.update(tx.conn()).await?)
}

pub async fn insert_profile_version(
    tx: &TenantTx,
    p: &profiles::Model,
    snapshot: Value,
    changed_by: Option<Uuid>,
) -> Result<()> {
    profile_versions::ActiveModel {
        tenant_id: Set(t(tx)),
        id: Set(Uuid::now_v7()),
        profile_id: Set(p.id),
        user_id: Set(p.user_id),
        version: Set(p.version),
        snapshot: Set(snapshot),
        changed_by: Set(changed_by),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn profile_versions(tx: &TenantTx, profile: Uuid) -> Result<Vec<profile_versions::Model>> {
    Ok(profile_versions::Entity::find()
        .filter(profile_versions::Column::TenantId.eq(t(tx)))
        .filter(profile_versions::Column::ProfileId.eq(profile))
        .order_by_asc(profile_versions::Column::Version)
        .all(tx.conn())
        .await?)
}

pub async fn log_access(
    tx: &TenantTx,
    p: &profiles::Model,
    reader: Uuid,
    fields: Value,
    consent: Option<(Uuid, i32)>,
) -> Result<()> {
    access_log::ActiveModel {
        tenant_id: Set(t(tx)),
        id: Set(Uuid::now_v7()),
        customer_user_id: Set(p.user_id),
        profile_id: Set(p.id),
        reader_user_id: Set(reader),
        fields: Set(fields),
        consent_id: Set(consent.map(|c| c.0)),
        consent_version: Set(consent.map(|c| c.1)),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn access_log_of(
    tx: &TenantTx,
    customer: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<access_log::Model>> {
    let mut q = access_log::Entity::find()
        .filter(access_log::Column::TenantId.eq(t(tx)))
        .filter(access_log::Column::CustomerUserId.eq(customer));
    if let Some(after) = after {
        q = q.filter(access_log::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(access_log::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

// ---- consents ----

pub async fn consent(tx: &TenantTx, customer: Uuid, stylist: Uuid) -> Result<Option<consents::Model>> {
    Ok(consents::Entity::find()
        .filter(consents::Column::TenantId.eq(t(tx)))
        .filter(consents::Column::CustomerUserId.eq(customer))
        .filter(consents::Column::StylistUserId.eq(stylist))
        .one(tx.conn())
        .await?)
}

/// The same, locked for a change on PostgreSQL (SQLite write transactions are exclusive).
pub async fn consent_for_update(tx: &TenantTx, customer: Uuid, stylist: Uuid) -> Result<Option<consents::Model>> {
    let mut q = consents::Entity::find()
        .filter(consents::Column::TenantId.eq(t(tx)))
        .filter(consents::Column::CustomerUserId.eq(customer))
        .filter(consents::Column::StylistUserId.eq(stylist));
    if tx.conn().get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.one(tx.conn()).await?)
}

pub async fn consents_to(tx: &TenantTx, stylist: Uuid) -> Result<Vec<consents::Model>> {
    Ok(consents::Entity::find()
        .filter(consents::Column::TenantId.eq(t(tx)))
        .filter(consents::Column::StylistUserId.eq(stylist))
        .all(tx.conn())
        .await?)
}

/// Consents given by or to `user` (all of the tenant's when `None`).
pub async fn consents_page(
    tx: &TenantTx,
    user: Option<Uuid>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<consents::Model>> {
    let mut q = consents::Entity::find().filter(consents::Column::TenantId.eq(t(tx)));
    if let Some(u) = user {
        q = q.filter(
            Condition::any().add(consents::Column::CustomerUserId.eq(u)).add(consents::Column::StylistUserId.eq(u)),
        );
    }
    if let Some(after) = after {
        q = q.filter(consents::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(consents::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

pub async fn consent_versions_page(
    tx: &TenantTx,
    user: Option<Uuid>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<consent_versions::Model>> {
    let mut q = consent_versions::Entity::find().filter(consent_versions::Column::TenantId.eq(t(tx)));
    if let Some(u) = user {
        q = q.filter(
            Condition::any()
                .add(consent_versions::Column::CustomerUserId.eq(u))
                .add(consent_versions::Column::StylistUserId.eq(u)),
        );
    }
    if let Some(after) = after {
        q = q.filter(consent_versions::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(consent_versions::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

pub async fn upsert_consent(
    tx: &TenantTx,
    existing: Option<consents::Model>,
    customer: Uuid,
    stylist: Uuid,
    scope: Value,
    valid_until: Option<DateTime<Utc>>,
) -> Result<consents::Model> {
    let now = Utc::now();
    match existing {
        Some(c) => {
            let version = c.version + 1;
            let mut am = c.into_active_model();
            am.scope = Set(scope);
            am.valid_until = Set(valid_until);
            am.revoked_at = Set(None);
            am.granted_at = Set(Some(now));
            am.version = Set(version);
            am.updated_at = Set(now);
            Ok(am.update(tx.conn()).await?)
        }
        None => consents::ActiveModel {
            tenant_id: Set(t(tx)),
            id: Set(Uuid::now_v7()),
            customer_user_id: Set(customer),
            stylist_user_id: Set(stylist),
            scope: Set(scope),
            granted_at: Set(Some(now)),
            valid_until: Set(valid_until),
            revoked_at: Set(None),
            stylist_notes: Set(None),
            last_service_notes: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(tx.conn())
        .await
        .map_err(conflict("a consent to this stylist was just granted: retry")),
    }
}

pub async fn revoke_consent(tx: &TenantTx, c: consents::Model) -> Result<consents::Model> {
    let now = Utc::now();
    let version = c.version + 1;
    let mut am = c.into_active_model();
    am.revoked_at = Set(Some(now));
    am.version = Set(version);
    am.updated_at = Set(now);
    Ok(am.update(tx.conn()).await?)
}

pub async fn set_consent_notes(
    tx: &TenantTx,
    c: consents::Model,
    notes: Option<String>,
    last: Option<String>,
) -> Result<consents::Model> {
    let mut am = c.into_active_model();
    if notes.is_some() {
        am.stylist_notes = Set(notes);
    }
    if last.is_some() {
        am.last_service_notes = Set(last);
    }
    am.updated_at = Set(Utc::now());
    Ok(am.update(tx.conn()).await?)
}

pub async fn insert_consent_version(tx: &TenantTx, c: &consents::Model, action: &str) -> Result<()> {
    consent_versions::ActiveModel {
        tenant_id: Set(t(tx)),
        id: Set(Uuid::now_v7()),
        consent_id: Set(c.id),
        customer_user_id: Set(c.customer_user_id),
        stylist_user_id: Set(c.stylist_user_id),
        version: Set(c.version),
        action: Set(action.to_owned()),
        scope: Set(c.scope.clone()),
        valid_until: Set(c.valid_until),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

// ---- data rights ----

/// Every row of `user` in the plugin, table by table (the customer's side of consents and
/// the access log).
pub async fn export(tx: &TenantTx, user: Uuid) -> Result<Vec<(&'static str, Vec<Value>)>> {
    fn rows<M: serde::Serialize>(v: Vec<M>) -> Vec<Value> {
        v.into_iter().filter_map(|m| serde_json::to_value(m).ok()).collect()
    }
    let c = tx.conn();
    let tid = t(tx);
    Ok(vec![
        (
            "hair_profiles",
            rows(
                profiles::Entity::find()
                    .filter(profiles::Column::TenantId.eq(tid))
                    .filter(profiles::Column::UserId.eq(user))
                    .into_json()
                    .all(c)
                    .await?,
            ),
        ),
        (
            "hair_profile_versions",
            rows(
                profile_versions::Entity::find()
                    .filter(profile_versions::Column::TenantId.eq(tid))
                    .filter(profile_versions::Column::UserId.eq(user))
                    .into_json()
                    .all(c)
                    .await?,
            ),
        ),
        (
            "hair_consents",
            rows(
                consents::Entity::find()
                    .filter(consents::Column::TenantId.eq(tid))
                    .filter(consents::Column::CustomerUserId.eq(user))
                    .into_json()
                    .all(c)
                    .await?,
            ),
        ),
        (
            "hair_consent_versions",
            rows(
                consent_versions::Entity::find()
                    .filter(consent_versions::Column::TenantId.eq(tid))
                    .filter(consent_versions::Column::CustomerUserId.eq(user))
                    .into_json()
                    .all(c)
                    .await?,
            ),
        ),
        (
            "hair_access_log",
            rows(
                access_log::Entity::find()
                    .filter(access_log::Column::TenantId.eq(tid))
                    .filter(access_log::Column::CustomerUserId.eq(user))
                    .into_json()
                    .all(c)
                    .await?,
            ),
        ),
        (
            "hair_rituals",
            rows(
                rituals::Entity::find()
                    .filter(rituals::Column::TenantId.eq(tid))
                    .filter(rituals::Column::UserId.eq(user))
                    .into_json()
                    .all(c)
                    .await?,
            ),
        ),
        (
            "hair_ritual_steps",
            rows(
                steps::Entity::find()
                    .filter(steps::Column::TenantId.eq(tid))
                    .filter(steps::Column::UserId.eq(user))
                    .into_json()
                    .all(c)
                    .await?,
            ),
        ),
        (
            "hair_calendar_events",
            rows(
                events::Entity::find()
                    .filter(events::Column::TenantId.eq(tid))
                    .filter(events::Column::UserId.eq(user))
                    .into_json()
                    .all(c)
                    .await?,
            ),
        ),
        (
            "hair_insights",
            rows(
                insights::Entity::find()
                    .filter(insights::Column::TenantId.eq(tid))
                    .filter(insights::Column::UserId.eq(user))
                    .into_json()
                    .all(c)
                    .await?,
            ),
        ),
    ])
}

/// Deletes every row of `user` in the plugin (children first).
pub async fn erase(tx: &TenantTx, user: Uuid) -> Result<()> {
    let c = tx.conn();
    let tid = t(tx);
    insights::Entity::delete_many()
        .filter(insights::Column::TenantId.eq(tid))
        .filter(insights::Column::UserId.eq(user))
        .exec(c)
        .await?;
    events::Entity::delete_many()
        .filter(events::Column::TenantId.eq(tid))
        .filter(events::Column::UserId.eq(user))
        .exec(c)
        .await?;
    steps::Entity::delete_many()
        .filter(steps::Column::TenantId.eq(tid))
        .filter(steps::Column::UserId.eq(user))
        .exec(c)
        .await?;
    // Links from other people's events to the rituals about to go.
    let mine: Vec<Uuid> = rituals::Entity::find()
        .filter(rituals::Column::TenantId.eq(tid))
        .filter(rituals::Column::UserId.eq(user))
        .all(c)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if !mine.is_empty() {
        events::Entity::update_many()
            .col_expr(events::Column::LinkedRitualId, sea_orm::sea_query::Expr::value(Option::<Uuid>::None))
            .filter(events::Column::TenantId.eq(tid))
            .filter(events::Column::LinkedRitualId.is_in(mine.clone()))
            .exec(c)
            .await?;
        steps::Entity::delete_many()
            .filter(steps::Column::TenantId.eq(tid))
            .filter(steps::Column::RitualId.is_in(mine))
            .exec(c)
            .await?;
    }
    rituals::Entity::delete_many()
        .filter(rituals::Column::TenantId.eq(tid))
        .filter(rituals::Column::UserId.eq(user))
        .exec(c)
        .await?;
    access_log::Entity::delete_many()
        .filter(access_log::Column::TenantId.eq(tid))
        .filter(access_log::Column::CustomerUserId.eq(user))
        .exec(c)
        .await?;
    consent_versions::Entity::delete_many()
        .filter(consent_versions::Column::TenantId.eq(tid))
        .filter(consent_versions::Column::CustomerUserId.eq(user))
        .exec(c)
        .await?;
    consents::Entity::delete_many()
        .filter(consents::Column::TenantId.eq(tid))
        .filter(consents::Column::CustomerUserId.eq(user))
        .exec(c)
        .await?;
    profile_versions::Entity::delete_many()
        .filter(profile_versions::Column::TenantId.eq(tid))
        .filter(profile_versions::Column::UserId.eq(user))
        .exec(c)
        .await?;
    profiles::Entity::delete_many()
        .filter(profiles::Column::TenantId.eq(tid))
        .filter(profiles::Column::UserId.eq(user))
        .exec(c)
        .await?;
    Ok(())
}

// ---- rituals ----

pub async fn ritual(tx: &TenantTx, id: Uuid) -> Result<Option<rituals::Model>> {
    Ok(rituals::Entity::find_by_id((t(tx), id)).one(tx.conn()).await?)
}

pub async fn steps_of(tx: &TenantTx, ritual: Uuid) -> Result<Vec<steps::Model>> {
    Ok(steps::Entity::find()
        .filter(steps::Column::TenantId.eq(t(tx)))
        .filter(steps::Column::RitualId.eq(ritual))
        .order_by_asc(steps::Column::StepOrder)
        .all(tx.conn())
        .await?)
}

/// Templates, and (with `own`) only the rituals of or shared by that user.
pub async fn rituals_page(
    tx: &TenantTx,
    own: Option<Uuid>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<rituals::Model>> {
    let mut q = rituals::Entity::find().filter(rituals::Column::TenantId.eq(t(tx)));
    if let Some(u) = own {
        q = q.filter(
            Condition::any()
                .add(rituals::Column::IsTemplate.eq(true))
                .add(rituals::Column::UserId.eq(u))
                .add(rituals::Column::CreatedByStylistId.eq(u)),
        );
    }
    if let Some(after) = after {
        q = q.filter(rituals::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(rituals::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

fn set_ritual(am: &mut rituals::ActiveModel, i: &RitualInput) {
    am.ritual_type = Set(text(&i.ritual_type));
    am.name = Set(i.name.clone());
    am.description = Set(i.description.clone());
    am.default_duration_minutes = Set(i.duration());
    am.load_level = Set(text(&i.load_level));
    am.education_hint_id = Set(i.education_hint_id.clone());
}

pub async fn insert_ritual(
    tx: &TenantTx,
    user: Option<Uuid>,
    stylist: Option<Uuid>,
    i: &RitualInput,
) -> Result<rituals::Model> {
    let now = Utc::now();
    let mut am = rituals::ActiveModel {
        tenant_id: Set(t(tx)),
        id: Set(Uuid::now_v7()),
        user_id: Set(user),
        is_template: Set(i.is_template),
        created_by_stylist_id: Set(stylist),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_ritual(&mut am, i);
    Ok(am.insert(tx.conn()).await?)
}

pub async fn update_ritual(tx: &TenantTx, r: rituals::Model, i: &RitualInput) -> Result<rituals::Model> {
    let version = r.version + 1;
    let mut am = r.into_active_model();
    set_ritual(&mut am, i);
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    Ok(am.update(tx.conn()).await?)
}

pub async fn replace_steps(tx: &TenantTx, r: &rituals::Model, input: &[StepInput]) -> Result<Vec<steps::Model>> {
    steps::Entity::delete_many()
        .filter(steps::Column::TenantId.eq(t(tx)))
        .filter(steps::Column::RitualId.eq(r.id))
        .exec(tx.conn())
        .await?;
    let now = Utc::now();
    for s in input {
        steps::ActiveModel {
            tenant_id: Set(t(tx)),
            id: Set(Uuid::now_v7()),
            ritual_id: Set(r.id),
            user_id: Set(r.user_id),
            step_order: Set(s.step_order),
            step_type: Set(text(&s.step_type)),
            name: Set(s.name.clone()),
            estimated_minutes: Set(s.estimated_minutes),
            optional: Set(s.optional),
            notes: Set(s.notes.clone()),
            created_at: Set(now),
        }
        .insert(tx.conn())
        .await
        .map_err(conflict("step order is unique within a ritual"))?;
    }
    steps_of(tx, r.id).await
}

pub async fn delete_ritual(tx: &TenantTx, id: Uuid) -> Result<()> {
    let c = tx.conn();
    events::Entity::update_many()
        .col_expr(events::Column::LinkedRitualId, sea_orm::sea_query::Expr::value(Option::<Uuid>::None))
        .filter(events::Column::TenantId.eq(t(tx)))
        .filter(events::Column::LinkedRitualId.eq(id))
        .exec(c)
        .await?;
    steps::Entity::delete_many()
        .filter(steps::Column::TenantId.eq(t(tx)))
        .filter(steps::Column::RitualId.eq(id))
        .exec(c)
        .await?;
    rituals::Entity::delete_many()
        .filter(rituals::Column::TenantId.eq(t(tx)))
        .filter(rituals::Column::Id.eq(id))
        .exec(c)
        .await?;
    Ok(())
}

// ---- calendar ----

pub async fn event(tx: &TenantTx, id: Uuid) -> Result<Option<events::Model>> {
    Ok(events::Entity::find_by_id((t(tx), id)).filter(shown()).one(tx.conn()).await?)
}

pub async fn events_page(
    tx: &TenantTx,
    user: Option<Uuid>,
    after: Option<Uuid>,
    limit: u64,
    f: &EventFilter,
) -> Result<Vec<events::Model>> {
    let mut q = events::Entity::find().filter(events::Column::TenantId.eq(t(tx))).filter(shown());
    if let Some(u) = user {
        q = q.filter(events::Column::UserId.eq(u));
    }
    if let Some(after) = after {
        q = q.filter(events::Column::Id.gt(after));
    }
    if let Some(from) = f.from {
        q = q.filter(events::Column::ScheduledEnd.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(events::Column::ScheduledStart.lt(to));
    }
    if let Some(s) = f.status {
        q = q.filter(events::Column::Status.eq(s.as_str()));
    }
    if let Some(c) = f.category {
        q = q.filter(events::Column::EventCategory.eq(c.as_str()));
    }
    Ok(q.order_by_asc(events::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

/// Every event of `user` (for the insight rules).
pub async fn events_of(tx: &TenantTx, user: Uuid) -> Result<Vec<events::Model>> {
    Ok(events::Entity::find()
        .filter(events::Column::TenantId.eq(t(tx)))
        .filter(events::Column::UserId.eq(user))
        .filter(shown())
        .order_by_asc(events::Column::ScheduledStart)
        .all(tx.conn())
        .await?)
}

fn set_event(am: &mut events::ActiveModel, i: &EventInput) {
    am.event_category = Set(text(&i.event_category));
    am.event_type = Set(i.event_type.clone());
    am.title = Set(i.title.clone());
    am.description = Set(i.description.clone());
    am.scheduled_start = Set(i.scheduled_start);
    am.scheduled_end = Set(i.scheduled_end);
    am.load_level = Set(i.load_level.as_ref().map(text));
    am.requires_rest_buffer = Set(i.requires_rest_buffer);
    am.recommended_rest_hours_after = Set(i.recommended_rest_hours_after);
    am.linked_ritual_id = Set(i.linked_ritual_id);
    am.linked_education_content_id = Set(i.linked_education_content_id.clone());
    am.recurrence_rule = Set(i.recurrence_rule.clone());
}

pub async fn insert_event(
    tx: &TenantTx,
    user: Uuid,
    i: &EventInput,
    generated_by: GeneratedBy,
    booking: Option<Uuid>,
) -> Result<events::Model> {
    let now = Utc::now();
    let mut am = events::ActiveModel {
        tenant_id: Set(t(tx)),
        id: Set(Uuid::now_v7()),
        user_id: Set(user),
        status: Set(EventStatus::Planned.as_str().to_owned()),
        completion_quality: Set(None),
        completed_at: Set(None),
        linked_booking_id: Set(booking),
        generated_by: Set(generated_by.as_str().to_owned()),
        source_event_id: Set(None),
        booking_status: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_event(&mut am, i);
    Ok(am.insert(tx.conn()).await?)
}

pub async fn update_event(tx: &TenantTx, ev: events::Model, i: &EventInput) -> Result<events::Model> {
    let version = ev.version + 1;
    let mut am = ev.into_active_model();
    set_event(&mut am, i);
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    Ok(am.update(tx.conn()).await?)
}

pub async fn set_event_status(
    tx: &TenantTx,
    ev: events::Model,
    status: EventStatus,
    quality: Option<CompletionQuality>,
) -> Result<events::Model> {
    let version = ev.version + 1;
    let now = Utc::now();
    let mut am = ev.into_active_model();
    am.status = Set(status.as_str().to_owned());
    am.completion_quality = Set(quality.map(|q| q.as_str().to_owned()));
    am.completed_at = Set((status == EventStatus::Completed).then_some(now));
    am.version = Set(version);
    am.updated_at = Set(now);
    Ok(am.update(tx.conn()).await?)
}

pub async fn delete_event(tx: &TenantTx, id: Uuid) -> Result<()> {
    insights::Entity::update_many()
        .col_expr(insights::Column::LinkedEventId, sea_orm::sea_query::Expr::value(Option::<Uuid>::None))
        .filter(insights::Column::TenantId.eq(t(tx)))
        .filter(insights::Column::LinkedEventId.eq(id))
        .exec(tx.conn())
        .await?;
    events::Entity::delete_many()
        .filter(events::Column::TenantId.eq(t(tx)))
        .filter(events::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

// ---- insights ----

/// Stores an insight unless its key was already stored for `user` (`None` then).
pub async fn insert_insight(
    tx: &TenantTx,
    user: Uuid,
    ev: &Evaluation,
    d: &Draft,
    key: &str,
    source: Value,
) -> Result<Option<Uuid>> {
    let id = Uuid::now_v7();
    let am = insights::ActiveModel {
        tenant_id: Set(t(tx)),
        id: Set(id),
        user_id: Set(user),
        insight_type: Set(d.insight_type.as_str().to_owned()),
        rule_id: Set(ev.rule_id.clone()),
        rule_version: Set(ev.rule_version),
        dedupe_key: Set(key.to_owned()),
        title: Set(d.title.clone()),
        body: Set(d.body.clone()),
        confidence_hundredths: Set(d.confidence_hundredths),
        priority: Set(d.priority.as_str().to_owned()),
        display_start: Set(d.display_start),
        display_end: Set(d.display_end),
        is_dismissed: Set(false),
        dismissed_at: Set(None),
        linked_event_id: Set(d.linked_event_id),
        linked_booking_id: Set(d.linked_booking_id),
        field_groups: Set(json!(ev.field_groups)),
        source_data: Set(source),
        created_at: Set(Utc::now()),
    };
    let rows = insights::Entity::insert(am)
        .on_conflict(
            OnConflict::columns([insights::Column::TenantId, insights::Column::UserId, insights::Column::DedupeKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?;
    Ok((rows > 0).then_some(id))
}

pub async fn insights_by_keys(tx: &TenantTx, user: Uuid, keys: &[String]) -> Result<Vec<insights::Model>> {
    if keys.is_empty() {
        return Ok(vec![]);
    }
    Ok(insights::Entity::find()
        .filter(insights::Column::TenantId.eq(t(tx)))
        .filter(insights::Column::UserId.eq(user))
        .filter(insights::Column::DedupeKey.is_in(keys.iter().cloned()))
        .order_by_asc(insights::Column::Id)
        .all(tx.conn())
        .await?)
}

pub async fn insight(tx: &TenantTx, id: Uuid) -> Result<Option<insights::Model>> {
    Ok(insights::Entity::find_by_id((t(tx), id)).one(tx.conn()).await?)
}

pub async fn insights_page(
    tx: &TenantTx,
    users: Option<&[Uuid]>,
    after: Option<Uuid>,
    limit: u64,
    include_dismissed: bool,
) -> Result<Vec<insights::Model>> {
    let mut q = insights::Entity::find().filter(insights::Column::TenantId.eq(t(tx)));
    if let Some(users) = users {
        q = q.filter(insights::Column::UserId.is_in(users.iter().copied()));
    }
    if !include_dismissed {
        q = q.filter(insights::Column::IsDismissed.eq(false));
    }
    if let Some(after) = after {
        q = q.filter(insights::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(insights::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

pub async fn dismiss_insight(tx: &TenantTx, i: insights::Model) -> Result<insights::Model> {
    let mut am = i.into_active_model();
    am.is_dismissed = Set(true);
    am.dismissed_at = Set(Some(Utc::now()));
    Ok(am.update(tx.conn()).await?)
}

// ---- bookings in the calendar ----

pub async fn sync_cursor(tx: &TenantTx) -> Result<Option<DateTime<Utc>>> {
    let mut q = booking_sync::Entity::find_by_id((t(tx), t(tx)));
    if tx.conn().get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.one(tx.conn()).await?.map(|c| c.last_occurred_at))
}

pub async fn set_sync_cursor(tx: &TenantTx, at: DateTime<Utc>, exists: bool) -> Result<()> {
    let am = booking_sync::ActiveModel { tenant_id: Set(t(tx)), id: Set(t(tx)), last_occurred_at: Set(at) };
    if exists {
        am.update(tx.conn()).await?;
    } else {
        booking_sync::Entity::insert(am)
            .on_conflict(
                OnConflict::columns([booking_sync::Column::TenantId, booking_sync::Column::Id])
                    .update_column(booking_sync::Column::LastOccurredAt)
                    .to_owned(),
            )
            .exec_without_returning(tx.conn())
            .await?;
    }
    Ok(())
}

pub async fn booking_event(tx: &TenantTx, user: Uuid, booking: Uuid) -> Result<Option<events::Model>> {
    Ok(events::Entity::find()
        .filter(events::Column::TenantId.eq(t(tx)))
        .filter(events::Column::UserId.eq(user))
        .filter(events::Column::LinkedBookingId.eq(booking))
        .one(tx.conn())
        .await?)
}

pub async fn update_booking_event(
    tx: &TenantTx,
    ev: events::Model,
    i: &EventInput,
    status: EventStatus,
    booking_status: &str,
    source: Uuid,
) -> Result<events::Model> {
    let version = ev.version + 1;
    let now = Utc::now();
    let mut am = ev.into_active_model();
    am.scheduled_start = Set(i.scheduled_start);
    am.scheduled_end = Set(i.scheduled_end);
    am.status = Set(status.as_str().to_owned());
    am.completed_at = Set((status == EventStatus::Completed).then_some(now));
    am.booking_status = Set(Some(booking_status.to_owned()));
    am.source_event_id = Set(Some(source));
    am.version = Set(version);
    am.updated_at = Set(now);
    Ok(am.update(tx.conn()).await?)
}

/// Rows shown to readers: not the tombstones of cancelled bookings.
fn shown() -> Condition {
    Condition::any()
        .add(events::Column::BookingStatus.is_null())
        .add(events::Column::BookingStatus.is_not_in(crate::input::GONE_BOOKING_STATUSES))
}
