//! Products as the API states them (inputs, patches, views), the rules on their own
//! fields, and the mapping from a stored row to a view.

use atrium_core::error::FieldError;
use atrium_core::http::double_option;
use atrium_core::validate::{CurrencyCode, Name};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::products;
use crate::error::{ProductsError, Result};

/// The balance location of stock kept without a location.
pub const NO_LOCATION: Uuid = Uuid::nil();

/// A balance location as the API shows it (`None`: kept without a location).
pub fn stock_location(location: Uuid) -> Option<Uuid> {
    (location != NO_LOCATION).then_some(location)
}

/// The largest price or cost.
pub use atrium_core::validate::MAX_AMOUNT;
use atrium_core::validate::money;
/// The largest reorder point, and the largest quantity of one movement.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductType {
    Physical,
    Digital,
}

/// How the customer gets the product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fulfillment {
    /// Collected at a location.
    Pickup,
    /// Shipped (physical products only).
    Ship,
    /// Delivered electronically (digital products only).
    DigitalDelivery,
    /// Handed over or used during a booking.
    AtBooking,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Active,
    /// Kept for history; cannot be reserved.
    Archived,
}

/// A value's snake_case name, as serde writes it (for text columns).
pub(crate) fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The inverse of [`name_of`], for a column of row `what`.
pub(crate) fn parse_name<T: serde::de::DeserializeOwned>(what: &str, value: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|e| ProductsError::Corrupt(what.to_owned(), e.to_string()))
}

fn is_sku(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
}

fn is_tax_category(s: &str) -> bool {
    (1..=50).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_".contains(&b))
}

/// A product's whole state, as created or after a patch; checked as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductState {
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub product_type: ProductType,
    pub price: Decimal,
    pub cost: Option<Decimal>,
    pub currency: String,
    pub tax_category: Option<String>,
    pub fulfillment: Vec<Fulfillment>,
    pub reorder_point: Option<i64>,
    pub status: ProductStatus,
    pub location_ids: Vec<Uuid>,
}

impl ProductState {
    /// The rules on the product's own fields (the locations' existence needs the database).
    pub fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        if !is_sku(&self.sku) {
            e.push(FieldError::new("sku", "must be 1–64 characters of A-Z, a-z, 0-9, '-', '_', '.' and '/'"));
        }
        if let Err(m) = Name::parse(&self.name) {
            e.push(FieldError::new("name", m));
        }
        if self.description.as_ref().is_some_and(|d| d.chars().count() > 4000) {
            e.push(FieldError::new("description", "must be at most 4000 characters"));
        }
        let currency = match CurrencyCode::parse(&self.currency) {
            Ok(c) => Some(c),
            Err(m) => {
                e.push(FieldError::new("currency", m));
                None
            }
        };
        money("price", self.price, currency.as_ref(), &mut e);
        if let Some(cost) = self.cost {
            money("cost", cost, currency.as_ref(), &mut e);
        }
        if self.tax_category.as_deref().is_some_and(|t| !is_tax_category(t)) {
            e.push(FieldError::new("tax_category", "must be 1–50 characters of a-z, 0-9, '-' and '_'"));
        }
        if self.fulfillment.is_empty() {
            e.push(FieldError::new("fulfillment", "must name at least one way to fulfil the product"));
        }
        for (i, f) in self.fulfillment.iter().enumerate() {
            if self.fulfillment[..i].contains(f) {
                e.push(FieldError::new(format!("fulfillment[{i}]"), "is listed twice"));
            }
            match (self.product_type, f) {
                (ProductType::Digital, Fulfillment::Ship) => {
                    e.push(FieldError::new(format!("fulfillment[{i}]"), "a digital product is not shipped"))
                }
                (ProductType::Physical, Fulfillment::DigitalDelivery) => e.push(FieldError::new(
                    format!("fulfillment[{i}]"),
                    "a physical product is not delivered digitally",
                )),
                _ => {}
            }
        }
        if self.reorder_point.is_some_and(|r| !(0..=MAX_QUANTITY).contains(&r)) {
            e.push(FieldError::new("reorder_point", format!("must be between 0 and {MAX_QUANTITY}")));
        }
        if self.location_ids.len() > 50 {
            e.push(FieldError::new("location_ids", "at most 50 locations"));
        }
        for (i, l) in self.location_ids.iter().enumerate() {
            if self.location_ids[..i].contains(l) {
                e.push(FieldError::new(format!("location_ids[{i}]"), "is listed twice"));
            }
        }
        e
    }

    pub fn of(p: &products::Model) -> Result<Self> {
        let what = format!("product {}", p.id);
        let corrupt = |e: String| ProductsError::Corrupt(what.clone(), e);
        let decimal = |s: &str| s.parse::<Decimal>().map_err(|e| corrupt(e.to_string()));
        Ok(Self {
            sku: p.sku.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            product_type: parse_name(&what, &p.product_type)?,
            price: decimal(&p.price)?,
            cost: p.cost.as_deref().map(decimal).transpose()?,
            currency: p.currency.clone(),
            tax_category: p.tax_category.clone(),
            fulfillment: serde_json::from_value(p.fulfillment.clone()).map_err(|e| corrupt(e.to_string()))?,
            reorder_point: p.reorder_point,
            status: parse_name(&what, &p.status)?,
            location_ids: serde_json::from_value(p.location_ids.clone()).map_err(|e| corrupt(e.to_string()))?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "ARGAN-SHAMPOO-250", "name": "Argan shampoo 250 ml", "type": "physical",
    "price": "18.00", "cost": "7.40", "currency": "USD", "tax_category": "retail_goods",
    "fulfillment": ["pickup", "at_booking"], "reorder_point": 5}))]
