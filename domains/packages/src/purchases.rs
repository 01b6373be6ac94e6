//! Purchases and their credit ledger. Every change of credit is one append-only entry
//! written in the same transaction as the conditional update of its (purchase, item)
//! balance, which the database keeps at or above zero; a purchase is claimed (its version
//! bumped, its row locked) before any change, so changes to one purchase never interleave.
//! Expiry holds from the instant of `expires_at` at read time; the expiry job writes the
//! `expired` entries afterwards.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::Directory;
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::ids::UserId;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::entities::{entries, purchases};
use crate::error::{PackagesError, Result};
use crate::events::PackagesEvent;
use crate::model::{
    EntryType, EntryView, ExtendRequest, PackageStatus, PackageTerms, PaymentStatus, PurchaseCreate, PurchaseView,
    QuoteItem, RefundQuote, RefundRequest, TransferRequest, name_of, parse_name,
};
use crate::quote::{self, ItemUse};
use crate::repo::{self, PurchaseFilter};

fn json<T: serde::Serialize>(view: &T) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<purchases::Model> {
    repo::purchase(tx, id).await?.ok_or(PackagesError::NotFound)
}

pub async fn view(tx: &TenantTx, p: &purchases::Model) -> Result<PurchaseView> {
    PurchaseView::of(p, &repo::balances_of(tx, p.id).await?, Utc::now())
}

pub async fn list(tx: &TenantTx, after: Option<Uuid>, limit: u64, f: &PurchaseFilter) -> Result<Vec<PurchaseView>> {
    let rows = repo::purchases_page(tx, after, limit, f).await?;
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let balances = repo::balances_of_many(tx, &ids).await?;
    let now = Utc::now();
    rows.iter()
        .map(|p| {
            let mine: Vec<_> = balances.iter().filter(|b| b.purchase_id == p.id).cloned().collect();
            PurchaseView::of(p, &mine, now)
        })
        .collect()
}

pub async fn entries(tx: &TenantTx, p: &purchases::Model, after: Option<Uuid>, limit: u64) -> Result<Vec<EntryView>> {
    repo::entries_page(tx, p.id, after, limit).await?.iter().map(EntryView::of).collect()
}

/// What one ledger entry says besides its purchase, item, type and quantity.
#[derive(Default)]
pub(crate) struct Extra {
    pub reference: Option<String>,
    pub booking_id: Option<Uuid>,
    pub linked_entry_id: Option<Uuid>,
    pub counterpart_purchase_id: Option<Uuid>,
    pub amount: Option<Decimal>,
    pub expires_at: Option<DateTime<Utc>>,
    pub beneficiary_id: Option<Uuid>,
}

/// Writes one entry and applies it to its balance, together; a debit the balance cannot
/// cover writes nothing and is a 409.
pub(crate) async fn post(
    tx: &TenantTx,
    actor: &AuditActor,
    at: (Uuid, i32),
    entry_type: EntryType,
    quantity: i64,
    policy: &str,
    extra: Extra,
) -> Result<entries::Model> {
    post_delta(tx, actor, at, entry_type, (quantity, entry_type.sign() * quantity), policy, extra)
        .await?
        .ok_or_else(|| PackagesError::conflict(format!("item {} has fewer than {quantity} credits left", at.1)))
}

/// [`post`] with the balance's change given (0 for an entry that only records what became
/// of credit already taken: a redemption forfeited); `None` when the balance cannot cover
/// it (nothing written).
pub(crate) async fn post_delta(
    tx: &TenantTx,
    actor: &AuditActor,
    (purchase, item_no): (Uuid, i32),
    entry_type: EntryType,
    (quantity, delta): (i64, i64),
    policy: &str,
    extra: Extra,
) -> Result<Option<entries::Model>> {
    let Some(b) = repo::change_balance(tx, purchase, item_no, delta).await? else {
        return Ok(None);
    };
    repo::insert_entry(
        tx,
        entries::Model {
            tenant_id: tx.tenant_id().0,
            id: Uuid::now_v7(),
            purchase_id: purchase,
            item_no,
            entry_type: name_of(&entry_type),
            quantity,
            delta,
            remaining_after: b.remaining,
            policy: policy.to_owned(),
            reference: extra.reference,
            booking_id: extra.booking_id,
            linked_entry_id: extra.linked_entry_id,
            counterpart_purchase_id: extra.counterpart_purchase_id,
            amount: extra.amount.map(|a| a.to_string()),
            expires_at: extra.expires_at,
            actor_type: actor.actor_type.to_owned(),
            actor_id: actor.actor_id,
            request_id: atrium_core::request_id::current().map(|id| id.to_string()),
            created_at: Utc::now(),
            beneficiary_id: extra.beneficiary_id,
        },
    )
    .await
    .map(Some)
}

