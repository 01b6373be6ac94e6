//! The waitlist's offers: when a slot is freed it is offered to the first matching waiting
//! entry (per service template and preferred local date, optionally a time range), as a
//! hold for that entry's user that lasts as long as the offer, so nobody else can book it
//! meanwhile. An offer left unanswered lapses (`expired` at read time at once, and swept)
//! and the slot passes to the next matching entry. Joining, leaving and answering an offer
//! are in [`crate::waitlist_entries`].

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use atrium_core::ids::TenantId;
use atrium_core::jobs::{JobContext, JobDef, for_each_tenant};
use atrium_core::schedule::parse_hhmm;
use atrium_service_templates::model::ServiceTemplateStatus;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use sea_orm::{DatabaseConnection, Set};
use uuid::Uuid;

use crate::engine::{Claim, Owner, Template, allocate, load_template};
use crate::entities::{reservations, waitlist_entries as entries};
use crate::error::BookingsError;
use crate::events::BookingsEvent;
use crate::model::reservations::{ReservationStatus, ReservationView};
use crate::model::waitlist::{WaitlistEntryView, WaitlistStatus};
use crate::repo;

/// How long an offer stands, and so how long its hold keeps the slot: a quarter of an hour
/// to notice the offer and answer it.
pub const OFFER_MINUTES: i64 = 15;

const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_millis(500);
const SWEEP_BATCH: u64 = 100;

/// Records a change of entry `e` (`before` → its state now) as `action`.
pub async fn audit_change(
    tx: &TenantTx,
    actor: &AuditActor,
    action: BookingsEvent,
    before: Option<&WaitlistEntryView>,
    e: &entries::Model,
    now: DateTime<Utc>,
) -> Result<WaitlistEntryView, BookingsError> {
    let after = repo::waitlist::view(tx, e, now).await?;
    let change = Change::new(
        action,
        "waitlist_entry",
        e.id,
        before.and_then(|b| serde_json::to_value(b).ok()),
        serde_json::to_value(&after).ok(),
    );
    audit::record(tx, actor, change).await?;
    Ok(after)
}

/// A slot of `template` at `[start, end)` was freed (a cancellation, a no-show, a hold
/// released or expired): offer it to the first matching waiting entry.
pub async fn slot_freed(
    tx: &TenantTx,
    template: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), BookingsError> {
    // A lapsed offer's hold expiring is one way a slot comes back: that offer ends first.
    for e in repo::waitlist::lapsed_offers_of_slot(tx, template, start, now).await? {
        expire(tx, e, now).await?;
    }
    offer(tx, template, start, end, now).await
}

/// Marks an offered entry expired (once: `false` when another sweep got there first) and
/// says so with `waitlist.offer_expired`. Its hold lapses on its own at the same instant.
async fn expire(tx: &TenantTx, e: entries::Model, now: DateTime<Utc>) -> Result<bool, BookingsError> {
    let before = repo::waitlist::view_as(tx, &e, WaitlistStatus::Offered).await?;
    if !repo::waitlist::expire_if_offered(tx, e.id, now).await? {
        return Ok(false);
    }
    let e = repo::waitlist::find(tx, e.id).await?;
    audit_change(tx, &AuditActor::system(), BookingsEvent::WaitlistOfferExpired, Some(&before), &e, now).await?;
    Ok(true)
}

/// Whether a slot starting at local `time` suits the entry.
fn suits(e: &entries::Model, time: NaiveTime) -> bool {
    match (e.preferred_start.as_deref().and_then(parse_hhmm), e.preferred_end.as_deref().and_then(parse_hhmm)) {
        (Some(from), Some(to)) => from <= time && time < to,
        _ => true,
    }
}

