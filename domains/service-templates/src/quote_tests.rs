#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::*;
use crate::model::ServiceTemplateState;

fn template(body: Value) -> ServiceTemplateState {
    let s: ServiceTemplateState = atrium_core::extract::parse(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(s.check(), vec![], "the fixture is a valid template");
    s
}

fn range(start: &str, end: &str, days: &[&str], multiplier: &str) -> Value {
    json!({"time_range": {"start": start, "end": end}, "days_of_week": days, "multiplier": multiplier})
}

const WEEKDAYS: [&str; 5] = ["monday", "tuesday", "wednesday", "thursday", "friday"];

/// An hour's appointment at 100.00 USD in New York: weekday evenings ×1.25, Saturdays
/// ×1.5 (late Saturday mornings ×1.75), early Sunday ×1.1, 25 December ×2, deposit 20 %.
fn salon() -> ServiceTemplateState {
    template(json!({
        "name": "Cut", "type": "appointment", "duration": {"type": "fixed", "fixed_minutes": 60},
        "pricing": {"base_price": "100.00", "currency": "USD", "timezone": "America/New_York",
            "time_multipliers": [
                range("17:00", "21:00", &WEEKDAYS, "1.25"),
                range("00:00", "23:59", &["saturday"], "1.5"),
                range("10:00", "12:00", &["saturday"], "1.75"),
                range("03:00", "05:00", &["sunday"], "1.1"),
            ],
            "holiday_multiplier": "2", "holidays": ["2026-12-25"]},
        "deposit": {"required": true, "percentage": "20"}
    }))
}

/// Kayaks in Los Angeles: 60–480 minutes in steps of 30, 10.00 + 9.99 an hour, weekend
/// middays ×1.2, deposit 15 %.
fn kayak() -> ServiceTemplateState {
    template(json!({
        "name": "Kayak", "type": "rental",
        "duration": {"type": "variable", "min_minutes": 60, "max_minutes": 480, "interval_minutes": 30},
        "pricing": {"base_price": "10.00", "hourly_rate": "9.99", "currency": "USD", "timezone": "America/Los_Angeles",
            "time_multipliers": [range("10:00", "16:00", &["saturday", "sunday"], "1.2")]},
        "deposit": {"required": true, "percentage": "15"}
    }))
}

/// Tea ceremony in Tokyo at 1000 JPY: Mondays ×1.0005, Tuesdays ×1.0004.
fn tea() -> ServiceTemplateState {
    template(json!({
        "name": "Tea", "type": "appointment", "duration": {"type": "fixed", "fixed_minutes": 30},
        "pricing": {"base_price": "1000", "currency": "JPY", "timezone": "Asia/Tokyo",
            "time_multipliers": [range("00:00", "23:59", &["monday"], "1.0005"), range("00:00", "23:59", &["tuesday"], "1.0004")]}
    }))
}

/// Yoga in Lisbon at 18.00 EUR a head, 3–12 people, early weekday mornings ×0.8.
fn yoga() -> ServiceTemplateState {
    template(json!({
        "name": "Yoga", "type": "class", "duration": {"type": "fixed", "fixed_minutes": 60},
        "capacity": {"type": "group", "group": {"min_participants": 3, "max_participants": 12}},
        "pricing": {"base_price": "18.00", "currency": "EUR", "timezone": "Europe/Lisbon",
            "time_multipliers": [range("06:00", "08:00", &WEEKDAYS, "0.8")]}
    }))
}

/// A cabin near Berlin at 120.00 EUR a night, 2–14 nights, Friday/Saturday check-in
/// ×1.15, Christmas Eve ×1.3, a 300.00 deposit.
fn cabin() -> ServiceTemplateState {
    template(json!({
        "name": "Cabin", "type": "multi_day", "duration": {"type": "multi_day", "min_nights": 2, "max_nights": 14},
        "pricing": {"base_price": "120.00", "currency": "EUR", "timezone": "Europe/Berlin",
            "time_multipliers": [range("00:00", "23:59", &["friday", "saturday"], "1.15")],
            "holiday_multiplier": "1.3", "holidays": ["2026-12-24"]},
        "deposit": {"required": true, "amount": "300.00"}
    }))
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn origin() -> QuoteOrigin {
    QuoteOrigin { template_id: Uuid::nil(), template_version: 3, quoted_at: at("2026-01-01T00:00:00Z") }
}

fn request(start: &str, duration_minutes: Option<u32>, nights: Option<u32>, participants: u32) -> QuoteRequest {
    QuoteRequest { start: at(start), duration_minutes, nights, participants }
}

struct Case {
    what: &'static str,
    template: fn() -> ServiceTemplateState,
    start: &'static str,
    minutes: Option<u32>,
    nights: Option<u32>,
    participants: u32,
    multiplier: &'static str,
    total: &'static str,
    deposit: Option<&'static str>,
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    // 15:00Z = 10:00 EST, a Wednesday: no range applies. 100.00 × 1; deposit 20 % = 20.00.
    Case { what: "weekday morning", template: salon, start: "2026-03-04T15:00:00Z", minutes: None, nights: None, participants: 1, multiplier: "1", total: "100.00", deposit: Some("20.00") },
    // 23:00Z = 18:00 EST Wednesday: evening ×1.25 → 125.00; deposit 25.00.
    Case { what: "weekday evening", template: salon, start: "2026-03-04T23:00:00Z", minutes: Some(60), nights: None, participants: 1, multiplier: "1.25", total: "125.00", deposit: Some("25.00") },
    // 02:00Z Thursday = 21:00 EST Wednesday: the range's end is excluded → 100.00.
    Case { what: "range end excluded, local weekday", template: salon, start: "2026-03-05T02:00:00Z", minutes: None, nights: None, participants: 1, multiplier: "1", total: "100.00", deposit: Some("20.00") },
    // 14:00Z = 09:00 EST Saturday: weekend ×1.5 → 150.00.
    Case { what: "weekend", template: salon, start: "2026-03-07T14:00:00Z", minutes: None, nights: None, participants: 1, multiplier: "1.5", total: "150.00", deposit: Some("30.00") },
    // 16:00Z = 11:00 EST Saturday: ×1.5 and ×1.75 both apply, the largest wins → 175.00.
    Case { what: "overlapping ranges", template: salon, start: "2026-03-07T16:00:00Z", minutes: None, nights: None, participants: 1, multiplier: "1.75", total: "175.00", deposit: Some("35.00") },
    // 23:00Z 25 Dec = 18:00 EST Friday, a holiday: 1.25 × 2 = 2.5 → 250.00.
    Case { what: "holiday on top of evening", template: salon, start: "2026-12-25T23:00:00Z", minutes: None, nights: None, participants: 1, multiplier: "2.5", total: "250.00", deposit: Some("50.00") },
    // 04:00Z 25 Dec = 23:00 EST on the 24th (Thursday): neither holiday nor evening.
    Case { what: "holiday by local date", template: salon, start: "2026-12-25T04:00:00Z", minutes: None, nights: None, participants: 1, multiplier: "1", total: "100.00", deposit: Some("20.00") },
    // 21:30Z Friday 6 March = 16:30 EST: before the evening range → 100.00.
    Case { what: "before DST (EST)", template: salon, start: "2026-03-06T21:30:00Z", minutes: None, nights: None, participants: 1, multiplier: "1", total: "100.00", deposit: Some("20.00") },
    // 21:30Z Monday 9 March = 17:30 EDT (the clocks went forward on the 8th) → 125.00.
    Case { what: "after DST (EDT)", template: salon, start: "2026-03-09T21:30:00Z", minutes: None, nights: None, participants: 1, multiplier: "1.25", total: "125.00", deposit: Some("25.00") },
    // 07:30Z on 8 March, the DST day itself = 03:30 EDT: early Sunday ×1.1 → 110.00.
    Case { what: "DST day after the change", template: salon, start: "2026-03-08T07:30:00Z", minutes: None, nights: None, participants: 1, multiplier: "1.1", total: "110.00", deposit: Some("22.00") },
    // 06:30Z on 8 March = 01:30 EST, before the change: no range → 100.00.
    Case { what: "DST day before the change", template: salon, start: "2026-03-08T06:30:00Z", minutes: None, nights: None, participants: 1, multiplier: "1", total: "100.00", deposit: Some("20.00") },
    // 90 min on Wednesday 10:00 PST: 10.00 + 9.99 × 1.5 = 24.985 → 24.99 (half away from
    // zero; half-even would give 24.98). Deposit 15 % of 24.99 = 3.7485 → 3.75.
    Case { what: "hourly, USD midpoint", template: kayak, start: "2026-03-04T18:00:00Z", minutes: Some(90), nights: None, participants: 1, multiplier: "1", total: "24.99", deposit: Some("3.75") },
    // 150 min on Saturday 11:00 PST: (10.00 + 9.99 × 2.5) × 1.2 = 34.975 × 1.2 = 41.97.
    // Deposit 15 % = 6.2955 → 6.30.
    Case { what: "hourly with weekend multiplier", template: kayak, start: "2026-03-07T19:00:00Z", minutes: Some(150), nights: None, participants: 1, multiplier: "1.2", total: "41.97", deposit: Some("6.30") },
    // 60 min: 10.00 + 9.99 = 19.99; deposit 15 % = 2.9985 → 3.00.
    Case { what: "hourly, shortest", template: kayak, start: "2026-03-04T18:00:00Z", minutes: Some(60), nights: None, participants: 1, multiplier: "1", total: "19.99", deposit: Some("3.00") },
    // Monday 10:00 JST: 1000 × 1.0005 = 1000.5 → 1001 yen (no minor units, half away).
    Case { what: "JPY midpoint up", template: tea, start: "2026-03-09T01:00:00Z", minutes: None, nights: None, participants: 1, multiplier: "1.0005", total: "1001", deposit: None },
    // Tuesday 10:00 JST: 1000 × 1.0004 = 1000.4 → 1000 yen.
    Case { what: "JPY below midpoint", template: tea, start: "2026-03-10T01:00:00Z", minutes: None, nights: None, participants: 1, multiplier: "1.0004", total: "1000", deposit: None },
    // Wednesday 07:00 WET, 5 people: 18.00 × 0.8 × 5 = 72.00.
    Case { what: "group, early bird", template: yoga, start: "2026-03-04T07:00:00Z", minutes: None, nights: None, participants: 5, multiplier: "0.8", total: "72.00", deposit: None },
    // 1 July 06:30Z = 07:30 WEST (summer time), 4 people: 18.00 × 0.8 × 4 = 57.60.
    Case { what: "group, summer time", template: yoga, start: "2026-07-01T06:30:00Z", minutes: None, nights: None, participants: 4, multiplier: "0.8", total: "57.60", deposit: None },
    // Wednesday 19:00 WET, 12 people: 18.00 × 12 = 216.00.
    Case { what: "group, full", template: yoga, start: "2026-03-04T19:00:00Z", minutes: None, nights: None, participants: 12, multiplier: "1", total: "216.00", deposit: None },
    // Wednesday check-in 15:00 CET, 3 nights: 120.00 × 3 = 360.00; deposit 300.00.
    Case { what: "nights", template: cabin, start: "2026-03-04T14:00:00Z", minutes: None, nights: Some(3), participants: 1, multiplier: "1", total: "360.00", deposit: Some("300.00") },
    // Friday check-in, 2 nights: 240.00 × 1.15 = 276.00; the 300.00 deposit is capped at it.
    Case { what: "nights, weekend, deposit capped", template: cabin, start: "2026-03-06T14:00:00Z", minutes: None, nights: Some(2), participants: 1, multiplier: "1.15", total: "276.00", deposit: Some("276.00") },
    // Christmas Eve (Thursday) check-in, 2 nights: 240.00 × 1.3 = 312.00.
    Case { what: "nights from a holiday", template: cabin, start: "2026-12-24T14:00:00Z", minutes: None, nights: Some(2), participants: 1, multiplier: "1.3", total: "312.00", deposit: Some("300.00") },
];

#[test]
fn the_quote_table() {
    for c in CASES {
        let q = quote(&(c.template)(), &request(c.start, c.minutes, c.nights, c.participants), origin())
            .unwrap_or_else(|e| panic!("{}: {e:?}", c.what));
        assert_eq!(q.multiplier, dec(c.multiplier), "{}: multiplier", c.what);
        assert_eq!(q.total, dec(c.total), "{}: total", c.what);
        assert_eq!(q.total.to_string(), c.total, "{}: written in the currency's minor units", c.what);
        assert_eq!(q.deposit_amount.map(|d| d.to_string()), c.deposit.map(str::to_owned), "{}: deposit", c.what);
        assert_eq!(q.participants, c.participants);
        assert_eq!((q.template_id, q.template_version), (Uuid::nil(), 3));
    }
}

#[test]
fn the_snapshot_records_every_step() {
    let q = quote(&salon(), &request("2026-12-25T23:00:00Z", None, None, 1), origin()).unwrap();
    assert_eq!((q.time_multiplier, q.holiday_multiplier), (dec("1.25"), dec("2")));
    assert_eq!(q.end, at("2026-12-26T00:00:00Z"));
    assert_eq!(q.duration_minutes, 60);
    let json = serde_json::to_value(&q).unwrap();
    assert_eq!(json["total"], "250.00");
    assert_eq!(json["unit_price"], "100.00");
    assert_eq!(json["currency"], "USD");
    let back: PricingSnapshot = serde_json::from_value(json).unwrap();
    assert_eq!(back, q, "a stored snapshot reads back as it was");
}

#[test]
fn nights_end_at_the_same_local_time_across_dst() {
    // Friday 27 March 15:00 CET + 2 nights = Sunday 29 March 15:00 CEST (13:00Z): 47 hours.
    let q = quote(&cabin(), &request("2026-03-27T14:00:00Z", None, Some(2), 1), origin()).unwrap();
    assert_eq!(q.end, at("2026-03-29T13:00:00Z"));
    assert_eq!(q.duration_minutes, 47 * 60);
    assert_eq!(q.nights, Some(2));
}

#[test]
fn requests_the_template_cannot_take_name_their_field() {
    type Fixture = fn() -> ServiceTemplateState;
    let cases: [(Fixture, QuoteRequest, &str); 9] = [
        (salon, request("2026-03-04T15:00:00Z", Some(30), None, 1), "duration_minutes"),
        (salon, request("2026-03-04T15:00:00Z", None, Some(1), 1), "nights"),
        (salon, request("2026-03-04T15:00:00Z", None, None, 2), "participants"),
        (kayak, request("2026-03-04T15:00:00Z", None, None, 1), "duration_minutes"),
        (kayak, request("2026-03-04T15:00:00Z", Some(100), None, 1), "duration_minutes"),
        (kayak, request("2026-03-04T15:00:00Z", Some(30), None, 1), "duration_minutes"),
        (yoga, request("2026-03-04T15:00:00Z", None, None, 2), "participants"),
        (cabin, request("2026-03-04T15:00:00Z", None, None, 1), "nights"),
        (cabin, request("2026-03-04T15:00:00Z", None, Some(15), 1), "nights"),
    ];
    for (t, r, field) in cases {
        let errors = quote(&t(), &r, origin()).unwrap_err();
        assert!(errors.iter().any(|e| e.field == field), "{field} in {errors:?}");
    }
    let both = quote(&kayak(), &request("2026-03-04T15:00:00Z", None, Some(2), 3), origin()).unwrap_err();
    let fields: Vec<_> = both.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["duration_minutes", "nights", "participants"], "every problem at once");
}

fn policy() -> CancellationPolicy {
    template(json!({
        "name": "Cut", "type": "appointment", "duration": {"type": "fixed", "fixed_minutes": 60},
        "pricing": {"base_price": "80.00", "currency": "USD", "timezone": "UTC"},
        "cancellation": {"refund_tiers": [
            {"min_hours_before": 48, "refund_percent": "100"},
            {"min_hours_before": 24, "refund_percent": "50", "offer_store_credit": true},
            {"min_hours_before": 0, "refund_percent": "10"}
        ]}
    }))
    .cancellation
}

#[test]
fn refunds_at_the_tier_boundaries() {
    let start = at("2026-03-10T12:00:00Z");
    let paid = dec("80.00");
    #[rustfmt::skip]
    let cases = [
        // (cancelled at, percent, amount, store credit, tier)
        ("2026-03-08T12:00:00Z", "100", "80.00", false, Some(48)), // exactly 48 h: qualifies
        ("2026-03-08T12:00:01Z", "50", "40.00", true, Some(24)),   // one second short of 48 h
        ("2026-03-08T11:59:59Z", "100", "80.00", false, Some(48)), // one second more
        ("2026-03-09T12:00:00Z", "50", "40.00", true, Some(24)),   // exactly 24 h
        ("2026-03-09T12:00:01Z", "10", "8.00", false, Some(0)),    // one second short of 24 h
        ("2026-03-09T11:59:59Z", "50", "40.00", true, Some(24)),   // one second more
        ("2026-03-10T12:00:00Z", "10", "8.00", false, Some(0)),    // at the start: 0 h qualifies
        ("2026-03-10T12:00:01Z", "0", "0.00", false, None),        // after the start: nothing
    ];
    for (cancelled, percent, amount, credit, tier) in cases {
        let r = refund(&policy(), start, at(cancelled), paid, 2);
        assert_eq!(
            (r.refund_percent, r.amount.to_string(), r.offer_store_credit, r.tier_min_hours_before),
            (dec(percent), amount.to_owned(), credit, tier),
            "cancelled at {cancelled}"
        );
    }
    // Sub-second notice is exact too: half a second short of 24 h is not 24 h.
    let r = refund(&policy(), start, at("2026-03-09T12:00:00.5Z"), paid, 2);
    assert_eq!(r.tier_min_hours_before, Some(0));
}

#[test]
fn refunds_round_half_away_from_zero() {
    let start = at("2026-03-10T12:00:00Z");
    // 50 % of 0.05 = 0.025 → 0.03; 10 % of 1005 JPY = 100.5 → 101.
    assert_eq!(refund(&policy(), start, at("2026-03-09T00:00:00Z"), dec("0.05"), 2).amount.to_string(), "0.03");
    assert_eq!(refund(&policy(), start, at("2026-03-10T00:00:00Z"), dec("1005"), 0).amount.to_string(), "101");
    let none = CancellationPolicy::default();
    assert_eq!(refund(&none, start, at("2026-01-01T00:00:00Z"), dec("80.00"), 2).amount.to_string(), "0.00");
}
