//! Between the database and [`availability`]: loads a search's inputs in a fixed handful
//! of queries, and allocates bookables to a booking or a hold so that no bookable ever
//! carries more than its capacity — checked under row locks on PostgreSQL (inside
//! SQLite's serialized write transactions), and on PostgreSQL enforced again by the
//! exclusion constraint on `booking_allocations`.

use std::collections::{HashMap, HashSet};

use atrium_bookables::model::{BookableDetails, CompanyProviderFields, DispatchMethod, name_of};
use atrium_bookables::service::{BookableSchedule, CandidateFilter, OverrideKind, lock, schedules};
use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use atrium_core::schedule::TimeRange;
use atrium_service_templates::model::{CapacityType, ServiceTemplateState, ServiceTemplateStatus};
use atrium_service_templates::quote::{PricingSnapshot, QuoteOrigin, QuoteRequest, quote};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use sea_orm::Set;
use uuid::Uuid;

use crate::availability::{
    BookableCalendar, ClassSpec, DayHours, Existing, Interval, Requirement, Search, Unavailable, check,
};
use crate::entities::allocations;
use crate::error::{BookingsError, invalid};
use crate::repo;

/// A service template as a booking sees it.
#[derive(Clone, Debug)]
pub struct Template {
    pub id: Uuid,
    pub version: i32,
    pub state: ServiceTemplateState,
}

/// The transaction's tenant's template `id`; a 422 at `field` when it is not one.
pub async fn load_template(tx: &TenantTx, id: Uuid, field: &str) -> Result<Template, BookingsError> {
    use atrium_service_templates::error::ServiceTemplatesError;
    use atrium_service_templates::repo as templates;

    let model = match templates::find(tx, id).await {
        Ok(model) => model,
        Err(ServiceTemplatesError::NotFound) => {
            return Err(invalid(field, "is not a service template of this tenant"));
        }
        // The other plugin's own mapping, kept as it is.
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let state = templates::state_of(&model).map_err(ApiError::from)?;
    Ok(Template { id: model.id, version: model.version, state })
}

impl Template {
    pub fn must_be_active(&self, field: &str) -> Result<(), BookingsError> {
        if self.state.status == ServiceTemplateStatus::Active {
            Ok(())
        } else {
            Err(invalid(field, "is not an active service template"))
        }
    }

    /// The template's quote for this request: its price, and its duration checked.
    pub fn price(&self, request: &QuoteRequest, now: DateTime<Utc>) -> Result<PricingSnapshot, BookingsError> {
        let origin = QuoteOrigin { template_id: self.id, template_version: self.version, quoted_at: now };
        quote(&self.state, request, origin).map_err(BookingsError::Invalid)
    }

    fn class(&self) -> Option<ClassSpec> {
        match (&self.state.capacity.capacity_type, &self.state.capacity.group) {
            (CapacityType::Group, Some(g)) => {
                Some(ClassSpec { template_id: self.id, max_participants: g.max_participants })
            }
            _ => None,
        }
    }
}

/// How far from now any instant a client names may lie: chrono's range, the database's
/// and common sense all hold well inside it.
const REACH_YEARS: i64 = 10;

/// A 422 at `field` unless `t` lies within ten years of `now`, either way.
pub fn within_reach(field: &str, t: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), BookingsError> {
    let reach = Duration::days(366 * REACH_YEARS);
    if t < now - reach || t > now + reach {
        return Err(invalid(field, format!("must be within {REACH_YEARS} years of now")));
    }
    Ok(())
}

/// What a search or an allocation is about.
#[derive(Clone, Debug)]
pub struct Ask {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub duration_minutes: u32,
    pub participants: u32,
    /// Only this bookable for the primary requirement.
    pub bookable_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
}

/// A search's inputs, loaded.
pub struct Inputs {
    pub search: Search,
    pub calendars: Vec<BookableCalendar>,
    pub existing: Vec<Existing>,
    pub schedules: HashMap<Uuid, BookableSchedule>,
}

fn filters(template: &Template, ask: &Ask) -> Result<Vec<CandidateFilter>, BookingsError> {
    if template.state.required_bookables.is_empty() {
        return Err(invalid("service_template_id", "the template requires no bookable, so it has no slots"));
    }
    Ok(template
        .state
        .required_bookables
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let criteria = r.criteria.as_ref();
            let mut ids = r.specific_bookable_id.map(|id| vec![id]);
            if i == 0
                && let Some(only) = ask.bookable_id
            {
                ids = Some(ids.map_or(vec![only], |ids| ids.into_iter().filter(|id| *id == only).collect()));
            }
            CandidateFilter {
                bookable_type: Some(r.bookable_type),
                ids,
                tags: criteria.map(|c| c.tags.clone()).unwrap_or_default(),
                category_ids: criteria.map(|c| c.category_ids.clone()).unwrap_or_default(),
                location_id: ask.location_id.or(template.state.location_id),
            }
        })
        .collect())
}

