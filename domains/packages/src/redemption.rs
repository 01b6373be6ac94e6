//! Package credits on bookings, through the booking extension contract
//! ([`atrium_core::booking_ext`]).
//!
//! `POST /v1/bookings` takes `package_purchase_id` (that purchase's credit) or
//! `use_packages: true` (the first eligible credit in one fixed order). The credit is
//! taken in the booking's own transaction — a `redeemed` entry and the conditional update
//! of its balance (`remaining − 1 ≥ 0`, CHECKed by the database) — so the two commit
//! together or not at all; no eligible credit is 409 `no_credit_left` and nothing is
//! booked. The pricing snapshot lists the credit (purchase, item, unit value) in place of
//! the service's price.
//!
//! **Eligible** is an item of a purchase that: is paid, not refunded, not transferred,
//! not expired at the booking instant (now); belongs to one of the booking's customers,
//! or is shared with a household one of them is a member of (the package shareable, the
//! household's member cap counting everyone whose session it has paid, the purchaser
//! included); is for the booking's service template; allows the service's location (when
//! it names locations) and does not exclude the start's date in the service's time zone;
//! comes next when the package is used in sequential order (every earlier item used up);
//! and has a credit left. **Order**: soonest expiry (none: last) → lowest unit value (the
//! package's price shared by its items' list prices) → oldest purchase (then id).
//!
//! **Outcomes** (on the booking's status change, in its transaction): cancelled while the
//! notice reaches a refund tier of the terms the booking was booked on that gives
//! anything back → `returned` (`cancel:refund_window:<h>h`); later → `forfeited`
//! (`cancel:late:forfeit`), or `returned` with the package's `late_cancel_fee` recorded
//! (`cancel:late:fee`); no-show → `forfeited` (`no_show:forfeit`). Each points at its
//! redemption and is written once (a redemption has one outcome: the booking's row lock
//! serializes its changes, and a unique index stands behind it). A forfeited redemption
//! moves no balance: the credit stays used. A credit returned to a purchase that has since
//! expired (recorded), been refunded or transferred is passed on as that purchase's other
//! credits were: written off `expired` / `refunded`, or moved to the new owner.

use std::cmp::Ordering;

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::booking_ext::{
    BookingExtension, BookingKind, Changed, Created, CreditApplied, PricingLine, RequestField, Transition,
};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_service_templates::model::CancellationPolicy;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};
use uuid::Uuid;

use crate::entities::{balances, entries, purchases};
use crate::error::{PackagesError, Result};
use crate::events::PackagesEvent;
use crate::model::{EntryType, EntryView, LateCancel, PackageTerms, PaymentStatus, UsageOrder};
use crate::purchases::{Extra, payment, post, post_delta, terms_of};
use crate::repo;

pub struct PackagesBookingExtension;

/// What the booking body asked for.
enum Ask {
    Named(Uuid),
    Automatic,
}

fn ask(fields: &Map<String, Value>) -> Result<Option<Ask>, ApiError> {
    let named = match fields.get("package_purchase_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(atrium_core::extract::parse_field::<Uuid>("package_purchase_id", v.clone())?),
    };
    let automatic = match fields.get("use_packages") {
        None | Some(Value::Null) => false,
        Some(v) => atrium_core::extract::parse_field::<bool>("use_packages", v.clone())?,
    };
    match (named, automatic) {
        (Some(_), true) => Err(ApiError::validation(vec![FieldError::new(
            "use_packages",
            "give package_purchase_id or use_packages, not both",
        )])),
        (Some(id), false) => Ok(Some(Ask::Named(id))),
        (None, true) => Ok(Some(Ask::Automatic)),
        (None, false) => Ok(None),
    }
}

fn no_credit(detail: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::NoCreditLeft).with_detail(detail.into())
}

/// One session of item `i` of `terms`, at the package's price shared by list prices.
pub fn unit_value(terms: &PackageTerms, i: usize) -> Decimal {
    let original = terms.original_value();
    let Some(item) = terms.items.get(i) else { return Decimal::ZERO };
    if original.is_zero() {
        return Decimal::ZERO;
    }
    let share = terms.price.checked_mul(item.list_price).map_or(Decimal::ZERO, |x| x / original);
    let mut value = share.round_dp(terms.minor_units());
    value.rescale(terms.minor_units());
    value
}

