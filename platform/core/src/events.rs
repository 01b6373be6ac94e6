//! Domain events: written to the `events` outbox in the same transaction as the change
//! they describe, so an event exists exactly when its change committed. The delivery
//! worker fans them out to the tenant's webhook endpoints.
//!
//! A plugin declares its event types once, as an enum implementing [`EventKind`]
//! (`#[derive(EnumIter)]` lists its variants); [`emit`] and the audit log's `Change` take
//! that type, and the catalog (`GET /v1/event-types`) is derived from the same enum by
//! [`catalog`] — so an event that is emitted but not declared cannot compile.

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DbErr, Iterable};
use serde::Serialize;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use crate::context::Permission;
use crate::db::TenantTx;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub event_type: String,
        pub data: Json,
        pub occurred_at: DateTimeUtc,
        pub dispatched_at: Option<DateTimeUtc>,
        /// Claimed by a delivery worker until then; a dead worker's claim lapses.
        pub leased_until: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A webhook event type a plugin emits (`booking.confirmed`), with the JSON schema of its
/// `data`.
#[derive(Clone)]
pub struct EventTypeDef {
    pub name: &'static str,
    pub description: &'static str,
    pub data_schema: RefOr<Schema>,
    /// Who may subscribe a webhook to it: the permission that reads what it carries.
    pub read_permission: &'static str,
}

impl EventTypeDef {
    /// An event emitted by an audited change: its data is a [`ChangeEvent`].
    pub fn change(name: &'static str, description: &'static str, read_permission: &'static str) -> Self {
        use utoipa::PartialSchema;
        Self { name, description, data_schema: ChangeEvent::schema(), read_permission }
    }
}

/// The `data` of the event a change emits: the entity's id and its state after the
/// change (before it, for deletions).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ChangeEvent {
    /// The changed entity's id.
    pub id: String,
    /// Its state after the change (before it, for deletions and removals).
    pub object: serde_json::Value,
}

/// A plugin's event types. Implement it on an enum with `#[derive(EnumIter)]`, one variant
/// per event, and match exhaustively in each method: a new variant must be named,
/// described and given the permission that reads what it carries.
pub trait EventKind: Copy + Send + Sync + 'static + Iterable {
    /// `<resource>.<past_verb>`: `booking.created`.
    fn name(self) -> &'static str;
    fn description(self) -> &'static str;
    /// Who may subscribe a webhook to it: the permission that reads what it carries.
    fn read_permission(self) -> Permission;
}

/// The catalog entries of every variant of `E`; the data of each is a
/// [`ChangeEvent`].
pub fn catalog<E: EventKind>() -> Vec<EventTypeDef> {
    E::iter().map(|e| EventTypeDef::change(e.name(), e.description(), e.read_permission().as_str())).collect()
}

/// Records `event` with `data` in the tenant's outbox.
pub async fn emit(tx: &TenantTx, event: impl EventKind, data: &impl Serialize) -> Result<Uuid, DbErr> {
    insert(tx, event.name(), data).await
}

/// Only for names that come from an [`EventKind`] (an audited `Change` keeps its event's
/// name).
pub(crate) async fn insert(tx: &TenantTx, event_type: &'static str, data: &impl Serialize) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    entity::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(id),
        event_type: Set(event_type.to_owned()),
        data: Set(serde_json::to_value(data).map_err(|e| DbErr::Custom(e.to_string()))?),
        occurred_at: Set(Utc::now()),
        dispatched_at: Set(None),
        leased_until: Set(None),
    }
    .insert(tx.conn())
    .await?;
    Ok(id)
}

/// The public id of an event: `evt_` + its uuid without dashes.
pub fn public_id(id: Uuid) -> String {
    format!("evt_{}", id.simple())
}
