//! sea-orm models of the bookables tables.

pub mod bookables {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bookables")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(column_name = "type")]
        pub bookable_type: String,
        pub name: String,
        pub slug: String,
        pub description: Option<String>,
        pub location_id: Option<Uuid>,
        pub category_id: Option<Uuid>,
        pub tags: String,
        pub status: String,
        pub timezone: String,
        pub weekly_schedule: Json,
        pub slot_duration_minutes: i32,
        pub slot_interval_minutes: i32,
        pub pre_buffer_minutes: i32,
        pub post_buffer_minutes: i32,
        pub min_advance_hours: i32,
        pub max_advance_days: i32,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
        pub deletion_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod providers {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "providers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Option<Uuid>,
        pub email: String,
        pub phone: Option<String>,
        pub bio: Option<String>,
        pub specialties: Json,
        pub languages: Json,
        pub can_work_at_locations: Json,
        pub travel_radius_km: Option<i32>,
        pub max_daily_bookings: Option<i32>,
        pub min_rest_between_bookings_minutes: i32,
        pub hourly_rate: Option<String>,
        pub commission_split: Option<String>,
        pub rating: Option<String>,
        pub review_count: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod company_providers {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "company_providers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub household_id: Uuid,
        pub email: String,
        pub phone: String,
        pub website: Option<String>,
        pub available_technicians: Json,
        pub dispatch_method: String,
        pub service_radius_km: i32,
        pub business_hours: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod assets {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "assets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub asset_type: String,
        pub serial_number: Option<String>,
        pub inventory_number: Option<String>,
        pub specifications: Json,
        pub maintenance_every_hours: Option<i32>,
        pub maintenance_every_days: Option<i32>,
        pub last_serviced_at: Option<DateTimeUtc>,
        pub next_service_due: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod venues {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "venues")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub capacity_min: Option<i32>,
        pub capacity_max: i32,
        pub square_footage: Option<i32>,
        pub amenities: Json,
        pub allow_simultaneous_bookings: bool,
        pub max_simultaneous_bookings: Option<i32>,
        pub default_setup_minutes: i32,
        pub default_teardown_minutes: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod date_overrides {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bookable_date_overrides")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub bookable_id: Uuid,
        pub date: Date,
        #[sea_orm(column_name = "type")]
        pub override_type: String,
        pub hours: Json,
        pub pricing_multiplier: Option<String>,
        pub reason: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod blocked_times {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "blocked_times")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub bookable_id: Uuid,
        pub start_at: DateTimeUtc,
        pub end_at: DateTimeUtc,
        #[sea_orm(column_name = "type")]
        pub block_type: String,
        pub reason: Option<String>,
        pub allow_override: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod certifications {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "provider_certifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub bookable_id: Uuid,
        #[sea_orm(column_name = "type")]
        pub certification_type: String,
        pub issued_by: String,
        pub issued_at: DateTimeUtc,
        pub expires_at: Option<DateTimeUtc>,
        pub document_url: Option<String>,
        pub is_verified: bool,
        pub version: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