pub(crate) fn terms_of(p: &purchases::Model) -> Result<PackageTerms> {
    PackageTerms::of_json(&format!("package purchase {}", p.id), &p.terms)
}

pub(crate) fn payment(p: &purchases::Model) -> Result<PaymentStatus> {
    parse_name(&format!("package purchase {}", p.id), &p.payment_status)
}

fn item_no(i: usize) -> i32 {
    i32::try_from(i + 1).unwrap_or(i32::MAX)
}

/// Claims `p` for a change (409 when another change got there first).
async fn claim(tx: &TenantTx, p: &purchases::Model) -> Result<purchases::Model> {
    repo::claim(tx, p)
        .await?
        .ok_or_else(|| PackagesError::conflict("the purchase changed meanwhile; read it again and retry"))
}

/// A new purchase row with zero balances, then a grant per item (`policy`).
async fn open(tx: &TenantTx, row: purchases::Model, terms: &PackageTerms) -> Result<purchases::Model> {
    let p = repo::insert_purchase(tx, row).await?;
    for (i, item) in terms.items.iter().enumerate() {
        repo::insert_balance(tx, p.id, item_no(i), item.service_template_id).await?;
    }
    Ok(p)
}

/// Sells a package: the purchase with the package's terms, and one `granted` entry per item.
pub async fn sell(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    input: PurchaseCreate,
) -> Result<PurchaseView> {
    let Some(package) = repo::package(tx, input.package_id).await? else {
        return Err(PackagesError::field("package_id", "is not a package of this tenant"));
    };
    let pv = crate::model::PackageView::of(&package)?;
    if pv.status != PackageStatus::Active {
        return Err(PackagesError::conflict(format!("this package is {} and cannot be sold", name_of(&pv.status))));
    }
    let terms = pv.terms;
    let mut errors = Vec::new();
    if !dir.is_member(tx, UserId(input.purchaser_id)).await? {
        errors.push(FieldError::new("purchaser_id", "is not a customer of this tenant"));
    }
    if let Some(h) = input.household_id {
        if !terms.shareable_with_household {
            errors.push(FieldError::new("household_id", "this package is not shareable with a household"));
        } else {
            let mine = atrium_households::service::households_of(tx, input.purchaser_id).await?;
            if !mine.iter().any(|m| m.id == h) {
                errors.push(FieldError::new("household_id", "is not a household the purchaser belongs to"));
            }
        }
    }
    let paid = input.total_paid.unwrap_or(terms.price);
    if paid.is_sign_negative() && !paid.is_zero() || paid > crate::model::MAX_AMOUNT {
        errors.push(FieldError::new("total_paid", "must be between 0 and the largest amount"));
    } else if paid.normalize().scale() > terms.minor_units() {
        errors.push(FieldError::new("total_paid", "has more decimals than the currency allows"));
    }
    let payment_status = input.payment_status.unwrap_or(PaymentStatus::Paid);
    if payment_status == PaymentStatus::Refunded {
        errors.push(FieldError::new("payment_status", "a sale is pending_payment or paid"));
    }
    if !errors.is_empty() {
        return Err(PackagesError::Invalid(errors));
    }
    repo::lock(tx, &format!("sale:{}:{}", package.id, input.purchaser_id)).await?;
    if let Some(max) = terms.max_per_customer {
        let held = repo::count_live_purchases(tx, package.id, input.purchaser_id).await?;
        if held >= u64::try_from(max).unwrap_or(0) {
            return Err(PackagesError::conflict(format!(
                "this customer already holds {held} of this package (at most {max})"
            )));
        }
    }
    let now = Utc::now();
    let expires_at = match (terms.use_within_days, terms.valid_until) {
        (Some(days), _) => Some(now + Duration::days(days)),
        (None, until) => until,
    };
    if expires_at.is_some_and(|e| e <= now) {
        return Err(PackagesError::conflict("this package's validity has already ended"));
    }
    let row = purchases::Model {
        tenant_id: tx.tenant_id().0,
        id: Uuid::now_v7(),
        package_id: package.id,
        purchaser_id: input.purchaser_id,
        household_id: input.household_id,
        terms: serde_json::to_value(&terms).map_err(|e| PackagesError::Corrupt("terms".into(), e.to_string()))?,
        total_paid: paid.to_string(),
        currency: terms.currency.clone(),
        payment_status: name_of(&payment_status),
        expires_at,
        expiry_recorded_at: None,
        refunded_amount: None,
        transferred_from_id: None,
        transferred_to_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let p = open(tx, row, &terms).await?;
    for (i, item) in terms.items.iter().enumerate() {
        let extra = Extra { expires_at, ..Extra::default() };
        post(tx, actor, (p.id, item_no(i)), EntryType::Granted, item.quantity, "sale", extra).await?;
    }
    let view = view(tx, &p).await?;
    let change = Change::new(PackagesEvent::PurchaseCreated, "package_purchase", p.id, None, json(&view));
    audit::record(tx, actor, change).await?;
    Ok(view)
}

/// A pending purchase was paid: its credits become redeemable.
pub async fn pay(tx: &TenantTx, actor: &AuditActor, p: purchases::Model) -> Result<PurchaseView> {
    let before = view(tx, &p).await?;
    let p = claim(tx, &p).await?;
    if payment(&p)? != PaymentStatus::PendingPayment {
        return Err(PackagesError::conflict(format!("this purchase is {}, not pending_payment", p.payment_status)));
    }
    let p = repo::save_purchase(tx, purchases::Model { payment_status: name_of(&PaymentStatus::Paid), ..p }).await?;
    let after = view(tx, &p).await?;
    let change = Change::new(PackagesEvent::PurchasePaid, "package_purchase", p.id, json(&before), json(&after));
    audit::record(tx, actor, change).await?;
    Ok(after)
}

/// The refusals shared by extension, transfer and refund.
fn live(p: &purchases::Model) -> Result<()> {
    if payment(p)? == PaymentStatus::Refunded {
        return Err(PackagesError::conflict("this purchase was refunded"));
    }
    if p.transferred_to_id.is_some() {
        return Err(PackagesError::conflict("this purchase's credits were transferred"));
    }
    Ok(())
}

/// Moves the end of validity later. Each item's credits left under the old validity are
/// written off and granted again with the new one (an `expired` / `granted` pair, the
/// grant linked to the write-off), so totals never change by edit; when the expiry job has
/// already written them off, the grant links to its entry.
pub async fn extend(
    tx: &TenantTx,
    actor: &AuditActor,
    p: purchases::Model,
    req: ExtendRequest,
) -> Result<PurchaseView> {
    let before = view(tx, &p).await?;
    let p = claim(tx, &p).await?;
    live(&p)?;
    let now = Utc::now();
    if req.expires_at <= now || p.expires_at.is_some_and(|e| req.expires_at <= e) {
        return Err(PackagesError::field("expires_at", "must be later than now and than the current expiry"));
    }
    if req.reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(PackagesError::field("reason", "must be at most 500 characters"));
    }
    let regrant = Extra { reference: req.reason.clone(), expires_at: Some(req.expires_at), ..Extra::default() };
    if p.expiry_recorded_at.is_some() {
        let ledger = repo::entries_of(tx, p.id).await?;
        let renewed: Vec<Uuid> = ledger.iter().filter_map(|e| e.linked_entry_id).collect();
        for e in ledger.iter().filter(|e| e.entry_type == "expired" && e.policy == "expiry" && !renewed.contains(&e.id))
        {
            if e.quantity > 0 {
                let extra = Extra { linked_entry_id: Some(e.id), ..regrant_clone(&regrant) };
                post(tx, actor, (p.id, e.item_no), EntryType::Granted, e.quantity, "extension", extra).await?;
            }
        }
    } else {
        for b in repo::balances_of(tx, p.id).await? {
            if b.remaining > 0 {
                let out_extra = Extra { reference: req.reason.clone(), expires_at: p.expires_at, ..Extra::default() };
                let out =
                    post(tx, actor, (p.id, b.item_no), EntryType::Expired, b.remaining, "extension", out_extra).await?;
                let extra = Extra { linked_entry_id: Some(out.id), ..regrant_clone(&regrant) };
                post(tx, actor, (p.id, b.item_no), EntryType::Granted, b.remaining, "extension", extra).await?;
            }
        }
    }
    let p =
        repo::save_purchase(tx, purchases::Model { expires_at: Some(req.expires_at), expiry_recorded_at: None, ..p })
            .await?;
    let after = view(tx, &p).await?;
    let change = Change::new(PackagesEvent::PurchaseExtended, "package_purchase", p.id, json(&before), json(&after));
    audit::record(tx, actor, change).await?;
    Ok(after)
}

