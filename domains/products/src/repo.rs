//! The only place that builds queries on the products tables. Every query filters by the
//! transaction's tenant.

use atrium_core::db::TenantTx;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ConnectionTrait, DbBackend, IntoActiveModel, QueryOrder, QuerySelect, Set, Statement};

use crate::entities::{balances, movements, products, reservations};
use crate::error::{ProductsError, Result};
use crate::model::{ProductState, name_of};

// ---- products ----

/// The tenant's product `id`, unless deleted.
pub async fn product(tx: &TenantTx, id: Uuid) -> Result<Option<products::Model>> {
    Ok(products::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(products::Column::DeletedAt.is_null())
        .one(tx.conn())
        .await?)
}

pub struct ProductFilter<'a> {
    pub status: Option<String>,
    pub product_type: Option<String>,
    pub sku: Option<&'a str>,
    pub tax_category: Option<&'a str>,
    pub location_id: Option<Uuid>,
}

/// One page of the products (not deleted), in id order, with one row more than `limit`
/// when there is a next page.
pub async fn products_page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    f: &ProductFilter<'_>,
) -> Result<Vec<products::Model>> {
    let mut q = products::Entity::find()
        .filter(products::Column::TenantId.eq(tx.tenant_id().0))
        .filter(products::Column::DeletedAt.is_null());
    if let Some(after) = after {
        q = q.filter(products::Column::Id.gt(after));
    }
    if let Some(s) = &f.status {
        q = q.filter(products::Column::Status.eq(s.as_str()));
    }
    if let Some(t) = &f.product_type {
        q = q.filter(products::Column::ProductType.eq(t.as_str()));
    }
    if let Some(sku) = f.sku {
        q = q.filter(products::Column::Sku.eq(sku));
    }
    if let Some(t) = f.tax_category {
        q = q.filter(products::Column::TaxCategory.eq(t));
    }
    if let Some(l) = f.location_id {
        // `location_ids` is a JSON array of UUID strings, written by this crate only.
        let sql = match tx.conn().get_database_backend() {
            DbBackend::Postgres => "CAST(location_ids AS text) LIKE $1",
            _ => "CAST(location_ids AS text) LIKE ?",
        };
        q = q.filter(Expr::cust_with_values(sql, [format!("%\"{l}\"%")]));
    }
    Ok(q.order_by_asc(products::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

fn set_state(am: &mut products::ActiveModel, s: &ProductState) {
    am.sku = Set(s.sku.clone());
    am.name = Set(s.name.clone());
    am.description = Set(s.description.clone());
    am.product_type = Set(name_of(&s.product_type));
    am.price = Set(s.price.to_string());
    am.cost = Set(s.cost.map(|c| c.to_string()));
    am.currency = Set(s.currency.clone());
    am.tax_category = Set(s.tax_category.clone());
    am.fulfillment = Set(serde_json::json!(s.fulfillment));
    am.reorder_point = Set(s.reorder_point);
    am.status = Set(name_of(&s.status));
    am.location_ids = Set(serde_json::json!(s.location_ids));
}

/// A second live product with the same SKU is a 409, whoever won the race.
fn sku_taken(sku: &str) -> impl FnOnce(DbErr) -> ProductsError + '_ {
    move |e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ProductsError::SkuTaken(sku.to_owned()),
        _ => ProductsError::Db(e),
    }
}

pub async fn insert_product(tx: &TenantTx, s: &ProductState) -> Result<products::Model> {
    let now = Utc::now();
    let mut am = products::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    set_state(&mut am, s);
    am.insert(tx.conn()).await.map_err(sku_taken(&s.sku))
}

/// Writes a product's new state, bumping its version.
pub async fn update_product(tx: &TenantTx, current: products::Model, s: &ProductState) -> Result<products::Model> {
    let version = current.version + 1;
    let mut am = current.into_active_model();
    set_state(&mut am, s);
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    am.update(tx.conn()).await.map_err(sku_taken(&s.sku))
}

pub async fn soft_delete_product(tx: &TenantTx, current: products::Model) -> Result<products::Model> {
    let version = current.version + 1;
    let mut am = current.into_active_model();
    am.deleted_at = Set(Some(Utc::now()));
    am.version = Set(version);
    Ok(am.update(tx.conn()).await?)
}

// ---- balances ----

/// The balance rows of `product`, by location.
pub async fn balances_of(tx: &TenantTx, product: Uuid) -> Result<Vec<balances::Model>> {
    Ok(balances::Entity::find()
        .filter(balances::Column::TenantId.eq(tx.tenant_id().0))
        .filter(balances::Column::ProductId.eq(product))
        .order_by_asc(balances::Column::LocationId)
        .all(tx.conn())
        .await?)
}

/// Creates the (product, location) balance at zero unless it exists (a concurrent creator
/// wins quietly). The alert flags start raised: nothing is available yet.
pub async fn ensure_balance(tx: &TenantTx, product: Uuid, location: Uuid, low_stock: bool) -> Result<()> {
    let am = balances::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        product_id: Set(product),
        location_id: Set(location),
        on_hand: Set(0),
        reserved: Set(0),
        low_stock: Set(low_stock),
        out_of_stock: Set(true),
        updated_at: Set(Utc::now()),
    };
    balances::Entity::insert(am)
        .on_conflict(
            OnConflict::columns([
                balances::Column::TenantId,
                balances::Column::ProductId,
                balances::Column::LocationId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?;
    Ok(())
}

pub async fn balance(tx: &TenantTx, product: Uuid, location: Uuid) -> Result<Option<balances::Model>> {
    Ok(balances::Entity::find()
        .filter(balances::Column::TenantId.eq(tx.tenant_id().0))
        .filter(balances::Column::ProductId.eq(product))
        .filter(balances::Column::LocationId.eq(location))
        .one(tx.conn())
        .await?)
}

/// How a balance changes, and the condition under which it may.
#[derive(Clone, Copy, Debug)]
pub enum BalanceChange {
    /// `on_hand += q` (q ≥ 0).
    Receive(i64),
    /// `on_hand += d` where `on_hand + d >= reserved`.
    Delta(i64),
    /// `on_hand = to` where `on_hand = expected` and `reserved <= to`.
    Set { to: i64, expected: i64 },
    /// `reserved += q` where `on_hand - reserved >= q`.
    Reserve(i64),
    /// `reserved -= q` where `reserved >= q`.
    Release(i64),
    /// `on_hand -= q` and `reserved -= q` at once where `reserved >= q`: reserved stock
    /// sold, never available in between.
    Sell(i64),
}

/// Applies `change` to the (product, location) balance with one conditional UPDATE: the
/// row after it, or `None` when the condition did not hold (nothing written).
pub async fn change_balance(
    tx: &TenantTx,
    product: Uuid,
    location: Uuid,
    change: BalanceChange,
) -> Result<Option<balances::Model>> {
    use balances::Column as C;
    let mut q = balances::Entity::update_many()
        .col_expr(C::UpdatedAt, Expr::value(Utc::now()))
        .filter(C::TenantId.eq(tx.tenant_id().0))
        .filter(C::ProductId.eq(product))
        .filter(C::LocationId.eq(location));
    q = match change {
        BalanceChange::Receive(n) => q.col_expr(C::OnHand, Expr::col(C::OnHand).add(n)),
        BalanceChange::Delta(d) => q
            .col_expr(C::OnHand, Expr::col(C::OnHand).add(d))
            .filter(Expr::col(C::OnHand).add(d).gte(Expr::col(C::Reserved))),
        BalanceChange::Set { to, expected } => {
            q.col_expr(C::OnHand, Expr::value(to)).filter(C::OnHand.eq(expected)).filter(C::Reserved.lte(to))
        }
        BalanceChange::Reserve(n) => q
            .col_expr(C::Reserved, Expr::col(C::Reserved).add(n))
            .filter(Expr::col(C::OnHand).sub(Expr::col(C::Reserved)).gte(n)),
        BalanceChange::Release(n) => q.col_expr(C::Reserved, Expr::col(C::Reserved).sub(n)).filter(C::Reserved.gte(n)),
        BalanceChange::Sell(n) => q
            .col_expr(C::OnHand, Expr::col(C::OnHand).sub(n))
            .col_expr(C::Reserved, Expr::col(C::Reserved).sub(n))
            .filter(C::Reserved.gte(n)),
    };
    Ok(q.exec_with_returning(tx.conn()).await?.into_iter().next())
}

/// Sets the alert flags of balance `id` (a row this transaction has just updated).
pub async fn set_alerts(tx: &TenantTx, id: Uuid, low_stock: bool, out_of_stock: bool) -> Result<()> {
    balances::Entity::update_many()
        .col_expr(balances::Column::LowStock, Expr::value(low_stock))
        .col_expr(balances::Column::OutOfStock, Expr::value(out_of_stock))
        .filter(balances::Column::TenantId.eq(tx.tenant_id().0))
        .filter(balances::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

// ---- reservations ----

pub struct NewReservation<'a> {
    pub id: Uuid,
    pub product_id: Uuid,
    pub location_id: Uuid,
    pub quantity: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub reference: Option<&'a str>,
    pub owner_id: Option<Uuid>,
}

pub async fn insert_reservation(tx: &TenantTx, r: NewReservation<'_>) -> Result<reservations::Model> {
    Ok(reservations::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(r.id),
        product_id: Set(r.product_id),
        location_id: Set(r.location_id),
        quantity: Set(r.quantity),
        status: Set("active".to_owned()),
        expires_at: Set(r.expires_at),
        reference: Set(r.reference.map(str::to_owned)),
        created_at: Set(Utc::now()),
        ended_at: Set(None),
        owner_id: Set(r.owner_id),
    }
    .insert(tx.conn())
    .await?)
}

pub async fn reservation(tx: &TenantTx, product: Uuid, id: Uuid) -> Result<Option<reservations::Model>> {
    Ok(reservations::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(reservations::Column::ProductId.eq(product))
        .one(tx.conn())
        .await?)
}

/// Ends active reservation `id` as `status` (`released`, `expired`): false when it was
/// not active any more (someone else ended it first).
pub async fn end_reservation(tx: &TenantTx, id: Uuid, status: &str) -> Result<bool> {
    let done = reservations::Entity::update_many()
        .col_expr(reservations::Column::Status, Expr::value(status))
        .col_expr(reservations::Column::EndedAt, Expr::value(Utc::now()))
        .filter(reservations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(reservations::Column::Id.eq(id))
        .filter(reservations::Column::Status.eq("active"))
        .exec(tx.conn())
        .await?;
    Ok(done.rows_affected > 0)
}

/// The active reservations of `product` whose expiry has passed at `now` (at `location`
/// when given).
pub async fn expired_reservations(
    tx: &TenantTx,
    product: Uuid,
    location: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<reservations::Model>> {
    let mut q = reservations::Entity::find()
        .filter(reservations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(reservations::Column::ProductId.eq(product))
        .filter(reservations::Column::Status.eq("active"))
        .filter(reservations::Column::ExpiresAt.lte(now));
    if let Some(l) = location {
        q = q.filter(reservations::Column::LocationId.eq(l));
    }
    Ok(q.order_by_asc(reservations::Column::Id).all(tx.conn()).await?)
}

/// Whether `product` has an active reservation that has not expired at `now`.
pub async fn has_live_reservation(tx: &TenantTx, product: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = reservations::Entity::find()
        .filter(reservations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(reservations::Column::ProductId.eq(product))
        .filter(reservations::Column::Status.eq("active"))
        .filter(reservations::Column::ExpiresAt.is_null().or(reservations::Column::ExpiresAt.gt(now)))
        .count(tx.conn())
        .await?;
    Ok(n > 0)
}

// ---- movements ----

/// Serializes requests that use one idempotency key (PostgreSQL: a transaction-scoped
/// advisory lock; SQLite serializes every writer already), so a replay always finds the
/// movement its first use wrote.
pub async fn lock_key(tx: &TenantTx, key: &str) -> Result<()> {
    if tx.conn().get_database_backend() == DbBackend::Postgres {
        tx.conn()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                [format!("atrium.products:{}:{key}", tx.tenant_id()).into()],
            ))
            .await?;
    }
    Ok(())
}

pub async fn movement_by_key(tx: &TenantTx, key: &str) -> Result<Option<movements::Model>> {
    Ok(movements::Entity::find()
        .filter(movements::Column::TenantId.eq(tx.tenant_id().0))
        .filter(movements::Column::IdempotencyKey.eq(key))
        .one(tx.conn())
        .await?)
}

pub async fn insert_movement(tx: &TenantTx, mut m: movements::Model) -> Result<movements::Model> {
    m.tenant_id = tx.tenant_id().0;
    Ok(m.into_active_model().reset_all().insert(tx.conn()).await?)
}

/// One page of `product`'s movements in the order they happened (one more than `limit`
/// when there is a next page).
pub async fn movements_page(
    tx: &TenantTx,
    product: Uuid,
    after: Option<Uuid>,
    limit: u64,
    movement_type: Option<String>,
    location: Option<Uuid>,
) -> Result<Vec<movements::Model>> {
    let mut q = movements::Entity::find()
        .filter(movements::Column::TenantId.eq(tx.tenant_id().0))
        .filter(movements::Column::ProductId.eq(product));
    if let Some(after) = after {
        q = q.filter(movements::Column::Id.gt(after));
    }
    if let Some(t) = movement_type {
        q = q.filter(movements::Column::MovementType.eq(t));
    }
    if let Some(l) = location {
        q = q.filter(movements::Column::LocationId.eq(l));
    }
    Ok(q.order_by_asc(movements::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

/// Sums of the active reservations of `product` already expired at `now`, by location:
/// reads leave them out of `reserved` before a write releases them.
pub async fn expired_by_location(tx: &TenantTx, product: Uuid, now: DateTime<Utc>) -> Result<Vec<(Uuid, i64)>> {
    let rows = expired_reservations(tx, product, None, now).await?;
    let mut out: Vec<(Uuid, i64)> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|(l, _)| *l == r.location_id) {
            Some((_, n)) => *n += r.quantity,
            None => out.push((r.location_id, r.quantity)),
        }
    }
    Ok(out)
}

/// Up to `batch` active reservations of the tenant expired by `now`, any product.
pub async fn expired_in_tenant(tx: &TenantTx, now: DateTime<Utc>, batch: u64) -> Result<Vec<reservations::Model>> {
    Ok(reservations::Entity::find()
        .filter(reservations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(reservations::Column::Status.eq("active"))
        .filter(reservations::Column::ExpiresAt.lte(now))
        .order_by_asc(reservations::Column::Id)
        .limit(batch)
        .all(tx.conn())
        .await?)
}

/// Product `id` of the tenant, deleted or not (a sweeper still releases its stock).
pub async fn product_any(tx: &TenantTx, id: Uuid) -> Result<Option<products::Model>> {
    Ok(products::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?)
}

/// Tenants with stock reservations to release: across row-level security through a
/// narrow function on PostgreSQL.
pub async fn tenants_with_expired_reservations(db: &sea_orm::DatabaseConnection) -> Result<Vec<Uuid>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT tenant_id FROM atrium_tenants_with_expired_stock_reservations(50)",
        _ => {
            "SELECT DISTINCT tenant_id FROM inventory_reservations WHERE status = 'active' AND expires_at <= ? LIMIT 50"
        }
    };
    let values: Vec<sea_orm::Value> = if backend == DbBackend::Postgres { Vec::new() } else { vec![Utc::now().into()] };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "tenant_id")).collect()
}

// ---- bookings' stock ----

/// The active reservations of booking or hold `owner`, in (product, location) order.
pub async fn reservations_of(tx: &TenantTx, owner: Uuid) -> Result<Vec<reservations::Model>> {
    Ok(reservations::Entity::find()
        .filter(reservations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(reservations::Column::OwnerId.eq(owner))
        .filter(reservations::Column::Status.eq("active"))
        .order_by_asc(reservations::Column::ProductId)
        .order_by_asc(reservations::Column::LocationId)
        .all(tx.conn())
        .await?)
}

/// Hands the active reservations of hold `from` to booking `to`: they no longer expire.
pub async fn transfer_reservations(tx: &TenantTx, from: Uuid, to: Uuid) -> Result<()> {
    reservations::Entity::update_many()
        .col_expr(reservations::Column::OwnerId, Expr::value(to))
        .col_expr(reservations::Column::ExpiresAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(reservations::Column::Reference, Expr::value(format!("booking:{to}")))
        .filter(reservations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(reservations::Column::OwnerId.eq(from))
        .filter(reservations::Column::Status.eq("active"))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Moves the expiry of hold `owner`'s active reservations to `expires_at`.
pub async fn extend_reservations(tx: &TenantTx, owner: Uuid, expires_at: DateTime<Utc>) -> Result<()> {
    reservations::Entity::update_many()
        .col_expr(reservations::Column::ExpiresAt, Expr::value(Some(expires_at)))
        .filter(reservations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(reservations::Column::OwnerId.eq(owner))
        .filter(reservations::Column::Status.eq("active"))
        .exec(tx.conn())
        .await?;
    Ok(())
}
