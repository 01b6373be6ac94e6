//! The inventory ledger: every change of stock is one movement, written in the same
//! transaction as the conditional update of its (product, location) balance. A request
//! names an idempotency key; its first use is remembered with the movement, so a retry
//! answers that movement and writes nothing, and another request with the key is a 422.
//!
//! Reservations may expire: a read leaves expired ones out at once, and the next write to
//! the balance releases them (a `released` movement) before it applies its own change.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::Scope;
use atrium_core::db::TenantTx;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::entities::{balances, movements, products};
use crate::error::{ProductsError, Result};
use crate::events::ProductsEvent;
pub use crate::model::{NO_LOCATION, stock_location};
use crate::model::{ProductState, ProductStatus, name_of};
use crate::repo::{self, BalanceChange, NewReservation};
use crate::views::{InventoryView, MovementType, MovementView, Operation, StockView};

/// What a stock request produced: its movement, and whether it is a replay.
pub struct Applied {
    pub movement: MovementView,
    pub replayed: bool,
}

fn json<T: serde::Serialize>(view: &T) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

fn within(scope: &Scope, location: Uuid) -> Result<()> {
    match scope {
        Scope::Locations(mine) if !mine.contains(&location) => Err(ProductsError::OutsideLocations),
        _ => Ok(()),
    }
}

/// The balance a request names for product `p`: a product stocked at locations needs one
/// of them; one that is not, none.
fn location_of(p: &ProductState, named: Option<Uuid>, scope: &Scope) -> Result<Uuid> {
    let location = match (p.location_ids.is_empty(), named) {
        (true, None) => NO_LOCATION,
        (true, Some(_)) => {
            return Err(ProductsError::field(
                "location_id",
                "this product is not stocked by location (it has no location_ids): omit location_id",
            ));
        }
        (false, None) => {
            return Err(ProductsError::field("location_id", "is required: this product is stocked at locations"));
        }
        (false, Some(l)) if !p.location_ids.contains(&l) => {
            return Err(ProductsError::field("location_id", "is not one of the product's location_ids"));
        }
        (false, Some(l)) => l,
    };
    within(scope, location)?;
    Ok(location)
}

pub(crate) fn at(location: Uuid) -> String {
    stock_location(location).map_or(String::new(), |l| format!(" at location {l}"))
}

/// The movement for `b` (the balance right after it).
pub(crate) struct Entry<'a> {
    pub(crate) product: Uuid,
    pub(crate) movement_type: MovementType,
    pub(crate) quantity: i64,
    pub(crate) on_hand_delta: i64,
    pub(crate) reserved_delta: i64,
    pub(crate) reservation_id: Option<Uuid>,
    pub(crate) reason: Option<String>,
    pub(crate) reference: Option<String>,
    pub(crate) actor: &'a AuditActor,
    pub(crate) key: String,
    pub(crate) request: String,
}

pub(crate) async fn write(tx: &TenantTx, e: Entry<'_>, b: &balances::Model) -> Result<MovementView> {
    let m = repo::insert_movement(
        tx,
        movements::Model {
            tenant_id: tx.tenant_id().0,
            id: Uuid::now_v7(),
            product_id: e.product,
            location_id: b.location_id,
            movement_type: name_of(&e.movement_type),
            quantity: e.quantity,
            on_hand_delta: e.on_hand_delta,
            reserved_delta: e.reserved_delta,
            on_hand_after: b.on_hand,
            reserved_after: b.reserved,
            reservation_id: e.reservation_id,
            reason: e.reason,
            reference: e.reference,
            actor_type: e.actor.actor_type.to_owned(),
            actor_id: e.actor.actor_id,
            request_id: atrium_core::request_id::current().map(|id| id.to_string()),
            idempotency_key: e.key,
            request: e.request,
            created_at: Utc::now(),
        },
    )
    .await?;
    let view = MovementView::of(&m)?;
    let event = match e.movement_type {
        MovementType::Received => ProductsEvent::InventoryReceived,
        MovementType::Reserved => ProductsEvent::InventoryReserved,
        MovementType::Released => ProductsEvent::InventoryReleased,
        MovementType::Adjusted | MovementType::Sold | MovementType::Returned => ProductsEvent::InventoryAdjusted,
    };
    audit::record(tx, e.actor, Change::new(event, "inventory_movement", m.id, None, json(&view))).await?;
    Ok(view)
}

/// Raises `product.low_stock` / `product.out_of_stock` when balance `b` (just changed by
/// this transaction) has crossed into them, and re-arms them when it has left them.
pub(crate) async fn alerts(
    tx: &TenantTx,
    actor: &AuditActor,
    p: &products::Model,
    state: &ProductState,
    b: &balances::Model,
) -> Result<()> {
    let available = b.on_hand - b.reserved;
    let low = state.reorder_point.is_some_and(|rp| available <= rp);
    let out = available <= 0;
    if (low, out) == (b.low_stock, b.out_of_stock) {
        return Ok(());
    }
    repo::set_alerts(tx, b.id, low, out).await?;
    let data = serde_json::json!({
        "product_id": p.id, "sku": p.sku, "location_id": stock_location(b.location_id),
        "on_hand": b.on_hand, "reserved": b.reserved, "available": available,
        "reorder_point": state.reorder_point,
    });
    for (raised, was, event) in
        [(low, b.low_stock, ProductsEvent::ProductLowStock), (out, b.out_of_stock, ProductsEvent::ProductOutOfStock)]
    {
        if raised && !was {
            audit::record(tx, actor, Change::new(event, "product", p.id, None, Some(data.clone()))).await?;
        }
    }
    Ok(())
}