/// What the eligibility rules read of a booking.
pub struct Want<'a> {
    pub service_template_id: Uuid,
    pub location_id: Option<Uuid>,
    pub start: DateTime<Utc>,
    pub timezone: &'a str,
    pub now: DateTime<Utc>,
}

/// The item of a purchase (`p` with its `terms` and `balances`) that could pay for `want`:
/// its index, or why none can. Whose the purchase is (and the household cap) is checked
/// apart.
pub fn eligible_item(
    p: &purchases::Model,
    terms: &PackageTerms,
    balances: &[balances::Model],
    want: &Want<'_>,
) -> std::result::Result<usize, String> {
    match payment(p).map_err(|e| e.to_string())? {
        PaymentStatus::Paid => {}
        PaymentStatus::PendingPayment => return Err("the purchase is not paid yet".into()),
        PaymentStatus::Refunded => return Err("the purchase was refunded".into()),
    }
    if p.transferred_to_id.is_some() {
        return Err("the purchase's credits were transferred".into());
    }
    if p.expires_at.is_some_and(|e| want.now >= e) {
        return Err("the purchase has expired".into());
    }
    let Some(i) = terms.items.iter().position(|it| it.service_template_id == want.service_template_id) else {
        return Err("the package has no item for this service".into());
    };
    let item = &terms.items[i];
    if !item.allowed_location_ids.is_empty()
        && !want.location_id.is_some_and(|l| item.allowed_location_ids.contains(&l))
    {
        return Err("the package's item is not valid at this service's location".into());
    }
    let tz: chrono_tz::Tz = want.timezone.parse().unwrap_or(chrono_tz::UTC);
    let date = want.start.with_timezone(&tz).date_naive();
    if item.excluded_dates.contains(&date) {
        return Err(format!("the package's item excludes {date}"));
    }
    let left = |k: usize| balances.iter().find(|b| b.item_no == item_no(k)).map_or(0, |b| b.remaining);
    if terms.order == UsageOrder::Sequential
        && let Some(k) = (0..i).find(|&k| left(k) > 0)
    {
        return Err(format!("the package is used in order: item {} has credits left first", k + 1));
    }
    if left(i) < 1 {
        return Err("no credit of this service is left on the purchase".into());
    }
    Ok(i)
}

fn item_no(i: usize) -> i32 {
    i32::try_from(i + 1).unwrap_or(i32::MAX)
}

/// Whose session a credit of `p` would pay: a customer of the booking who bought it, or
/// one who is a member of the household it is shared with.
fn beneficiary(p: &purchases::Model, terms: &PackageTerms, customers: &[(Uuid, Vec<Uuid>)]) -> Option<Uuid> {
    if let Some((c, _)) = customers.iter().find(|(c, _)| *c == p.purchaser_id) {
        return Some(*c);
    }
    let h = p.household_id.filter(|_| terms.shareable_with_household)?;
    customers.iter().find(|(_, hs)| hs.contains(&h)).map(|(c, _)| *c)
}

/// The household cap: `who` may use `p`'s credits when they (with the purchaser and everyone
/// whose session it has paid) stay within it.
async fn within_cap(tx: &TenantTx, p: &purchases::Model, terms: &PackageTerms, who: Uuid) -> Result<bool> {
    let Some(cap) = terms.household_member_cap else { return Ok(true) };
    if who == p.purchaser_id {
        return Ok(true);
    }
    let mut users = repo::beneficiaries(tx, p.id).await?;
    users.push(p.purchaser_id);
    users.sort();
    users.dedup();
    if users.contains(&who) {
        return Ok(true);
    }
    Ok(i64::try_from(users.len()).unwrap_or(i64::MAX) < cap)
}

/// A purchase that may pay, with its sort key.
struct Candidate {
    id: Uuid,
    expires_at: Option<DateTime<Utc>>,
    unit_value: Decimal,
    created_at: DateTime<Utc>,
}

fn order(a: &Candidate, b: &Candidate) -> Ordering {
    let expiry = match (a.expires_at, b.expires_at) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    expiry.then(a.unit_value.cmp(&b.unit_value)).then(a.created_at.cmp(&b.created_at)).then(a.id.cmp(&b.id))
}

