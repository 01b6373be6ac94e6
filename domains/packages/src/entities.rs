//! sea-orm models of the packages tables. Decimals are text columns (exact on both
//! backends).

pub mod packages {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "packages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub description: Option<String>,
        pub terms: Json,
        pub status: String,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod purchases {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "package_purchases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub package_id: Uuid,
        pub purchaser_id: Uuid,
        pub household_id: Option<Uuid>,
        pub terms: Json,
        pub total_paid: String,
        pub currency: String,
        pub payment_status: String,
        pub expires_at: Option<DateTimeUtc>,
        pub expiry_recorded_at: Option<DateTimeUtc>,
        pub refunded_amount: Option<String>,
        pub transferred_from_id: Option<Uuid>,
        pub transferred_to_id: Option<Uuid>,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod balances {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "package_balances")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub purchase_id: Uuid,
        pub item_no: i32,
        pub service_template_id: Uuid,
        pub remaining: i64,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod entries {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "package_credit_entries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub purchase_id: Uuid,
        pub item_no: i32,
        #[sea_orm(column_name = "type")]
        pub entry_type: String,
        pub quantity: i64,
        pub delta: i64,
        pub remaining_after: i64,
        pub policy: String,
        pub reference: Option<String>,
        pub booking_id: Option<Uuid>,
        pub linked_entry_id: Option<Uuid>,
        pub counterpart_purchase_id: Option<Uuid>,
        pub amount: Option<String>,
        pub expires_at: Option<DateTimeUtc>,
        pub actor_type: String,
        pub actor_id: Option<Uuid>,
        pub request_id: Option<String>,
        pub created_at: DateTimeUtc,
        /// For a `redeemed` entry: whose session it paid for.
        pub beneficiary_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
