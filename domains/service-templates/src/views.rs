//! A service template as the API shows it (its state with its identity and version), as
//! a customer-facing page shows it ([`PublicServiceTemplateView`]), and the query
//! parameters of both lists.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use atrium_bookables::model::is_tag;

use crate::entities::service_templates::Model;
use crate::error::ServiceTemplatesError;
use crate::model::{
    DepositPolicy, RefundTier, ServiceDuration, ServiceTemplateState, ServiceTemplateStatus, ServiceTemplateType,
};
use crate::repo::{self, ListFilter};

/// A service template: its state, as given and checked, with its identity and version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceTemplateView {
    pub id: Uuid,
    #[serde(flatten)]
    pub state: ServiceTemplateState,
    /// Goes up by one with every change; send it as `If-Match` to update safely.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ServiceTemplateView {
    pub fn of(m: &Model) -> Result<Self, ServiceTemplatesError> {
        Ok(Self {
            id: m.id,
            state: repo::state_of(m)?,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceTemplateFilter {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub template_type: Option<ServiceTemplateType>,
    pub status: Option<ServiceTemplateStatus>,
    pub location_id: Option<Uuid>,
    /// Templates carrying this tag.
    pub tag: Option<String>,
}

impl ServiceTemplateFilter {
    /// The filter as the repository takes it, once its tag is known to be one.
    pub fn checked(self) -> Result<ListFilter, ServiceTemplatesError> {
        checked_tag(self.tag.as_deref())?;
        Ok(ListFilter {
            template_type: self.template_type,
            status: self.status,
            location_id: self.location_id,
            tag: self.tag,
        })
    }
}

fn checked_tag(tag: Option<&str>) -> Result<(), ServiceTemplatesError> {
    if tag.is_some_and(|t| !is_tag(t)) { Err(ServiceTemplatesError::BadTag) } else { Ok(()) }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicServiceTemplateFilter {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub template_type: Option<ServiceTemplateType>,
    pub location_id: Option<Uuid>,
    /// Services carrying this tag.
    pub tag: Option<String>,
}

impl PublicServiceTemplateFilter {
    /// The filter as the repository takes it, once its tag is known to be one.
    pub fn checked(self) -> Result<ListFilter, ServiceTemplatesError> {
        checked_tag(self.tag.as_deref())?;
        Ok(ListFilter { template_type: self.template_type, status: None, location_id: self.location_id, tag: self.tag })
    }
}

/// How long a booking of the service lasts, as a customer chooses it (buffers are the
/// tenant's business).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PublicDuration {
    Fixed {
        #[schema(example = 45)]
        minutes: i64,
    },
    /// Any length from `min_minutes` to `max_minutes` in steps of `interval_minutes`.
    Variable {
        min_minutes: i64,
        max_minutes: i64,
        interval_minutes: i64,
    },
    MultiDay {
        min_nights: i64,
        max_nights: i64,
    },
}

impl From<&ServiceDuration> for PublicDuration {
    fn from(d: &ServiceDuration) -> Self {
        match *d {
            ServiceDuration::Fixed { fixed_minutes, .. } => Self::Fixed { minutes: fixed_minutes },
            ServiceDuration::Variable { min_minutes, max_minutes, interval_minutes, .. } => {
                Self::Variable { min_minutes, max_minutes, interval_minutes }
            }
            ServiceDuration::MultiDay { min_nights, max_nights, .. } => Self::MultiDay { min_nights, max_nights },
        }
    }
}

/// What a price is charged for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceUnit {
    Booking,
    Night,
}

/// The price to show: the base, what it is charged per, an hourly part for timed
/// services, and whether the time or day of the booking changes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceDisplay {
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "60.00")]
    pub base_price: Decimal,
    /// ISO 4217.
    #[schema(example = "USD")]
    pub currency: String,
    pub per: PriceUnit,
    /// Added per hour booked.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "30.00")]
    pub hourly_rate: Option<Decimal>,
    /// Some times of day or holidays cost more or less than the base.
    pub varies_by_time: bool,
}

/// The terms of cancelling that a customer agrees to.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicCancellation {
    /// Whether the customer may cancel the booking themselves.
    pub allow_client_cancellation: bool,
    /// …and only at least this many hours before the start (0: until the start).
    pub client_cancellation_cutoff_hours: u32,
    /// From most notice to least.
    pub refund_tiers: Vec<RefundTier>,
    /// Of the price, charged for a no-show.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "100")]
    pub no_show_charge_percent: Decimal,
}

/// An active service template as a customer-facing booking page shows it: what it is,
/// how long it takes, what it costs, and the terms a customer agrees to; none of the
/// template's internals (the bookables it needs, holds, included products, what the
/// provider is paid).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicServiceTemplateView {
    /// The `service_template_id` to search availability with.
    pub id: Uuid,
    #[schema(example = "Haircut & style")]
    pub name: String,
    #[schema(example = "haircut-style")]
    pub slug: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub template_type: ServiceTemplateType,
    /// The location that offers it; absent: not tied to one.
    pub location_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub duration: PublicDuration,
    pub price: PriceDisplay,
    /// Classes: how many take part at most.
    pub max_participants: Option<u32>,
    pub cancellation: PublicCancellation,
    pub deposit: Option<DepositPolicy>,
}

impl PublicServiceTemplateView {
    pub fn of(m: &Model) -> Result<Self, ServiceTemplatesError> {
        let s = repo::state_of(m)?;
        let p = &s.pricing;
        let c = &s.cancellation;
        Ok(Self {
            id: m.id,
            slug: m.slug.clone(),
            duration: PublicDuration::from(&s.duration),
            price: PriceDisplay {
                base_price: p.base_price,
                currency: p.currency.clone(),
                per: if s.duration.is_multi_day() { PriceUnit::Night } else { PriceUnit::Booking },
                hourly_rate: p.hourly_rate,
                varies_by_time: !p.time_multipliers.is_empty()
                    || (p.holiday_multiplier.is_some() && !p.holidays.is_empty()),
            },
            max_participants: s.capacity.group.as_ref().map(|g| g.max_participants),
            cancellation: PublicCancellation {
                allow_client_cancellation: c.allow_client_cancellation,
                client_cancellation_cutoff_hours: c.client_cancellation_cutoff_hours,
                refund_tiers: c.refund_tiers.clone(),
                no_show_charge_percent: c.no_show_policy.charge_percent,
            },
            deposit: s.deposit,
            name: s.name,
            description: s.description,
            template_type: s.template_type,
            location_id: s.location_id,
            category_id: s.category_id,
            tags: s.tags,
        })
    }
}
