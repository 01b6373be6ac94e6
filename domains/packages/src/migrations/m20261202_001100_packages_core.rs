//! Packages (Bizing §12): the catalog, purchases (with a snapshot of the terms they were
//! sold under), one balance row per (purchase, item) that the database keeps at or above
//! zero, and the append-only credit ledger the balances are derived from.

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
            "packages",
            tenant_table("packages")
                .col(col("name").text().not_null())
                .col(col("description").text().null())
                // the whole definition (items, price, validity, rules) as the API states it
                .col(col("terms").json_binary().not_null())
                .col(col("status").text().not_null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;

        create_tenant_table(
            manager,
            "package_purchases",
            tenant_table("package_purchases")
                .col(col("package_id").uuid().not_null())
                .col(col("purchaser_id").uuid().not_null())
                .col(col("household_id").uuid().null())
                // the package's terms when it was sold: later edits never reach a sale
                .col(col("terms").json_binary().not_null())
                .col(col("total_paid").text().not_null())
                .col(col("currency").text().not_null())
                .col(col("payment_status").text().not_null())
                .col(col("expires_at").timestamp_with_time_zone().null())
                // set when the expiry job has written the `expired` entries
                .col(col("expiry_recorded_at").timestamp_with_time_zone().null())
                .col(col("refunded_amount").text().null())
                .col(col("transferred_from_id").uuid().null())
                .col(col("transferred_to_id").uuid().null())
                .col(col("version").integer().not_null().default(1))
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .check(check(
                    "ck_package_purchases_payment_status",
                    "payment_status IN ('pending_payment', 'paid', 'refunded')",
                ))
                .foreign_key(&mut tenant_fk("package_purchases", "package_id", "packages"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index(
                "ix_package_purchases_purchaser",
                "package_purchases",
                &["tenant_id", "purchaser_id", "package_id"],
            ))
            .await?;

        create_tenant_table(
            manager,
            "package_balances",
            tenant_table("package_balances")
                .col(col("purchase_id").uuid().not_null())
                .col(col("item_no").integer().not_null())
                .col(col("service_template_id").uuid().not_null())
                .col(col("remaining").big_integer().not_null())
                .col(col("updated_at").timestamp_with_time_zone().not_null())
                .check(check("ck_package_balances_remaining", "remaining >= 0"))
                .foreign_key(&mut tenant_fk("package_balances", "purchase_id", "package_purchases"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(unique_index(
                "ux_package_balances_item",
                "package_balances",
                &["tenant_id", "purchase_id", "item_no"],
            ))
            .await?;

        create_tenant_table(
            manager,
            "package_credit_entries",
            tenant_table("package_credit_entries")
                .col(col("purchase_id").uuid().not_null())
                .col(col("item_no").integer().not_null())
                .col(col("type").text().not_null())
                .col(col("quantity").big_integer().not_null())
                // the entry's effect on the balance (signed), and the balance after it
                .col(col("delta").big_integer().not_null())
                .col(col("remaining_after").big_integer().not_null())
                // the rule that produced it (`extension`, `expiry`, `refund:unused_share_of_price`, …)
                .col(col("policy").text().not_null())
                .col(col("reference").text().null())
                .col(col("booking_id").uuid().null())
                .col(col("linked_entry_id").uuid().null())
                .col(col("counterpart_purchase_id").uuid().null())
                .col(col("amount").text().null())
                .col(col("expires_at").timestamp_with_time_zone().null())
                .col(col("actor_type").text().not_null())
                .col(col("actor_id").uuid().null())
                .col(col("request_id").text().null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .check(check("ck_package_credit_entries_quantity", "quantity >= 0"))
                .check(check(
                    "ck_package_credit_entries_type",
                    "type IN ('granted', 'redeemed', 'returned', 'forfeited', 'expired', 'transferred_out', \
                     'transferred_in', 'refunded')",
                ))
                .check(check("ck_package_credit_entries_remaining", "remaining_after >= 0"))
                .foreign_key(&mut tenant_fk("package_credit_entries", "purchase_id", "package_purchases"))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(index(
                "ix_package_credit_entries_purchase",
                "package_credit_entries",
                &["tenant_id", "purchase_id", "id"],
            ))
            .await?;
        // One follow-up of each kind per linked entry: a redemption is returned (or
        // forfeited) once, an `expired` entry re-granted by one extension.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_package_credit_entries_link ON package_credit_entries \
                 (tenant_id, linked_entry_id, type) WHERE linked_entry_id IS NOT NULL",
            )
            .await?;
        // The expiry job's way to tenants with purchases that have expired unrecorded.
        tenant_finder(
            manager,
            "package_expiry_sweeper",
            "package_purchases",
            "atrium_tenants_with_unrecorded_package_expiry",
            "t.expires_at <= now() AND t.expiry_recorded_at IS NULL",
        )
        .await?;
        // `atrium packages verify`'s way to every tenant with purchases.
        tenant_finder(manager, "package_verify", "package_balances", "atrium_tenants_with_package_balances", "true")
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tenant_finder(manager, "package_verify", "package_balances", "atrium_tenants_with_package_balances")
            .await?;
        drop_tenant_finder(
            manager,
            "package_expiry_sweeper",
            "package_purchases",
            "atrium_tenants_with_unrecorded_package_expiry",
        )
        .await?;
        for t in ["package_credit_entries", "package_balances", "package_purchases", "packages"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
