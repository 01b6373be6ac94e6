//! sea-orm model of the `service_templates` table. The nested parts of a template (duration,
//! requirements, capacity, pricing, …) are JSON columns holding the typed model's own
//! serialization (decimals as strings); the columns lists filter on are plain columns.

pub mod service_templates {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_templates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub slug: String,
        pub description: Option<String>,
        pub location_id: Option<Uuid>,
        pub category_id: Option<Uuid>,
        /// `,a,b,`: one portable `LIKE '%,a,%'` finds a tag on SQLite and PostgreSQL.
        pub tags: String,
        #[sea_orm(column_name = "type")]
        pub template_type: String,
        pub status: String,
        pub duration: Json,
        pub required_bookables: Json,
        pub optional_bookables: Json,
        pub capacity: Json,
        pub pricing: Json,
        pub cancellation: Json,
        pub deposit: Option<Json>,
        pub included_products: Json,
        pub reservation: Json,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
