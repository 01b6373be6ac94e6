//! `/v1/recurring-rules`: a service booked again and again — daily, weekly or monthly, with
//! exceptions. Creating a rule books its occurrences up to a horizon (its end, or 90 days
//! ahead, whichever is first), each through the one booking path; an occurrence whose slot
//! is not free is reported as a `conflict` and the others are booked all the same.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::context::{Directory, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode, FieldError};
use atrium_core::extract::Json;
use atrium_core::http::{ListQuery, Page, check_if_match, created, ok_versioned};
use atrium_core::schedule::{Weekday, parse_hhmm};
use atrium_core::validate::Timezone;
use atrium_service_templates::model::ServiceDuration;
use atrium_service_templates::quote::QuoteRequest;
use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bookings::{BookingCreate, BookingSource, ParticipantInput, book};
use super::waitlist::{check_household, check_participants, stored_participants};
use crate::availability::{Unavailable, check, search};
use crate::engine::{Ask, Template, inputs, load_template};
use crate::entities::{recurring_occurrences as occurrences, recurring_rules as rules};
use crate::events::BookingsEvent;
use crate::recurrence::{self, ExceptionAction, ExpandError, Frequency, Kind, MAX_OCCURRENCES};
use crate::{READ, WRITE};

/// Occurrences are booked this many days ahead at most.
const HORIZON_DAYS: u64 = 90;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecurrenceFrequency {
    Daily,
    Weekly,
    Monthly,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"frequency": "weekly", "interval": 1, "days_of_week": ["tuesday"]}))]
pub struct RecurrencePattern {
    pub frequency: RecurrenceFrequency,
    /// Every `interval` days, weeks or months: 1–100 (1 by default).
    #[serde(default = "one")]
    pub interval: u32,
    /// Weekly only: the days (the start date's weekday when absent).
    #[serde(default)]
    pub days_of_week: Vec<Weekday>,
    /// Monthly only: 1–31 (the start date's day when absent); months without that day are skipped.
    pub day_of_month: Option<u32>,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecurrenceExceptionAction {
    Skip,
    Reschedule,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceException {
    /// A date the pattern gives.
    pub date: NaiveDate,
    pub action: RecurrenceExceptionAction,
    /// `reschedule` only: the date it happens instead, at the same local time.
    pub new_date: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"service_template_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "start_time": "10:00",
    "timezone": "Europe/Lisbon", "pattern": {"frequency": "weekly", "interval": 1, "days_of_week": ["tuesday"]},
    "start_date": "2031-03-04", "max_occurrences": 8,
    "exceptions": [{"date": "2031-03-11", "action": "skip"},
                   {"date": "2031-03-18", "action": "reschedule", "new_date": "2031-03-19"}]}))]
