use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: Json,
    pub enabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_valid_until: Option<DateTimeUtc>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTimeUtc>,
    pub version: i32,
    /// The member who last set `event_types` (see the webhook-subscribers migration).
    pub subscribed_by: Option<Uuid>,
    /// The API key they used, if any.
    pub subscribed_by_key: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