fn matches(filter: &CandidateFilter, s: &BookableSchedule) -> bool {
    filter.bookable_type.is_none_or(|t| t == s.bookable.bookable_type)
        && filter.ids.as_ref().is_none_or(|ids| ids.contains(&s.bookable.id))
        && filter.tags.iter().all(|t| s.bookable.tags.contains(t))
        && (filter.category_ids.is_empty() || s.bookable.category_id.is_some_and(|c| filter.category_ids.contains(&c)))
        && filter.location_id.is_none_or(|l| s.bookable.location_id == Some(l))
}

fn ranges(list: &[TimeRange]) -> Vec<(NaiveTime, NaiveTime)> {
    list.iter().filter_map(TimeRange::bounds).collect()
}

fn calendar_of(s: &BookableSchedule) -> BookableCalendar {
    let c = &s.state.common.calendar;
    let (mut setup, mut teardown, mut rest, mut max_daily) = (0, 0, 0, None);
    match &s.state.details {
        BookableDetails::Venue(v) => (setup, teardown) = (v.default_setup_minutes, v.default_teardown_minutes),
        BookableDetails::Provider(p) => (rest, max_daily) = (p.min_rest_between_bookings_minutes, p.max_daily_bookings),
        BookableDetails::CompanyProvider(_) | BookableDetails::Asset(_) => {}
    }
    BookableCalendar {
        id: s.bookable.id,
        tz: c.timezone.parse().unwrap_or(chrono_tz::UTC),
        weekly: c.weekly_schedule.iter().map(|(day, list)| (*day, ranges(list))).collect(),
        overrides: s
            .overrides
            .iter()
            .filter_map(|o| match &o.kind {
                OverrideKind::Closed => Some((o.date, DayHours::Closed)),
                OverrideKind::ModifiedHours(list) => Some((o.date, DayHours::Hours(ranges(list)))),
                OverrideKind::SpecialPricing(_) => None,
            })
            .collect(),
        blocked: s.blocked.iter().map(|(start, end)| Interval { start: *start, end: *end }).collect(),
        slot_interval_minutes: c.slot_interval_minutes,
        pre_buffer_minutes: c.pre_buffer_minutes,
        post_buffer_minutes: c.post_buffer_minutes,
        setup_minutes: setup,
        teardown_minutes: teardown,
        rest_minutes: rest,
        capacity: s.state.details.capacity(),
        max_daily_bookings: max_daily,
        min_advance_hours: c.min_advance_hours,
        max_advance_days: c.max_advance_days,
    }
}

