//! Inventory as the API states it: the four stock requests (each with its idempotency
//! key), the operation each one normalizes to, and the views of balances and movements.

use atrium_core::error::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::movements;
use crate::error::{ProductsError, Result};
use crate::model::{MAX_QUANTITY, parse_name};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MovementType {
    Received,
    Reserved,
    Released,
    Sold,
    Adjusted,
    Returned,
}

fn check_key(key: &str, e: &mut Vec<FieldError>) {
    if key.is_empty() || key.chars().count() > 200 || key.chars().any(char::is_control) {
        e.push(FieldError::new("idempotency_key", "must be 1–200 characters, none of them control characters"));
    }
}

fn check_text(field: &str, value: Option<&str>, required: bool, e: &mut Vec<FieldError>) {
    match value.map(str::trim) {
        None if required => e.push(FieldError::new(field, "is required")),
        Some(v) if v.is_empty() || v.chars().count() > 200 => {
            e.push(FieldError::new(field, "must be 1–200 characters"))
        }
        _ => {}
    }
}

fn check_quantity(field: &str, q: i64, min: i64, e: &mut Vec<FieldError>) {
    if !(min..=MAX_QUANTITY).contains(&q) {
        e.push(FieldError::new(field, format!("must be between {min} and {MAX_QUANTITY}")));
    }
}

fn done(e: Vec<FieldError>) -> Result<()> {
    if e.is_empty() { Ok(()) } else { Err(ProductsError::Invalid(e)) }
}

fn trimmed(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned())
}

/// Stock that arrived (a delivery, a purchase order).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quantity": 12, "reference": "PO-2026-0042", "idempotency_key": "receive-po-2026-0042"}))]
pub struct ReceiveRequest {
    /// 1 or more.
    pub quantity: i64,
    /// Required when the product is stocked at locations (one of its `location_ids`);
    /// absent when it is not.
    pub location_id: Option<Uuid>,
    pub reason: Option<String>,
    /// A purchase order, a supplier's delivery note.
    pub reference: Option<String>,
    /// Unique per tenant: a retry with the same key and body answers the original
    /// movement and writes nothing; the same key with another body is a 422.
    pub idempotency_key: String,
}

/// A correction of stock on hand: either `delta` (with a reason), or the compare-and-set
/// form `set_on_hand` + `expected_on_hand` (a stock count: 409 `stock_changed` when on
/// hand is no longer `expected_on_hand`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"delta": -2, "reason": "damaged in storage", "idempotency_key": "adjust-2026-03-01-0001"}))]
pub struct AdjustRequest {
    /// Added to on hand (negative removes; never below what is reserved); not 0.
    pub delta: Option<i64>,
    pub set_on_hand: Option<i64>,
    pub expected_on_hand: Option<i64>,
    /// Why: 1–200 characters.
    pub reason: String,
    pub location_id: Option<Uuid>,
    pub reference: Option<String>,
    pub idempotency_key: String,
}

/// Stock set aside (for a cart or a hold) until released or, with `expires_at`, until
/// then: an expired reservation stops counting the moment it expires.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quantity": 1, "reference": "cart-8812", "idempotency_key": "reserve-cart-8812-1"}))]
pub struct ReserveRequest {
    pub quantity: i64,
    pub location_id: Option<Uuid>,
    /// In the future; absent: until released.
    pub expires_at: Option<DateTime<Utc>>,
    pub reference: Option<String>,
    pub idempotency_key: String,
}

/// Gives a whole reservation back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reservation_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "reason": "cart abandoned",
    "idempotency_key": "release-cart-8812-1"}))]
pub struct ReleaseRequest {
    /// The `reservation_id` of the `reserved` movement.
    pub reservation_id: Uuid,
    pub reason: Option<String>,
    pub idempotency_key: String,
}

/// A checked stock request, as the idempotency key remembers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    Receive {
        quantity: i64,
        location_id: Option<Uuid>,
        reason: Option<String>,
        reference: Option<String>,
    },
    Adjust {
        delta: i64,
        location_id: Option<Uuid>,
        reason: String,
        reference: Option<String>,
    },
    Set {
        set_on_hand: i64,
        expected_on_hand: i64,
        location_id: Option<Uuid>,
        reason: String,
        reference: Option<String>,
    },
    Reserve {
        quantity: i64,
        location_id: Option<Uuid>,
        expires_at: Option<DateTime<Utc>>,
        reference: Option<String>,
    },
    Release {
        reservation_id: Uuid,
        reason: Option<String>,
    },
}

impl Operation {
    pub fn location_id(&self) -> Option<Uuid> {
        match self {
            Self::Receive { location_id, .. }
            | Self::Adjust { location_id, .. }
            | Self::Set { location_id, .. }
            | Self::Reserve { location_id, .. } => *location_id,
            Self::Release { .. } => None,
        }
    }
}

impl ReceiveRequest {
    pub fn checked(self) -> Result<(Operation, String)> {
        let mut e = Vec::new();
        check_quantity("quantity", self.quantity, 1, &mut e);
        check_text("reason", self.reason.as_deref(), false, &mut e);
        check_text("reference", self.reference.as_deref(), false, &mut e);
        check_key(&self.idempotency_key, &mut e);
        done(e)?;
        let op = Operation::Receive {
            quantity: self.quantity,
            location_id: self.location_id,
            reason: trimmed(self.reason),
            reference: trimmed(self.reference),
        };
        Ok((op, self.idempotency_key))
    }
}

