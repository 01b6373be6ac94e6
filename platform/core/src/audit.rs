//! The audit log: append-only, per tenant. Every write a handler makes records who did
//! what to which entity, with a before/after summary, the request id and client address,
//! in the same transaction as the write itself.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use serde_json::Value;

use crate::context::{Actor, RequestContext};
use crate::db::TenantTx;
use crate::events::{ChangeEvent, EventKind};
use crate::ids::UserId;
use crate::request_id;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub occurred_at: DateTimeUtc,
        pub actor_type: String,
        pub actor_id: Option<Uuid>,
        pub action: String,
        pub entity_type: String,
        pub entity_id: String,
        pub before: Option<Json>,
        pub after: Option<Json>,
        pub request_id: Option<String>,
        pub client_ip: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Who did it.
#[derive(Clone, Debug)]
pub struct AuditActor {
    pub actor_type: &'static str,
    pub actor_id: Option<Uuid>,
    pub client_ip: Option<String>,
}

impl AuditActor {
    pub fn of(ctx: &RequestContext) -> Self {
        let (actor_type, actor_id) = match &ctx.principal().actor {
            Actor::User(id) => ("user", id.0),
            Actor::ApiKey { key_id, .. } => ("api_key", *key_id),
        };
        Self { actor_type, actor_id: Some(actor_id), client_ip: ctx.client_ip().map(str::to_owned) }
    }

    pub fn user(id: UserId, client_ip: Option<String>) -> Self {
        Self { actor_type: "user", actor_id: Some(id.0), client_ip }
    }

    pub fn system() -> Self {
        Self { actor_type: "system", actor_id: None, client_ip: None }
    }
}

/// One audited change, named by the event it emits.
pub struct Change<'a> {
    /// Only [`Change::new`] sets it, from a declared event type.
    action: &'static str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> Change<'a> {
    /// The audit log's `action`: the name of the change's event.
    pub fn action(&self) -> &'static str {
        self.action
    }

    /// The change `event` (a plugin's declared event type, also the audit log's `action`)
    /// made to `entity_type` `entity_id`.
    pub fn new(
        event: impl EventKind,
        entity_type: &'a str,
        entity_id: impl ToString,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Self {
        Self { action: event.name(), entity_type, entity_id: entity_id.to_string(), before, after }
    }
}

/// Records `change` in the audit log and emits its event (`member.added`, …) in the
/// outbox, both in `tx`: every audited change is an event.
pub async fn record(tx: &TenantTx, actor: &AuditActor, change: Change<'_>) -> Result<(), DbErr> {
    let data = ChangeEvent {
        id: change.entity_id.clone(),
        object: change.after.clone().or_else(|| change.before.clone()).unwrap_or(Value::Null),
    };
    let action = change.action;
    record_on(tx.conn(), tx.tenant_id().0, actor, change).await?;
    crate::events::insert(tx, action, &data).await.map(drop)
}

/// For the few writes made before a [`TenantTx`] exists (signup).
pub async fn record_on(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    actor: &AuditActor,
    change: Change<'_>,
) -> Result<(), DbErr> {
    let now: DateTime<Utc> = Utc::now();
    entity::ActiveModel {
        tenant_id: Set(tenant_id),
        id: Set(Uuid::now_v7()),
        occurred_at: Set(now),
        actor_type: Set(actor.actor_type.to_owned()),
        actor_id: Set(actor.actor_id),
        action: Set(change.action.to_owned()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(request_id::current().map(|id| id.to_string())),
        client_ip: Set(actor.client_ip.clone()),
    }
    .insert(conn)
    .await
    .map(|_| ())
}