/// Existing bookings' and live holds' allocations on `bookables` near the window.
async fn existing(
    tx: &TenantTx,
    bookables: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Existing>, BookingsError> {
    if bookables.is_empty() {
        return Ok(Vec::new());
    }
    // Two days either side: a booking's occupied interval (up to a day long, plus buffers,
    // setup/teardown and rest) and the local dates of daily limits reach beyond the window.
    let rows = repo::allocations::live_near(tx, bookables, from, to, now).await?;
    Ok(rows
        .into_iter()
        .map(|a| Existing {
            bookable_id: a.bookable_id,
            start: a.start_at,
            end: a.end_at,
            template_id: a.service_template_id,
            participants: u32::try_from(a.participants).unwrap_or(0),
            busy: Some(Interval { start: a.busy_start, end: a.busy_end }),
        })
        .collect())
}

/// The candidate bookables of `template` for `ask`, with their schedules.
async fn candidates(
    tx: &TenantTx,
    template: &Template,
    ask: &Ask,
) -> Result<(Vec<CandidateFilter>, Vec<BookableSchedule>), BookingsError> {
    let filters = filters(template, ask)?;
    let span = Duration::minutes(i64::from(ask.duration_minutes)) + Duration::days(1);
    let found = schedules(tx, &filters, ask.from - span, ask.to + span).await?;
    Ok((filters, found))
}

/// Loads everything [`availability::search`](crate::availability::search) needs.
pub async fn inputs(
    tx: &TenantTx,
    template: &Template,
    ask: &Ask,
    now: DateTime<Utc>,
) -> Result<Inputs, BookingsError> {
    let (filters, found) = candidates(tx, template, ask).await?;
    inputs_from(tx, template, ask, now, &filters, found).await
}

async fn inputs_from(
    tx: &TenantTx,
    template: &Template,
    ask: &Ask,
    now: DateTime<Utc>,
    filters: &[CandidateFilter],
    found: Vec<BookableSchedule>,
) -> Result<Inputs, BookingsError> {
    let requirements = template
        .state
        .required_bookables
        .iter()
        .zip(filters)
        .map(|(r, f)| Requirement {
            count: r.count,
            candidates: found.iter().filter(|s| matches(f, s)).map(|s| s.bookable.id).collect(),
        })
        .collect();
    let ids: Vec<Uuid> = found.iter().map(|s| s.bookable.id).collect();
    let (pre, post) = template.state.duration.buffers();
    let search = Search {
        from: ask.from,
        to: ask.to,
        now,
        duration_minutes: ask.duration_minutes,
        template_pre_buffer_minutes: u32::try_from(pre).unwrap_or(0),
        template_post_buffer_minutes: u32::try_from(post).unwrap_or(0),
        requirements,
        class: template.class(),
        participants: ask.participants,
    };
    Ok(Inputs {
        // Bookings reaching into the new one's occupied interval, however long it is.
        existing: existing(tx, &ids, ask.from, ask.to + Duration::minutes(i64::from(ask.duration_minutes)), now)
            .await?,
        calendars: found.iter().map(calendar_of).collect(),
        schedules: found.into_iter().map(|s| (s.bookable.id, s)).collect(),
        search,
    })
}

/// Who an allocation belongs to.
#[derive(Clone, Copy, Debug)]
pub enum Owner {
    Booking(Uuid),
    Hold { reservation: Uuid, expires_at: DateTime<Utc> },
}

/// Why a slot cannot be had, in the client's words.
pub fn unavailable_because(why: &Unavailable) -> &'static str {
    match why {
        Unavailable::OutsideWindow => "the slot is outside the bookable's booking window",
        Unavailable::Closed => "the bookable is closed then",
        Unavailable::Blocked => "the bookable is blocked then",
        Unavailable::Taken => "the slot is taken or held",
        Unavailable::DailyLimit => "the bookable is fully booked that day",
        Unavailable::SeatsFull => "the session has no seats left",
        Unavailable::NotACandidate => "the chosen bookable does not fit the template",
    }
}

fn slot_unavailable(why: Unavailable) -> BookingsError {
    BookingsError::SlotUnavailable(unavailable_because(&why))
}

/// What an allocation claims: a slot, for whom, on which bookables (one list per
/// requirement; chosen by the engine when absent).
#[derive(Clone, Debug)]
pub struct Claim {
    pub start: DateTime<Utc>,
    pub duration_minutes: u32,
    pub participants: u32,
    pub chosen: Option<Vec<Vec<Uuid>>>,
    /// For a company provider dispatched by customer choice: the technician asked for.
    pub technician: Option<Uuid>,
    pub owner: Owner,
}

