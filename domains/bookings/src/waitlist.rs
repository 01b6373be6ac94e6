//! The waitlist: entries ordered per service template and preferred local date (optionally
//! a time range), and what happens when a slot is freed — it is offered to the first
//! matching waiting entry, as a hold for that entry's user that lasts as long as the
//! offer, so nobody else can book it meanwhile. Accepting converts the hold into a
//! booking; an offer left unanswered lapses (`expired` at read time at once, and swept)
//! and the slot passes to the next matching entry.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode};
use atrium_core::ids::TenantId;
use atrium_core::jobs::{JobContext, JobDef, for_each_tenant};
use atrium_core::schedule::{TimeRange, parse_hhmm};
use atrium_service_templates::model::ServiceTemplateStatus;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, PaginatorTrait, QueryOrder, QuerySelect, Set, Statement,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::engine::{Claim, Owner, Template, allocate, load_template};
use crate::entities::{reservations, waitlist_entries as entries};
use crate::events::BookingsEvent;
use crate::routes::reservations::{ReservationStatus, view as reservation_view};

/// How long an offer stands, and so how long its hold keeps the slot: a quarter of an hour
/// to notice the offer and answer it.
pub const OFFER_MINUTES: i64 = 15;

const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_millis(500);
const SWEEP_BATCH: u64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitlistStatus {
    Waiting,
    /// A freed slot is held for the entry until `offer_expires_at`.
    Offered,
    Accepted,
    /// The offer lapsed unanswered.
    Expired,
    /// Left the waitlist, or declined the offer.
    Cancelled,
}

impl WaitlistStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Offered => "offered",
            Self::Accepted => "accepted",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The entry's status at `now`: an offer past `offer_expires_at` is expired, swept or not.