pub struct ProductCreate {
    /// Unique among the tenant's products (not deleted): 1–64 of `A-Z a-z 0-9 - _ . /`.
    #[schema(example = "ARGAN-SHAMPOO-250")]
    pub sku: String,
    #[schema(example = "Argan shampoo 250 ml")]
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub product_type: ProductType,
    /// A decimal string, at least 0, no finer than the currency's minor unit.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "18.00")]
    pub price: Decimal,
    /// Cost of goods, as `price`.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "7.40")]
    pub cost: Option<Decimal>,
    /// ISO 4217; the tenant's currency when absent.
    #[schema(example = "USD")]
    pub currency: Option<String>,
    /// A tax class for the tenant's accounting (`retail_goods`): 1–50 of `a-z 0-9 - _`.
    pub tax_category: Option<String>,
    /// The ways the product reaches the customer; `ship` only for physical products,
    /// `digital_delivery` only for digital ones.
    pub fulfillment: Vec<Fulfillment>,
    /// `product.low_stock` fires when stock available at a location falls to this or below.
    pub reorder_point: Option<i64>,
    #[serde(default = "active")]
    pub status: ProductStatus,
    /// The tenant's locations that stock it. Empty: stock is kept without a location.
    #[serde(default)]
    pub location_ids: Vec<Uuid>,
}

fn active() -> ProductStatus {
    ProductStatus::Active
}

impl ProductCreate {
    /// The state it asks for, in `default_currency` when it names none.
    pub fn state(self, default_currency: &str) -> ProductState {
        ProductState {
            sku: self.sku.trim().to_owned(),
            name: self.name.trim().to_owned(),
            description: self.description,
            product_type: self.product_type,
            price: self.price,
            cost: self.cost,
            currency: self.currency.unwrap_or_else(|| default_currency.to_owned()),
            tax_category: self.tax_category,
            fulfillment: self.fulfillment,
            reorder_point: self.reorder_point,
            status: self.status,
            location_ids: self.location_ids,
        }
    }
}

/// A partial update: absent = unchanged, `null` = cleared (where allowed).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"price": "19.50", "reorder_point": 8}))]
pub struct ProductPatch {
    pub sku: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(rename = "type")]
    pub product_type: Option<ProductType>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "19.50")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "cost_patch")]
    #[schema(value_type = Option<String>, example = "7.40")]
    pub cost: Option<Option<Decimal>>,
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub tax_category: Option<Option<String>>,
    pub fulfillment: Option<Vec<Fulfillment>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub reorder_point: Option<Option<i64>>,
    pub status: Option<ProductStatus>,
    pub location_ids: Option<Vec<Uuid>>,
}