/// Occupies bookables for the claim's slot: chooses them (or checks the caller's choice),
/// re-checks availability after locking them, and inserts the allocations — or answers
/// 409 `slot_unavailable`.
pub async fn allocate(
    tx: &TenantTx,
    template: &Template,
    mut claim: Claim,
    now: DateTime<Utc>,
) -> Result<Vec<allocations::Model>, BookingsError> {
    let ask = Ask {
        from: claim.start,
        to: claim.start + Duration::seconds(1),
        duration_minutes: claim.duration_minutes,
        participants: claim.participants,
        bookable_id: None,
        location_id: None,
    };
    let (filters, found) = candidates(tx, template, &ask).await?;
    // Named bookables are locked as they are. Otherwise the engine picks from what the
    // candidates look like now, unlocked, and locks only its pick; a competitor that took
    // the pick in between is seen after the lock, and the engine picks again.
    let named = claim.chosen.take();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let chosen = match &named {
            Some(chosen) => chosen.clone(),
            None => {
                let inputs = inputs_from(tx, template, &ask, now, &filters, found.clone()).await?;
                let slots = crate::availability::search(&inputs.search, &inputs.calendars, &inputs.existing);
                let slot = slots
                    .into_iter()
                    .find(|s| s.start == claim.start)
                    .ok_or(BookingsError::SlotUnavailable("no bookable is free for this slot"))?;
                pick(&inputs.search, &slot.options)?
            }
        };
        // Lock what the booking will occupy, in id order (no deadlock between two bookings
        // of overlapping sets), then read what occupies it: a competitor that committed
        // before we got the locks is seen; one after us waits for our commit.
        let wanted: HashSet<Uuid> = chosen.iter().flatten().copied().collect();
        let mut ids: Vec<Uuid> = wanted.iter().copied().collect();
        ids.sort();
        lock(tx, &ids).await?;
        // Holds past their expiry stop occupying them now, before the sweeper gets to them.
        repo::allocations::release_expired_holds(tx, &ids, now).await?;
        let mine = found.iter().filter(|s| wanted.contains(&s.bookable.id)).cloned().collect();
        let inputs = inputs_from(tx, template, &ask, now, &filters, mine).await?;
        match check(&inputs.search, &inputs.calendars, &inputs.existing, claim.start, &chosen) {
            Ok(()) => return occupy_all(tx, template, &inputs, &claim, &chosen, now).await,
            Err(Unavailable::Taken | Unavailable::DailyLimit | Unavailable::SeatsFull)
                if named.is_none() && attempts < PICK_ATTEMPTS => {}
            Err(why) => return Err(slot_unavailable(why)),
        }
    }
}

/// How often the engine picks again when a competitor took its pick first.
const PICK_ATTEMPTS: u32 = 3;

async fn occupy_all(
    tx: &TenantTx,
    template: &Template,
    inputs: &Inputs,
    claim: &Claim,
    chosen: &[Vec<Uuid>],
    now: DateTime<Utc>,
) -> Result<Vec<allocations::Model>, BookingsError> {
    let mut rows = Vec::new();
    for (requirement, ids) in template.state.required_bookables.iter().zip(chosen) {
        for id in ids {
            rows.push(occupy(tx, template, inputs, claim, name_of(&requirement.role), *id, now).await?);
        }
    }
    Ok(rows)
}