/// Offers `[start, end)` to the first waiting entry of `template` whose preferred date (in
/// the template's pricing zone) is the slot's and whose time range holds its start —
/// when the slot can still be held for them; otherwise nobody is offered anything.
async fn offer(
    tx: &TenantTx,
    template: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), BookingsError> {
    if start <= now || end <= start {
        return Ok(());
    }
    let template = match load_template(tx, template, "service_template_id").await {
        Ok(t) => t,
        // The template is gone: nobody to offer to.
        Err(BookingsError::Invalid(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    if template.state.status != ServiceTemplateStatus::Active {
        return Ok(());
    }
    let tz: chrono_tz::Tz = template.state.pricing.timezone.parse().unwrap_or(chrono_tz::UTC);
    let local = start.with_timezone(&tz);
    let waiting = repo::waitlist::waiting_for(tx, template.id, local.date_naive()).await?;
    let Some(e) = waiting.into_iter().find(|e| suits(e, local.time())) else {
        return Ok(());
    };
    let expires_at = now + Duration::minutes(OFFER_MINUTES);
    let Some(hold) = hold_for(tx, &template, &e, (start, end), expires_at, now).await? else {
        return Ok(());
    };
    let before = repo::waitlist::view(tx, &e, now).await?;
    let version = e.version + 1;
    let mut am: entries::ActiveModel = e.into();
    am.status = Set(WaitlistStatus::Offered.as_str().to_owned());
    am.offered_at = Set(Some(now));
    am.offered_start = Set(Some(start));
    am.offered_end = Set(Some(end));
    am.offer_expires_at = Set(Some(expires_at));
    am.reservation_id = Set(Some(hold.id));
    am.version = Set(version);
    am.updated_at = Set(now);
    let e = repo::waitlist::update(tx, am).await?;
    audit_change(tx, &AuditActor::system(), BookingsEvent::WaitlistOffered, Some(&before), &e, now).await?;
    Ok(())
}

/// Holds `[start, end)` for the entry's user until `expires_at` (the offer's end, which
/// extensions cannot pass), or `None` when the slot cannot be held (taken again, too soon,
/// closed). Inside a savepoint, so a refusal — even PostgreSQL's exclusion constraint —
/// leaves the caller's transaction usable.
async fn hold_for(
    tx: &TenantTx,
    template: &Template,
    e: &entries::Model,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<reservations::Model>, BookingsError> {
    let id = Uuid::now_v7();
    let minutes = u32::try_from((end - start).num_minutes()).unwrap_or(0);
    let participants = u32::try_from(e.participant_count).unwrap_or(1).max(1);
    let attempt = async {
        let row = reservations::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(id),
            service_template_id: Set(template.id),
            holder_user_id: Set(e.user_id),
            status: Set(ReservationStatus::Active.as_str().to_owned()),
            start_at: Set(start),
            end_at: Set(end),
            participants: Set(i32::try_from(participants).unwrap_or(i32::MAX)),
            expires_at: Set(expires_at),
            max_expires_at: Set(expires_at),
            extension_count: Set(0),
            booking_id: Set(None),
            version: Set(1),
            created_at: Set(now),
        };
        let r = repo::reservations::insert(tx, row).await?;
        let claim = Claim {
            start,
            duration_minutes: minutes,
            participants,
            chosen: None,
            technician: e.technician_user_id,
            owner: Owner::Hold { reservation: id, expires_at },
        };
        let rows = allocate(tx, template, claim, now).await?;
        Ok((r, rows))
    };
    match repo::savepoint(tx, "waitlist_offer", attempt).await? {
        Ok((r, rows)) => {
            let v = ReservationView::of(&r, rows.iter().map(|a| a.bookable_id).collect(), now);
            let change = Change::new(
                BookingsEvent::ReservationCreated,
                "reservation",
                r.id,
                None,
                serde_json::to_value(&v).ok(),
            );
            audit::record(tx, &AuditActor::system(), change).await?;
            Ok(Some(r))
        }
        Err(err) if err.is_fault() => Err(err),
        Err(refused) => {
            tracing::debug!(entry = %e.id, detail = %refused, "freed slot not offered");
            Ok(None)
        }
    }
}

/// The offer sweeper: each lapsed offer is marked expired (`waitlist.offer_expired`) and
/// its slot passed on to the next matching entry.
pub fn job() -> JobDef {
    JobDef::new(
        "bookings.offer_sweeper",
        "Ends lapsed waitlist offers and passes their slots on",
        SWEEP_EVERY,
        |ctx| async move { sweep(&ctx).await },
    )
}

/// One pass of the offer sweeper; one tenant's failure (logged) does not stop the others.
pub async fn sweep(ctx: &JobContext) -> Result<(), ApiError> {
    let tenants = repo::waitlist::tenants_with_lapsed_offers(&ctx.db).await?.into_iter().map(TenantId).collect();
    for_each_tenant(ctx, "bookings.offer_sweeper", tenants, |tenant| async move {
        Ok(sweep_tenant(&ctx.db, tenant).await?)
    })
    .await;
    Ok(())
}

async fn sweep_tenant(db: &DatabaseConnection, tenant: TenantId) -> Result<(), BookingsError> {
    let now = Utc::now();
    let tx = TenantTx::begin(db, tenant, true).await?;
    for e in repo::waitlist::lapsed_offers(&tx, now, SWEEP_BATCH).await? {
        let (template, slot) = (e.service_template_id, e.offered_start.zip(e.offered_end));
        if expire(&tx, e, now).await?
            && let Some((start, end)) = slot
        {
            offer(&tx, template, start, end, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
