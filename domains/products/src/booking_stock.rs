//! Products on bookings, through the booking extension contract
//! ([`atrium_core::booking_ext`]): a booking or a hold takes `products: [{product_id,
//! quantity, location_id?}]` and its template's `included_products`; their stock is
//! reserved in the booking's own transaction (all lines of one product at one location
//! summed into one conditional update, so two lines never both pass against the same
//! unreduced balance), or the whole booking fails with 409 `insufficient_stock`.
//!
//! Afterwards the booking's status changes move that stock: cancelled, no-show, a hold
//! released or expired → released; completed → sold (on hand and reserved fall together,
//! in one update); a hold converted → the booking's, no longer expiring; a hold extended →
//! its stock expires with it. Each reservation ends once (`WHERE status = 'active'`), so a
//! retried change moves nothing twice.

use std::collections::BTreeMap;

use atrium_core::audit::AuditActor;
use atrium_core::booking_ext::{
    BookingExtension, BookingKind, Changed, Created, PricingLine, RequestField, Transition,
};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::openapi::{ArrayBuilder, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use crate::entities::products;
use crate::error::{ProductsError, Result};
use crate::inventory::{Entry, alerts, at, expire_due, write};
use crate::model::{MAX_QUANTITY, NO_LOCATION, ProductState, ProductStatus};
use crate::repo::{self, BalanceChange, NewReservation};
use crate::views::MovementType;

/// One product line of a booking or a hold.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"product_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "quantity": 1}))]
pub struct BookingProductLine {
    pub product_id: Uuid,
    /// 1 or more.
    #[schema(example = 1)]
    pub quantity: i64,
    /// Where the stock is taken: required for a product stocked at several locations unless
    /// the service's location is one of them.
    pub location_id: Option<Uuid>,
}

/// A service template's included product, as stored on the template.
#[derive(Deserialize)]
struct Included {
    product_id: Uuid,
    quantity: i64,
}

pub struct ProductsBookingExtension;

/// A line to reserve: where it came from (for errors), and whether the service includes it.
struct Want {
    field: String,
    product: products::Model,
    state: ProductState,
    location: Uuid,
    quantity: i64,
    included: bool,
}

fn body_lines(fields: &Map<String, Value>) -> Result<Vec<BookingProductLine>, ApiError> {
    match fields.get("products") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => {
            let lines: Vec<BookingProductLine> = atrium_core::extract::parse_field("products", v.clone())?;
            if lines.len() > 50 {
                return Err(ProductsError::field("products", "at most 50 lines").into());
            }
            Ok(lines)
        }
    }
}

/// The balance a booking line takes stock from.
fn location_for(state: &ProductState, named: Option<Uuid>, service: Option<Uuid>, field: &str) -> Result<Uuid> {
    if state.location_ids.is_empty() {
        return match named {
            None => Ok(NO_LOCATION),
            Some(_) => Err(ProductsError::field(
                format!("{field}.location_id"),
                "this product is not stocked by location: omit location_id",
            )),
        };
    }
    match named.or(service.filter(|l| state.location_ids.contains(l))) {
        Some(l) if state.location_ids.contains(&l) => Ok(l),
        Some(_) => {
            Err(ProductsError::field(format!("{field}.location_id"), "is not one of the product's location_ids"))
        }
        None => Err(ProductsError::field(
            format!("{field}.location_id"),
            "is required: the product is stocked at locations, and the service's is not one of them",
        )),
    }
}

async fn want(
    tx: &TenantTx,
    field: String,
    product_id: Uuid,
    quantity: i64,
    named: Option<Uuid>,
    created: &Created<'_>,
    included: bool,
) -> Result<Want> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(ProductsError::field(format!("{field}.quantity"), format!("must be between 1 and {MAX_QUANTITY}")));
    }
    let product = repo::product(tx, product_id)
        .await?
        .ok_or_else(|| ProductsError::field(format!("{field}.product_id"), "is not a product of this tenant"))?;
    let state = ProductState::of(&product)?;
    if state.status == ProductStatus::Archived {
        return Err(ProductsError::field(format!("{field}.product_id"), "is archived"));
    }
    if !state.currency.eq_ignore_ascii_case(created.currency) {
        return Err(ProductsError::field(
            format!("{field}.product_id"),
            format!("is priced in {}, the booking in {}", state.currency, created.currency),
        ));
    }
    let location = location_for(&state, named, created.location_id, &field)?;
    Ok(Want { field, product, state, location, quantity, included })
}