/// `cost`: absent → unchanged, `null` → cleared, `"7.40"` → set.
fn cost_patch<'de, D: serde::Deserializer<'de>>(de: D) -> std::result::Result<Option<Option<Decimal>>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(with = "rust_decimal::serde::str_option")] Option<Decimal>);
    Wrap::deserialize(de).map(|w| Some(w.0))
}

impl ProductPatch {
    /// `state` with the fields this patch names replaced.
    pub fn apply(self, mut s: ProductState) -> ProductState {
        if let Some(sku) = self.sku {
            s.sku = sku.trim().to_owned();
        }
        if let Some(name) = self.name {
            s.name = name.trim().to_owned();
        }
        s.description = self.description.unwrap_or(s.description);
        s.product_type = self.product_type.unwrap_or(s.product_type);
        s.price = self.price.unwrap_or(s.price);
        s.cost = self.cost.unwrap_or(s.cost);
        s.currency = self.currency.unwrap_or(s.currency);
        s.tax_category = self.tax_category.unwrap_or(s.tax_category);
        s.fulfillment = self.fulfillment.unwrap_or(s.fulfillment);
        s.reorder_point = self.reorder_point.unwrap_or(s.reorder_point);
        s.status = self.status.unwrap_or(s.status);
        s.location_ids = self.location_ids.unwrap_or(s.location_ids);
        s
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub id: Uuid,
    #[schema(example = "ARGAN-SHAMPOO-250")]
    pub sku: String,
    #[schema(example = "Argan shampoo 250 ml")]
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub product_type: ProductType,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "18.00")]
    pub price: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "7.40")]
    pub cost: Option<Decimal>,
    #[schema(example = "USD")]
    pub currency: String,
    pub tax_category: Option<String>,
    pub fulfillment: Vec<Fulfillment>,
    pub reorder_point: Option<i64>,
    pub status: ProductStatus,
    pub location_ids: Vec<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ProductView {
    pub fn of(p: &products::Model) -> Result<Self> {
        let s = ProductState::of(p)?;
        Ok(Self {
            id: p.id,
            sku: s.sku,
            name: s.name,
            description: s.description,
            product_type: s.product_type,
            price: s.price,
            cost: s.cost,
            currency: s.currency,
            tax_category: s.tax_category,
            fulfillment: s.fulfillment,
            reorder_point: s.reorder_point,
            status: s.status,
            location_ids: s.location_ids,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ProductState {
        ProductState {
            sku: "A-1".into(),
            name: "Shampoo".into(),
            description: None,
            product_type: ProductType::Physical,
            price: "18.00".parse().unwrap_or_default(),
            cost: None,
            currency: "USD".into(),
            tax_category: None,
            fulfillment: vec![Fulfillment::Pickup],
            reorder_point: Some(5),
            status: ProductStatus::Active,
            location_ids: vec![],
        }
    }

    fn fields(s: &ProductState) -> Vec<String> {
        s.check().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn the_field_rules() {
        assert!(fields(&state()).is_empty());
        let mut s = state();
        s.sku = "has space".into();
        s.currency = "XXX1".into();
        s.price = "-1".parse().unwrap_or_default();
        s.fulfillment = vec![Fulfillment::DigitalDelivery, Fulfillment::DigitalDelivery];
        s.reorder_point = Some(-1);
        assert_eq!(
            fields(&s),
            ["sku", "currency", "price", "fulfillment[0]", "fulfillment[1]", "fulfillment[1]", "reorder_point"]
        );
        let mut s = state();
        s.currency = "JPY".into();
        s.price = "10.5".parse().unwrap_or_default();
        assert_eq!(fields(&s), ["price"], "JPY has no minor unit");
        s.product_type = ProductType::Digital;
        s.price = "10".parse().unwrap_or_default();
        s.fulfillment = vec![Fulfillment::Ship];
        assert_eq!(fields(&s), ["fulfillment[0]"]);
    }
}
