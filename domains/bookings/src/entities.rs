//! sea-orm models of the bookings tables.

pub mod reservations {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reservations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub service_template_id: Uuid,
        pub holder_user_id: Uuid,
        pub status: String,
        pub start_at: DateTimeUtc,
        pub end_at: DateTimeUtc,
        pub participants: i32,
        pub expires_at: DateTimeUtc,
        pub max_expires_at: DateTimeUtc,
        pub extension_count: i32,
        pub booking_id: Option<Uuid>,
        pub version: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod bookings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bookings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub service_template_id: Uuid,
        pub template_version: i32,
        pub location_id: Option<Uuid>,
        pub status: String,
        pub start_at: DateTimeUtc,
        pub end_at: DateTimeUtc,
        pub timezone: String,
        pub duration_minutes: i32,
        pub booked_by: Uuid,
        pub household_id: Option<Uuid>,
        pub participant_count: i32,
        pub pricing_snapshot: Json,
        pub total: String,
        pub currency: String,
        pub refund_amount: Option<String>,
        pub refund_percent: Option<String>,
        pub cancelled_at: Option<DateTimeUtc>,
        pub cancelled_by: Option<String>,
        pub cancellation_reason: Option<String>,
        pub checked_in_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
        pub source: String,
        pub reservation_id: Option<Uuid>,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod participants {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_participants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub booking_id: Uuid,
        pub user_id: Option<Uuid>,
        pub household_member_id: Option<Uuid>,
        pub name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub role: String,
        pub status: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod status_history {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_status_history")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub booking_id: Uuid,
        pub from_status: Option<String>,
        pub to_status: String,
        pub actor_type: String,
        pub actor_id: Option<Uuid>,
        pub reason: Option<String>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod allocations {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_allocations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub bookable_id: Uuid,
        pub bookable_type: String,
        pub booking_id: Option<Uuid>,
        pub reservation_id: Option<Uuid>,
        pub service_template_id: Uuid,
        pub role: String,
        pub technician_user_id: Option<Uuid>,
        pub start_at: DateTimeUtc,
        pub end_at: DateTimeUtc,
        pub busy_start: DateTimeUtc,
        pub busy_end: DateTimeUtc,
        pub participants: i32,
        pub exclusive: bool,
        pub hold_expires_at: Option<DateTimeUtc>,
        pub active: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