pub fn status_of(e: &entries::Model, now: DateTime<Utc>) -> WaitlistStatus {
    match e.status.as_str() {
        "waiting" => WaitlistStatus::Waiting,
        "offered" if e.offer_expires_at.is_some_and(|at| at <= now) => WaitlistStatus::Expired,
        "offered" => WaitlistStatus::Offered,
        "accepted" => WaitlistStatus::Accepted,
        "cancelled" => WaitlistStatus::Cancelled,
        _ => WaitlistStatus::Expired,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitlistEntryView {
    pub id: Uuid,
    pub service_template_id: Uuid,
    /// Who the offer is held for and who accepts it.
    pub user_id: Uuid,
    pub household_id: Option<Uuid>,
    /// A local date in the template's pricing time zone.
    pub preferred_date: NaiveDate,
    /// Local times in the template's pricing time zone; a slot matches when it starts inside.
    pub preferred_time_range: Option<TimeRange>,
    pub participant_count: u32,
    pub technician_user_id: Option<Uuid>,
    /// Place in line among the entries waiting for this service and date (1 is next);
    /// `null` once the entry is no longer waiting.
    pub position: Option<u32>,
    pub status: WaitlistStatus,
    pub offered_at: Option<DateTime<Utc>>,
    pub offered_start: Option<DateTime<Utc>>,
    pub offered_end: Option<DateTime<Utc>>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// The hold that keeps the offered slot.
    pub reservation_id: Option<Uuid>,
    /// Set once the offer is accepted.
    pub booking_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// The entry's place among those waiting for its service and date.
async fn position(tx: &TenantTx, e: &entries::Model) -> Result<Option<u32>, ApiError> {
    if e.status != WaitlistStatus::Waiting.as_str() {
        return Ok(None);
    }
    let ahead = entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::ServiceTemplateId.eq(e.service_template_id))
        .filter(entries::Column::PreferredDate.eq(e.preferred_date))
        .filter(entries::Column::Status.eq(WaitlistStatus::Waiting.as_str()))
        .filter(entries::Column::Id.lt(e.id))
        .count(tx.conn())
        .await?;
    Ok(Some(u32::try_from(ahead).unwrap_or(u32::MAX).saturating_add(1)))
}

pub async fn view(tx: &TenantTx, e: &entries::Model, now: DateTime<Utc>) -> Result<WaitlistEntryView, ApiError> {
    view_as(tx, e, status_of(e, now)).await
}

async fn view_as(tx: &TenantTx, e: &entries::Model, status: WaitlistStatus) -> Result<WaitlistEntryView, ApiError> {
    let preferred_time_range = match (&e.preferred_start, &e.preferred_end) {
        (Some(start), Some(end)) => Some(TimeRange { start: start.clone(), end: end.clone() }),
        _ => None,
    };
    Ok(WaitlistEntryView {
        id: e.id,
        service_template_id: e.service_template_id,
        user_id: e.user_id,
        household_id: e.household_id,
        preferred_date: e.preferred_date,
        preferred_time_range,
        participant_count: u32::try_from(e.participant_count).unwrap_or(0),
        technician_user_id: e.technician_user_id,
        position: position(tx, e).await?,
        status,
        offered_at: e.offered_at,
        offered_start: e.offered_start,
        offered_end: e.offered_end,
        offer_expires_at: e.offer_expires_at,
        reservation_id: e.reservation_id,
        booking_id: e.booking_id,
        version: e.version,
        created_at: e.created_at,
    })
}

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<entries::Model, ApiError> {
    entries::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?.ok_or_else(ApiError::not_found)
}

/// Records a change of entry `e` (`before` → its state now) as `action`.
pub async fn audit_change(
    tx: &TenantTx,
    actor: &AuditActor,
    action: BookingsEvent,
    before: Option<&WaitlistEntryView>,
    e: &entries::Model,
    now: DateTime<Utc>,
) -> Result<WaitlistEntryView, ApiError> {
    let after = view(tx, e, now).await?;
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
) -> Result<(), ApiError> {
    // A lapsed offer's hold expiring is one way a slot comes back: that offer ends first.
    let lapsed = entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::ServiceTemplateId.eq(template))
        .filter(entries::Column::Status.eq(WaitlistStatus::Offered.as_str()))
        .filter(entries::Column::OfferedStart.eq(start))
        .filter(entries::Column::OfferExpiresAt.lte(now))
        .order_by_asc(entries::Column::Id)
        .all(tx.conn())
        .await?;
    for e in lapsed {
        expire(tx, e, now).await?;
    }
    offer(tx, template, start, end, now).await
}

/// Marks an offered entry expired (once: `false` when another sweep got there first) and
/// says so with `waitlist.offer_expired`. Its hold lapses on its own at the same instant.
async fn expire(tx: &TenantTx, e: entries::Model, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let before = view_as(tx, &e, WaitlistStatus::Offered).await?;
    let updated = entries::Entity::update_many()
        .col_expr(entries::Column::Status, Expr::value(WaitlistStatus::Expired.as_str()))
        .col_expr(entries::Column::Version, sea_orm::sea_query::ExprTrait::add(Expr::col(entries::Column::Version), 1))
        .col_expr(entries::Column::UpdatedAt, Expr::value(now))
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::Id.eq(e.id))
        .filter(entries::Column::Status.eq(WaitlistStatus::Offered.as_str()))
        .exec(tx.conn())
        .await?;
    if updated.rows_affected == 0 {
        return Ok(false);
    }
    let e = find(tx, e.id).await?;
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
) -> Result<(), ApiError> {
    if start <= now || end <= start {
        return Ok(());
    }
    let template = match load_template(tx, template, "service_template_id").await {
        Ok(t) => t,
        // The template is gone: nobody to offer to.
        Err(e) if e.code() == ErrorCode::ValidationFailed => return Ok(()),
        Err(e) => return Err(e),
    };
    if template.state.status != ServiceTemplateStatus::Active {
        return Ok(());
    }
    let tz: chrono_tz::Tz = template.state.pricing.timezone.parse().unwrap_or(chrono_tz::UTC);
    let local = start.with_timezone(&tz);
    let waiting = entries::Entity::find()
        .filter(entries::Column::TenantId.eq(tx.tenant_id().0))
        .filter(entries::Column::ServiceTemplateId.eq(template.id))
        .filter(entries::Column::Status.eq(WaitlistStatus::Waiting.as_str()))
        .filter(entries::Column::PreferredDate.eq(local.date_naive()))
        .order_by_asc(entries::Column::Id)
        .all(tx.conn())
        .await?;
    let Some(e) = waiting.into_iter().find(|e| suits(e, local.time())) else {
        return Ok(());
    };
    let expires_at = now + Duration::minutes(OFFER_MINUTES);
    let Some(hold) = hold_for(tx, &template, &e, (start, end), expires_at, now).await? else {
        return Ok(());
    };
    let before = view(tx, &e, now).await?;
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
    let e = am.update(tx.conn()).await?;
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
) -> Result<Option<reservations::Model>, ApiError> {
    let conn = tx.conn();
    conn.execute_unprepared("SAVEPOINT waitlist_offer").await?;
    let id = Uuid::now_v7();
    let minutes = u32::try_from((end - start).num_minutes()).unwrap_or(0);
    let participants = u32::try_from(e.participant_count).unwrap_or(1).max(1);
    let attempt = async {
        let r = reservations::ActiveModel {
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
        }
        .insert(conn)
        .await?;
        let claim = Claim {
            start,
            duration_minutes: minutes,
            participants,
            chosen: None,
            technician: e.technician_user_id,
            owner: Owner::Hold { reservation: id, expires_at },
        };
        let rows = allocate(tx, template, claim, now).await?;
        Ok::<_, ApiError>((r, rows))
    }
    .await;
    match attempt {
        Ok((r, rows)) => {
            conn.execute_unprepared("RELEASE SAVEPOINT waitlist_offer").await?;
            let v = reservation_view(&r, rows.iter().map(|a| a.bookable_id).collect(), now);
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
        Err(err) => {
            conn.execute_unprepared("ROLLBACK TO SAVEPOINT waitlist_offer").await?;
            conn.execute_unprepared("RELEASE SAVEPOINT waitlist_offer").await?;
            match err.code() {
                ErrorCode::Internal | ErrorCode::Unavailable | ErrorCode::Timeout => Err(err),
                _ => {
                    tracing::debug!(entry = %e.id, detail = ?err.problem().detail, "freed slot not offered");
                    Ok(None)
                }
            }
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

/// Tenants with lapsed offers: across row-level security through a narrow function on
/// PostgreSQL (as for holds).
async fn tenants(db: &DatabaseConnection) -> Result<Vec<Uuid>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT tenant_id FROM atrium_tenants_with_lapsed_offers(50)",
        _ => {
            "SELECT DISTINCT tenant_id FROM waitlist_entries WHERE status = 'offered' AND offer_expires_at <= ? LIMIT 50"
        }
    };
    let values: Vec<sea_orm::Value> = if backend == DbBackend::Postgres { Vec::new() } else { vec![Utc::now().into()] };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "tenant_id")).collect()
}