impl AdjustRequest {
    pub fn checked(self) -> Result<(Operation, String)> {
        let mut e = Vec::new();
        check_text("reason", Some(&self.reason), true, &mut e);
        check_text("reference", self.reference.as_deref(), false, &mut e);
        check_key(&self.idempotency_key, &mut e);
        let op = match (self.delta, self.set_on_hand, self.expected_on_hand) {
            (Some(d), None, None) => {
                if d == 0 || d.abs() > MAX_QUANTITY {
                    e.push(FieldError::new(
                        "delta",
                        format!("must not be 0, and between -{MAX_QUANTITY} and {MAX_QUANTITY}"),
                    ));
                }
                Some(Operation::Adjust {
                    delta: d,
                    location_id: self.location_id,
                    reason: self.reason.trim().to_owned(),
                    reference: trimmed(self.reference),
                })
            }
            (None, Some(to), Some(expected)) => {
                check_quantity("set_on_hand", to, 0, &mut e);
                check_quantity("expected_on_hand", expected, 0, &mut e);
                Some(Operation::Set {
                    set_on_hand: to,
                    expected_on_hand: expected,
                    location_id: self.location_id,
                    reason: self.reason.trim().to_owned(),
                    reference: trimmed(self.reference),
                })
            }
            (None, Some(_), None) => {
                e.push(FieldError::new("expected_on_hand", "is required with set_on_hand"));
                None
            }
            (None, None, Some(_)) => {
                e.push(FieldError::new("set_on_hand", "is required with expected_on_hand"));
                None
            }
            (None, None, None) => {
                e.push(FieldError::new("delta", "give either delta, or set_on_hand with expected_on_hand"));
                None
            }
            (Some(_), _, _) => {
                e.push(FieldError::new("delta", "give either delta, or set_on_hand with expected_on_hand, not both"));
                None
            }
        };
        done(e)?;
        let op = op.ok_or_else(|| ProductsError::field("delta", "is required"))?;
        Ok((op, self.idempotency_key))
    }
}

impl ReserveRequest {
    pub fn checked(self, now: DateTime<Utc>) -> Result<(Operation, String)> {
        let mut e = Vec::new();
        check_quantity("quantity", self.quantity, 1, &mut e);
        check_text("reference", self.reference.as_deref(), false, &mut e);
        check_key(&self.idempotency_key, &mut e);
        if self.expires_at.is_some_and(|t| t <= now) {
            e.push(FieldError::new("expires_at", "must be in the future"));
        }
        done(e)?;
        let op = Operation::Reserve {
            quantity: self.quantity,
            location_id: self.location_id,
            expires_at: self.expires_at,
            reference: trimmed(self.reference),
        };
        Ok((op, self.idempotency_key))
    }
}

impl ReleaseRequest {
    pub fn checked(self) -> Result<(Operation, String)> {
        let mut e = Vec::new();
        check_text("reason", self.reason.as_deref(), false, &mut e);
        check_key(&self.idempotency_key, &mut e);
        done(e)?;
        Ok((
            Operation::Release { reservation_id: self.reservation_id, reason: trimmed(self.reason) },
            self.idempotency_key,
        ))
    }
}

/// Stock of a product at one location (`location_id` null: kept without a location).
#[derive(Debug, Serialize, ToSchema)]
pub struct StockView {
    pub location_id: Option<Uuid>,
    pub on_hand: i64,
    /// Held by reservations that have not expired.
    pub reserved: i64,
    /// `on_hand - reserved`.
    pub available: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InventoryView {
    pub product_id: Uuid,
    /// Totals over the locations.
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub locations: Vec<StockView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementActor {
    /// `user`, `api_key` or `system`.
    #[serde(rename = "type")]
    pub actor_type: String,
    pub id: Option<Uuid>,
}

/// One entry of the ledger. Entries are never changed or removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementView {
    pub id: Uuid,
    pub product_id: Uuid,
    pub location_id: Option<Uuid>,
    #[serde(rename = "type")]
    pub movement_type: MovementType,
    /// How many units moved (for `adjusted`, the signed change of on hand).
    pub quantity: i64,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    /// The balance right after this movement.
    pub on_hand_after: i64,
    pub reserved_after: i64,
    /// The reservation it made or ended (`reserved`, `released`).
    pub reservation_id: Option<Uuid>,
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub actor: MovementActor,
    pub request_id: Option<String>,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
}

impl MovementView {
    pub fn of(m: &movements::Model) -> Result<Self> {
        Ok(Self {
            id: m.id,
            product_id: m.product_id,
            location_id: crate::model::stock_location(m.location_id),
            movement_type: parse_name(&format!("inventory movement {}", m.id), &m.movement_type)?,
            quantity: m.quantity,
            on_hand_delta: m.on_hand_delta,
            reserved_delta: m.reserved_delta,
            on_hand_after: m.on_hand_after,
            reserved_after: m.reserved_after,
            reservation_id: m.reservation_id,
            reason: m.reason.clone(),
            reference: m.reference.clone(),
            actor: MovementActor { actor_type: m.actor_type.clone(), id: m.actor_id },
            request_id: m.request_id.clone(),
            idempotency_key: m.idempotency_key.clone(),
            created_at: m.created_at,
        })
    }
}