pub struct RecurringRuleCreate {
    pub service_template_id: Uuid,
    /// Local `HH:MM` in `timezone`: each occurrence starts then, whatever the DST.
    pub start_time: String,
    /// IANA time zone the dates and `start_time` are read in.
    pub timezone: String,
    pub pattern: RecurrencePattern,
    /// The first date the pattern may fall on; today or later.
    pub start_date: NaiveDate,
    /// The last date the pattern may fall on. Give it, `max_occurrences`, or both.
    pub end_date: Option<NaiveDate>,
    /// 1–366; skipped and rescheduled occurrences count.
    pub max_occurrences: Option<u32>,
    #[serde(default)]
    pub exceptions: Vec<RecurrenceException>,
    /// For variable-length services.
    pub duration_minutes: Option<u32>,
    /// As for a booking; the caller alone when absent.
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
    pub household_id: Option<Uuid>,
    /// As for a booking: per required bookable of the template, the bookables to book; chosen
    /// for each occurrence when absent.
    pub bookable_ids: Option<Vec<Vec<Uuid>>>,
    /// As for a booking: for a company provider that lets customers choose, the technician wanted.
    pub technician_user_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecurringRuleStatus {
    Active,
    Cancelled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OccurrenceStatus {
    Booked,
    /// The slot was not free; nothing was booked.
    Conflict,
    /// An exception skips it.
    Skipped,
}

impl OccurrenceStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Conflict => "conflict",
            Self::Skipped => "skipped",
        }
    }

    fn parse(value: &str) -> Self {
        match value {
            "booked" => Self::Booked,
            "skipped" => Self::Skipped,
            _ => Self::Conflict,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OccurrenceView {
    /// The local date it takes place on.
    pub date: NaiveDate,
    /// The pattern's date, when an exception rescheduled it.
    pub original_date: Option<NaiveDate>,
    pub start: DateTime<Utc>,
    pub status: OccurrenceStatus,
    pub booking_id: Option<Uuid>,
    /// Why it is a conflict or skipped.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecurringRuleView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub service_template_id: Uuid,
    pub household_id: Option<Uuid>,
    pub start_time: String,
    pub timezone: String,
    /// With its defaults filled in.
    pub pattern: RecurrencePattern,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub max_occurrences: Option<u32>,
    pub exceptions: Vec<RecurrenceException>,
    pub duration_minutes: Option<u32>,
    pub participant_count: u32,
    pub bookable_ids: Option<Vec<Vec<Uuid>>>,
    pub technician_user_id: Option<Uuid>,
    pub status: RecurringRuleStatus,
    /// Occurrences of the whole rule, skipped ones included.
    pub total_occurrences: u32,
    /// Occurrences up to this local date were booked when the rule was made (the rule's
    /// end, or 90 days ahead); later ones are not booked.
    pub materialized_until: NaiveDate,
    /// Each materialized occurrence and what became of it, in the pattern's order.
    pub occurrences: Vec<OccurrenceView>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

async fn view(tx: &TenantTx, r: &rules::Model) -> Result<RecurringRuleView, ApiError> {
    let rows = occurrences::Entity::find()
        .filter(occurrences::Column::TenantId.eq(tx.tenant_id().0))
        .filter(occurrences::Column::RuleId.eq(r.id))
        .order_by_asc(occurrences::Column::Id)
        .all(tx.conn())
        .await?;
    let bad = |e: serde_json::Error| ApiError::internal(e);
    Ok(RecurringRuleView {
        id: r.id,
        user_id: r.user_id,
        service_template_id: r.service_template_id,
        household_id: r.household_id,
        start_time: r.start_time.clone(),
        timezone: r.timezone.clone(),
        pattern: serde_json::from_value(r.pattern.clone()).map_err(bad)?,
        start_date: r.start_date,
        end_date: r.end_date,
        max_occurrences: r.max_occurrences.and_then(|n| u32::try_from(n).ok()),
        exceptions: serde_json::from_value(r.exceptions.clone()).map_err(bad)?,
        duration_minutes: r.duration_minutes.and_then(|n| u32::try_from(n).ok()),
        participant_count: u32::try_from(r.participant_count).unwrap_or(0),
        bookable_ids: r.bookable_ids.clone().map(serde_json::from_value).transpose().map_err(bad)?,
        technician_user_id: r.technician_user_id,
        status: if r.status == "cancelled" { RecurringRuleStatus::Cancelled } else { RecurringRuleStatus::Active },
        total_occurrences: u32::try_from(r.total_occurrences).unwrap_or(0),
        materialized_until: r.materialized_until,
        occurrences: rows
            .into_iter()
            .map(|o| OccurrenceView {
                date: o.date,
                original_date: o.original_date,
                start: o.start_at,
                status: OccurrenceStatus::parse(&o.status),
                booking_id: o.booking_id,
                reason: o.reason,
            })
            .collect(),
        cancelled_at: r.cancelled_at,
        version: r.version,
        created_at: r.created_at,
    })
}

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

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

/// The input's rule (its pattern's defaults filled in), or every field that is wrong.
fn parse_rule(input: &RecurringRuleCreate, now: DateTime<Utc>) -> Result<recurrence::Rule, Vec<FieldError>> {
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

/// The exceptions, each checked; dates `today` or later.
fn parse_exceptions(
    given: &[RecurrenceException],
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) -> Vec<recurrence::Exception> {
    if given.len() > MAX_OCCURRENCES {
        errors.push(FieldError::new("exceptions", format!("at most {MAX_OCCURRENCES}")));
    }
    let mut exceptions = Vec::new();
    for (i, x) in given.iter().enumerate() {
        let at = |f: &str| format!("exceptions[{i}].{f}");
        if given[..i].iter().any(|y| y.date == x.date) {
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

fn unavailable(why: &Unavailable) -> &'static str {
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

/// A rule's occurrences being booked: what each needs besides its start.
struct Series<'a> {
    ctx: &'a RequestContext,
    tx: &'a TenantTx,
    dir: &'a dyn Directory,
    template: &'a Template,
    input: &'a RecurringRuleCreate,
    duration_minutes: u32,
    participants: u32,
    now: DateTime<Utc>,
}

impl Series<'_> {
    /// Why the slot at `start` cannot be had, or `None` when it looks free — the engine's
    /// own search, read before writing anything.
    async fn obstacle(&self, start: DateTime<Utc>) -> Result<Option<String>, ApiError> {
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
                .map(|why| unavailable(&why).to_owned()));
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
            Err(why) => unavailable(&why).to_owned(),
            Ok(()) => "no bookable offers a slot starting then".to_owned(),
        }))
    }

    /// Books each occurrence (or not) and records what became of it.
    async fn materialize(
        &self,
        rule: Uuid,
        list: impl Iterator<Item = &recurrence::Occurrence>,
    ) -> Result<(), ApiError> {
        for o in list {
            let (status, booking_id, reason) = match o.kind {
                Kind::Skipped => (OccurrenceStatus::Skipped, None, Some("skipped by an exception".to_owned())),
                Kind::Regular | Kind::Rescheduled => match self.book_at(o.start).await? {
                    Ok(b) => (OccurrenceStatus::Booked, Some(b), None),
                    Err(why) => (OccurrenceStatus::Conflict, None, Some(why)),
                },
            };
            occurrences::ActiveModel {
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
            }
            .insert(self.tx.conn())
            .await?;
        }
        Ok(())
    }

    /// Books the occurrence at `start`, or says why not. Inside a savepoint, so a refused
    /// booking (on PostgreSQL, even the exclusion constraint) leaves the rule's
    /// transaction usable; any other error fails the whole rule.
    async fn book_at(&self, start: DateTime<Utc>) -> Result<Result<Uuid, String>, ApiError> {
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
        };
        let conn = self.tx.conn();
        conn.execute_unprepared("SAVEPOINT recurring_occurrence").await?;
        match book(self.ctx, self.tx, self.dir, create, self.now).await {
            Ok(b) => {
                conn.execute_unprepared("RELEASE SAVEPOINT recurring_occurrence").await?;
                Ok(Ok(b.id))
            }
            Err(e) => {
                conn.execute_unprepared("ROLLBACK TO SAVEPOINT recurring_occurrence").await?;
                conn.execute_unprepared("RELEASE SAVEPOINT recurring_occurrence").await?;
                if e.code() == ErrorCode::SlotUnavailable {
                    Ok(Err(e.problem().detail.unwrap_or_else(|| "the slot is not free".to_owned())))
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// Creates a recurring rule and books its occurrences up to the horizon (its end, or 90
/// days ahead): each is `booked`, a `conflict` (its slot is not free; the others are booked
/// regardless) or `skipped` by an exception.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), request_body = RecurringRuleCreate,
    responses((status = 201, body = RecurringRuleView)))]
#[post("/recurring-rules")]
pub async fn recurring_rules_create(
    ctx: RequestContext,
    dir: web::Data<dyn Directory>,
    body: Json<RecurringRuleCreate>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let input = body.into_inner();
    let now = Utc::now();
    let tx = ctx.write().await?;
    let template = load_template(&tx, input.service_template_id, "service_template_id").await?;
    template.must_be_active("service_template_id")?;
    let mut errors = Vec::new();
    if matches!(template.state.duration, ServiceDuration::MultiDay { .. }) {
        errors.push(FieldError::new("service_template_id", "a multi-day service cannot recur"));
    }
    check_participants(&input.participants, &mut errors);
    check_bookable_ids(&template, input.bookable_ids.as_ref(), &mut errors);
    check_household(&ctx, &tx, input.household_id, &mut errors).await?;
    let rule = parse_rule(&input, now);
    let rule = match rule {
        Ok(rule) if errors.is_empty() => rule,
        Ok(_) => return Err(ApiError::validation(errors)),
        Err(more) => {
            errors.extend(more);
            return Err(ApiError::validation(errors));
        }
    };
    let all = recurrence::expand(&rule).map_err(|e| ApiError::validation(vec![expand_error(e)]))?;
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

    let r = insert_rule(&ctx, &tx, &input, &rule, all.len(), horizon, now).await?;
    let series = Series {
        ctx: &ctx,
        tx: &tx,
        dir: dir.get_ref(),
        template: &template,
        input: &input,
        duration_minutes,
        participants,
        now,
    };
    series.materialize(r.id, all.iter().filter(|o| o.date <= horizon)).await?;
    let v = view(&tx, &r).await?;
    let change =
        Change::new(BookingsEvent::RecurringRuleCreated, "recurring_rule", r.id, None, serde_json::to_value(&v).ok());
    audit::record(&tx, &AuditActor::of(&ctx), change).await?;
    tx.commit().await?;
    Ok(created(format!("/v1/recurring-rules/{}", r.id), &v, Some(r.version)))
}

async fn insert_rule(
    ctx: &RequestContext,
    tx: &TenantTx,
    input: &RecurringRuleCreate,
    rule: &recurrence::Rule,
    total: usize,
    horizon: NaiveDate,
    now: DateTime<Utc>,
) -> Result<rules::Model, ApiError> {
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
        participants: Set(stored_participants(&input.participants)),
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
    }
    .insert(tx.conn())
    .await?)
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(ListQuery),
    responses((status = 200, body = Page<RecurringRuleView>)))]
