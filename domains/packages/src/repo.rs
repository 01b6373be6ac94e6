//! The only place that builds queries on the packages tables. Every query filters by the
//! transaction's tenant.

use atrium_core::db::TenantTx;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ConnectionTrait, DbBackend, IntoActiveModel, QueryOrder, QuerySelect, Set, Statement};

use crate::entities::{balances, entries, packages, purchases};
use crate::error::Result;

// ---- packages ----

pub async fn package(tx: &TenantTx, id: Uuid) -> Result<Option<packages::Model>> {
    Ok(packages::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?)
}

/// One page of packages in id order (one more than `limit` when there is a next page).
pub async fn packages_page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    status: Option<String>,
) -> Result<Vec<packages::Model>> {
    let mut q = packages::Entity::find().filter(packages::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(after) = after {
        q = q.filter(packages::Column::Id.gt(after));
    }
    if let Some(s) = status {
        q = q.filter(packages::Column::Status.eq(s));
    }
    Ok(q.order_by_asc(packages::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

pub async fn insert_package(tx: &TenantTx, mut p: packages::Model) -> Result<packages::Model> {
    p.tenant_id = tx.tenant_id().0;
    Ok(p.into_active_model().reset_all().insert(tx.conn()).await?)
}

pub async fn update_package(tx: &TenantTx, p: packages::Model) -> Result<packages::Model> {
    let mut am = p.into_active_model().reset_all();
    am.tenant_id = Set(tx.tenant_id().0);
    Ok(am.update(tx.conn()).await?)
}

// ---- purchases ----

pub async fn purchase(tx: &TenantTx, id: Uuid) -> Result<Option<purchases::Model>> {
    Ok(purchases::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?)
}

pub struct PurchaseFilter {
    pub purchaser_id: Option<Uuid>,
    pub package_id: Option<Uuid>,
}

pub async fn purchases_page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    f: &PurchaseFilter,
) -> Result<Vec<purchases::Model>> {
    let mut q = purchases::Entity::find().filter(purchases::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(after) = after {
        q = q.filter(purchases::Column::Id.gt(after));
    }
    if let Some(p) = f.purchaser_id {
        q = q.filter(purchases::Column::PurchaserId.eq(p));
    }
    if let Some(p) = f.package_id {
        q = q.filter(purchases::Column::PackageId.eq(p));
    }
    Ok(q.order_by_asc(purchases::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

/// Purchases of `package` by `purchaser` that were not refunded.
pub async fn count_live_purchases(tx: &TenantTx, package: Uuid, purchaser: Uuid) -> Result<u64> {
    Ok(purchases::Entity::find()
        .filter(purchases::Column::TenantId.eq(tx.tenant_id().0))
        .filter(purchases::Column::PackageId.eq(package))
        .filter(purchases::Column::PurchaserId.eq(purchaser))
        .filter(purchases::Column::PaymentStatus.ne("refunded"))
        .count(tx.conn())
        .await?)
}

pub async fn insert_purchase(tx: &TenantTx, mut p: purchases::Model) -> Result<purchases::Model> {
    p.tenant_id = tx.tenant_id().0;
    Ok(p.into_active_model().reset_all().insert(tx.conn()).await?)
}

/// Takes purchase `p` for a change: bumps its version if it still is the one read, and
/// answers the row as it is now (`None`: someone changed it first). The row stays locked
/// until the transaction ends, so changes to one purchase never interleave.
pub async fn claim(tx: &TenantTx, p: &purchases::Model) -> Result<Option<purchases::Model>> {
    use purchases::Column as C;
    let rows = purchases::Entity::update_many()
        .col_expr(C::Version, Expr::col(C::Version).add(1))
        .col_expr(C::UpdatedAt, Expr::value(Utc::now()))
        .filter(C::TenantId.eq(tx.tenant_id().0))
        .filter(C::Id.eq(p.id))
        .filter(C::Version.eq(p.version))
        .exec_with_returning(tx.conn())
        .await?;
    Ok(rows.into_iter().next())
}

/// Writes the fields of purchase `p` (a row this transaction has claimed).
pub async fn save_purchase(tx: &TenantTx, p: purchases::Model) -> Result<purchases::Model> {
    let mut am = p.into_active_model().reset_all();
    am.tenant_id = Set(tx.tenant_id().0);
    Ok(am.update(tx.conn()).await?)
}

/// Up to `batch` purchases whose validity ended by `now` with no expiry recorded.
pub async fn unrecorded_expiries(tx: &TenantTx, now: DateTime<Utc>, batch: u64) -> Result<Vec<purchases::Model>> {
    Ok(purchases::Entity::find()
        .filter(purchases::Column::TenantId.eq(tx.tenant_id().0))
        .filter(purchases::Column::ExpiresAt.lte(now))
        .filter(purchases::Column::ExpiryRecordedAt.is_null())
        .order_by_asc(purchases::Column::Id)
        .limit(batch)
        .all(tx.conn())
        .await?)
}

// ---- balances ----

pub async fn balances_of(tx: &TenantTx, purchase: Uuid) -> Result<Vec<balances::Model>> {
    Ok(balances::Entity::find()
        .filter(balances::Column::TenantId.eq(tx.tenant_id().0))
        .filter(balances::Column::PurchaseId.eq(purchase))
        .order_by_asc(balances::Column::ItemNo)
        .all(tx.conn())
        .await?)
}

/// The balances of several purchases at once.
pub async fn balances_of_many(tx: &TenantTx, purchases: &[Uuid]) -> Result<Vec<balances::Model>> {
    if purchases.is_empty() {
        return Ok(Vec::new());
    }
    Ok(balances::Entity::find()
        .filter(balances::Column::TenantId.eq(tx.tenant_id().0))
        .filter(balances::Column::PurchaseId.is_in(purchases.iter().copied()))
        .all(tx.conn())
        .await?)
}

pub async fn insert_balance(tx: &TenantTx, purchase: Uuid, item_no: i32, template: Uuid) -> Result<()> {
    balances::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        purchase_id: Set(purchase),
        item_no: Set(item_no),
        service_template_id: Set(template),
        remaining: Set(0),
        updated_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

/// `remaining += delta` on the (purchase, item) balance where the result stays at or
/// above 0, in one conditional UPDATE: the row after it, or `None` (nothing written).
pub async fn change_balance(
    tx: &TenantTx,
    purchase: Uuid,
    item_no: i32,
    delta: i64,
) -> Result<Option<balances::Model>> {
    use balances::Column as C;
    Ok(balances::Entity::update_many()
        .col_expr(C::Remaining, Expr::col(C::Remaining).add(delta))
        .col_expr(C::UpdatedAt, Expr::value(Utc::now()))
        .filter(C::TenantId.eq(tx.tenant_id().0))
        .filter(C::PurchaseId.eq(purchase))
        .filter(C::ItemNo.eq(item_no))
        .filter(Expr::col(C::Remaining).add(delta).gte(0))
        .exec_with_returning(tx.conn())
        .await?
        .into_iter()
        .next())
}

// ---- entries ----

pub async fn insert_entry(tx: &TenantTx, mut e: entries::Model) -> Result<entries::Model> {
    e.tenant_id = tx.tenant_id().0;
    Ok(e.into_active_model().reset_all().insert(tx.conn()).await?)
}

pub async fn entries_page(
    tx: &TenantTx,
    purchase: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<entries::Model>> {
    let mut q = entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::PurchaseId.eq(purchase));
    if let Some(after) = after {
        q = q.filter(entries::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(entries::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

pub async fn entries_of(tx: &TenantTx, purchase: Uuid) -> Result<Vec<entries::Model>> {
    Ok(entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::PurchaseId.eq(purchase))
        .order_by_asc(entries::Column::Id)
        .all(tx.conn())
        .await?)
}

/// Per (purchase, item) of the tenant: the balance row and the sum of its ledger.
pub async fn drift(tx: &TenantTx) -> Result<Vec<(Uuid, i32, i64, i64)>> {
    let backend = tx.conn().get_database_backend();
    let p = if backend == DbBackend::Postgres { "$1" } else { "?" };
    let sql = format!(
        "SELECT b.purchase_id, b.item_no, b.remaining, \
         CAST(COALESCE(SUM(e.delta), 0) AS BIGINT) AS ledger \
         FROM package_balances b LEFT JOIN package_credit_entries e \
         ON e.tenant_id = b.tenant_id AND e.purchase_id = b.purchase_id AND e.item_no = b.item_no \
         WHERE b.tenant_id = {p} GROUP BY b.purchase_id, b.item_no, b.remaining ORDER BY b.purchase_id, b.item_no"
    );
    let rows = tx.conn().query_all_raw(Statement::from_sql_and_values(backend, sql, [tx.tenant_id().0.into()])).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            r.try_get::<Uuid>("", "purchase_id")?,
            r.try_get::<i32>("", "item_no")?,
            r.try_get::<i64>("", "remaining")?,
            r.try_get::<i64>("", "ledger")?,
        ));
    }
    Ok(out)
}

/// Serializes sales of one package to one customer (PostgreSQL: a transaction-scoped
/// advisory lock; SQLite serializes every writer already), so `max_per_customer` holds
/// under concurrency.
pub async fn lock(tx: &TenantTx, key: &str) -> Result<()> {
    if tx.conn().get_database_backend() == DbBackend::Postgres {
        tx.conn()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                [format!("atrium.packages:{}:{key}", tx.tenant_id()).into()],
            ))
            .await?;
    }
    Ok(())
}

/// Tenants with a purchase whose expiry is due and unrecorded: across row-level security
/// through a narrow function on PostgreSQL.
pub async fn tenants_with_unrecorded_expiry(db: &sea_orm::DatabaseConnection) -> Result<Vec<Uuid>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT tenant_id FROM atrium_tenants_with_unrecorded_package_expiry(50)",
        _ => {
            "SELECT DISTINCT tenant_id FROM package_purchases WHERE expires_at <= ? AND expiry_recorded_at IS NULL \
             LIMIT 50"
        }
    };
    let values: Vec<sea_orm::Value> = if backend == DbBackend::Postgres { Vec::new() } else { vec![Utc::now().into()] };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "tenant_id")).collect()
}

/// Every tenant with package balances (for `atrium packages verify`).
pub async fn tenants_with_balances(db: &sea_orm::DatabaseConnection) -> Result<Vec<Uuid>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT tenant_id FROM atrium_tenants_with_package_balances(1000000)",
        _ => "SELECT DISTINCT tenant_id FROM package_balances",
    };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, Vec::<sea_orm::Value>::new())).await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "tenant_id")).collect()
}

