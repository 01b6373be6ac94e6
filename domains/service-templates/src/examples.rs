//! Example bodies, one per template type, for the spec and Swagger UI. Each creates a
//! template in a fresh tenant: no location, no specific bookables (criteria only).

use serde_json::{Value, json};

const WEEKDAYS: [&str; 5] = ["monday", "tuesday", "wednesday", "thursday", "friday"];

pub fn appointment() -> Value {
    json!({
        "name": "Haircut & style",
        "description": "Wash, cut and style with a senior stylist.",
        "tags": ["hair"],
        "type": "appointment",
        "duration": {"type": "fixed", "fixed_minutes": 45, "post_buffer_minutes": 10},
        "required_bookables": [{"bookable_type": "provider", "criteria": {"tags": ["stylist"], "min_rating": "4"},
            "count": 1, "role": "primary", "allow_substitution": true}],
        "capacity": {"type": "individual"},
        "pricing": {"base_price": "60.00", "currency": "USD", "timezone": "America/New_York",
            "time_multipliers": [
                {"time_range": {"start": "17:00", "end": "21:00"}, "days_of_week": WEEKDAYS, "multiplier": "1.25"},
                {"time_range": {"start": "09:00", "end": "18:00"}, "days_of_week": ["saturday", "sunday"], "multiplier": "1.5"}
            ],
            "holiday_multiplier": "2", "holidays": ["2026-12-24", "2026-12-31"]},
        "cancellation": {"allow_client_cancellation": true, "client_cancellation_cutoff_hours": 12,
            "refund_tiers": [{"min_hours_before": 48, "refund_percent": "100"},
                             {"min_hours_before": 24, "refund_percent": "50", "offer_store_credit": true}],
            "provider_compensation": [{"when": "client_cancels", "notice_hours": 24, "compensation_percent": "50"}],
            "no_show_policy": {"grace_period_minutes": 15, "charge_percent": "100", "provider_compensation_percent": "50"}},
        "deposit": {"required": true, "percentage": "20", "refundable": true},
        "reservation": {"enabled": true, "hold_duration_minutes": 10, "max_hold_minutes": 30, "require_deposit": false},
        "status": "active"
    })
}

pub fn class() -> Value {
    json!({
        "name": "Morning yoga",
        "tags": ["yoga", "group"],
        "type": "class",
        "duration": {"type": "fixed", "fixed_minutes": 60, "pre_buffer_minutes": 15, "post_buffer_minutes": 15},
        "required_bookables": [
            {"bookable_type": "venue", "criteria": {"tags": ["studio"]}, "count": 1, "role": "primary"},
            {"bookable_type": "provider", "criteria": {"tags": ["yoga-teacher"]}, "count": 1, "role": "primary"}
        ],
        "capacity": {"type": "group", "group": {"min_participants": 3, "max_participants": 12,
            "auto_cancel_if_under_min": true, "enable_waitlist": true}},
        "pricing": {"base_price": "18.00", "currency": "EUR", "timezone": "Europe/Lisbon",
            "time_multipliers": [{"time_range": {"start": "06:00", "end": "08:00"}, "days_of_week": WEEKDAYS,
                "multiplier": "0.8"}]},
        "cancellation": {"refund_tiers": [{"min_hours_before": 12, "refund_percent": "100"}]},
        "reservation": {"enabled": true, "hold_duration_minutes": 5, "max_hold_minutes": 15},
        "status": "active"
    })
}

pub fn rental() -> Value {
    json!({
        "name": "Kayak rental",
        "tags": ["water"],
        "type": "rental",
        "duration": {"type": "variable", "min_minutes": 60, "max_minutes": 480, "interval_minutes": 30,
            "post_buffer_minutes": 15},
        "required_bookables": [{"bookable_type": "asset", "criteria": {"tags": ["kayak"]}, "count": 1,
            "role": "primary", "allow_substitution": true}],
        "optional_bookables": [{"bookable_type": "provider", "criteria": {"tags": ["guide"]}, "count": 1,
            "role": "assistant"}],
        "pricing": {"base_price": "10.00", "currency": "USD", "timezone": "America/Los_Angeles",
            "hourly_rate": "15.00",
            "time_multipliers": [{"time_range": {"start": "10:00", "end": "16:00"},
                "days_of_week": ["saturday", "sunday"], "multiplier": "1.2"}]},
        "deposit": {"required": true, "amount": "25.00", "refundable": true},
        "status": "active"
    })
}

pub fn multi_day() -> Value {
    json!({
        "name": "Lakeside cabin",
        "tags": ["stay"],
        "type": "multi_day",
        "duration": {"type": "multi_day", "min_nights": 2, "max_nights": 14, "post_buffer_minutes": 180},
        "required_bookables": [{"bookable_type": "venue", "criteria": {"tags": ["cabin"]}, "count": 1,
            "role": "primary"}],
        "pricing": {"base_price": "120.00", "currency": "EUR", "timezone": "Europe/Berlin",
            "time_multipliers": [{"time_range": {"start": "00:00", "end": "23:59"},
                "days_of_week": ["friday", "saturday"], "multiplier": "1.15"}],
            "holiday_multiplier": "1.3", "holidays": ["2026-12-24", "2026-12-25", "2026-12-31"]},
        "cancellation": {"refund_tiers": [{"min_hours_before": 336, "refund_percent": "100"},
            {"min_hours_before": 168, "refund_percent": "50"}, {"min_hours_before": 48, "refund_percent": "0",
            "offer_store_credit": true}]},
        "deposit": {"required": true, "percentage": "30", "refundable": false},
        "reservation": {"enabled": true, "hold_duration_minutes": 30, "max_hold_minutes": 120, "require_deposit": true},
        "status": "active"
    })
}