/// Takes one credit of purchase `id` for `created` if it still can pay (the purchase
/// locked, re-read): the entry and its pricing line, or why not.
async fn take(
    tx: &TenantTx,
    created: &Created<'_>,
    want: &Want<'_>,
    customers: &[(Uuid, Vec<Uuid>)],
    id: Uuid,
    policy: &str,
) -> Result<std::result::Result<PricingLine, String>, ApiError> {
    let Some(p) = repo::lock_purchase(tx, id).await? else {
        return Ok(Err("the purchase no longer exists".into()));
    };
    let terms = terms_of(&p)?;
    let Some(who) = beneficiary(&p, &terms, customers) else {
        return Ok(Err("the purchase is not this booking's customer's".into()));
    };
    let balances = repo::balances_of(tx, p.id).await?;
    let i = match eligible_item(&p, &terms, &balances, want) {
        Ok(i) => i,
        Err(why) => return Ok(Err(why)),
    };
    if !within_cap(tx, &p, &terms, who).await? {
        return Ok(Err("the household's member cap for this purchase is reached".into()));
    }
    let extra = Extra {
        reference: Some(format!("booking:{}", created.id)),
        booking_id: Some(created.id),
        beneficiary_id: Some(who),
        ..Extra::default()
    };
    let Some(e) =
        post_delta(tx, created.actor, (p.id, item_no(i)), EntryType::Redeemed, (1, -1), policy, extra).await?
    else {
        return Ok(Err("no credit of this service is left on the purchase".into()));
    };
    let unit = unit_value(&terms, i);
    let view = EntryView::of(&e)?;
    let data = json!({"entry": view, "booking_id": created.id, "unit_value": unit.to_string()});
    let change = Change::new(PackagesEvent::CreditRedeemed, "package_purchase", p.id, None, Some(data));
    audit::record(tx, created.actor, change).await?;
    Ok(Ok(PricingLine {
        source: "packages".to_owned(),
        kind: "package_credit".to_owned(),
        item_id: Some(p.id),
        description: format!("Package credit: item {} of purchase {}", i + 1, p.id),
        quantity: 1,
        unit_price: created.price,
        amount: -created.price,
        currency: created.currency.to_owned(),
        credit: Some(CreditApplied {
            purchase_id: p.id,
            item_no: item_no(i),
            entry_id: e.id,
            unit_value: unit,
            currency: p.currency.clone(),
        }),
    }))
}

/// The booking's customers, each with the households they are a member of.
async fn customers_of(tx: &TenantTx, created: &Created<'_>) -> Result<Vec<(Uuid, Vec<Uuid>)>, ApiError> {
    let mut out = Vec::new();
    for &c in &created.customer_user_ids {
        if out.iter().any(|(u, _)| *u == c) {
            continue;
        }
        let hs = atrium_households::service::households_of(tx, c).await?;
        out.push((c, hs.into_iter().map(|h| h.id).collect()));
    }
    Ok(out)
}

