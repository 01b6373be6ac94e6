//! A recurring rule's series: the rule as given checked into a [`recurrence::Rule`], its
//! occurrences up to a horizon (its end, or 90 days ahead, whichever is first) each booked
//! through the one booking path — an occurrence whose slot is not free is recorded as a
//! `conflict` and the others are booked all the same — and, when the rule is cancelled,
//! its bookings still ahead cancelled with it.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::schedule::{Weekday, parse_hhmm};
use atrium_core::validate::Timezone;
use atrium_service_templates::model::ServiceDuration;
use atrium_service_templates::quote::QuoteRequest;
use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::Set;
use uuid::Uuid;

use crate::availability::{check, search};
use crate::booking::book;
use crate::engine::{Ask, Template, inputs, load_template, unavailable_because};
use crate::entities::{recurring_occurrences as occurrences, recurring_rules as rules};
use crate::error::BookingsError;
use crate::events::BookingsEvent;
use crate::model::bookings::{BookingCreate, BookingSource};
use crate::model::recurring::{
    OccurrenceStatus, RecurrenceException, RecurrenceExceptionAction, RecurrenceFrequency, RecurrencePattern,
    RecurringRuleCreate, RecurringRuleView,
};
use crate::ownership::Reach;
use crate::participants;
use crate::recurrence::{self, ExceptionAction, ExpandError, Frequency, Kind, MAX_OCCURRENCES};
use crate::repo;
use crate::status::Action;

/// Occurrences are booked this many days ahead at most.
const HORIZON_DAYS: u64 = 90;

fn weekday(day: Weekday) -> chrono::Weekday {
    match day {
        Weekday::Monday => chrono::Weekday::Mon,
        Weekday::Tuesday => chrono::Weekday::Tue,
        Weekday::Wednesday => chrono::Weekday::Wed,
        Weekday::Thursday => chrono::Weekday::Thu,
        Weekday::Friday => chrono::Weekday::Fri,
        Weekday::Saturday => chrono::Weekday::Sat,
        Weekday::Sunday => chrono::Weekday::Sun,
    }
}