fn insufficient(p: &products::Model, location: Uuid, available: i64, asked: i64, fields: &[&str]) -> ApiError {
    let detail = format!("{available} available of {} (product {}){}; {asked} requested", p.sku, p.id, at(location));
    let errors = fields
        .iter()
        .map(|f| FieldError::new(format!("{f}.quantity"), format!("product {}: {available} available", p.id)))
        .collect();
    ApiError::new(ErrorCode::InsufficientStock).with_detail(detail).with_errors(errors)
}

/// Reserves every wanted line for `created` (summed per product and location, in that
/// order so two bookings never wait on each other crosswise); the pricing lines.
async fn reserve(tx: &TenantTx, created: &Created<'_>, wants: Vec<Want>) -> Result<Vec<PricingLine>, ApiError> {
    let mut groups: BTreeMap<(Uuid, Uuid), Vec<&Want>> = BTreeMap::new();
    for w in &wants {
        groups.entry((w.product.id, w.location)).or_default().push(w);
    }
    let (kind, reference) = match created.kind {
        BookingKind::Booking => ("booking", format!("booking:{}", created.id)),
        BookingKind::Hold => ("hold", format!("hold:{}", created.id)),
    };
    for ((product_id, location), group) in &groups {
        let (p, state) = (&group[0].product, &group[0].state);
        let quantity: i64 = group.iter().map(|w| w.quantity).sum();
        repo::ensure_balance(tx, *product_id, *location, state.reorder_point.is_some()).await?;
        expire_due(tx, p, state, *location, created.now).await?;
        let Some(b) = repo::change_balance(tx, *product_id, *location, BalanceChange::Reserve(quantity)).await? else {
            let b = repo::balance(tx, *product_id, *location).await?;
            let available = b.map_or(0, |b| b.on_hand - b.reserved);
            let fields: Vec<&str> = group.iter().map(|w| w.field.as_str()).collect();
            return Err(insufficient(p, *location, available, quantity, &fields));
        };
        let id = Uuid::now_v7();
        repo::insert_reservation(
            tx,
            NewReservation {
                id,
                product_id: *product_id,
                location_id: *location,
                quantity,
                expires_at: created.expires_at,
                reference: Some(&reference),
                owner_id: Some(created.id),
            },
        )
        .await?;
        let entry = Entry {
            product: *product_id,
            movement_type: MovementType::Reserved,
            quantity,
            on_hand_delta: 0,
            reserved_delta: quantity,
            reservation_id: Some(id),
            reason: Some(format!("for {kind} {}", created.id)),
            reference: Some(reference.clone()),
            actor: created.actor,
            key: format!("{kind}-reserve:{id}"),
            request: "{}".to_owned(),
        };
        write(tx, entry, &b).await?;
        alerts(tx, created.actor, p, state, &b).await?;
    }
    Ok(wants
        .iter()
        .map(|w| {
            let amount = if w.included { Decimal::ZERO } else { w.state.price * Decimal::from(w.quantity) };
            PricingLine {
                source: "products".to_owned(),
                kind: if w.included { "included_product" } else { "product" }.to_owned(),
                item_id: Some(w.product.id),
                description: format!("{} ({})", w.state.name, w.state.sku),
                quantity: w.quantity,
                unit_price: w.state.price,
                amount,
                currency: w.state.currency.clone(),
                credit: None,
            }
        })
        .collect())
}