async fn redeem(tx: &TenantTx, created: &Created<'_>, ask: Ask) -> Result<PricingLine, ApiError> {
    let want = Want {
        service_template_id: created.service_template_id,
        location_id: created.location_id,
        start: created.start,
        timezone: created.timezone,
        now: created.now,
    };
    let customers = customers_of(tx, created).await?;
    match ask {
        Ask::Named(id) => {
            let not_usable = || {
                ApiError::validation(vec![FieldError::new(
                    "package_purchase_id",
                    "is not a package purchase this booking's customer can use",
                )])
            };
            let p = repo::purchase(tx, id).await?.ok_or_else(not_usable)?;
            let terms = terms_of(&p)?;
            if beneficiary(&p, &terms, &customers).is_none() {
                return Err(not_usable());
            }
            match take(tx, created, &want, &customers, id, "redeem:named").await? {
                Ok(line) => Ok(line),
                Err(why) => Err(no_credit(format!("purchase {id}: {why}"))),
            }
        }
        Ask::Automatic => {
            let purchasers: Vec<Uuid> = customers.iter().map(|(c, _)| *c).collect();
            let mut households: Vec<Uuid> = customers.iter().flat_map(|(_, hs)| hs.iter().copied()).collect();
            households.sort();
            households.dedup();
            let mut candidates = Vec::new();
            for p in repo::redeemable(tx, &purchasers, &households, created.now).await? {
                let terms = terms_of(&p)?;
                let Some(who) = beneficiary(&p, &terms, &customers) else { continue };
                let balances = repo::balances_of(tx, p.id).await?;
                let Ok(i) = eligible_item(&p, &terms, &balances, &want) else { continue };
                if !within_cap(tx, &p, &terms, who).await? {
                    continue;
                }
                candidates.push(Candidate {
                    id: p.id,
                    expires_at: p.expires_at,
                    unit_value: unit_value(&terms, i),
                    created_at: p.created_at,
                });
            }
            candidates.sort_by(order);
            // In order; one taken meanwhile by another booking is passed over.
            for c in &candidates {
                if let Ok(line) = take(tx, created, &want, &customers, c.id, "redeem:automatic").await? {
                    return Ok(line);
                }
            }
            Err(no_credit(
                "no package purchase of this booking's customers (or shared by their household) has a credit \
                 for this service, location and date",
            ))
        }
    }
}

/// What becomes of a redeemed credit when its booking ends without taking place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Given back (`fee`: the late-cancel fee the package charges for it).
    Returned { policy: String, fee: Option<Decimal> },
    /// Kept as used.
    Forfeited { policy: String },
}

/// The outcome of a booking starting at `start` that took status `to` at `at`, under the
/// cancellation terms it was booked on and the package's: pure, so its boundaries are
/// tested to the second. `None`: the status keeps the credit used as it is (completed…).
pub fn outcome(
    to: &str,
    cancellation: &CancellationPolicy,
    terms: &PackageTerms,
    start: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Option<Outcome> {
    match to {
        "no_show" => Some(Outcome::Forfeited { policy: "no_show:forfeit".into() }),
        "cancelled" => {
            // The same rule (and the same boundaries) as the booking's money refund.
            let r = atrium_service_templates::quote::refund(cancellation, start, at, Decimal::ONE_HUNDRED, 2);
            match r.tier_min_hours_before {
                Some(h) if r.refund_percent > Decimal::ZERO => {
                    Some(Outcome::Returned { policy: format!("cancel:refund_window:{h}h"), fee: None })
                }
                _ => Some(match terms.late_cancel {
                    LateCancel::Forfeit => Outcome::Forfeited { policy: "cancel:late:forfeit".into() },
                    LateCancel::Fee => {
                        Outcome::Returned { policy: "cancel:late:fee".into(), fee: terms.late_cancel_fee }
                    }
                }),
            }
        }
        _ => None,
    }
}

/// Writes the outcome of every credit booking `changed.id` redeemed, once each.
async fn settle(tx: &TenantTx, changed: &Changed<'_>, to: &str) -> Result<()> {
    let redemptions = repo::redemptions_of(tx, changed.id).await?;
    if redemptions.is_empty() {
        return Ok(());
    }
    let cancellation: CancellationPolicy = match changed.cancellation_policy {
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| PackagesError::Corrupt(format!("booking {} cancellation terms", changed.id), e.to_string()))?,
        None => CancellationPolicy::default(),
    };
    for r in redemptions {
        // Locked first: changes of one purchase never interleave (a refund meanwhile…).
        let Some(p) = repo::lock_purchase(tx, r.purchase_id).await? else { continue };
        if repo::outcome_of(tx, r.id).await?.is_some() {
            continue;
        }
        let terms = terms_of(&p)?;
        let Some(o) = outcome(to, &cancellation, &terms, changed.start, changed.at) else { continue };
        let at = (p.id, r.item_no);
        let base = || Extra {
            reference: Some(format!("booking:{}", changed.id)),
            booking_id: Some(changed.id),
            linked_entry_id: Some(r.id),
            beneficiary_id: r.beneficiary_id,
            ..Extra::default()
        };
        let (event, entry) = match o {
            Outcome::Forfeited { policy } => {
                let e = post_delta(tx, changed.actor, at, EntryType::Forfeited, (1, 0), &policy, base())
                    .await?
                    .ok_or_else(|| PackagesError::Corrupt(format!("balance of purchase {}", p.id), "missing".into()))?;
                (PackagesEvent::CreditForfeited, e)
            }
            Outcome::Returned { policy, fee } => {
                let e = post(tx, changed.actor, at, EntryType::Returned, 1, &policy, Extra { amount: fee, ..base() })
                    .await?;
                pass_on(tx, changed.actor, &p, &e, changed.at).await?;
                (PackagesEvent::CreditReturned, e)
            }
        };
        let data = json!({"entry": EntryView::of(&entry)?, "booking_id": changed.id, "redemption_id": r.id});
        let change = Change::new(event, "package_purchase", p.id, None, Some(data));
        audit::record(tx, changed.actor, change).await?;
    }
    Ok(())
}

