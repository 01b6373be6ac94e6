//! Packages and purchases as the API states them (inputs, views), the rules on their own
//! fields, and the mapping from stored rows.

use atrium_core::error::FieldError;
use atrium_core::validate::{CurrencyCode, Name};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::{balances, entries, packages, purchases};
use crate::error::{PackagesError, Result};

/// The largest price, list price or fee.
pub use atrium_core::validate::MAX_AMOUNT;
use atrium_core::validate::money;
/// The most sessions of one item.
pub const MAX_QUANTITY: i64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PackageStatus {
    /// Being prepared: cannot be sold.
    Draft,
    Active,
    /// No longer sold; its sales go on.
    Archived,
}

/// In which order the items may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageOrder {
    AnyOrder,
    /// Item 1's sessions before item 2's, and so on.
    Sequential,
}

/// How a refund of a partly used purchase is computed (always minus `refund_fee`, never
/// below 0, rounded down to the currency's minor unit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundRule {
    /// `total_paid × unused value / total value`, values at the items' list prices.
    UnusedShareOfPrice,
    /// `total_paid − Σ used × list price`.
    PriceMinusUsedAtListPrice,
}

/// What a late cancellation of a booking paid with a credit costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LateCancel {
    /// The credit is forfeited.
    Forfeit,
    /// The credit is returned and `late_cancel_fee` is charged.
    Fee,
}

/// A value's snake_case name, as serde writes it (for text columns).
pub(crate) fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The inverse of [`name_of`], for a column of row `what`.
pub(crate) fn parse_name<T: serde::de::DeserializeOwned>(what: &str, value: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|e| PackagesError::Corrupt(what.to_owned(), e.to_string()))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageItem {
    pub service_template_id: Uuid,
    /// Sessions of the service in the package (1–1000).
    #[schema(example = 10)]
    pub quantity: i64,
    /// The price of one session bought on its own: the package's original value, and
    /// what a used session counts for in a refund.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "60.00")]
    pub list_price: Decimal,
    /// Only at these locations (empty: anywhere).
    #[serde(default)]
    pub allowed_location_ids: Vec<Uuid>,
    /// Never on these dates (in the location's calendar).
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["2026-12-24"]))]
    pub excluded_dates: Vec<NaiveDate>,
}

/// A package's sale terms: what a purchase snapshots and keeps whatever later edits do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackageTerms {
    pub items: Vec<PackageItem>,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "500.00")]
    pub price: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
    /// Valid this many days from the purchase (or until `valid_until`: exactly one).
    pub use_within_days: Option<i64>,
    pub valid_until: Option<DateTime<Utc>>,
    pub order: UsageOrder,
    pub transferable: bool,
    /// Members of the purchaser's household may use its credits.
    pub shareable_with_household: bool,
    /// How many household members (the purchaser included) may use them.
    pub household_member_cap: Option<i64>,
    /// How many of this package one customer may buy (not counting refunded ones).
    pub max_per_customer: Option<i64>,
    pub refund_rule: RefundRule,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "10.00")]
    pub refund_fee: Decimal,
    pub late_cancel: LateCancel,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "15.00")]
    pub late_cancel_fee: Option<Decimal>,
}

impl PackageTerms {
    /// The original value: every session at its list price.
    pub fn original_value(&self) -> Decimal {
        self.items.iter().map(|i| i.list_price * Decimal::from(i.quantity)).sum()
    }

    /// The minor units of the currency (2 when it cannot be read).
    pub fn minor_units(&self) -> u32 {
        CurrencyCode::parse(&self.currency).map_or(2, |c| c.minor_units())
    }

