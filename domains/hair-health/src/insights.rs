//! Explainable insights: deterministic, versioned rules over the profile and the calendar.
//! Each evaluation carries its rule id and version, the input facts with their values, the
//! thresholds and the trace of conditions; an insight stores all of it in `source_data`.
//! Generation is idempotent: an insight's `dedupe_key` (rule, version, subject) is unique per
//! customer, so the same inputs never make a second row.
//!
//! | rule (v1)             | type                  | fires when (at `as_of`)                                                      |
//! |-----------------------|-----------------------|------------------------------------------------------------------------------|
//! | `rest_after_high_load`| rest_recommendation   | a high-load event ended, and `as_of` is before end + `recommended_rest_hours_after` |
//! | `moisture_need`       | moisture_need         | porosity high, and no moisture_refresh/deep_condition event in the last 7 days |
//! | `protein_need`        | protein_need          | ≥ 3 high-load events in the last 14 days (≥ 2 when manipulation tolerance is low) |
//! | `wash_day_reminder`   | wash_day_reminder     | days since the last wash (event type `wash_day_*`) ≥ 5 / 7 / 10 for a light / standard / heavy load factor |
//! | `recovery_window`     | recovery_window       | a `takedown` event ended less than 72 h ago                                   |
//! | `stylist_prep`        | stylist_prep          | a booking's event starts within the next 48 h                                 |
//!
//! Skipped and rescheduled events never count.

use atrium_core::audit::{self, AuditActor, Change};
use atrium_core::db::TenantTx;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::{events, insights, profiles};
use crate::error::{HairError, Result};
use crate::events::HairEvent;
pub use crate::input::{Condition, Draft, Evaluation};
use crate::model::*;
use crate::repo;

pub const RULES: [&str; 6] =
    ["rest_after_high_load", "moisture_need", "protein_need", "wash_day_reminder", "recovery_window", "stylist_prep"];
pub const RULE_VERSION: i32 = 1;

/// The facts the rules read.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub porosity: Option<Level4>,
    pub manipulation_tolerance: Option<Level>,
    pub wash_day_load_factor: Option<WashDayLoadFactor>,
    pub events: Vec<EventFact>,
}

#[derive(Clone, Debug)]
pub struct EventFact {
    pub id: Uuid,
    pub category: EventCategory,
    pub event_type: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub load: Option<Level>,
    pub rest_hours: Option<i32>,
    pub status: EventStatus,
    pub booking: Option<Uuid>,
}

impl EventFact {
    fn counts(&self) -> bool {
        !matches!(self.status, EventStatus::Skipped | EventStatus::Rescheduled)
    }
}

impl Facts {
    pub fn of(p: Option<&profiles::Model>, evs: &[events::Model]) -> Self {
        Self {
            porosity: p.and_then(|p| p.porosity_level.as_deref()).and_then(parse_text),
            manipulation_tolerance: p.and_then(|p| p.manipulation_tolerance.as_deref()).and_then(parse_text),
            wash_day_load_factor: p.and_then(|p| p.wash_day_load_factor.as_deref()).and_then(parse_text),
            events: evs
                .iter()
                .map(|e| EventFact {
                    id: e.id,
                    category: parse_text(&e.event_category).unwrap_or(EventCategory::HairRitual),
                    event_type: e.event_type.clone(),
                    start: e.scheduled_start,
                    end: e.scheduled_end,
                    load: e.load_level.as_deref().and_then(parse_text),
                    rest_hours: e.recommended_rest_hours_after,
                    status: parse_text(&e.status).unwrap_or(EventStatus::Planned),
                    booking: e.linked_booking_id,
                })
                .collect(),
        }
    }
}

fn cond(condition: impl Into<String>, value: Value, result: bool) -> Condition {
    Condition { condition: condition.into(), value, result }
}

