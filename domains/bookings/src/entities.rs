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
        pub cancellation_policy: Json,
        pub total: String,
        pub currency: String,
        pub refund_amount: Option<String>,
        pub refund_percent: Option<String>,
        pub cancelled_at: Option<DateTimeUtc>,
        pub cancelled_by: Option<String>,
        pub cancellation_reason: Option<String>,
        pub checked_in_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
        /// When its reminder was enqueued (once per booking).
        pub reminded_at: Option<DateTimeUtc>,
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

pub mod waitlist_entries {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "waitlist_entries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub service_template_id: Uuid,
        pub user_id: Uuid,
        pub household_id: Option<Uuid>,
        pub preferred_date: Date,
        pub preferred_start: Option<String>,
        pub preferred_end: Option<String>,
        pub participants: Json,
        pub participant_count: i32,
        pub technician_user_id: Option<Uuid>,
        pub status: String,
        pub offered_at: Option<DateTimeUtc>,
        pub offered_start: Option<DateTimeUtc>,
        pub offered_end: Option<DateTimeUtc>,
        pub offer_expires_at: Option<DateTimeUtc>,
        pub reservation_id: Option<Uuid>,
        pub booking_id: Option<Uuid>,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod recurring_rules {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "recurring_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub service_template_id: Uuid,
        pub household_id: Option<Uuid>,
        pub start_time: String,
        pub timezone: String,
        pub pattern: Json,
        pub start_date: Date,
        pub end_date: Option<Date>,
        pub max_occurrences: Option<i32>,
        pub exceptions: Json,
        pub bookable_ids: Option<Json>,
        pub participants: Json,
        pub participant_count: i32,
        pub duration_minutes: Option<i32>,
        pub technician_user_id: Option<Uuid>,
        pub status: String,
        pub total_occurrences: i32,
        pub materialized_until: Date,
        pub cancelled_at: Option<DateTimeUtc>,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod recurring_occurrences {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "recurring_rule_occurrences")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub rule_id: Uuid,
        pub date: Date,
        pub original_date: Option<Date>,
        pub start_at: DateTimeUtc,
        pub status: String,
        pub booking_id: Option<Uuid>,
        pub reason: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
