//! sea-orm models of the products tables. Decimals are text columns (exact on both
//! backends); `location_id` of the inventory tables is the nil UUID for stock kept
//! without a location.

pub mod products {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "products")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub sku: String,
        pub name: String,
        pub description: Option<String>,
        #[sea_orm(column_name = "type")]
        pub product_type: String,
        pub price: String,
        pub cost: Option<String>,
        pub currency: String,
        pub tax_category: Option<String>,
        pub fulfillment: Json,
        pub reorder_point: Option<i64>,
        pub status: String,
        pub location_ids: Json,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod balances {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inventory_balances")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub product_id: Uuid,
        pub location_id: Uuid,
        pub on_hand: i64,
        pub reserved: i64,
        pub low_stock: bool,
        pub out_of_stock: bool,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod reservations {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inventory_reservations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub product_id: Uuid,
        pub location_id: Uuid,
        pub quantity: i64,
        /// `active`, `released` or `expired`.
        pub status: String,
        pub expires_at: Option<DateTimeUtc>,
        pub reference: Option<String>,
        pub created_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        /// The booking or hold it is for (`None`: a direct reservation).
        pub owner_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod movements {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inventory_movements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub product_id: Uuid,
        pub location_id: Uuid,
        #[sea_orm(column_name = "type")]
        pub movement_type: String,
        pub quantity: i64,
        pub on_hand_delta: i64,
        pub reserved_delta: i64,
        pub on_hand_after: i64,
        pub reserved_after: i64,
        pub reservation_id: Option<Uuid>,
        pub reason: Option<String>,
        pub reference: Option<String>,
        pub actor_type: String,
        pub actor_id: Option<Uuid>,
        pub request_id: Option<String>,
        pub idempotency_key: String,
        pub request: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