/// How a booking's stock ends.
#[derive(Clone, Copy)]
enum End {
    Release(&'static str),
    Sell,
}

/// Ends every active reservation of booking or hold `owner` as `end`, each once.
async fn end_all(tx: &TenantTx, actor: &AuditActor, owner: Uuid, end: End) -> Result<()> {
    for r in repo::reservations_of(tx, owner).await? {
        let status = match end {
            End::Release(_) => "released",
            End::Sell => "sold",
        };
        if !repo::end_reservation(tx, r.id, status).await? {
            continue;
        }
        let Some(p) = repo::product_any(tx, r.product_id).await? else { continue };
        let state = ProductState::of(&p)?;
        let q = r.quantity;
        let (change, movement_type, on_hand_delta, reason, key) = match end {
            End::Release(why) => {
                (BalanceChange::Release(q), MovementType::Released, 0, why.to_owned(), format!("release:{}", r.id))
            }
            End::Sell => (
                BalanceChange::Sell(q),
                MovementType::Sold,
                -q,
                "booking completed".to_owned(),
                format!("sell:{}", r.id),
            ),
        };
        let b = repo::change_balance(tx, r.product_id, r.location_id, change).await?.ok_or_else(|| {
            ProductsError::Corrupt(format!("balance of product {}", r.product_id), "reserved < reservation".into())
        })?;
        let entry = Entry {
            product: r.product_id,
            movement_type,
            quantity: q,
            on_hand_delta,
            reserved_delta: -q,
            reservation_id: Some(r.id),
            reason: Some(reason),
            reference: r.reference.clone(),
            actor,
            key,
            request: "{}".to_owned(),
        };
        write(tx, entry, &b).await?;
        alerts(tx, actor, &p, &state, &b).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl BookingExtension for ProductsBookingExtension {
    fn plugin(&self) -> &'static str {
        "products"
    }

    fn request_fields(&self) -> Vec<RequestField> {
        let line = RefOr::Ref(utoipa::openapi::Ref::from_schema_name(BookingProductLine::name()));
        let schema: RefOr<Schema> = ArrayBuilder::new()
            .items(line)
            .description(Some(
                "Products taken with it (the `products` plugin): their stock is reserved in the same \
                 transaction, 409 `insufficient_stock` otherwise; the template's included products are \
                 added. Lines of one product are summed.",
            ))
            .into();
        vec![RequestField { name: "products", schema, kinds: &[BookingKind::Booking, BookingKind::Hold] }]
    }

    async fn check_template(
        &self,
        tx: &TenantTx,
        template: &Value,
        before: Option<&Value>,
    ) -> Result<Vec<FieldError>, ApiError> {
        let ids = |t: &Value| -> Vec<Uuid> {
            t.get("included_products")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter().filter_map(|p| p.get("product_id")?.as_str()?.parse().ok()).collect::<Vec<Uuid>>()
                })
                .unwrap_or_default()
        };
        let known = before.map(ids).unwrap_or_default();
        let mut errors = Vec::new();
        for (i, id) in ids(template).into_iter().enumerate() {
            if known.contains(&id) {
                continue;
            }
            if repo::product(tx, id).await.map_err(ApiError::from)?.is_none() {
                errors.push(FieldError::new(
                    format!("included_products[{i}].product_id"),
                    "is not a product of this tenant",
                ));
            }
        }
        Ok(errors)
    }

    async fn on_create(
        &self,
        tx: &TenantTx,
        created: &Created<'_>,
        fields: &Map<String, Value>,
    ) -> Result<Vec<PricingLine>, ApiError> {
        let mut wants = Vec::new();
        for (i, l) in body_lines(fields)?.into_iter().enumerate() {
            wants.push(
                want(tx, format!("products[{i}]"), l.product_id, l.quantity, l.location_id, created, false).await?,
            );
        }
        // A booking made from a hold has the hold's stock already, included products too.
        if created.converted_hold_id.is_none() {
            let included: Vec<Included> = created
                .template
                .get("included_products")
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| ApiError::internal(ProductsError::Corrupt("included_products".into(), e.to_string())))?
                .unwrap_or_default();
            for (i, inc) in included.into_iter().enumerate() {
                let field = format!("included_products[{i}]");
                wants.push(want(tx, field, inc.product_id, inc.quantity, None, created, true).await?);
            }
        }
        if wants.is_empty() {
            return Ok(Vec::new());
        }
        reserve(tx, created, wants).await
    }

    async fn on_transition(&self, tx: &TenantTx, changed: &Changed<'_>) -> Result<(), ApiError> {
        let (id, actor) = (changed.id, changed.actor);
        match changed.transition {
            Transition::Booking { to: "cancelled", .. } => {
                end_all(tx, actor, id, End::Release("booking cancelled")).await?
            }
            Transition::Booking { to: "no_show", .. } => end_all(tx, actor, id, End::Release("no-show")).await?,
            Transition::Booking { to: "completed", .. } => end_all(tx, actor, id, End::Sell).await?,
            Transition::Booking { .. } => {}
            Transition::HoldConverted { booking_id } => repo::transfer_reservations(tx, id, booking_id).await?,
            Transition::HoldReleased => end_all(tx, actor, id, End::Release("hold released")).await?,
            Transition::HoldExpired => end_all(tx, actor, id, End::Release("expired")).await?,
            Transition::HoldExtended { expires_at } => repo::extend_reservations(tx, id, expires_at).await?,
        }
        Ok(())
    }
}

/// The schema of a `products` line, for the plugin's `openapi()`.
pub fn line_schema() -> (String, RefOr<Schema>) {
    (BookingProductLine::name().into_owned(), BookingProductLine::schema())
}