fn regrant_clone(e: &Extra) -> Extra {
    Extra { reference: e.reference.clone(), expires_at: e.expires_at, ..Extra::default() }
}

/// Transfers the unused credits to another customer: a new purchase for them (nothing
/// paid, same terms and expiry) and, per item, a `transferred_out` here paired with a
/// `transferred_in` there, in one transaction.
pub async fn transfer(
    tx: &TenantTx,
    dir: &dyn Directory,
    actor: &AuditActor,
    p: purchases::Model,
    req: TransferRequest,
) -> Result<(PurchaseView, PurchaseView)> {
    let before = view(tx, &p).await?;
    let p = claim(tx, &p).await?;
    live(&p)?;
    let terms = terms_of(&p)?;
    if !terms.transferable {
        return Err(PackagesError::conflict("this package is not transferable"));
    }
    if payment(&p)? != PaymentStatus::Paid {
        return Err(PackagesError::conflict("an unpaid purchase cannot be transferred"));
    }
    let now = Utc::now();
    if p.expires_at.is_some_and(|e| now >= e) {
        return Err(PackagesError::conflict("this purchase has expired"));
    }
    if req.to_customer_id == p.purchaser_id {
        return Err(PackagesError::field("to_customer_id", "is the purchaser already"));
    }
    if !dir.is_member(tx, UserId(req.to_customer_id)).await? {
        return Err(PackagesError::field("to_customer_id", "is not a customer of this tenant"));
    }
    let balances = repo::balances_of(tx, p.id).await?;
    if balances.iter().all(|b| b.remaining == 0) {
        return Err(PackagesError::conflict("no credits are left to transfer"));
    }
    let row = purchases::Model {
        id: Uuid::now_v7(),
        purchaser_id: req.to_customer_id,
        household_id: None,
        total_paid: "0".to_owned(),
        payment_status: name_of(&PaymentStatus::Paid),
        expiry_recorded_at: None,
        refunded_amount: None,
        transferred_from_id: Some(p.id),
        transferred_to_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
        ..p.clone()
    };
    let to = open(tx, row, &terms).await?;
    for b in balances.iter().filter(|b| b.remaining > 0) {
        let out = Extra { reference: req.reason.clone(), counterpart_purchase_id: Some(to.id), ..Extra::default() };
        let out = post(tx, actor, (p.id, b.item_no), EntryType::TransferredOut, b.remaining, "transfer", out).await?;
        let inn = Extra {
            reference: req.reason.clone(),
            counterpart_purchase_id: Some(p.id),
            linked_entry_id: Some(out.id),
            expires_at: p.expires_at,
            ..Extra::default()
        };
        post(tx, actor, (to.id, b.item_no), EntryType::TransferredIn, b.remaining, "transfer", inn).await?;
    }
    let p = repo::save_purchase(tx, purchases::Model { transferred_to_id: Some(to.id), ..p }).await?;
    let from_view = view(tx, &p).await?;
    let to_view = view(tx, &to).await?;
    let after = serde_json::json!({"from": from_view, "to": to_view});
    let change = Change::new(PackagesEvent::PurchaseTransferred, "package_purchase", p.id, json(&before), Some(after));
    audit::record(tx, actor, change).await?;
    Ok((from_view, to_view))
}

