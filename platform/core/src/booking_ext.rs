//! The booking extension contract: how an optional plugin (products, packages, …) takes
//! part in a booking or a hold without bookings knowing it at compile time.
//!
//! A plugin returns a [`BookingExtension`] from
//! [`DomainPlugin::booking_extension`](crate::plugin::DomainPlugin::booking_extension). The
//! server collects those of the compiled plugins into one [`BookingExtensions`] and
//! [`install`]s it at start; the bookings engine reads [`installed`] and
//!
//! 1. on `POST /v1/bookings` and `POST /v1/reservations`, inside the transaction that
//!    allocates the bookables, calls [`BookingExtension::on_create`] of each extension whose
//!    plugin the tenant has switched on, with a [`Created`] context and the extension's own
//!    fields of the request body (those it declared in
//!    [`BookingExtension::request_fields`]); the extensions run one after the other in the
//!    order of their plugins' names, so a later one failing rolls back what an earlier one
//!    took. It answers the [`PricingLine`]s the booking's
//!    pricing snapshot lists (added to its total), or an [`ApiError`] that fails the whole
//!    booking (nothing is written: the transaction is rolled back);
//! 2. on every status change of a booking or a hold (confirmed, cancelled, completed,
//!    no-show; a hold converted, released, expired or extended) calls
//!    [`BookingExtension::on_transition`] of every compiled extension (switched on or not: a
//!    plugin switched off after a booking must still give back what it took), inside the
//!    transaction of the change (the route's, or the hold sweeper's).
//!
//! The request fields appear typed in the OpenAPI schemas `BookingCreate` and
//! `ReservationCreate` (the server adds them). A body field no compiled extension declares
//! is refused as unknown (422), and a field of a plugin the tenant has not switched on is
//! a 422 naming it.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};
use uuid::Uuid;

use crate::audit::AuditActor;
use crate::context::{PolicySource, Scope};
use crate::db::TenantTx;
use crate::error::{ApiError, FieldError};
use crate::ids::TenantId;

/// What a booking extension is asked about: a booking, or a hold (a reservation of a slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingKind {
    Booking,
    Hold,
}

/// A booking or a hold being created, as an extension sees it.
#[derive(Clone, Debug)]
pub struct Created<'a> {
    pub tenant_id: TenantId,
    pub kind: BookingKind,
    /// The booking's id, or the hold's (reservation) id.
    pub id: Uuid,
    /// For a booking made from a hold of the caller's: that hold. Its
    /// [`Transition::HoldConverted`] has already been delivered in this transaction, so what
    /// the hold took is the booking's now.
    pub converted_hold_id: Option<Uuid>,
    /// A hold's expiry (what an extension takes for it should lapse then); `None` for a
    /// booking.
    pub expires_at: Option<DateTime<Utc>>,
    pub service_template_id: Uuid,
    /// The service template's state as stored (JSON): an extension reads its own part
    /// (`included_products`, …).
    pub template: &'a Value,
    /// The template's location, when it has one.
    pub location_id: Option<Uuid>,
    /// Every bookable allocated to it.
    pub bookable_ids: Vec<Uuid>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The booking's currency (its quote's); lines in another currency are refused.
    pub currency: &'a str,
    /// What the template's quote charges for the service itself (before any extension's
    /// lines): what a package credit stands in for.
    pub price: Decimal,
    /// The IANA zone of the service's calendar (dates such as a package's excluded dates
    /// are read in it).
    pub timezone: &'a str,
    /// Who it is for: the participants that are users (the holder, for a hold).
    pub customer_user_ids: Vec<Uuid>,
    /// Who made it.
    pub booked_by: Uuid,
    /// The acting principal, as the audit log records it.
    pub actor: &'a AuditActor,
    /// The caller's scope for bookings (`Own` for a customer booking for themselves).
    pub scope: &'a Scope,
    pub now: DateTime<Utc>,
}

/// A status change of a booking or a hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// A booking took status `to` (`confirmed`, `cancelled`, `completed`, `no_show`, …)
    /// from `from`.
    Booking { from: &'static str, to: &'static str },
    /// A hold became booking `booking_id` (delivered before that booking's
    /// [`BookingExtension::on_create`]).
    HoldConverted { booking_id: Uuid },
    /// The holder gave the hold up.
    HoldReleased,
    /// The hold lapsed (seen by the sweeper, or by a later allocation).
    HoldExpired,
    /// The hold now lasts until `expires_at`.
    HoldExtended { expires_at: DateTime<Utc> },
}