    /// The rules on the terms' own fields (references need the database).
    pub fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        let currency = match CurrencyCode::parse(&self.currency) {
            Ok(c) => Some(c),
            Err(m) => {
                e.push(FieldError::new("currency", m));
                None
            }
        };
        if self.items.is_empty() || self.items.len() > 20 {
            e.push(FieldError::new("items", "must list 1–20 items"));
        }
        for (i, item) in self.items.iter().enumerate() {
            if !(1..=MAX_QUANTITY).contains(&item.quantity) {
                e.push(FieldError::new(
                    format!("items[{i}].quantity"),
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ));
            }
            money(&format!("items[{i}].list_price"), item.list_price, currency.as_ref(), &mut e);
            if self.items[..i].iter().any(|o| o.service_template_id == item.service_template_id) {
                e.push(FieldError::new(format!("items[{i}].service_template_id"), "is listed twice"));
            }
            if item.allowed_location_ids.len() > 50 {
                e.push(FieldError::new(format!("items[{i}].allowed_location_ids"), "at most 50 locations"));
            }
            if item.excluded_dates.len() > 366 {
                e.push(FieldError::new(format!("items[{i}].excluded_dates"), "at most 366 dates"));
            }
        }
        money("price", self.price, currency.as_ref(), &mut e);
        money("refund_fee", self.refund_fee, currency.as_ref(), &mut e);
        match (self.use_within_days, self.valid_until) {
            (Some(d), None) if !(1..=3650).contains(&d) => {
                e.push(FieldError::new("use_within_days", "must be between 1 and 3650"))
            }
            (Some(_), None) | (None, Some(_)) => {}
            _ => e.push(FieldError::new("use_within_days", "give exactly one of use_within_days and valid_until")),
        }
        match (self.shareable_with_household, self.household_member_cap) {
            (false, Some(_)) => e.push(FieldError::new(
                "household_member_cap",
                "only a package shareable with the household has a member cap",
            )),
            (true, Some(c)) if !(1..=50).contains(&c) => {
                e.push(FieldError::new("household_member_cap", "must be between 1 and 50"))
            }
            _ => {}
        }
        if self.max_per_customer.is_some_and(|m| !(1..=1000).contains(&m)) {
            e.push(FieldError::new("max_per_customer", "must be between 1 and 1000"));
        }
        match (self.late_cancel, self.late_cancel_fee) {
            (LateCancel::Fee, None) => {
                e.push(FieldError::new("late_cancel_fee", "is required when late_cancel is fee"))
            }
            (LateCancel::Forfeit, Some(_)) => e.push(FieldError::new("late_cancel_fee", "only with late_cancel: fee")),
            (LateCancel::Fee, Some(fee)) => money("late_cancel_fee", fee, currency.as_ref(), &mut e),
            (LateCancel::Forfeit, None) => {}
        }
        e
    }

    pub fn of_json(what: &str, value: &serde_json::Value) -> Result<Self> {
        serde_json::from_value(value.clone()).map_err(|e| PackagesError::Corrupt(what.to_owned(), e.to_string()))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ten massages", "status": "active",
    "items": [{"service_template_id": "0193a1b2-0000-7000-8000-000000000001", "quantity": 10, "list_price": "60.00"}],
    "price": "500.00", "use_within_days": 365, "transferable": true, "refund_rule": "unused_share_of_price",
    "refund_fee": "10.00"}))]
pub struct PackageCreate {
    #[schema(example = "Ten massages")]
    pub name: String,
    pub description: Option<String>,
    /// `draft` unless given.
    pub status: Option<PackageStatus>,
    pub items: Vec<PackageItem>,
    /// What the package costs (a decimal string).
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "500.00")]
    pub price: Decimal,
    /// ISO 4217; the tenant's currency when absent.
    pub currency: Option<String>,
    pub use_within_days: Option<i64>,
    pub valid_until: Option<DateTime<Utc>>,
    /// `any_order` unless given.
    pub order: Option<UsageOrder>,
    #[serde(default)]
    pub transferable: bool,
    #[serde(default)]
    pub shareable_with_household: bool,
    pub household_member_cap: Option<i64>,
    pub max_per_customer: Option<i64>,
    /// `unused_share_of_price` unless given.
    pub refund_rule: Option<RefundRule>,
    /// Taken from every refund ("0" unless given).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "10.00")]
    pub refund_fee: Option<Decimal>,
    /// `forfeit` unless given.
    pub late_cancel: Option<LateCancel>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub late_cancel_fee: Option<Decimal>,
}

impl PackageCreate {
    pub fn terms(&self, default_currency: &str) -> PackageTerms {
        PackageTerms {
            items: self.items.clone(),
            price: self.price,
            currency: self.currency.clone().unwrap_or_else(|| default_currency.to_owned()),
            use_within_days: self.use_within_days,
            valid_until: self.valid_until,
            order: self.order.unwrap_or(UsageOrder::AnyOrder),
            transferable: self.transferable,
            shareable_with_household: self.shareable_with_household,
            household_member_cap: self.household_member_cap,
            max_per_customer: self.max_per_customer,
            refund_rule: self.refund_rule.unwrap_or(RefundRule::UnusedShareOfPrice),
            refund_fee: self.refund_fee.unwrap_or_default(),
            late_cancel: self.late_cancel.unwrap_or(LateCancel::Forfeit),
            late_cancel_fee: self.late_cancel_fee,
        }
    }
}

/// A partial update of a package: absent = unchanged. Its purchases keep the terms they
/// were sold under; `items` can change only while the package is a draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"price": "480.00", "status": "active"}))]
pub struct PackagePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<PackageStatus>,
    pub items: Option<Vec<PackageItem>>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "480.00")]
    pub price: Option<Decimal>,
    pub transferable: Option<bool>,
    pub max_per_customer: Option<i64>,
}