// ---- redemption ----

/// Locks purchase `id` until the transaction ends without changing it (its version
/// stays: other changes' compare-and-set is untouched) and answers it as it is now, after
/// any change that held the lock before. SQLite serializes every writer already.
pub async fn lock_purchase(tx: &TenantTx, id: Uuid) -> Result<Option<purchases::Model>> {
    use purchases::Column as C;
    let rows = purchases::Entity::update_many()
        .col_expr(C::Version, Expr::col(C::Version))
        .filter(C::TenantId.eq(tx.tenant_id().0))
        .filter(C::Id.eq(id))
        .exec_with_returning(tx.conn())
        .await?;
    Ok(rows.into_iter().next())
}

/// Purchases whose credits could pay now for a session of `purchasers` (theirs) or of a
/// member of `households` (shared with it): paid, not transferred, not expired at `now`.
pub async fn redeemable(
    tx: &TenantTx,
    purchasers: &[Uuid],
    households: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<purchases::Model>> {
    use purchases::Column as C;
    use sea_orm::Condition;
    if purchasers.is_empty() && households.is_empty() {
        return Ok(Vec::new());
    }
    let mut whose = Condition::any();
    if !purchasers.is_empty() {
        whose = whose.add(C::PurchaserId.is_in(purchasers.iter().copied()));
    }
    if !households.is_empty() {
        whose = whose.add(C::HouseholdId.is_in(households.iter().copied()));
    }
    Ok(purchases::Entity::find()
        .filter(C::TenantId.eq(tx.tenant_id().0))
        .filter(whose)
        .filter(C::PaymentStatus.eq("paid"))
        .filter(C::TransferredToId.is_null())
        .filter(Condition::any().add(C::ExpiresAt.is_null()).add(C::ExpiresAt.gt(now)))
        .order_by_asc(C::Id)
        .limit(200)
        .all(tx.conn())
        .await?)
}

/// The `redeemed` entries of booking `booking`.
pub async fn redemptions_of(tx: &TenantTx, booking: Uuid) -> Result<Vec<entries::Model>> {
    Ok(entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::BookingId.eq(booking))
        .filter(entries::Column::EntryType.eq("redeemed"))
        .order_by_asc(entries::Column::Id)
        .all(tx.conn())
        .await?)
}

/// The outcome (`returned` or `forfeited`) of redemption `redemption`, if written.
pub async fn outcome_of(tx: &TenantTx, redemption: Uuid) -> Result<Option<entries::Model>> {
    Ok(entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::LinkedEntryId.eq(redemption))
        .filter(entries::Column::EntryType.is_in(["returned", "forfeited"]))
        .one(tx.conn())
        .await?)
}

/// Who has had sessions paid by purchase `purchase` (its redemptions' beneficiaries).
pub async fn beneficiaries(tx: &TenantTx, purchase: Uuid) -> Result<Vec<Uuid>> {
    let rows: Vec<Option<Uuid>> = entries::Entity::find()
        .select_only()
        .column(entries::Column::BeneficiaryId)
        .distinct()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::PurchaseId.eq(purchase))
        .filter(entries::Column::EntryType.eq("redeemed"))
        .into_tuple()
        .all(tx.conn())
        .await?;
    Ok(rows.into_iter().flatten().collect())
}