/// The refund `p` would get now, under its terms' rule.
pub async fn quote(tx: &TenantTx, p: &purchases::Model) -> Result<RefundQuote> {
    let terms = terms_of(p)?;
    let ledger = repo::entries_of(tx, p.id).await?;
    let balances = repo::balances_of(tx, p.id).await?;
    let expired = p.expires_at.is_some_and(|e| Utc::now() >= e);
    let uses: Vec<ItemUse> = terms
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let no = item_no(i);
            let sum = |t: &str| {
                ledger.iter().filter(|e| e.item_no == no && e.entry_type == t).map(|e| e.quantity).sum::<i64>()
            };
            // A forfeited redemption stays used (its entry moves no balance); a forfeiture
            // that took credit itself counts as a use too.
            let forfeited_directly: i64 =
                ledger.iter().filter(|e| e.item_no == no && e.entry_type == "forfeited").map(|e| -e.delta).sum();
            let used = sum("redeemed") - sum("returned") + forfeited_directly;
            let left = balances.iter().find(|b| b.item_no == no).map_or(0, |b| b.remaining);
            ItemUse {
                quantity: item.quantity,
                used,
                unused: if expired { 0 } else { left },
                list_price: item.list_price,
            }
        })
        .collect();
    let total_paid: Decimal = p
        .total_paid
        .parse()
        .map_err(|_| PackagesError::Corrupt(format!("package purchase {}", p.id), "total_paid".into()))?;
    let (gross, amount) = quote::refund(terms.refund_rule, total_paid, terms.refund_fee, &uses, terms.minor_units());
    Ok(RefundQuote {
        purchase_id: p.id,
        rule: terms.refund_rule,
        total_paid,
        gross,
        fee: terms.refund_fee.min(gross),
        amount,
        currency: p.currency.clone(),
        items: uses
            .iter()
            .enumerate()
            .map(|(i, u)| QuoteItem {
                item_no: item_no(i),
                quantity: u.quantity,
                used: u.used,
                unused: u.unused,
                list_price: u.list_price,
            })
            .collect(),
    })
}