/// A status change, as an extension sees it.
#[derive(Clone, Debug)]
pub struct Changed<'a> {
    pub tenant_id: TenantId,
    pub kind: BookingKind,
    /// The booking's or the hold's id.
    pub id: Uuid,
    pub transition: Transition,
    /// The booking's (or the held slot's) start.
    pub start: DateTime<Utc>,
    /// When the change happened.
    pub at: DateTime<Utc>,
    pub actor: &'a AuditActor,
    /// For a booking: the cancellation terms it was booked on (the service template's
    /// `cancellation`, as stored on the booking), which decide what a cancel gives back.
    pub cancellation_policy: Option<&'a Value>,
}

/// One line of a booking's pricing snapshot that an extension added (a product, a package
/// credit applied, …). `amount` is added to the booking's total (negative for a credit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PricingLine {
    /// The plugin that added it (`products`).
    pub source: String,
    /// What it is, in the plugin's words (`product`, `included_product`, `package_credit`).
    pub kind: String,
    /// The plugin's record it is about (the product's id).
    pub item_id: Option<Uuid>,
    pub description: String,
    pub quantity: i64,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "12.50")]
    pub unit_price: Decimal,
    /// What the line adds to the total (0 for what the service includes).
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "25.00")]
    pub amount: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
    /// For a `package_credit` line: the credit it applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<CreditApplied>,
}

/// The package credit a booking used instead of paying for the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreditApplied {
    pub purchase_id: Uuid,
    /// The purchase's item (1-based, in the package's order).
    pub item_no: i32,
    /// The ledger's `redeemed` entry.
    pub entry_id: Uuid,
    /// What one session of the item is worth in the purchase: the package's price shared
    /// by the items' list prices.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "45.45")]
    pub unit_value: Decimal,
    /// The package's currency (the unit value's).
    #[schema(example = "EUR")]
    pub currency: String,
}

/// A field an extension adds to the booking and hold create bodies.
pub struct RequestField {
    pub name: &'static str,
    /// Its schema (a `$ref` to a component the plugin's `openapi()` declares, or inline).
    pub schema: RefOr<Schema>,
    /// Which bodies take it.
    pub kinds: &'static [BookingKind],
}

/// What a plugin adds to bookings. Both hooks run inside the booking's transaction: an
/// error rolls everything back.
#[async_trait::async_trait]
pub trait BookingExtension: Send + Sync + 'static {
    /// The plugin it belongs to (its per-tenant switch decides whether `on_create` runs).
    fn plugin(&self) -> &'static str;

    /// The body fields it reads, with their schemas.
    fn request_fields(&self) -> Vec<RequestField> {
        Vec::new()
    }

    /// A service template is being written (`template`: its whole new state as JSON,
    /// `before`: the stored one for an update): the errors of the parts this extension
    /// owns (`included_products` naming products of the tenant). Only references new since
    /// `before` need checking.
    async fn check_template(
        &self,
        _tx: &TenantTx,
        _template: &Value,
        _before: Option<&Value>,
    ) -> Result<Vec<FieldError>, ApiError> {
        Ok(Vec::new())
    }

    /// A booking or a hold is being created; `fields` holds the extension's own body fields
    /// that were sent (perhaps none). Answers the lines for the pricing snapshot, or an
    /// error that fails the whole request.
    async fn on_create(
        &self,
        tx: &TenantTx,
        created: &Created<'_>,
        fields: &Map<String, Value>,
    ) -> Result<Vec<PricingLine>, ApiError>;

    /// A booking or a hold changed status.
    async fn on_transition(&self, tx: &TenantTx, changed: &Changed<'_>) -> Result<(), ApiError>;
}

/// The extensions of the compiled plugins, and where to read which a tenant has on.
#[derive(Clone, Default)]
pub struct BookingExtensions {
    extensions: Vec<Arc<dyn BookingExtension>>,
    policy: Option<Arc<dyn PolicySource>>,
}

impl BookingExtensions {
    /// The extensions are called in one fixed order, by their plugins' names (`packages`
    /// before `products`), whatever order the plugins were compiled in.
    pub fn new(mut extensions: Vec<Arc<dyn BookingExtension>>, policy: Arc<dyn PolicySource>) -> Self {
        extensions.sort_by_key(|e| e.plugin());
        Self { extensions, policy: Some(policy) }
    }