pub fn check_name(name: &str, description: Option<&str>) -> Vec<FieldError> {
    let mut e = Vec::new();
    if let Err(m) = Name::parse(name) {
        e.push(FieldError::new("name", m));
    }
    if description.is_some_and(|d| d.chars().count() > 4000) {
        e.push(FieldError::new("description", "must be at most 4000 characters"));
    }
    e
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PackageView {
    pub id: Uuid,
    #[schema(example = "Ten massages")]
    pub name: String,
    pub description: Option<String>,
    pub status: PackageStatus,
    #[serde(flatten)]
    pub terms: PackageTerms,
    /// Every session at its list price.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "600.00")]
    pub original_value: Decimal,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PackageView {
    pub fn of(p: &packages::Model) -> Result<Self> {
        let what = format!("package {}", p.id);
        let terms = PackageTerms::of_json(&what, &p.terms)?;
        Ok(Self {
            id: p.id,
            name: p.name.clone(),
            description: p.description.clone(),
            status: parse_name(&what, &p.status)?,
            original_value: terms.original_value(),
            terms,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        })
    }
}

// ---- purchases ----

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Sold but not paid: its credits cannot be redeemed yet.
    PendingPayment,
    Paid,
    Refunded,
}

/// Where a purchase stands, derived at read time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseStatus {
    /// Not paid yet.
    PendingPayment,
    /// Paid, not expired, credits left.
    Active,
    /// Every credit used (or forfeited).
    UsedUp,
    /// Its validity has ended (from the instant of `expires_at`, before the job records it).
    Expired,
    /// Its unused credits went to another customer.
    Transferred,
    Refunded,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"package_id": "0193a1b2-0000-7000-8000-000000000002",
    "purchaser_id": "0193a1b2-0000-7000-8000-000000000003", "payment_status": "paid"}))]
pub struct PurchaseCreate {
    pub package_id: Uuid,
    /// The customer (a member of the tenant) who buys it.
    pub purchaser_id: Uuid,
    /// A household of the purchaser that may share the credits (only for a shareable package).
    pub household_id: Option<Uuid>,
    /// `paid` unless given; `pending_payment` credits cannot be redeemed until paid.
    pub payment_status: Option<PaymentStatus>,
    /// What was paid; the package's price unless given.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "500.00")]
    pub total_paid: Option<Decimal>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PurchaseItemView {
    /// 1-based, in the package's order.
    pub item_no: i32,
    pub service_template_id: Uuid,
    /// Sessions the package gave for it.
    pub quantity: i64,
    /// Sessions that can still be redeemed now (0 once expired, refunded or transferred).
    pub remaining: i64,
    /// The balance row (Σ of the ledger), whatever the time.
    pub balance: i64,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "60.00")]
    pub list_price: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PurchaseView {
    pub id: Uuid,
    pub package_id: Uuid,
    pub purchaser_id: Uuid,
    pub household_id: Option<Uuid>,
    pub status: PurchaseStatus,
    pub payment_status: PaymentStatus,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "500.00")]
    pub total_paid: Decimal,
    pub currency: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub items: Vec<PurchaseItemView>,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub refunded_amount: Option<Decimal>,
    pub transferred_from_id: Option<Uuid>,
    pub transferred_to_id: Option<Uuid>,
    /// The terms it was sold under.
    pub terms: PackageTerms,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn decimal(what: &str, s: &str) -> Result<Decimal> {
    s.parse::<Decimal>().map_err(|e| PackagesError::Corrupt(what.to_owned(), e.to_string()))
}