fn eval(
    rule: &str,
    subject: String,
    facts: Value,
    thresholds: Value,
    trace: Vec<Condition>,
    groups: &[FieldGroup],
    draft: impl FnOnce() -> Draft,
) -> Evaluation {
    let fired = trace.iter().all(|c| c.result);
    Evaluation {
        rule_id: rule.to_owned(),
        rule_version: RULE_VERSION,
        subject,
        fired,
        facts,
        thresholds,
        trace,
        field_groups: groups.to_vec(),
        draft: fired.then(draft),
    }
}

/// Every evaluation of `rule` over `facts` at `as_of` (`None`: not a rule).
pub fn evaluate(rule: &str, f: &Facts, as_of: DateTime<Utc>) -> Option<Vec<Evaluation>> {
    use FieldGroup::*;
    let out = match rule {
        "rest_after_high_load" => f
            .events
            .iter()
            .map(|e| {
                let rest = e.rest_hours.unwrap_or(0);
                let until = e.end + Duration::hours(i64::from(rest));
                eval(
                    rule,
                    format!("event:{}", e.id),
                    json!({"event_id": e.id, "load_level": e.load, "scheduled_end": e.end,
                        "recommended_rest_hours_after": e.rest_hours, "status": e.status, "as_of": as_of}),
                    json!({"load_level": "high"}),
                    vec![
                        cond("load_level == high", json!(e.load), e.load == Some(Level::High)),
                        cond("recommended_rest_hours_after > 0", json!(rest), rest > 0),
                        cond("status not skipped/rescheduled", json!(e.status), e.counts()),
                        cond("as_of >= scheduled_end", json!(e.end), as_of >= e.end),
                        cond("as_of < scheduled_end + rest", json!(until), as_of < until),
                    ],
                    &[Calendar],
                    || Draft {
                        insight_type: InsightType::RestRecommendation,
                        title: "Rest your hair".into(),
                        body: format!("After a high-load session, rest until {}.", until.format("%Y-%m-%d %H:%M UTC")),
                        confidence_hundredths: 90,
                        priority: Priority::High,
                        display_start: e.end,
                        display_end: Some(until),
                        linked_event_id: Some(e.id),
                        linked_booking_id: e.booking,
                    },
                )
            })
            .collect(),
        "moisture_need" => {
            let since = as_of - Duration::days(7);
            let last = f
                .events
                .iter()
                .filter(|e| e.counts() && ["moisture_refresh", "deep_condition"].contains(&e.event_type.as_str()))
                .filter(|e| e.start <= as_of)
                .map(|e| e.start)
                .max();
            vec![eval(
                rule,
                format!("day:{}", as_of.date_naive()),
                json!({"porosity_level": f.porosity, "last_moisture_ritual": last, "as_of": as_of}),
                json!({"porosity_level": "high", "days_without_moisture": 7}),
                vec![
                    cond("porosity_level == high", json!(f.porosity), f.porosity == Some(Level4::High)),
                    cond("no moisture ritual in the last 7 days", json!(last), last.is_none_or(|l| l <= since)),
                ],
                &[Porosity, Calendar],
                || Draft {
                    insight_type: InsightType::MoistureNeed,
                    title: "Time for moisture".into(),
                    body: "High-porosity hair loses moisture fast and had no moisture ritual this week.".into(),
                    confidence_hundredths: 80,
                    priority: Priority::Normal,
                    display_start: as_of,
                    display_end: Some(as_of + Duration::days(3)),
                    linked_event_id: None,
                    linked_booking_id: None,
                },
            )]
        }
        "protein_need" => {
            let since = as_of - Duration::days(14);
            let high: Vec<&EventFact> = f
                .events
                .iter()
                .filter(|e| e.counts() && e.load == Some(Level::High) && e.start > since && e.start <= as_of)
                .collect();
            let threshold = if f.manipulation_tolerance == Some(Level::Low) { 2 } else { 3 };
            vec![eval(
                rule,
                format!("day:{}", as_of.date_naive()),
                json!({"high_load_events_14d": high.len(), "event_ids": high.iter().map(|e| e.id).collect::<Vec<_>>(),
                    "manipulation_tolerance": f.manipulation_tolerance, "as_of": as_of}),
                json!({"high_load_events": threshold, "window_days": 14}),
                vec![cond(
                    format!("high-load events in 14 days >= {threshold}"),
                    json!(high.len()),
                    high.len() >= threshold,
                )],
                &[Sensitivity, Calendar],
                || Draft {
                    insight_type: InsightType::ProteinNeed,
                    title: "Consider a protein treatment".into(),
                    body: format!("{} high-manipulation sessions in two weeks can weaken strands.", high.len()),
                    confidence_hundredths: 70,
                    priority: Priority::Normal,
                    display_start: as_of,
                    display_end: Some(as_of + Duration::days(7)),
                    linked_event_id: None,
                    linked_booking_id: None,
                },
            )]
        }
        "wash_day_reminder" => {
            let interval = match f.wash_day_load_factor {
                Some(WashDayLoadFactor::Light) => Some(5),
                Some(WashDayLoadFactor::Standard) => Some(7),
                Some(WashDayLoadFactor::Heavy) => Some(10),
                None => None,
            };
            let last = f
                .events
                .iter()
                .filter(|e| e.counts() && e.event_type.starts_with("wash_day") && e.start <= as_of)
                .max_by_key(|e| e.start);
            let days = last.map(|l| (as_of - l.start).num_days());
            vec![eval(
                rule,
                format!("after:{}", last.map_or("none".to_owned(), |l| l.id.to_string())),
                json!({"wash_day_load_factor": f.wash_day_load_factor, "last_wash": last.map(|l| l.start),
                    "days_since_last_wash": days, "as_of": as_of}),
                json!({"interval_days": {"light": 5, "standard": 7, "heavy": 10}}),
                vec![
                    cond("wash_day_load_factor is known", json!(f.wash_day_load_factor), interval.is_some()),
                    cond(
                        format!("days since last wash >= {}", interval.unwrap_or(0)),
                        json!(days),
                        days.is_none_or(|d| d >= interval.unwrap_or(0)),
                    ),
                ],
                &[Routine, Calendar],
                || Draft {
                    insight_type: InsightType::WashDayReminder,
                    title: "Wash day is due".into(),
                    body: "It has been a while since your last wash day.".into(),
                    confidence_hundredths: 85,
                    priority: Priority::Normal,
                    display_start: as_of,
                    display_end: None,
                    linked_event_id: last.map(|l| l.id),
                    linked_booking_id: None,
                },
            )]
        }
        "recovery_window" => f
            .events
            .iter()
            .map(|e| {
                let until = e.end + Duration::hours(72);
                eval(
                    rule,
                    format!("event:{}", e.id),
                    json!({"event_id": e.id, "event_type": e.event_type, "scheduled_end": e.end, "status": e.status,
                        "as_of": as_of}),
                    json!({"event_type": "takedown", "recovery_hours": 72}),
                    vec![
                        cond("event_type == takedown", json!(e.event_type), e.event_type == "takedown"),
                        cond("status not skipped/rescheduled", json!(e.status), e.counts()),
                        cond("as_of >= scheduled_end", json!(e.end), as_of >= e.end),
                        cond("as_of < scheduled_end + 72h", json!(until), as_of < until),
                    ],
                    &[Calendar],
                    || Draft {
                        insight_type: InsightType::RecoveryWindow,
                        title: "Recovery window".into(),
                        body: "Your hair is recovering from a takedown: keep manipulation low for three days.".into(),
                        confidence_hundredths: 85,
                        priority: Priority::High,
                        display_start: e.end,
                        display_end: Some(until),
                        linked_event_id: Some(e.id),
                        linked_booking_id: None,
                    },
                )
            })
            .collect(),
        "stylist_prep" => f
            .events
            .iter()
            .map(|e| {
                let planned = matches!(e.status, EventStatus::Planned | EventStatus::Due);
                eval(
                    rule,
                    format!("event:{}@{}", e.id, e.start.timestamp()),
                    json!({"event_id": e.id, "category": e.category, "linked_booking_id": e.booking,
                        "scheduled_start": e.start, "status": e.status, "as_of": as_of}),
                    json!({"hours_before": 48}),
                    vec![
                        cond(
                            "category == booking_service",
                            json!(e.category),
                            e.category == EventCategory::BookingService,
                        ),
                        cond("linked to a booking", json!(e.booking), e.booking.is_some()),
                        cond("status planned or due", json!(e.status), planned),
                        cond("as_of < scheduled_start", json!(e.start), as_of < e.start),
                        cond(
                            "scheduled_start <= as_of + 48h",
                            json!(as_of + Duration::hours(48)),
                            e.start <= as_of + Duration::hours(48),
                        ),
                    ],
                    &[Calendar],
                    || Draft {
                        insight_type: InsightType::StylistPrep,
                        title: "Prepare for your appointment".into(),
                        body: "Your appointment is within 48 hours: detangle gently and arrive with clean, dry hair."
                            .into(),
                        confidence_hundredths: 95,
                        priority: Priority::Normal,
                        display_start: e.start - Duration::hours(48),
                        display_end: Some(e.start),
                        linked_event_id: Some(e.id),
                        linked_booking_id: e.booking,
                    },
                )
            })
            .collect(),
        _ => return None,
    };
    Some(out)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InsightView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub insight_type: InsightType,
    pub rule_id: String,
    pub rule_version: i32,
    pub title: String,
    pub body: String,
    /// 0–1, two decimals.
    pub confidence_score: f64,
    pub priority: Priority,
    pub display_start: DateTime<Utc>,
    pub display_end: Option<DateTime<Utc>>,
    pub is_dismissed: bool,
    pub dismissed_at: Option<DateTime<Utc>>,
    pub linked_event_id: Option<Uuid>,
    pub linked_booking_id: Option<Uuid>,
    pub field_groups: Vec<FieldGroup>,
    /// The evaluation that fired: facts, thresholds and trace.
    #[schema(value_type = Object)]
    pub source_data: Value,
    pub created_at: DateTime<Utc>,
}