    pub fn is_empty(&self) -> bool {
        self.extensions.is_empty()
    }

    pub fn all(&self) -> &[Arc<dyn BookingExtension>] {
        &self.extensions
    }

    /// Every field the extensions add to the body of `kind`, with its plugin.
    pub fn fields(&self, kind: BookingKind) -> Vec<(&'static str, RequestField)> {
        self.extensions
            .iter()
            .flat_map(|e| e.request_fields().into_iter().map(move |f| (e.plugin(), f)))
            .filter(|(_, f)| f.kinds.contains(&kind))
            .collect()
    }

    /// Splits the body fields `extra` (those the booking body itself does not know) among
    /// the extensions the tenant has on: a field no extension declares is unknown (422), one
    /// of a plugin switched off for the tenant is a 422 too. Each extension to run comes with
    /// its fields.
    pub async fn for_create(
        &self,
        tx: &TenantTx,
        kind: BookingKind,
        extra: &Map<String, Value>,
    ) -> Result<Vec<(Arc<dyn BookingExtension>, Map<String, Value>)>, ApiError> {
        let fields = self.fields(kind);
        let mut errors = Vec::new();
        for name in extra.keys() {
            if !fields.iter().any(|(_, f)| f.name == name) {
                errors.push(FieldError::new(name.clone(), format!("unknown field `{name}`")));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        if self.extensions.is_empty() {
            return Ok(Vec::new());
        }
        let enabled = match &self.policy {
            Some(p) => p.tenant_facts(tx).await?.map(|f| f.enabled_plugins).unwrap_or_default(),
            None => Default::default(),
        };
        for (plugin, f) in &fields {
            if extra.contains_key(f.name) && !enabled.contains(*plugin) {
                errors.push(FieldError::new(
                    f.name,
                    format!("needs the `{plugin}` plugin, which this tenant has not switched on"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(self
            .extensions
            .iter()
            .filter(|e| enabled.contains(e.plugin()))
            .map(|e| {
                let mine: Map<String, Value> = extra
                    .iter()
                    .filter(|(k, _)| fields.iter().any(|(p, f)| *p == e.plugin() && f.name == k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                (e.clone(), mine)
            })
            .collect())
    }

    /// Whether a compiled extension belongs to `plugin`.
    pub fn has(&self, plugin: &str) -> bool {
        self.extensions.iter().any(|e| e.plugin() == plugin)
    }

    /// Every compiled extension's errors for a service template being written.
    pub async fn check_template(
        &self,
        tx: &TenantTx,
        template: &Value,
        before: Option<&Value>,
    ) -> Result<Vec<FieldError>, ApiError> {
        let mut errors = Vec::new();
        for e in &self.extensions {
            errors.extend(e.check_template(tx, template, before).await?);
        }
        Ok(errors)
    }

    /// Tells every compiled extension of a status change.
    pub async fn transition(&self, tx: &TenantTx, changed: &Changed<'_>) -> Result<(), ApiError> {
        for e in &self.extensions {
            e.on_transition(tx, changed).await?;
        }
        Ok(())
    }
}

static INSTALLED: RwLock<Option<Arc<BookingExtensions>>> = RwLock::new(None);

/// Makes `extensions` the process's (the server does, once it knows its plugins).
pub fn install(extensions: BookingExtensions) {
    if let Ok(mut slot) = INSTALLED.write() {
        *slot = Some(Arc::new(extensions));
    }
}

/// The process's extensions; none before [`install`].
pub fn installed() -> Arc<BookingExtensions> {
    INSTALLED.read().ok().and_then(|s| s.clone()).unwrap_or_default()
}

/// The sum of the lines' amounts in `currency`; a line in another currency is a 422.
pub fn lines_total(lines: &[PricingLine], currency: &str) -> Result<Decimal, ApiError> {
    let mut total = Decimal::ZERO;
    for (i, l) in lines.iter().enumerate() {
        if !l.currency.eq_ignore_ascii_case(currency) {
            return Err(ApiError::validation(vec![FieldError::new(
                l.source.clone(),
                format!("line {i} ({}) is priced in {}, the booking in {currency}", l.description, l.currency),
            )]));
        }
        total += l.amount;
    }
    Ok(total)
}
