//! Unit tests of the bookable's input state.

use serde_json::json;

use super::*;

fn state(body: serde_json::Value) -> Result<BookableState, ApiError> {
    BookableState::from_json(body.as_object().unwrap().clone())
}

#[test]
fn the_common_keys_are_those_of_the_common_struct() {
    let s = state(json!({"type": "venue", "name": "Hall", "capacity": {"max": 3}, "calendar": {"timezone": "UTC"}}))
        .unwrap();
    let keys: Vec<String> = serde_json::to_value(&s.common).unwrap().as_object().unwrap().keys().cloned().collect();
    let mut expected: Vec<String> = COMMON_FIELDS.iter().map(|k| k.to_string()).collect();
    expected.sort();
    assert_eq!(keys, expected);
}

#[test]
fn bad_fields_keep_their_paths() {
    let err = state(json!({"type": "venue", "name": "Hall", "capacity": {"max": -1},
        "calendar": {"timezone": "UTC"}}))
    .unwrap_err();
    assert_eq!(err.errors()[0].field, "capacity.max");
    let err = state(json!({"type": "venue", "name": "Hall", "capacity": {"max": 1},
        "calendar": {"timezone": "UTC", "slot_duration_minutes": -30}}))
    .unwrap_err();
    assert_eq!(err.errors()[0].field, "calendar.slot_duration_minutes");
    let err = state(json!({"name": "Hall"})).unwrap_err();
    assert_eq!(err.errors()[0].field, "type");
}

#[test]
fn the_type_chooses_the_fields_and_unknown_fields_are_refused() {
    let base = json!({"name": "Studio A", "calendar": {"timezone": "Europe/Lisbon"}});
    let mut venue = base.clone();
    venue["type"] = json!("venue");
    venue["capacity"] = json!({"max": 10});
    let s = state(venue.clone()).unwrap();
    assert_eq!(s.details.bookable_type(), BookableType::Venue);
    assert!(s.check().is_empty());

    venue["email"] = json!("a@b.example");
    assert!(state(venue).is_err(), "a provider field on a venue");
    let mut unknown = base.clone();
    unknown["type"] = json!("spaceship");
    assert!(state(unknown).is_err());
}

#[test]
fn calendars_and_venues_are_checked() {
    let s = state(json!({"type": "venue", "name": "Hall", "capacity": {"max": 5, "min": 9},
        "allow_simultaneous_bookings": true,
        "calendar": {"timezone": "Mars/Olympus", "slot_duration_minutes": 0,
            "weekly_schedule": {"monday": [{"start": "10:00", "end": "09:00"}]}}}))
    .unwrap();
    let fields: Vec<String> = s.check().into_iter().map(|e| e.field).collect();
    for f in [
        "calendar.timezone",
        "calendar.slot_duration_minutes",
        "calendar.weekly_schedule.monday[0]",
        "capacity.min",
        "max_simultaneous_bookings",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} not in {fields:?}");
    }
}

#[test]
fn statuses_move_until_retired() {
    use BookableStatus::*;
    assert!(Active.may_become(Maintenance));
    assert!(Maintenance.may_become(Retired));
    assert!(!Retired.may_become(Active));
    assert!(!Active.may_become(Active));
}

#[test]
fn slugs_come_from_names() {
    assert_eq!(slugify("Maria Silva"), "maria-silva");
    assert_eq!(slugify("  Studio #1 "), "studio-1");
    assert_eq!(slugify("42"), "b-42");
    assert_eq!(slugify("Ô"), "b-x");
}
