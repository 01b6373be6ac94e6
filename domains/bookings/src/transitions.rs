//! The booking's lifecycle: [`apply`] moves a booking along one legal transition of the
//! status machine ([`crate::status`]) — the refund on cancelling, freeing the slot for the
//! waitlist — and every status it takes is appended to its history.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::booking_ext::{self, BookingKind, Changed, Transition};
use atrium_core::context::{Actor, ActorKind, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::validate::CurrencyCode;
use atrium_households::rules::MemberRole;
use atrium_service_templates::model::CancellationPolicy;
use atrium_service_templates::quote::{Refund, refund};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{IntoActiveModel, Set};
use uuid::Uuid;

use crate::engine::{Owner, release};
use crate::entities::{bookings, status_history};
use crate::error::{BookingsError, invalid};
use crate::model::bookings::{BookingView, CancellationQuoteView};
use crate::ownership::Reach;
use crate::repo;
use crate::status::{Action, BookingStatus};

/// A transition's reason, when given: 1–500 characters.
pub fn check_reason(reason: Option<&String>) -> Result<(), BookingsError> {
    if reason.is_some_and(|r| r.trim().is_empty() || r.chars().count() > 500) {
        return Err(invalid("reason", "must be 1–500 characters"));
    }
    Ok(())
}

/// Applies `action` to booking `id` inside `tx` (not committed): the one way a booking
/// changes status — by its routes, or a recurring rule cancelled. 409
/// `invalid_transition` when the status machine does not allow it.
pub async fn apply(
    ctx: &RequestContext,
    tx: &TenantTx,
    id: Uuid,
    action: Action,
    reason: Option<String>,
    reach: &Reach,
    now: DateTime<Utc>,
) -> Result<BookingView, BookingsError> {
    // Locked: two transitions of one booking never both start from the same status.
    let b = repo::bookings::find_locked(tx, id, reach).await?;
    let from = BookingStatus::parse(&b.status).ok_or_else(|| BookingsError::Corrupt("booking status".to_owned()))?;
    let to = from
        .after(action)
        .ok_or_else(|| BookingsError::InvalidTransition(format!("a {} booking cannot do that", from.as_str())))?;
    if action == Action::Approve {
        must_be_household_primary(ctx, tx, b.household_id).await?;
    }
    if reach.is_own() {
        customer_may(action, &b, now)?;
    }
    let kind = ctx.actor_kind(&reach.scope());
    let before = repo::bookings::view(tx, &b).await?;
    let b = repo::bookings::update(tx, changed(b, action, to, reason.clone(), kind, now)?).await?;
    if !to.occupies() {
        release(tx, Owner::Booking(b.id)).await?;
        crate::waitlist::slot_freed(tx, b.service_template_id, b.start_at, b.end_at, now).await?;
    }
    record_status(tx, ctx, kind, b.id, Some(from), to, reason).await?;
    let actor = AuditActor::of(ctx);
    let changed = Changed {
        tenant_id: tx.tenant_id(),
        kind: BookingKind::Booking,
        id: b.id,
        transition: Transition::Booking { from: from.as_str(), to: to.as_str() },
        start: b.start_at,
        at: now,
        actor: &actor,
        cancellation_policy: Some(&b.cancellation_policy),
    };
    booking_ext::installed().transition(tx, &changed).await?;
    if action == Action::Cancel {
        let name = crate::notify::service_name(tx, b.service_template_id).await;
        crate::notify::enqueue(tx, atrium_core::mail::MailKind::BookingCancellation, &b, &name).await?;
    }
    let after = repo::bookings::view(tx, &b).await?;
    let change = Change::new(
        action.event(),
        "booking",
        b.id,
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    );
    audit::record(tx, &actor, change).await?;
    Ok(after)
}

/// What a customer may do to their booking: cancel it while its terms allow (the
/// template's `allow_client_cancellation`, and at least `client_cancellation_cutoff_hours`
/// of notice), and approve it as the household's primary member. Confirming, checking in,
/// completing and no-shows are the team's.
fn customer_may(action: Action, b: &bookings::Model, now: DateTime<Utc>) -> Result<(), BookingsError> {
    match action {
        Action::Approve => Ok(()),
        Action::Cancel => {
            let policy: CancellationPolicy = serde_json::from_value(b.cancellation_policy.clone())?;
            if !policy.allow_client_cancellation {
                return Err(BookingsError::CancellationNotAllowed(
                    "this service's terms do not let customers cancel; ask the team".to_owned(),
                ));
            }
            let cutoff = chrono::Duration::hours(i64::from(policy.client_cancellation_cutoff_hours));
            if b.start_at - now < cutoff {
                return Err(BookingsError::CancellationNotAllowed(format!(
                    "customers cancel at least {} hours ahead; ask the team",
                    policy.client_cancellation_cutoff_hours
                )));
            }
            Ok(())
        }
        Action::Confirm | Action::CheckIn | Action::Complete | Action::NoShow => {
            Err(BookingsError::Forbidden("customers cancel or approve their bookings; the other steps are the team's"))
        }
    }
}

/// Booking `b` once `action` has taken it to `to` at `now`, by `kind`.
fn changed(
    b: bookings::Model,
    action: Action,
    to: BookingStatus,
    reason: Option<String>,
    kind: ActorKind,
    now: DateTime<Utc>,
) -> Result<bookings::ActiveModel, BookingsError> {
    let version = b.version + 1;
    let (start, total, currency) = (b.start_at, b.total.clone(), b.currency.clone());
    let policy: CancellationPolicy = serde_json::from_value(b.cancellation_policy.clone())?;
    let mut am = b.into_active_model();
    am.status = Set(to.as_str().to_owned());
    am.version = Set(version);
    am.updated_at = Set(now);
    match action {
        Action::CheckIn => am.checked_in_at = Set(Some(now)),
        Action::Complete => am.completed_at = Set(Some(now)),
        Action::Cancel => {
            let r = refund_at(&policy, start, &total, &currency, now)?;
            am.refund_amount = Set(Some(r.amount.to_string()));
            am.refund_percent = Set(Some(r.refund_percent.to_string()));
            am.cancelled_at = Set(Some(now));
            am.cancelled_by = Set(Some(kind.as_str().to_owned()));
            am.cancellation_reason = Set(reason);
        }
        Action::Approve | Action::Confirm | Action::NoShow => {}
    }
    Ok(am)
}

/// The refund of cancelling at `now` a booking of `total` `currency` starting at `start`:
/// on the booking's price (no payments are recorded yet), by the terms it was booked on.
fn refund_at(
    policy: &CancellationPolicy,
    start: DateTime<Utc>,
    total: &str,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<Refund, BookingsError> {
    let paid: Decimal = total.parse().map_err(|e| BookingsError::Corrupt(format!("booking total `{total}`: {e}")))?;
    let minor = CurrencyCode::parse(currency).map(|c| c.minor_units()).unwrap_or(2);
    Ok(refund(policy, start, now, paid, minor))
}

/// What cancelling booking `id` at `now` would do, changing nothing: whether the caller may
/// (its status, and for a customer the service's terms) and the refund it would give.
pub async fn cancellation_quote(
    tx: &TenantTx,
    id: Uuid,
    reach: &Reach,
    now: DateTime<Utc>,
) -> Result<CancellationQuoteView, BookingsError> {
    let b = repo::bookings::find(tx, id, reach).await?;
    let status = BookingStatus::parse(&b.status).ok_or_else(|| BookingsError::Corrupt("booking status".to_owned()))?;
    let refusal = if status.after(Action::Cancel).is_none() {
        Some(format!("a {} booking cannot be cancelled", status.as_str()))
    } else if reach.is_own() {
        match customer_may(Action::Cancel, &b, now) {
            Ok(()) => None,
            Err(BookingsError::CancellationNotAllowed(why)) => Some(why),
            Err(other) => return Err(other),
        }
    } else {
        None
    };
    let policy: CancellationPolicy = serde_json::from_value(b.cancellation_policy.clone())?;
    let r = refund_at(&policy, b.start_at, &b.total, &b.currency, now)?;
    Ok(CancellationQuoteView {
        booking_id: b.id,
        allowed: refusal.is_none(),
        refused_because: refusal,
        refund_amount: r.amount,
        refund_percent: r.refund_percent,
        currency: b.currency,
        offer_store_credit: r.offer_store_credit,
        quoted_at: now,
    })
}

/// Approval is a primary member's of the booking's household.
async fn must_be_household_primary(
    ctx: &RequestContext,
    tx: &TenantTx,
    household: Option<Uuid>,
) -> Result<(), BookingsError> {
    let Some(household) = household else {
        return Err(BookingsError::InvalidTransition("only household bookings need approval".to_owned()));
    };
    let caller = ctx.principal().user_id().0;
    let members = atrium_households::service::members(tx, household).await?;
    if members.iter().any(|m| m.user_id == caller && m.facts.role == MemberRole::Primary) {
        Ok(())
    } else {
        Err(BookingsError::Forbidden("only a primary member of the household approves"))
    }
}

/// Appends `from` → `to` to booking `booking`'s history, by the caller acting as `kind`.
pub async fn record_status(
    tx: &TenantTx,
    ctx: &RequestContext,
    kind: ActorKind,
    booking: Uuid,
    from: Option<BookingStatus>,
    to: BookingStatus,
    reason: Option<String>,
) -> Result<(), BookingsError> {
    let row = status_history::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        booking_id: Set(booking),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        actor_type: Set(kind.as_str().to_owned()),
        actor_id: Set(Some(match &ctx.principal().actor {
            Actor::ApiKey { key_id, .. } => *key_id,
            Actor::User(user) => user.0,
        })),
        reason: Set(reason),
        at: Set(Utc::now()),
    };
    repo::bookings::insert_status_change(tx, row).await
}