/// One pass of the offer sweeper; one tenant's failure (logged) does not stop the others.
pub async fn sweep(ctx: &JobContext) -> Result<(), ApiError> {
    let tenants = tenants(&ctx.db).await?.into_iter().map(TenantId).collect();
    for_each_tenant(ctx, "bookings.offer_sweeper", tenants, |tenant| sweep_tenant(&ctx.db, tenant)).await;
    Ok(())
}

async fn sweep_tenant(db: &DatabaseConnection, tenant: TenantId) -> Result<(), ApiError> {
    let tenant_id = tenant.0;
    {
        let now = Utc::now();
        let tx = TenantTx::begin(db, tenant, true).await?;
        let due = entries::Entity::find()
            .filter(entries::Column::TenantId.eq(tenant_id))
            .filter(entries::Column::Status.eq(WaitlistStatus::Offered.as_str()))
            .filter(entries::Column::OfferExpiresAt.lte(now))
            .order_by_asc(entries::Column::Id)
            .limit(SWEEP_BATCH)
            .all(tx.conn())
            .await?;
        for e in due {
            let (template, slot) = (e.service_template_id, e.offered_start.zip(e.offered_end));
            if expire(&tx, e, now).await?
                && let Some((start, end)) = slot
            {
                offer(&tx, template, start, end, now).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}