#[get("/recurring-rules")]
pub async fn recurring_rules_list(
    ctx: RequestContext,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<RecurringRuleView>>, ApiError> {
    ctx.require(READ)?;
    let limit = query.limit()?;
    let tx = ctx.read().await?;
    let mut q = rules::Entity::find().filter(rules::Column::TenantId.eq(ctx.tenant_id().0));
    if let Some(after) = query.cursor()? {
        q = q.filter(rules::Column::Id.gt(after));
    }
    let rows = q.order_by_asc(rules::Column::Id).limit(limit + 1).all(tx.conn()).await?;
    let mut views = Vec::new();
    for r in &rows {
        views.push(view(&tx, r).await?);
    }
    Ok(web::Json(Page::from_overfetch(views, limit, |v| v.id)))
}

async fn find(tx: &TenantTx, id: Uuid) -> Result<rules::Model, ApiError> {
    rules::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?.ok_or_else(ApiError::not_found)
}

#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = RecurringRuleView)))]
#[get("/recurring-rules/{id}")]
pub async fn recurring_rules_get(ctx: RequestContext, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(READ)?;
    let tx = ctx.read().await?;
    let r = find(&tx, *id).await?;
    Ok(ok_versioned(&view(&tx, &r).await?, r.version))
}

/// Cancels the rule: it books nothing more, and its bookings still ahead (pending
/// approval, pending or confirmed) are cancelled as if one by one, refunds included.
#[utoipa::path(tag = "bookings", security(("bearer_jwt" = []), ("api_key" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Cancelled")))]
#[delete("/recurring-rules/{id}")]
pub async fn recurring_rules_delete(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITE)?;
    let now = Utc::now();
    let tx = ctx.write().await?;
    let r = find(&tx, *id).await?;
    check_if_match(&req, r.version)?;
    if r.status == "cancelled" {
        return Err(ApiError::new(ErrorCode::InvalidTransition).with_detail("the rule is cancelled already"));
    }
    let before = view(&tx, &r).await?;
    let version = r.version + 1;
    let mut am: rules::ActiveModel = r.into();
    am.status = Set("cancelled".to_owned());
    am.cancelled_at = Set(Some(now));
    am.version = Set(version);
    am.updated_at = Set(now);
    let r = am.update(tx.conn()).await?;
    let ahead = occurrences::Entity::find()
        .filter(occurrences::Column::TenantId.eq(ctx.tenant_id().0))
        .filter(occurrences::Column::RuleId.eq(r.id))
        .all(tx.conn())
        .await?;
    for booking in ahead.iter().filter_map(|o| o.booking_id) {
        let b = super::bookings::find(&tx, booking).await?;
        let open = ["pending_approval", "pending", "confirmed"].contains(&b.status.as_str());
        if open && b.start_at > now {
            let reason = Some("its recurring rule was cancelled".to_owned());
            super::bookings::apply(&ctx, &tx, booking, crate::status::Action::Cancel, reason, now).await?;
        }
    }
    let after = view(&tx, &r).await?;
    let change = Change::new(
        BookingsEvent::RecurringRuleCancelled,
        "recurring_rule",
        r.id,
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    );
    audit::record(&tx, &AuditActor::of(&ctx), change).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
