//! Bookables (Bizing §3–4): one base row per bookable with its calendar, one subtype row
//! with the type's own fields, and the calendar's date overrides and blocked times.

use sea_orm_migration::prelude::*;

use atrium_migrations::tenancy::{col, create_tenant_table, index, tenant_fk, tenant_table, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A subtype table: its `id` is the bookable's id.
fn subtype(name: &str) -> TableCreateStatement {
    tenant_table(name).foreign_key(tenant_fk(name, "id", "bookables").on_delete(ForeignKeyAction::Cascade)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tenant_table(
            manager,
            "bookables",
            tenant_table("bookables")
                .col(col("type").text().not_null())
                .col(col("name").text().not_null())
                .col(col("slug").text().not_null())
                .col(col("description").text().null())
                .col(col("location_id").uuid().null())
                .col(col("category_id").uuid().null())
                // `,a,b,`: one portable `LIKE '%,a,%'` finds a tag on SQLite and PostgreSQL
                .col(col("tags").text().not_null())
                .col(col("status").text().not_null())
                .col(col("timezone").text().not_null())
                .col(col("weekly_schedule").json_binary().not_null())
                .col(col("slot_duration_minutes").integer().not_null())
                .col(col("slot_interval_minutes").integer().not_null())
                .col(col("pre_buffer_minutes").integer().not_null())
                .col(col("post_buffer_minutes").integer().not_null())
                .col(col("min_advance_hours").integer().not_null())
                .col(col("max_advance_days").integer().not_null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .col(col("deleted_at").timestamp_with_time_zone().null())
                .col(col("deletion_reason").text().null())
                .foreign_key(&mut tenant_fk("bookables", "location_id", "locations"))
                .to_owned(),
        )
        .await?;
        manager.create_index(unique_index("ux_bookables_slug", "bookables", &["tenant_id", "slug"])).await?;
        manager.create_index(index("ix_bookables_type", "bookables", &["tenant_id", "type", "id"])).await?;

        create_tenant_table(
            manager,
            "providers",
            subtype("providers")
                .col(col("user_id").uuid().null())
                .col(col("email").text().not_null())
                .col(col("phone").text().null())
                .col(col("bio").text().null())
                .col(col("specialties").json_binary().not_null())
                .col(col("languages").json_binary().not_null())
                .col(col("can_work_at_locations").json_binary().not_null())
                .col(col("travel_radius_km").integer().null())
                .col(col("max_daily_bookings").integer().null())
                .col(col("min_rest_between_bookings_minutes").integer().not_null())
                // decimals as text: exact on both backends
                .col(col("hourly_rate").text().null())
                .col(col("commission_split").text().null())
                .col(col("rating").text().null())
                .col(col("review_count").integer().not_null())
                .to_owned(),
        )
        .await?;
        create_tenant_table(
            manager,
            "company_providers",
            subtype("company_providers")
                .col(col("household_id").uuid().not_null())
                .col(col("email").text().not_null())
                .col(col("phone").text().not_null())
                .col(col("website").text().null())
                .col(col("available_technicians").json_binary().not_null())
                .col(col("dispatch_method").text().not_null())
                .col(col("service_radius_km").integer().not_null())
                .col(col("business_hours").json_binary().not_null())
                .to_owned(),
        )
        .await?;
        create_tenant_table(
            manager,
            "assets",
            subtype("assets")
                .col(col("asset_type").text().not_null())
                .col(col("serial_number").text().null())
                .col(col("inventory_number").text().null())
                .col(col("specifications").json_binary().not_null())
                .col(col("maintenance_every_hours").integer().null())
                .col(col("maintenance_every_days").integer().null())
                .col(col("last_serviced_at").timestamp_with_time_zone().null())
                .col(col("next_service_due").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
        create_tenant_table(
            manager,
            "venues",
            subtype("venues")
                .col(col("capacity_min").integer().null())
                .col(col("capacity_max").integer().not_null())
                .col(col("square_footage").integer().null())
                .col(col("amenities").json_binary().not_null())
                .col(col("allow_simultaneous_bookings").boolean().not_null())
                .col(col("max_simultaneous_bookings").integer().null())
                .col(col("default_setup_minutes").integer().not_null())
                .col(col("default_teardown_minutes").integer().not_null())
                .to_owned(),
        )
        .await?;

        create_tenant_table(
            manager,
            "bookable_date_overrides",
            tenant_table("bookable_date_overrides")
                .col(col("bookable_id").uuid().not_null())
                .col(col("date").date().not_null())
                .col(col("type").text().not_null())
                .col(col("hours").json_binary().not_null())
                .col(col("pricing_multiplier").text().null())
                .col(col("reason").text().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(
                    tenant_fk("bookable_date_overrides", "bookable_id", "bookables")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index(
                "ux_bookable_date_overrides_date",
                "bookable_date_overrides",
                &["tenant_id", "bookable_id", "date"],
            ))
            .await?;

        create_tenant_table(
            manager,
            "blocked_times",
            tenant_table("blocked_times")
                .col(col("bookable_id").uuid().not_null())
                .col(col("start_at").timestamp_with_time_zone().not_null())
                .col(col("end_at").timestamp_with_time_zone().not_null())
                .col(col("type").text().not_null())
                .col(col("reason").text().null())
                .col(col("allow_override").boolean().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(
                    tenant_fk("blocked_times", "bookable_id", "bookables").on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index("ix_blocked_times_range", "blocked_times", &["tenant_id", "bookable_id", "start_at"]))
            .await?;

        create_tenant_table(
            manager,
            "provider_certifications",
            tenant_table("provider_certifications")
                .col(col("bookable_id").uuid().not_null())
                .col(col("type").text().not_null())
                .col(col("issued_by").text().not_null())
                .col(col("issued_at").timestamp_with_time_zone().not_null())
                .col(col("expires_at").timestamp_with_time_zone().null())
                .col(col("document_url").text().null())
                .col(col("is_verified").boolean().not_null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(
                    tenant_fk("provider_certifications", "bookable_id", "providers")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "provider_certifications",
            "blocked_times",
            "bookable_date_overrides",
            "venues",
            "assets",
            "company_providers",
            "providers",
            "bookables",
        ] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