impl InsightView {
    pub fn of(i: &insights::Model) -> Self {
        Self {
            id: i.id,
            user_id: i.user_id,
            insight_type: parse_text(&i.insight_type).unwrap_or(InsightType::RoutineAdjustment),
            rule_id: i.rule_id.clone(),
            rule_version: i.rule_version,
            title: i.title.clone(),
            body: i.body.clone(),
            confidence_score: f64::from(i.confidence_hundredths) / 100.0,
            priority: parse_text(&i.priority).unwrap_or(Priority::Normal),
            display_start: i.display_start,
            display_end: i.display_end,
            is_dismissed: i.is_dismissed,
            dismissed_at: i.dismissed_at,
            linked_event_id: i.linked_event_id,
            linked_booking_id: i.linked_booking_id,
            field_groups: serde_json::from_value(i.field_groups.clone()).unwrap_or_default(),
            source_data: i.source_data.clone(),
            created_at: i.created_at,
        }
    }
}

/// Runs the insight rules for the caller.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"as_of": "2030-01-07T10:00:00Z"}))]
pub struct GenerateRequest {
    /// The instant the rules evaluate at (default: now).
    pub as_of: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GenerateResult {
    /// How many insights this run added (0 when the same inputs were already evaluated).
    pub created: usize,
    /// The insights of every rule that fired (new or already stored).
    pub data: Vec<InsightView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Explanation {
    pub rule_id: String,
    pub rule_version: i32,
    pub as_of: DateTime<Utc>,
    /// One per subject; none when the rule had nothing to look at (e.g. no events).
    pub evaluations: Vec<Evaluation>,
}

async fn facts(tx: &TenantTx, user: Uuid) -> Result<Facts> {
    let p = repo::profile_of_user(tx, user).await?;
    let evs = repo::events_of(tx, user).await?;
    Ok(Facts::of(p.as_ref(), &evs))
}

pub async fn explain(tx: &TenantTx, user: Uuid, rule: &str, as_of: DateTime<Utc>) -> Result<Explanation> {
    let f = facts(tx, user).await?;
    let evaluations = evaluate(rule, &f, as_of)
        .ok_or_else(|| HairError::field("rule", format!("must be one of {}", RULES.join(", "))))?;
    Ok(Explanation { rule_id: rule.to_owned(), rule_version: RULE_VERSION, as_of, evaluations })
}

pub async fn generate(tx: &TenantTx, actor: &AuditActor, user: Uuid, as_of: DateTime<Utc>) -> Result<GenerateResult> {
    let f = facts(tx, user).await?;
    let mut created = 0;
    let mut keys = Vec::new();
    for rule in RULES {
        for ev in evaluate(rule, &f, as_of).unwrap_or_default() {
            let Some(draft) = &ev.draft else { continue };
            let key = format!("{}@{}:{}", ev.rule_id, ev.rule_version, ev.subject);
            let source = json!({"rule_id": ev.rule_id, "rule_version": ev.rule_version, "as_of": as_of,
                "facts": ev.facts, "thresholds": ev.thresholds, "trace": ev.trace});
            if let Some(id) = repo::insert_insight(tx, user, &ev, draft, &key, source).await? {
                created += 1;
                audit::record(tx, actor, Change::new(HairEvent::InsightGenerated, "hair_insight", id, None, None))
                    .await?;
            }
            keys.push(key);
        }
    }
    let data = repo::insights_by_keys(tx, user, &keys).await?.iter().map(InsightView::of).collect();
    Ok(GenerateResult { created, data })
}

/// Whether a stylist holding `consent` sees insight `i`: the consent shares `insights` and
/// every field group the insight was built from.
fn shared_with(i: &insights::Model, consent: &crate::consents::LiveConsent) -> bool {
    let groups: Vec<FieldGroup> = serde_json::from_value(i.field_groups.clone()).unwrap_or_default();
    consent.groups.contains(&FieldGroup::Insights) && groups.iter().all(|g| consent.groups.contains(g))
}

/// The insights `reader` may see: their own; a stylist also those of consenting clients
/// built only from shared fields (the consent read in this transaction).
pub async fn list(
    tx: &TenantTx,
    reader: &crate::profiles::Reader,
    after: Option<Uuid>,
    limit: u64,
    include_dismissed: bool,
) -> Result<Vec<InsightView>> {
    if !matches!(reader.scope, atrium_core::context::Scope::Own(_)) {
        return Ok(repo::insights_page(tx, None, after, limit, include_dismissed)
            .await?
            .iter()
            .map(InsightView::of)
            .collect());
    }
    let live = crate::consents::live_for_stylist(tx, reader.user).await?;
    let mut users: Vec<Uuid> =
        live.iter().filter(|c| c.groups.contains(&FieldGroup::Insights)).map(|c| c.customer).collect();
    users.push(reader.user);
    let rows = repo::insights_page(tx, Some(&users), after, limit, include_dismissed).await?;
    Ok(rows
        .iter()
        .filter(|i| i.user_id == reader.user || live.iter().any(|c| c.customer == i.user_id && shared_with(i, c)))
        .map(InsightView::of)
        .collect())
}

pub async fn find(tx: &TenantTx, reader: &crate::profiles::Reader, id: Uuid) -> Result<insights::Model> {
    let i = repo::insight(tx, id).await?.ok_or(HairError::NotFound)?;
    if i.user_id == reader.user || !matches!(reader.scope, atrium_core::context::Scope::Own(_)) {
        return Ok(i);
    }
    match crate::consents::live_scope(tx, i.user_id, reader.user).await? {
        Some(c) if shared_with(&i, &c) => Ok(i),
        _ => Err(HairError::NotFound),
    }
}

pub async fn dismiss(tx: &TenantTx, actor: &AuditActor, i: insights::Model) -> Result<InsightView> {
    if i.is_dismissed {
        return Ok(InsightView::of(&i));
    }
    let i = repo::dismiss_insight(tx, i).await?;
    audit::record(tx, actor, Change::new(HairEvent::InsightDismissed, "hair_insight", i.id, None, None)).await?;
    Ok(InsightView::of(&i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn event(event_type: &str, start: &str, hours: i64, load: Option<Level>) -> EventFact {
        EventFact {
            id: Uuid::now_v7(),
            category: EventCategory::HairRitual,
            event_type: event_type.into(),
            start: at(start),
            end: at(start) + Duration::hours(hours),
            load,
            rest_hours: Some(48),
            status: EventStatus::Completed,
            booking: None,
        }
    }

    fn fired(rule: &str, f: &Facts, as_of: &str) -> bool {
        evaluate(rule, f, at(as_of)).unwrap().iter().any(|e| e.fired)
    }

    #[test]
    fn every_rule_fires_and_holds_back_on_hand_built_facts() {
        let wash = event("wash_day_full", "2030-01-06T09:00:00Z", 3, Some(Level::High));
        let f = Facts { events: vec![wash.clone()], ..Default::default() };
        assert!(fired("rest_after_high_load", &f, "2030-01-07T10:00:00Z"));
        assert!(!fired("rest_after_high_load", &f, "2030-01-08T13:00:00Z"), "after the rest window");

        let mut f = Facts { porosity: Some(Level4::High), ..Default::default() };
        assert!(fired("moisture_need", &f, "2030-01-07T10:00:00Z"));
        f.events.push(event("moisture_refresh", "2030-01-05T09:00:00Z", 1, None));
        assert!(!fired("moisture_need", &f, "2030-01-07T10:00:00Z"), "moisture two days ago");
        f.porosity = Some(Level4::Low);
        assert!(!fired("moisture_need", &f, "2030-01-20T10:00:00Z"), "low porosity");

        let mut f = Facts::default();
        for d in ["2030-01-01", "2030-01-04", "2030-01-08"] {
            f.events.push(event("detangle", &format!("{d}T09:00:00Z"), 1, Some(Level::High)));
        }
        assert!(fired("protein_need", &f, "2030-01-09T00:00:00Z"));
        assert!(!fired("protein_need", &f, "2030-01-16T00:00:00Z"), "two left in the window");
        f.manipulation_tolerance = Some(Level::Low);
        assert!(fired("protein_need", &f, "2030-01-16T00:00:00Z"), "low tolerance: two are enough");

        let mut f = Facts {
            wash_day_load_factor: Some(WashDayLoadFactor::Standard),
            events: vec![wash.clone()],
            ..Default::default()
        };
        assert!(fired("wash_day_reminder", &f, "2030-01-13T09:00:00Z"));
        assert!(!fired("wash_day_reminder", &f, "2030-01-12T09:00:00Z"));
        f.wash_day_load_factor = None;
        assert!(!fired("wash_day_reminder", &f, "2030-01-20T09:00:00Z"), "unknown load factor");

        let f = Facts { events: vec![event("takedown", "2030-01-06T09:00:00Z", 2, None)], ..Default::default() };
        assert!(fired("recovery_window", &f, "2030-01-08T09:00:00Z"));
        assert!(!fired("recovery_window", &f, "2030-01-10T09:00:00Z"));

        let mut booking = event("service", "2030-01-10T09:00:00Z", 1, None);
        booking.category = EventCategory::BookingService;
        booking.booking = Some(Uuid::now_v7());
        booking.status = EventStatus::Planned;
        let f = Facts { events: vec![booking], ..Default::default() };
        assert!(fired("stylist_prep", &f, "2030-01-08T10:00:00Z"));
        assert!(!fired("stylist_prep", &f, "2030-01-07T10:00:00Z"), "more than 48 h before");
    }

    #[test]
    fn an_evaluation_explains_itself_and_is_deterministic() {
        let f = Facts { porosity: Some(Level4::High), ..Default::default() };
        let a = evaluate("moisture_need", &f, at("2030-01-07T10:00:00Z")).unwrap();
        let b = evaluate("moisture_need", &f, at("2030-01-07T10:00:00Z")).unwrap();
        assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap());
        assert_eq!(a[0].facts["porosity_level"], "high");
        assert_eq!(a[0].thresholds["days_without_moisture"], 7);
        assert!(a[0].trace.iter().all(|c| c.result));
        assert!(evaluate("nope", &f, at("2030-01-07T10:00:00Z")).is_none());
    }
}