/// The input's rule (its pattern's defaults filled in), or every field that is wrong: pure
/// and linear in the input, so it runs before any transaction opens.
pub fn parse_rule(input: &RecurringRuleCreate, now: DateTime<Utc>) -> Result<recurrence::Rule, Vec<FieldError>> {
    let mut errors = Vec::new();
    let start_time = parse_hhmm(&input.start_time);
    if start_time.is_none() {
        errors.push(FieldError::new("start_time", "must be HH:MM"));
    }
    let tz = match Timezone::parse(&input.timezone) {
        Ok(zone) => zone.tz(),
        Err(m) => {
            errors.push(FieldError::new("timezone", m));
            chrono_tz::UTC
        }
    };
    let today = now.with_timezone(&tz).date_naive();
    let p = &input.pattern;
    check_pattern(p, &mut errors);
    if input.start_date < today {
        errors.push(FieldError::new("start_date", "must not be in the past (in the rule's time zone)"));
    } else if input.start_date > today + chrono::Days::new(3660) {
        errors.push(FieldError::new("start_date", "must be within 10 years"));
    }
    if input.end_date.is_some_and(|end| end < input.start_date) {
        errors.push(FieldError::new("end_date", "must not be before start_date"));
    } else if input.end_date.is_some_and(|end| end > today + chrono::Days::new(3660 * 2)) {
        errors.push(FieldError::new("end_date", "must be within 20 years"));
    }
    if input.max_occurrences.is_some_and(|n| n == 0 || n as usize > MAX_OCCURRENCES) {
        errors.push(FieldError::new("max_occurrences", format!("must be between 1 and {MAX_OCCURRENCES}")));
    }
    if input.end_date.is_none() && input.max_occurrences.is_none() {
        errors.push(FieldError::new("end_date", "give end_date, max_occurrences or both"));
    }
    let exceptions = parse_exceptions(&input.exceptions, today, &mut errors);
    let (Some(start_time), true) = (start_time, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(recurrence::Rule {
        pattern: recurrence::Pattern {
            frequency: match p.frequency {
                RecurrenceFrequency::Daily => Frequency::Daily,
                RecurrenceFrequency::Weekly => Frequency::Weekly,
                RecurrenceFrequency::Monthly => Frequency::Monthly,
            },
            interval: p.interval,
            days_of_week: p.days_of_week.iter().copied().map(weekday).collect(),
            day_of_month: p.day_of_month,
        },
        start_date: input.start_date,
        end_date: input.end_date,
        max_occurrences: input.max_occurrences,
        start_time,
        tz,
        exceptions,
    })
}

fn check_pattern(p: &RecurrencePattern, errors: &mut Vec<FieldError>) {
    if !(1..=100).contains(&p.interval) {
        errors.push(FieldError::new("pattern.interval", "must be between 1 and 100"));
    }
    if p.frequency != RecurrenceFrequency::Weekly && !p.days_of_week.is_empty() {
        errors.push(FieldError::new("pattern.days_of_week", "is for weekly rules only"));
    }
    match p.day_of_month {
        Some(_) if p.frequency != RecurrenceFrequency::Monthly => {
            errors.push(FieldError::new("pattern.day_of_month", "is for monthly rules only"));
        }
        Some(d) if !(1..=31).contains(&d) => {
            errors.push(FieldError::new("pattern.day_of_month", "must be between 1 and 31"));
        }
        _ => {}
    }
}

/// The exceptions, each checked in one pass; dates `today` or later and rescheduled ones
/// within 20 years. Over the bound, nothing else is looked at (a body may hold tens of
/// thousands).
fn parse_exceptions(
    given: &[RecurrenceException],
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) -> Vec<recurrence::Exception> {
    if given.len() > MAX_OCCURRENCES {
        errors.push(FieldError::new("exceptions", format!("at most {MAX_OCCURRENCES}")));
        return Vec::new();
    }
    let latest = today.checked_add_days(chrono::Days::new(3660 * 2)).unwrap_or(NaiveDate::MAX);
    let mut seen = std::collections::HashSet::with_capacity(given.len());
    let mut exceptions = Vec::new();
    for (i, x) in given.iter().enumerate() {
        let at = |f: &str| format!("exceptions[{i}].{f}");
        if !seen.insert(x.date) {
            errors.push(FieldError::new(at("date"), "has another exception already"));
        }
        let action = match (x.action, x.new_date) {
            (RecurrenceExceptionAction::Skip, None) => ExceptionAction::Skip,
            (RecurrenceExceptionAction::Skip, Some(_)) => {
                errors.push(FieldError::new(at("new_date"), "is for reschedule only"));
                continue;
            }
            (RecurrenceExceptionAction::Reschedule, None) => {
                errors.push(FieldError::new(at("new_date"), "is required to reschedule"));
                continue;
            }
            (RecurrenceExceptionAction::Reschedule, Some(to)) => {
                if to < today {
                    errors.push(FieldError::new(at("new_date"), "must not be in the past"));
                } else if to > latest {
                    errors.push(FieldError::new(at("new_date"), "must be within 20 years"));
                    continue;
                } else if to == x.date {
                    errors.push(FieldError::new(at("new_date"), "must differ from date"));
                }
                ExceptionAction::Reschedule(to)
            }
        };
        exceptions.push(recurrence::Exception { date: x.date, action });
    }
    exceptions
}

fn expand_error(e: ExpandError) -> FieldError {
    match e {
        ExpandError::Unbounded => FieldError::new("end_date", "give end_date, max_occurrences or both"),
        ExpandError::TooMany => FieldError::new(
            "end_date",
            format!("the rule has more than {MAX_OCCURRENCES} occurrences: end it sooner or give max_occurrences"),
        ),
        ExpandError::Empty => FieldError::new("pattern", "the rule has no occurrence between start_date and its end"),
        ExpandError::NotAnOccurrence(i) => {
            FieldError::new(format!("exceptions[{i}].date"), "is not a date of the rule")
        }
        ExpandError::OutOfRange => FieldError::new("start_date", "the rule reaches dates out of the supported range"),
    }
}

/// The pattern as given, with its defaults filled in (as stored and shown).
fn resolved(input: &RecurringRuleCreate) -> RecurrencePattern {
    let mut p = input.pattern.clone();
    match p.frequency {
        RecurrenceFrequency::Weekly if p.days_of_week.is_empty() => {
            p.days_of_week = vec![Weekday::of(chrono::Datelike::weekday(&input.start_date))];
        }
        RecurrenceFrequency::Weekly => {
            p.days_of_week.sort();
            p.days_of_week.dedup();
        }
        RecurrenceFrequency::Monthly if p.day_of_month.is_none() => {
            p.day_of_month = Some(chrono::Datelike::day(&input.start_date));
        }
        RecurrenceFrequency::Daily | RecurrenceFrequency::Monthly => {}
    }
    p
}

/// Per required bookable, the right number of bookables (whether they fit is the booking's
/// check, per occurrence).
fn check_bookable_ids(template: &Template, ids: Option<&Vec<Vec<Uuid>>>, errors: &mut Vec<FieldError>) {
    let Some(ids) = ids else { return };
    let required = &template.state.required_bookables;
    if ids.len() != required.len() {
        errors.push(FieldError::new(
            "bookable_ids",
            format!("give one list per required bookable of the template ({})", required.len()),
        ));
        return;
    }
    for (i, (r, list)) in required.iter().zip(ids).enumerate() {
        if list.len() != r.count as usize {
            errors.push(FieldError::new(format!("bookable_ids[{i}]"), format!("needs exactly {}", r.count)));
        }
    }
}

/// The rule as given, checked against the template and the caller's household: every
/// field that is wrong, or the rule.
async fn checked_rule(
    ctx: &RequestContext,
    tx: &TenantTx,
    template: &Template,
    input: &RecurringRuleCreate,
    parsed: Result<recurrence::Rule, Vec<FieldError>>,
) -> Result<recurrence::Rule, BookingsError> {
    let mut errors = Vec::new();
    if matches!(template.state.duration, ServiceDuration::MultiDay { .. }) {
        errors.push(FieldError::new("service_template_id", "a multi-day service cannot recur"));
    }
    participants::check_shape(&input.participants, &mut errors);
    check_bookable_ids(template, input.bookable_ids.as_ref(), &mut errors);
    participants::check_household(ctx, tx, input.household_id, &mut errors).await?;
    match parsed {
        Ok(rule) if errors.is_empty() => Ok(rule),
        Ok(_) => Err(BookingsError::Invalid(errors)),
        Err(more) => {
            errors.extend(more);
            Err(BookingsError::Invalid(errors))
        }
    }
}

/// Creates a recurring rule inside `tx` (not committed) and books its occurrences up to
/// the horizon: each is `booked`, a `conflict` (its slot is not free) or `skipped` by an
/// exception. `parsed` is [`parse_rule`] of `input`, done before the transaction.
#[allow(clippy::too_many_arguments)] // the request's parts, each used once
pub async fn create(
    ctx: &RequestContext,
    tx: &TenantTx,
    dir: &dyn Directory,
    input: RecurringRuleCreate,
    parsed: Result<recurrence::Rule, Vec<FieldError>>,
    reach: &Reach,
    now: DateTime<Utc>,
) -> Result<RecurringRuleView, BookingsError> {
    let template = load_template(tx, input.service_template_id, "service_template_id").await?;
    template.must_be_active("service_template_id")?;
    if !reach.reaches_location(template.state.location_id) {
        return Err(BookingsError::Forbidden("the service is at a location outside your membership's"));
    }
    let rule = checked_rule(ctx, tx, &template, &input, parsed).await?;
    let all = recurrence::expand(&rule).map_err(|e| BookingsError::Invalid(vec![expand_error(e)]))?;
    let horizon = now
        .with_timezone(&rule.tz)
        .date_naive()
        .checked_add_days(Days::new(HORIZON_DAYS))
        .unwrap_or(NaiveDate::MAX)
        .min(all.iter().map(|o| o.date).max().unwrap_or(rule.start_date));
    let participants = u32::try_from(input.participants.len().max(1)).unwrap_or(u32::MAX);
    // The template's own checks of the length and the party size, once for every occurrence.
    let first = all.first().map_or(now, |o| o.start);
    let request = QuoteRequest { start: first, duration_minutes: input.duration_minutes, nights: None, participants };
    let duration_minutes = template.price(&request, now)?.duration_minutes;

    let r = repo::recurring::insert(tx, rule_row(ctx, &input, &rule, all.len(), horizon, now)?).await?;
    let series =
        Series { ctx, tx, dir, template: &template, input: &input, duration_minutes, participants, reach, now };
    series.materialize(r.id, all.iter().filter(|o| o.date <= horizon)).await?;
    let v = repo::recurring::view(tx, &r).await?;
    let change =
        Change::new(BookingsEvent::RecurringRuleCreated, "recurring_rule", r.id, None, serde_json::to_value(&v).ok());
    audit::record(tx, &AuditActor::of(ctx), change).await?;
    Ok(v)
}

fn json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, BookingsError> {
    Ok(serde_json::to_value(value)?)
}

/// The rule's row, as given (its pattern's defaults filled in) and how far it was booked.
fn rule_row(
    ctx: &RequestContext,
    input: &RecurringRuleCreate,
    rule: &recurrence::Rule,
    total: usize,
    horizon: NaiveDate,
    now: DateTime<Utc>,
) -> Result<rules::ActiveModel, BookingsError> {
    Ok(rules::ActiveModel {
        tenant_id: Set(ctx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        user_id: Set(ctx.principal().user_id().0),
        service_template_id: Set(input.service_template_id),
        household_id: Set(input.household_id),
        start_time: Set(input.start_time.clone()),
        timezone: Set(rule.tz.name().to_owned()),
        pattern: Set(json(&resolved(input))?),
        start_date: Set(input.start_date),
        end_date: Set(input.end_date),
        max_occurrences: Set(input.max_occurrences.and_then(|n| i32::try_from(n).ok())),
        exceptions: Set(json(&input.exceptions)?),
        bookable_ids: Set(input.bookable_ids.as_ref().map(json).transpose()?),
        participants: Set(participants::stored(&input.participants)),
        participant_count: Set(i32::try_from(input.participants.len().max(1)).unwrap_or(i32::MAX)),
        duration_minutes: Set(input.duration_minutes.and_then(|n| i32::try_from(n).ok())),
        technician_user_id: Set(input.technician_user_id),
        status: Set("active".to_owned()),
        total_occurrences: Set(i32::try_from(total).unwrap_or(i32::MAX)),
        materialized_until: Set(horizon),
        cancelled_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

/// A rule's occurrences being booked: what each needs besides its start.
struct Series<'a> {
    ctx: &'a RequestContext,
    tx: &'a TenantTx,
    dir: &'a dyn Directory,
    template: &'a Template,
    input: &'a RecurringRuleCreate,
    duration_minutes: u32,
    participants: u32,
    reach: &'a Reach,
    now: DateTime<Utc>,
}

impl Series<'_> {
    /// Why the slot at `start` cannot be had, or `None` when it looks free — the engine's
    /// own search, read before writing anything.
    async fn obstacle(&self, start: DateTime<Utc>) -> Result<Option<String>, BookingsError> {
        let ask = Ask {
            from: start,
            to: start + chrono::Duration::seconds(1),
            duration_minutes: self.duration_minutes,
            participants: self.participants,
            bookable_id: None,
            location_id: None,
        };
        let found = inputs(self.tx, self.template, &ask, self.now).await?;
        if let Some(chosen) = &self.input.bookable_ids {
            return Ok(check(&found.search, &found.calendars, &found.existing, start, chosen)
                .err()
                .map(|why| unavailable_because(&why).to_owned()));
        }
        if search(&found.search, &found.calendars, &found.existing).iter().any(|s| s.start == start) {
            return Ok(None);
        }
        // Why not: asked of the first candidates (exact for a template with one bookable).
        let first: Vec<Vec<Uuid>> = found
            .search
            .requirements
            .iter()
            .map(|r| r.candidates.iter().take(r.count as usize).copied().collect())
            .collect();
        Ok(Some(match check(&found.search, &found.calendars, &found.existing, start, &first) {
            Err(why) => unavailable_because(&why).to_owned(),
            Ok(()) => "no bookable offers a slot starting then".to_owned(),
        }))
    }

    /// Books each occurrence (or not) and records what became of it.
    async fn materialize(
        &self,
        rule: Uuid,
        list: impl Iterator<Item = &recurrence::Occurrence>,
    ) -> Result<(), BookingsError> {
        for o in list {
            let (status, booking_id, reason) = match o.kind {
                Kind::Skipped => (OccurrenceStatus::Skipped, None, Some("skipped by an exception".to_owned())),
                Kind::Regular | Kind::Rescheduled => match self.book_at(o.start).await? {
                    Ok(b) => (OccurrenceStatus::Booked, Some(b), None),
                    Err(why) => (OccurrenceStatus::Conflict, None, Some(why)),
                },
            };
            let row = occurrences::ActiveModel {
                tenant_id: Set(self.tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                rule_id: Set(rule),
                date: Set(o.date),
                original_date: Set((o.kind == Kind::Rescheduled).then_some(o.pattern_date)),
                start_at: Set(o.start),
                status: Set(status.as_str().to_owned()),
                booking_id: Set(booking_id),
                reason: Set(reason),
                created_at: Set(self.now),
            };
            repo::recurring::insert_occurrence(self.tx, row).await?;
        }
        Ok(())
    }

    /// Books the occurrence at `start`, or says why not. Inside a savepoint, so a refused
    /// booking (on PostgreSQL, even the exclusion constraint) leaves the rule's
    /// transaction usable; any other error fails the whole rule.
    async fn book_at(&self, start: DateTime<Utc>) -> Result<Result<Uuid, String>, BookingsError> {
        if let Some(why) = self.obstacle(start).await? {
            return Ok(Err(why));
        }
        let create = BookingCreate {
            service_template_id: self.template.id,
            start,
            duration_minutes: self.input.duration_minutes,
            nights: None,
            participants: self.input.participants.clone(),
            household_id: self.input.household_id,
            bookable_ids: self.input.bookable_ids.clone(),
            reservation_id: None,
            technician_user_id: self.input.technician_user_id,
            source: BookingSource::Web,
            extensions: Default::default(),
        };
        let attempt = book(self.ctx, self.tx, self.dir, create, self.reach, self.now);
        match repo::savepoint(self.tx, "recurring_occurrence", attempt).await? {
            Ok(b) => Ok(Ok(b.id)),
            Err(BookingsError::SlotUnavailable(why)) => Ok(Err(why.to_owned())),
            Err(e) => Err(e),
        }
    }
}

/// Cancels rule `r` inside `tx` (not committed): it books nothing more, and its bookings
/// still ahead (pending approval, pending or confirmed) are cancelled as if one by one,
/// refunds included — by a customer, only those their terms let them cancel (the others
/// stay booked: a rule is no way around a cutoff).
pub async fn cancel(
    ctx: &RequestContext,
    tx: &TenantTx,
    r: rules::Model,
    reach: &Reach,
    now: DateTime<Utc>,
) -> Result<(), BookingsError> {
    if r.status == "cancelled" {
        return Err(BookingsError::InvalidTransition("the rule is cancelled already".to_owned()));
    }
    let before = repo::recurring::view(tx, &r).await?;
    let version = r.version + 1;
    let mut am: rules::ActiveModel = r.into();
    am.status = Set("cancelled".to_owned());
    am.cancelled_at = Set(Some(now));
    am.version = Set(version);
    am.updated_at = Set(now);
    let r = repo::recurring::update(tx, am).await?;
    let ahead = repo::recurring::occurrences_of(tx, r.id).await?;
    for booking in ahead.iter().filter_map(|o| o.booking_id) {
        // The rule's bookings are its creator's: reached as the tenant's.
        let b = repo::bookings::find(tx, booking, &Reach::All).await?;
        let open = ["pending_approval", "pending", "confirmed"].contains(&b.status.as_str());
        if open && b.start_at > now {
            let reason = Some("its recurring rule was cancelled".to_owned());
            match crate::transitions::apply(ctx, tx, booking, Action::Cancel, reason, reach, now).await {
                Ok(_) | Err(BookingsError::CancellationNotAllowed(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let after = repo::recurring::view(tx, &r).await?;
    let change = Change::new(
        BookingsEvent::RecurringRuleCancelled,
        "recurring_rule",
        r.id,
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    );
    audit::record(tx, &AuditActor::of(ctx), change).await?;
    Ok(())
}
