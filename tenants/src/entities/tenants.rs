use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    #[sea_orm(column_name = "type")]
    pub tenant_type: String,
    pub status: String,
    pub timezone: String,
    pub currency: String,
    pub enabled_plugins: Json,
    pub default_config: Json,
    pub branding: Json,
    pub custom_domains: Json,
    pub plan: Json,
    /// `open` or `closed`: whether customers may register themselves.
    pub customer_registration: String,
    /// Whether customers may name guests as participants of their bookings.
    pub customer_guests_allowed: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
