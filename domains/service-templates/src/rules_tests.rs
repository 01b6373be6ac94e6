#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::examples;
use crate::model::ServiceTemplateState;

fn state(body: &Value) -> Result<ServiceTemplateState, atrium_core::error::ApiError> {
    atrium_core::extract::parse(&serde_json::to_vec(body).unwrap())
}

/// The fields `body` is refused at (parse errors included), in order.
fn refused(body: &Value) -> Vec<(String, String)> {
    let errors = match state(body) {
        Ok(s) => s.check(),
        Err(e) => e.errors().to_vec(),
    };
    errors.into_iter().map(|e| (e.field, e.message)).collect()
}

/// `body` with the value at `pointer` set (the last key may be new).
fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = body.pointer_mut(parent).unwrap_or_else(|| panic!("{pointer}"));
    match parent {
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        _ => panic!("{pointer}"),
    }
    body
}

#[test]
fn every_example_is_valid_and_round_trips() {
    for body in [examples::appointment(), examples::class(), examples::rental(), examples::multi_day()] {
        let s = state(&body).unwrap();
        assert_eq!(s.check(), vec![], "{body}");
        let again: ServiceTemplateState = state(&serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(again, s, "serializing and parsing again changes nothing");
    }
}

#[test]
fn decimals_are_strings_not_floats() {
    let body = with(examples::appointment(), "/pricing/base_price", json!(60.5));
    assert_eq!(refused(&body)[0].0, "pricing.base_price");
    let s = state(&examples::appointment()).unwrap();
    assert_eq!(serde_json::to_value(&s).unwrap()["pricing"]["base_price"], "60.00");
}

#[test]
fn each_broken_rule_names_its_field() {
    let a = examples::appointment;
    let cases: Vec<(Value, &str)> = vec![
        (with(a(), "/duration/fixed_minutes", json!(0)), "duration.fixed_minutes"),
        (with(a(), "/duration/fixed_minutes", json!(-30)), "duration.fixed_minutes"),
        (with(a(), "/duration/fixed_minutes", json!(1441)), "duration.fixed_minutes"),
        (with(a(), "/duration/post_buffer_minutes", json!(-1)), "duration.post_buffer_minutes"),
        (
            with(
                a(),
                "/duration",
                json!({"type": "variable", "min_minutes": 120, "max_minutes": 60, "interval_minutes": 30}),
            ),
            "duration.max_minutes",
        ),
        (
            with(
                a(),
                "/duration",
                json!({"type": "variable", "min_minutes": 0, "max_minutes": 60, "interval_minutes": 30}),
            ),
            "duration.min_minutes",
        ),
        (
            with(
                a(),
                "/duration",
                json!({"type": "variable", "min_minutes": 30, "max_minutes": 100, "interval_minutes": 30}),
            ),
            "duration.interval_minutes",
        ),
        (
            with(
                a(),
                "/duration",
                json!({"type": "variable", "min_minutes": 30, "max_minutes": 60, "interval_minutes": 3}),
            ),
            "duration.interval_minutes",
        ),
        (with(a(), "/duration", json!({"type": "multi_day", "min_nights": 1, "max_nights": 3})), "duration.type"),
        (with(examples::multi_day(), "/duration/min_nights", json!(0)), "duration.min_nights"),
        (with(examples::multi_day(), "/duration/max_nights", json!(1)), "duration.max_nights"),
        (with(examples::multi_day(), "/pricing/hourly_rate", json!("5.00")), "pricing.hourly_rate"),
        (with(a(), "/type", json!("class")), "capacity.type"),
        (with(a(), "/capacity", json!({"type": "group"})), "capacity.group"),
        (
            with(
                a(),
                "/capacity",
                json!({"type": "individual", "group": {"min_participants": 1, "max_participants": 2}}),
            ),
            "capacity.group",
        ),
        (with(examples::class(), "/capacity/group/min_participants", json!(20)), "capacity.group.max_participants"),
        (with(examples::class(), "/capacity/group/max_participants", json!(1001)), "capacity.group.max_participants"),
        (with(a(), "/pricing/currency", json!("XYZ")), "pricing.currency"),
        (with(a(), "/pricing/timezone", json!("Mars/Olympus")), "pricing.timezone"),
        (with(a(), "/pricing/base_price", json!("-1")), "pricing.base_price"),
        (with(a(), "/pricing/base_price", json!("10.005")), "pricing.base_price"),
        (
            with(with(a(), "/pricing/currency", json!("JPY")), "/pricing/base_price", json!("60.5")),
            "pricing.base_price",
        ),
        (with(a(), "/pricing/time_multipliers/0/multiplier", json!("0")), "pricing.time_multipliers[0].multiplier"),
        (with(a(), "/pricing/time_multipliers/1/multiplier", json!("-1.5")), "pricing.time_multipliers[1].multiplier"),
        (with(a(), "/pricing/time_multipliers/0/days_of_week", json!([])), "pricing.time_multipliers[0].days_of_week"),
        (
            with(a(), "/pricing/time_multipliers/0/time_range", json!({"start": "21:00", "end": "17:00"})),
            "pricing.time_multipliers[0].time_range",
        ),
        (with(a(), "/pricing/holiday_multiplier", json!("0")), "pricing.holiday_multiplier"),
        (with(a(), "/pricing/holidays", json!(["2026-12-24", "2026-12-24"])), "pricing.holidays[1]"),
        (
            with(a(), "/cancellation/refund_tiers/1/refund_percent", json!("150")),
            "cancellation.refund_tiers[1].refund_percent",
        ),
        (
            with(a(), "/cancellation/refund_tiers/0/refund_percent", json!("10")),
            "cancellation.refund_tiers[1].refund_percent",
        ),
        (
            with(a(), "/cancellation/client_cancellation_cutoff_hours", json!(8761)),
            "cancellation.client_cancellation_cutoff_hours",
        ),
        (with(a(), "/deposit", json!({"required": true, "amount": "10.00", "percentage": "10"})), "deposit"),
        (with(a(), "/deposit", json!({"required": true})), "deposit"),
        (with(a(), "/deposit/percentage", json!("0")), "deposit.percentage"),
        (with(a(), "/reservation/max_hold_minutes", json!(5)), "reservation.max_hold_minutes"),
        (with(a(), "/reservation/hold_duration_minutes", json!(0)), "reservation.hold_duration_minutes"),
        (
            with(with(a(), "/deposit", Value::Null), "/reservation/require_deposit", json!(true)),
            "reservation.require_deposit",
        ),
        (with(a(), "/required_bookables/0/count", json!(0)), "required_bookables[0].count"),
        (
            with(a(), "/required_bookables/0/criteria/min_rating", json!("5.5")),
            "required_bookables[0].criteria.min_rating",
        ),
        (
            with(a(), "/required_bookables/0/criteria/tags", json!(["Not A Tag"])),
            "required_bookables[0].criteria.tags[0]",
        ),
        (
            with(a(), "/required_bookables/0/specific_bookable_id", json!(uuid::Uuid::nil())),
            "required_bookables[0].criteria",
        ),
        (with(a(), "/tags", json!(["ok", "NOPE"])), "tags[1]"),
        (with(a(), "/name", json!("  ")), "name"),
        (with(a(), "/slug", json!("Bad Slug")), "slug"),
        (with(a(), "/status", json!("deleted")), "status"),
        (with(a(), "/type", json!("webinar")), "type"),
    ];
    for (body, field) in cases {
        let errors = refused(&body);
        assert!(errors.iter().any(|(f, _)| f == field), "{field} not in {errors:?}");
    }
}

#[test]
fn refund_tiers_are_ordered_and_unique_with_distinct_messages() {
    let tiers = |hours: [u32; 3]| {
        with(
            examples::appointment(),
            "/cancellation/refund_tiers",
            json!(hours.map(|h| json!({"min_hours_before": h, "refund_percent": "50"}))),
        )
    };
    let unordered = refused(&tiers([24, 48, 12]));
    assert_eq!(unordered.len(), 1, "{unordered:?}");
    assert_eq!(unordered[0].0, "cancellation.refund_tiers[1].min_hours_before");
    assert!(unordered[0].1.contains("most notice to least"), "{unordered:?}");

    let duplicate = refused(&tiers([48, 24, 24]));
    assert_eq!(duplicate.len(), 1, "{duplicate:?}");
    assert_eq!(duplicate[0].0, "cancellation.refund_tiers[2].min_hours_before");
    assert!(duplicate[0].1.contains("duplicates"), "{duplicate:?}");
    assert_ne!(unordered[0].1, duplicate[0].1);

    assert_eq!(refused(&tiers([48, 24, 0])), vec![]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut body = examples::appointment();
    body["duration"]["fixed_minutes"] = json!(0);
    body["pricing"]["currency"] = json!("ABC");
    body["pricing"]["timezone"] = json!("Nowhere/Land");
    body["pricing"]["time_multipliers"][0]["multiplier"] = json!("-1");
    let fields: Vec<String> = refused(&body).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        ["duration.fixed_minutes", "pricing.currency", "pricing.timezone", "pricing.time_multipliers[0].multiplier"]
    );
}

#[test]
fn unknown_fields_are_refused_and_slugs_default_to_the_name() {
    let unknown = refused(&with(examples::appointment(), "/pricing/surge", json!("2")));
    assert!(unknown[0].0.starts_with("pricing") && unknown[0].1.contains("unknown field `surge`"), "{unknown:?}");
    let mut body = examples::appointment();
    body["duration"]["min_nights"] = json!(2);
    assert!(!refused(&body).is_empty(), "a multi-day field on a fixed duration");
    let s = state(&examples::appointment()).unwrap();
    assert_eq!(s.effective_slug(), "haircut-style");
}

#[test]
fn the_client_cancellation_cutoff_defaults_to_none_and_goes_up_to_a_year() {
    // A template stored before the field existed reads, with no cutoff.
    let stored: crate::model::CancellationPolicy =
        serde_json::from_value(json!({"allow_client_cancellation": true, "refund_tiers": []})).unwrap();
    assert_eq!(stored.client_cancellation_cutoff_hours, 0);
    let year = with(examples::appointment(), "/cancellation/client_cancellation_cutoff_hours", json!(8760));
    assert_eq!(state(&year).unwrap().check(), vec![]);
    let negative = with(examples::appointment(), "/cancellation/client_cancellation_cutoff_hours", json!(-1));
    assert!(state(&negative).is_err(), "a negative cutoff does not parse");
}