/// Releases the reservations of `p` at `location` that have expired by `now`, each with
/// its `released` movement (by the system).
pub(crate) async fn expire_due(
    tx: &TenantTx,
    p: &products::Model,
    state: &ProductState,
    location: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let system = AuditActor::system();
    for r in repo::expired_reservations(tx, p.id, Some(location), now).await? {
        if !repo::end_reservation(tx, r.id, "expired").await? {
            continue;
        }
        let b =
            repo::change_balance(tx, p.id, location, BalanceChange::Release(r.quantity)).await?.ok_or_else(|| {
                ProductsError::Corrupt(format!("balance of product {}", p.id), "reserved < reservation".into())
            })?;
        let entry = Entry {
            product: p.id,
            movement_type: MovementType::Released,
            quantity: r.quantity,
            on_hand_delta: 0,
            reserved_delta: -r.quantity,
            reservation_id: Some(r.id),
            reason: Some("expired".to_owned()),
            reference: r.reference.clone(),
            actor: &system,
            key: format!("expiry:{}", r.id),
            request: "{}".to_owned(),
        };
        write(tx, entry, &b).await?;
        alerts(tx, &system, p, state, &b).await?;
    }
    Ok(())
}

/// Releases up to `batch` of the tenant's reservations expired by `now` (the sweeper's
/// unit of work): each with its `released` movement, alerts re-armed.
pub async fn release_expired(tx: &TenantTx, now: DateTime<Utc>, batch: u64) -> Result<usize> {
    let due = repo::expired_in_tenant(tx, now, batch).await?;
    let mut places: Vec<(Uuid, Uuid)> = due.iter().map(|r| (r.product_id, r.location_id)).collect();
    places.sort();
    places.dedup();
    for (product, location) in places {
        let Some(p) = repo::product_any(tx, product).await? else { continue };
        let state = ProductState::of(&p)?;
        expire_due(tx, &p, &state, location, now).await?;
    }
    Ok(due.len())
}

/// Why a conditional update found too little stock, from the balance as it is now.
async fn insufficient(tx: &TenantTx, p: &products::Model, location: Uuid, asked: &str) -> Result<ProductsError> {
    let b = repo::balance(tx, p.id, location).await?;
    let (on_hand, reserved) = b.map_or((0, 0), |b| (b.on_hand, b.reserved));
    Ok(ProductsError::InsufficientStock(format!(
        "{} available of {} ({on_hand} on hand, {reserved} reserved){}; {asked}",
        on_hand - reserved,
        p.sku,
        at(location)
    )))
}