impl PurchaseView {
    pub fn of(p: &purchases::Model, balances: &[balances::Model], now: DateTime<Utc>) -> Result<Self> {
        let what = format!("package purchase {}", p.id);
        let terms = PackageTerms::of_json(&what, &p.terms)?;
        let payment_status: PaymentStatus = parse_name(&what, &p.payment_status)?;
        let expired = p.expires_at.is_some_and(|e| now >= e);
        let items: Vec<PurchaseItemView> = terms
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let no = i32::try_from(i + 1).unwrap_or(i32::MAX);
                let balance = balances.iter().find(|b| b.item_no == no).map_or(0, |b| b.remaining);
                PurchaseItemView {
                    item_no: no,
                    service_template_id: item.service_template_id,
                    quantity: item.quantity,
                    remaining: if expired { 0 } else { balance },
                    balance,
                    list_price: item.list_price,
                }
            })
            .collect();
        let status = if payment_status == PaymentStatus::Refunded {
            PurchaseStatus::Refunded
        } else if p.transferred_to_id.is_some() {
            PurchaseStatus::Transferred
        } else if expired {
            PurchaseStatus::Expired
        } else if payment_status == PaymentStatus::PendingPayment {
            PurchaseStatus::PendingPayment
        } else if items.iter().all(|i| i.remaining == 0) {
            PurchaseStatus::UsedUp
        } else {
            PurchaseStatus::Active
        };
        Ok(Self {
            id: p.id,
            package_id: p.package_id,
            purchaser_id: p.purchaser_id,
            household_id: p.household_id,
            status,
            payment_status,
            total_paid: decimal(&what, &p.total_paid)?,
            currency: p.currency.clone(),
            expires_at: p.expires_at,
            items,
            refunded_amount: p.refunded_amount.as_deref().map(|a| decimal(&what, a)).transpose()?,
            transferred_from_id: p.transferred_from_id,
            transferred_to_id: p.transferred_to_id,
            terms,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryType {
    Granted,
    Redeemed,
    Returned,
    Forfeited,
    Expired,
    TransferredOut,
    TransferredIn,
    Refunded,
}

impl EntryType {
    /// The sign of the entry's effect on the balance (a `forfeited` entry answering a
    /// redemption moves nothing: the credit was taken by the redemption and stays used).
    pub fn sign(self) -> i64 {
        match self {
            Self::Granted | Self::Returned | Self::TransferredIn => 1,
            Self::Redeemed | Self::Forfeited | Self::Expired | Self::TransferredOut | Self::Refunded => -1,
        }
    }
}

/// One credit ledger entry: never changed once written.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: Uuid,
    pub purchase_id: Uuid,
    pub item_no: i32,
    #[serde(rename = "type")]
    pub entry_type: EntryType,
    pub quantity: i64,
    /// Its effect on the balance.
    pub delta: i64,
    pub remaining_after: i64,
    /// The rule it applied (`sale`, `expiry`, `extension`, `transfer`, `refund:<rule>`;
    /// for bookings `redeem:named`, `redeem:automatic`, `cancel:refund_window:<h>h`,
    /// `cancel:late:forfeit`, `cancel:late:fee`, `no_show:forfeit`).
    pub policy: String,
    pub reference: Option<String>,
    pub booking_id: Option<Uuid>,
    /// The entry it answers (an extension's grant → the `expired` entry it renews;
    /// a `transferred_in` → its `transferred_out`).
    pub linked_entry_id: Option<Uuid>,
    pub counterpart_purchase_id: Option<Uuid>,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub amount: Option<Decimal>,
    /// For grants: the validity the credits were granted with.
    pub expires_at: Option<DateTime<Utc>>,
    /// For a redemption: whose session it paid for.
    pub beneficiary_id: Option<Uuid>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl EntryView {
    pub fn of(e: &entries::Model) -> Result<Self> {
        let what = format!("package credit entry {}", e.id);
        Ok(Self {
            id: e.id,
            purchase_id: e.purchase_id,
            item_no: e.item_no,
            entry_type: parse_name(&what, &e.entry_type)?,
            quantity: e.quantity,
            delta: e.delta,
            remaining_after: e.remaining_after,
            policy: e.policy.clone(),
            reference: e.reference.clone(),
            booking_id: e.booking_id,
            linked_entry_id: e.linked_entry_id,
            counterpart_purchase_id: e.counterpart_purchase_id,
            amount: e.amount.as_deref().map(|a| decimal(&what, a)).transpose()?,
            expires_at: e.expires_at,
            beneficiary_id: e.beneficiary_id,
            actor_type: e.actor_type.clone(),
            actor_id: e.actor_id,
            created_at: e.created_at,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"expires_at": "2027-12-31T23:59:59Z", "reason": "goodwill after closure"}))]
pub struct ExtendRequest {
    /// The new end of validity: later than the current one and than now.
    pub expires_at: DateTime<Utc>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to_customer_id": "0193a1b2-0000-7000-8000-000000000004"}))]
pub struct TransferRequest {
    /// Another customer (member) of the tenant.
    pub to_customer_id: Uuid,
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "moved away"}))]
pub struct RefundRequest {
    pub reason: Option<String>,
}

/// A refund of one item's unused credits, as quoted.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteItem {
    pub item_no: i32,
    pub quantity: i64,
    pub used: i64,
    pub unused: i64,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String)]
    pub list_price: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefundQuote {
    pub purchase_id: Uuid,
    pub rule: RefundRule,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "500.00")]
    pub total_paid: Decimal,
    /// Before the fee.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "250.00")]
    pub gross: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "10.00")]
    pub fee: Decimal,
    /// What the refund pays: `gross − fee`, never below 0, rounded down to the minor unit.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "240.00")]
    pub amount: Decimal,
    pub currency: String,
    pub items: Vec<QuoteItem>,
}
