//! Products (Bizing §6) and their inventory: the catalog, one balance row per (product,
//! location) that the database itself keeps within bounds (`on_hand >= 0`,
//! `0 <= reserved <= on_hand`), the reservations held against it, and the append-only
//! movement ledger whose idempotency keys are unique per tenant.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use atrium_migrations::tenancy::{
    col, create_tenant_table, drop_tenant_finder, index, tenant_finder, tenant_fk, tenant_table, unique_index,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn check(name: &str, expr: &str) -> sea_query::table::Check {
    sea_query::table::Check::named(Alias::new(name), Expr::cust(expr.to_owned()))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tenant_table(
            manager,
            "products",
            tenant_table("products")
                .col(col("sku").text().not_null())
                .col(col("name").text().not_null())
                .col(col("description").text().null())
                .col(col("type").text().not_null())
                // decimals as text: exact on both backends
                .col(col("price").text().not_null())
                .col(col("cost").text().null())
                .col(col("currency").text().not_null())
                .col(col("tax_category").text().null())
                .col(col("fulfillment").json_binary().not_null())
                .col(col("reorder_point").big_integer().null())
                .col(col("status").text().not_null())
                .col(col("location_ids").json_binary().not_null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .col(col("deleted_at").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
        // One live product per SKU in a tenant; a deleted product's SKU may be used again.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_products_sku ON products (tenant_id, sku) WHERE deleted_at IS NULL",
            )
            .await?;

        // `location_id` is the nil UUID for stock a product keeps without locations.
        create_tenant_table(
            manager,
            "inventory_balances",
            tenant_table("inventory_balances")
                .col(col("product_id").uuid().not_null())
                .col(col("location_id").uuid().not_null())
                .col(col("on_hand").big_integer().not_null())
                .col(col("reserved").big_integer().not_null())
                // "currently at or below the reorder point / at zero": the alerts fire when
                // these turn true, and re-arm when they turn false.
                .col(col("low_stock").boolean().not_null())
                .col(col("out_of_stock").boolean().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .check(check("ck_inventory_balances_on_hand", "on_hand >= 0"))
                .check(check("ck_inventory_balances_reserved", "reserved >= 0 AND reserved <= on_hand"))
                .foreign_key(&mut tenant_fk("inventory_balances", "product_id", "products"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index(
                "ux_inventory_balances_product_location",
                "inventory_balances",
                &["tenant_id", "product_id", "location_id"],
            ))
            .await?;

        create_tenant_table(
            manager,
            "inventory_reservations",
            tenant_table("inventory_reservations")
                .col(col("product_id").uuid().not_null())
                .col(col("location_id").uuid().not_null())
                .col(col("quantity").big_integer().not_null())
                .col(col("status").text().not_null())
                .col(col("expires_at").timestamp_with_time_zone().null())
                .col(col("reference").text().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("ended_at").timestamp_with_time_zone().null())
                .check(check("ck_inventory_reservations_quantity", "quantity > 0"))
                .foreign_key(&mut tenant_fk("inventory_reservations", "product_id", "products"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index(
                "ix_inventory_reservations_open",
                "inventory_reservations",
                &["tenant_id", "product_id", "location_id", "status"],
            ))
            .await?;

        create_tenant_table(
            manager,
            "inventory_movements",
            tenant_table("inventory_movements")
                .col(col("product_id").uuid().not_null())
                .col(col("location_id").uuid().not_null())
                .col(col("type").text().not_null())
                .col(col("quantity").big_integer().not_null())
                .col(col("on_hand_delta").big_integer().not_null())
                .col(col("reserved_delta").big_integer().not_null())
                .col(col("on_hand_after").big_integer().not_null())
                .col(col("reserved_after").big_integer().not_null())
                .col(col("reservation_id").uuid().null())
                .col(col("reason").text().null())
                .col(col("reference").text().null())
                .col(col("actor_type").text().not_null())
                .col(col("actor_id").uuid().null())
                .col(col("request_id").text().null())
                .col(col("idempotency_key").text().not_null())
                // the normalized request the key was first used with
                .col(col("request").text().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(&mut tenant_fk("inventory_movements", "product_id", "products"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index(
                "ux_inventory_movements_idempotency_key",
                "inventory_movements",
                &["tenant_id", "idempotency_key"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_inventory_movements_product",
                "inventory_movements",
                &["tenant_id", "product_id", "id"],
            ))
            .await?;
        // The reservation sweeper's way to the tenants with reservations to release.
        tenant_finder(
            manager,
            "stock_reservation_sweeper",
            "inventory_reservations",
            "atrium_tenants_with_expired_stock_reservations",
            "t.status = 'active' AND t.expires_at <= now()",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tenant_finder(
            manager,
            "stock_reservation_sweeper",
            "inventory_reservations",
            "atrium_tenants_with_expired_stock_reservations",
        )
        .await?;
        for t in ["inventory_movements", "inventory_reservations", "inventory_balances", "products"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