/// Inserts the allocation of bookable `id` (in requirement `role`) for the claim: its
/// occupied interval with the buffers, setup/teardown and rest around the slot, and for a
/// company provider the technician sent.
async fn occupy(
    tx: &TenantTx,
    template: &Template,
    inputs: &Inputs,
    claim: &Claim,
    role: String,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<allocations::Model, BookingsError> {
    let (start, end) = (claim.start, claim.start + Duration::minutes(i64::from(claim.duration_minutes)));
    let s = inputs.schedules.get(&id).ok_or_else(|| slot_unavailable(Unavailable::NotACandidate))?;
    let cal = calendar_of(s);
    let pre = inputs.search.template_pre_buffer_minutes + cal.pre_buffer_minutes + cal.setup_minutes;
    let post =
        inputs.search.template_post_buffer_minutes + cal.post_buffer_minutes + cal.teardown_minutes + cal.rest_minutes;
    let busy = (start - Duration::minutes(i64::from(pre)), end + Duration::minutes(i64::from(post)));
    let technician_user_id = match &s.state.details {
        BookableDetails::CompanyProvider(c) => dispatch(tx, id, c, busy, claim.technician).await?,
        _ => None,
    };
    let (booking_id, reservation_id, hold_expires_at) = match claim.owner {
        Owner::Booking(b) => (Some(b), None, None),
        Owner::Hold { reservation, expires_at } => (None, Some(reservation), Some(expires_at)),
    };
    let row = allocations::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        bookable_id: Set(id),
        bookable_type: Set(name_of(&s.bookable.bookable_type)),
        booking_id: Set(booking_id),
        reservation_id: Set(reservation_id),
        service_template_id: Set(template.id),
        role: Set(role),
        technician_user_id: Set(technician_user_id),
        start_at: Set(start),
        end_at: Set(end),
        busy_start: Set(busy.0),
        busy_end: Set(busy.1),
        participants: Set(i32::try_from(claim.participants).unwrap_or(i32::MAX)),
        exclusive: Set(cal.capacity == 1 && inputs.search.class.is_none()),
        hold_expires_at: Set(hold_expires_at),
        active: Set(true),
        created_at: Set(now),
    };
    repo::allocations::insert(tx, row).await.map_err(|e| {
        // The database's own guarantee (PostgreSQL's exclusion constraint) spoke.
        if e.to_string().contains("booking_allocations_no_overlap") {
            slot_unavailable(Unavailable::Taken)
        } else {
            BookingsError::Db(e)
        }
    })
}

/// The technician a company provider sends for an occupied interval: one of its
/// available technicians not already sent to an overlapping booking — the one asked for
/// when the company lets customers choose, the first free one when it auto-assigns, none
/// (staff assign later) when it dispatches manually.
async fn dispatch(
    tx: &TenantTx,
    company: Uuid,
    c: &CompanyProviderFields,
    busy: (DateTime<Utc>, DateTime<Utc>),
    asked: Option<Uuid>,
) -> Result<Option<Uuid>, BookingsError> {
    if c.dispatch_method == DispatchMethod::Manual && asked.is_none() {
        return Ok(None);
    }
    let sent = repo::allocations::technicians_sent(tx, company, busy).await?;
    let free = |t: &Uuid| !sent.contains(t);
    match asked {
        Some(t) if !c.available_technicians.contains(&t) => {
            Err(invalid("technician_user_id", "is not one of the company's available technicians"))
        }
        Some(t) if !free(&t) => Err(BookingsError::SlotUnavailable("the technician is busy then")),
        Some(t) => Ok(Some(t)),
        None if c.dispatch_method == DispatchMethod::CustomerChoice => {
            Err(invalid("technician_user_id", "this company lets the customer choose a technician"))
        }
        None => c
            .available_technicians
            .iter()
            .copied()
            .find(free)
            .map(Some)
            .ok_or(BookingsError::SlotUnavailable("every technician is busy then")),
    }
}

/// `count` distinct bookables per requirement from a slot's options, in order.
fn pick(search: &Search, options: &[Vec<Uuid>]) -> Result<Vec<Vec<Uuid>>, BookingsError> {
    let mut used = std::collections::HashSet::new();
    let mut chosen = Vec::new();
    for (requirement, ids) in search.requirements.iter().zip(options) {
        let take: Vec<Uuid> =
            ids.iter().filter(|id| !used.contains(*id)).take(requirement.count as usize).copied().collect();
        if take.len() < requirement.count as usize {
            return Err(slot_unavailable(Unavailable::Taken));
        }
        used.extend(take.iter().copied());
        chosen.push(take);
    }
    Ok(chosen)
}

/// Frees what a booking or a hold occupies.
pub async fn release(tx: &TenantTx, owner: Owner) -> Result<(), BookingsError> {
    match owner {
        Owner::Booking(id) => repo::allocations::release_booking(tx, id).await,
        Owner::Hold { reservation, .. } => repo::allocations::release_hold(tx, reservation).await,
    }
}