/// A credit returned to a purchase that no longer holds credits goes where its other
/// credits went: written off as expired (once the expiry is recorded; until then the job
/// will), as refunded, or moved to the purchase it was transferred to.
async fn pass_on(
    tx: &TenantTx,
    actor: &AuditActor,
    p: &purchases::Model,
    returned: &entries::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let at = (p.id, returned.item_no);
    let linked = || Extra { linked_entry_id: Some(returned.id), booking_id: returned.booking_id, ..Extra::default() };
    if payment(p)? == PaymentStatus::Refunded {
        post(tx, actor, at, EntryType::Refunded, 1, "refund:returned_after_refund", linked()).await?;
    } else if let Some(to) = p.transferred_to_id {
        let out = Extra { counterpart_purchase_id: Some(to), ..linked() };
        let out = post(tx, actor, at, EntryType::TransferredOut, 1, "transfer", out).await?;
        let inn = Extra {
            counterpart_purchase_id: Some(p.id),
            linked_entry_id: Some(out.id),
            expires_at: p.expires_at,
            ..Extra::default()
        };
        post(tx, actor, (to, returned.item_no), EntryType::TransferredIn, 1, "transfer", inn).await?;
    } else if p.expiry_recorded_at.is_some() && p.expires_at.is_some_and(|e| now >= e) {
        let extra = Extra { expires_at: p.expires_at, ..linked() };
        post(tx, actor, at, EntryType::Expired, 1, "expiry", extra).await?;
    }
    Ok(())
}

fn uuid_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid)))
        .description(Some(description))
        .into()
}

#[async_trait::async_trait]
impl BookingExtension for PackagesBookingExtension {
    fn plugin(&self) -> &'static str {
        "packages"
    }

    fn request_fields(&self) -> Vec<RequestField> {
        let use_packages: RefOr<Schema> = ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .description(Some(
                "Pay with a package credit of the customer's (the `packages` plugin), chosen in one fixed order: \
                 eligible for the service, location and date → soonest expiry → lowest unit value → oldest \
                 purchase. Taken in the booking's transaction; 409 `no_credit_left` when none is eligible.",
            ))
            .into();
        vec![
            RequestField {
                name: "package_purchase_id",
                schema: uuid_schema(
                    "Pay with a credit of this package purchase (the `packages` plugin), taken in the booking's \
                     transaction; 409 `no_credit_left` when it has none for this service, location and date.",
                ),
                kinds: &[BookingKind::Booking],
            },
            RequestField { name: "use_packages", schema: use_packages, kinds: &[BookingKind::Booking] },
        ]
    }

    async fn on_create(
        &self,
        tx: &TenantTx,
        created: &Created<'_>,
        fields: &Map<String, Value>,
    ) -> Result<Vec<PricingLine>, ApiError> {
        if created.kind != BookingKind::Booking {
            return Ok(Vec::new());
        }
        match ask(fields)? {
            None => Ok(Vec::new()),
            Some(ask) => Ok(vec![redeem(tx, created, ask).await?]),
        }
    }

    async fn on_transition(&self, tx: &TenantTx, changed: &Changed<'_>) -> Result<(), ApiError> {
        match (changed.kind, changed.transition) {
            (BookingKind::Booking, Transition::Booking { to: to @ ("cancelled" | "no_show"), .. }) => {
                Ok(settle(tx, changed, to).await?)
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[path = "redemption_tests.rs"]
mod tests;