/// Applies stock request `op` with idempotency `key` to product `p`, as `actor` within
/// `scope`.
pub async fn apply(
    tx: &TenantTx,
    actor: &AuditActor,
    scope: &Scope,
    p: &products::Model,
    op: Operation,
    key: String,
) -> Result<Applied> {
    let request = serde_json::json!({"product_id": p.id, "operation": op}).to_string();
    repo::lock_key(tx, &key).await?;
    if let Some(m) = repo::movement_by_key(tx, &key).await? {
        return if m.request == request {
            Ok(Applied { movement: MovementView::of(&m)?, replayed: true })
        } else {
            Err(ProductsError::KeyReused)
        };
    }
    let state = ProductState::of(p)?;
    let now = Utc::now();
    let reservation = match &op {
        Operation::Release { reservation_id, .. } => Some(
            repo::reservation(tx, p.id, *reservation_id)
                .await?
                .ok_or_else(|| ProductsError::field("reservation_id", "is not a reservation of this product"))?,
        ),
        _ => None,
    };
    let location = match &reservation {
        Some(r) => {
            within(scope, r.location_id)?;
            r.location_id
        }
        None => location_of(&state, op.location_id(), scope)?,
    };
    repo::ensure_balance(tx, p.id, location, state.reorder_point.is_some()).await?;
    expire_due(tx, p, &state, location, now).await?;

    let entry = |movement_type, quantity, on_hand_delta, reserved_delta| Entry {
        product: p.id,
        movement_type,
        quantity,
        on_hand_delta,
        reserved_delta,
        reservation_id: None,
        reason: None,
        reference: None,
        actor,
        key: key.clone(),
        request: request.clone(),
    };
    let (b, entry) = match op {
        Operation::Receive { quantity, reason, reference, .. } => {
            let b = repo::change_balance(tx, p.id, location, BalanceChange::Receive(quantity)).await?;
            (b, Entry { reason, reference, ..entry(MovementType::Received, quantity, quantity, 0) })
        }
        Operation::Adjust { delta, reason, reference, .. } => {
            let Some(b) = repo::change_balance(tx, p.id, location, BalanceChange::Delta(delta)).await? else {
                let asked = format!("on hand cannot fall by {} below what is reserved", -delta);
                return Err(insufficient(tx, p, location, &asked).await?);
            };
            (Some(b), Entry { reason: Some(reason), reference, ..entry(MovementType::Adjusted, delta, delta, 0) })
        }
        Operation::Set { set_on_hand, expected_on_hand, reason, reference, .. } => {
            let change = BalanceChange::Set { to: set_on_hand, expected: expected_on_hand };
            let Some(b) = repo::change_balance(tx, p.id, location, change).await? else {
                let actual = repo::balance(tx, p.id, location).await?.map_or(0, |b| b.on_hand);
                if actual != expected_on_hand {
                    return Err(ProductsError::StockChanged { expected: expected_on_hand, actual });
                }
                let asked = format!("on hand cannot be set to {set_on_hand}, below what is reserved");
                return Err(insufficient(tx, p, location, &asked).await?);
            };
            let delta = set_on_hand - expected_on_hand;
            (Some(b), Entry { reason: Some(reason), reference, ..entry(MovementType::Adjusted, delta, delta, 0) })
        }
        Operation::Reserve { quantity, expires_at, reference, .. } => {
            if state.status == ProductStatus::Archived {
                return Err(ProductsError::Conflict("an archived product cannot be reserved"));
            }
            let Some(b) = repo::change_balance(tx, p.id, location, BalanceChange::Reserve(quantity)).await? else {
                return Err(insufficient(tx, p, location, &format!("{quantity} requested")).await?);
            };
            let id = Uuid::now_v7();
            let r = NewReservation {
                id,
                product_id: p.id,
                location_id: location,
                quantity,
                expires_at,
                reference: reference.as_deref(),
                owner_id: None,
            };
            repo::insert_reservation(tx, r).await?;
            let e =
                Entry { reservation_id: Some(id), reference, ..entry(MovementType::Reserved, quantity, 0, quantity) };
            (Some(b), e)
        }
        Operation::Release { reason, .. } => {
            let Some(r) = reservation else { return Err(ProductsError::NotFound) };
            if !repo::end_reservation(tx, r.id, "released").await? {
                let now = repo::reservation(tx, p.id, r.id).await?.map_or(r.status.clone(), |r| r.status);
                return Err(ProductsError::ReservationEnded(now));
            }
            let b = repo::change_balance(tx, p.id, location, BalanceChange::Release(r.quantity)).await?;
            let q = r.quantity;
            let e = Entry {
                reservation_id: Some(r.id),
                reason,
                reference: r.reference.clone(),
                ..entry(MovementType::Released, q, 0, -q)
            };
            (b, e)
        }
    };
    let b = b.ok_or_else(|| ProductsError::Corrupt(format!("balance of product {}", p.id), "missing".into()))?;
    let movement = write(tx, entry, &b).await?;
    alerts(tx, actor, p, &state, &b).await?;
    Ok(Applied { movement, replayed: false })
}

/// Stock of product `p` per location: every location that stocks it (or the one balance
/// without a location), and any other balance still holding stock. Reservations expired
/// by now no longer count, even before a write releases them.
pub async fn stock(tx: &TenantTx, p: &products::Model) -> Result<InventoryView> {
    let state = ProductState::of(p)?;
    let balances = repo::balances_of(tx, p.id).await?;
    let expired = repo::expired_by_location(tx, p.id, Utc::now()).await?;
    let mut wanted: Vec<Uuid> = if state.location_ids.is_empty() { vec![NO_LOCATION] } else { state.location_ids };
    for b in &balances {
        if !wanted.contains(&b.location_id) && (b.on_hand > 0 || b.reserved > 0) {
            wanted.push(b.location_id);
        }
    }
    let locations: Vec<StockView> = wanted
        .into_iter()
        .map(|l| {
            let b = balances.iter().find(|b| b.location_id == l);
            let on_hand = b.map_or(0, |b| b.on_hand);
            let lapsed = expired.iter().find(|(e, _)| *e == l).map_or(0, |(_, n)| *n);
            let reserved = b.map_or(0, |b| b.reserved) - lapsed;
            StockView {
                location_id: stock_location(l),
                on_hand,
                reserved,
                available: on_hand - reserved,
                updated_at: b.map(|b| b.updated_at),
            }
        })
        .collect();
    Ok(InventoryView {
        product_id: p.id,
        on_hand: locations.iter().map(|s| s.on_hand).sum(),
        reserved: locations.iter().map(|s| s.reserved).sum(),
        available: locations.iter().map(|s| s.available).sum(),
        locations,
    })
}

/// One page of product `p`'s movements, oldest first.
pub async fn movements(
    tx: &TenantTx,
    p: &products::Model,
    after: Option<Uuid>,
    limit: u64,
    movement_type: Option<MovementType>,
    location: Option<Uuid>,
) -> Result<Vec<MovementView>> {
    let rows = repo::movements_page(tx, p.id, after, limit, movement_type.map(|t| name_of(&t)), location).await?;
    rows.iter().map(MovementView::of).collect()
}