/// Refunds `p` as quoted now: voids its unused credits (one `refunded` entry per item)
/// and records the amount, together. Consumed credits are never refunded.
pub async fn refund(
    tx: &TenantTx,
    actor: &AuditActor,
    p: purchases::Model,
    req: RefundRequest,
) -> Result<(PurchaseView, RefundQuote)> {
    let before = view(tx, &p).await?;
    let p = claim(tx, &p).await?;
    live(&p)?;
    if payment(&p)? != PaymentStatus::Paid {
        return Err(PackagesError::conflict("only a paid purchase can be refunded"));
    }
    if p.expires_at.is_some_and(|e| Utc::now() >= e) {
        return Err(PackagesError::conflict("this purchase has expired: nothing is left to refund"));
    }
    let q = quote(tx, &p).await?;
    let policy = format!("refund:{}", name_of(&q.rule));
    for b in repo::balances_of(tx, p.id).await? {
        if b.remaining > 0 {
            let extra = Extra { reference: req.reason.clone(), ..Extra::default() };
            post(tx, actor, (p.id, b.item_no), EntryType::Refunded, b.remaining, &policy, extra).await?;
        }
    }
    let p = repo::save_purchase(
        tx,
        purchases::Model {
            payment_status: name_of(&PaymentStatus::Refunded),
            refunded_amount: Some(q.amount.to_string()),
            ..p
        },
    )
    .await?;
    let after = view(tx, &p).await?;
    let data = serde_json::json!({"purchase": after, "quote": q});
    let change = Change::new(PackagesEvent::PurchaseRefunded, "package_purchase", p.id, json(&before), Some(data));
    audit::record(tx, actor, change).await?;
    Ok((after, q))
}

/// Records the expiry of up to `batch` purchases whose validity ended by `now`: an
/// `expired` entry per item with credits left, and `package_purchase.expired`.
pub async fn record_expiries(tx: &TenantTx, now: DateTime<Utc>, batch: u64) -> Result<usize> {
    let due = repo::unrecorded_expiries(tx, now, batch).await?;
    let system = AuditActor::system();
    for p in &due {
        let Some(p) = repo::claim(tx, p).await? else { continue };
        let mut written = 0;
        for b in repo::balances_of(tx, p.id).await? {
            if b.remaining > 0 {
                let extra = Extra { expires_at: p.expires_at, ..Extra::default() };
                post(tx, &system, (p.id, b.item_no), EntryType::Expired, b.remaining, "expiry", extra).await?;
                written += b.remaining;
            }
        }
        let p = repo::save_purchase(tx, purchases::Model { expiry_recorded_at: Some(now), ..p }).await?;
        if written > 0 {
            let after = view(tx, &p).await?;
            let change = Change::new(PackagesEvent::PurchaseExpired, "package_purchase", p.id, None, json(&after));
            audit::record(tx, &system, change).await?;
        }
    }
    Ok(due.len())
}

/// Balances that differ from the sum of their ledger: `(purchase, item, balance, ledger)`.
pub async fn verify(tx: &TenantTx) -> Result<(usize, Vec<(Uuid, i32, i64, i64)>)> {
    let rows = repo::drift(tx).await?;
    let n = rows.len();
    Ok((n, rows.into_iter().filter(|(_, _, b, l)| b != l).collect()))
}

/// For a caller that must own `p` (a customer): 404 otherwise.
pub fn owned_by(p: &purchases::Model, user: Uuid) -> Result<()> {
    if p.purchaser_id == user { Ok(()) } else { Err(PackagesError::NotFound) }
}
