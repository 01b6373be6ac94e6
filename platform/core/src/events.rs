//! Domain events: written to the `events` outbox in the same transaction as the change
//! they describe, so an event exists exactly when its change committed. The server's
//! delivery worker fans them out to the tenant's webhook endpoints.

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DbErr};
use serde::Serialize;

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

/// Records `event_type` (`booking.confirmed`) with `data` in the tenant's outbox.
pub async fn emit(tx: &TenantTx, event_type: &str, data: &impl Serialize) -> Result<Uuid, DbErr> {
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
