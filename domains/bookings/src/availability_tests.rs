#![allow(clippy::unwrap_used, clippy::expect_used)]

use atrium_core::schedule::parse_hhmm;
use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;
use chrono_tz::UTC;

use super::*;

use Weekday::{Friday, Monday, Saturday, Sunday, Thursday, Tuesday, Wednesday};

const WEEKDAYS: &[Weekday] = &[Monday, Tuesday, Wednesday, Thursday, Friday];
const EVERY_DAY: &[Weekday] = &[Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday];
/// The template of ordinary existing bookings (not the searched class).
const OTHER_TEMPLATE: u128 = 900;
const CLASS_TEMPLATE: u128 = 500;

/// `"2026-03-08T05:00"` as a UTC instant.
fn at(utc: &str) -> Instant {
    format!("{utc}:00Z").parse().unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn hours(ranges: &[(&str, &str)]) -> Vec<(NaiveTime, NaiveTime)> {
    ranges.iter().map(|(s, e)| (parse_hhmm(s).unwrap(), parse_hhmm(e).unwrap())).collect()
}

fn date(d: &str) -> NaiveDate {
    d.parse().unwrap()
}

fn interval(start: &str, end: &str) -> Interval {
    Interval { start: at(start), end: at(end) }
}

/// Hourly grid, no buffers, capacity 1, no daily limit, bookable from now to a year ahead.
fn calendar(n: u128, tz: Tz, days: &[Weekday], ranges: &[(&str, &str)]) -> BookableCalendar {
    BookableCalendar {
        id: id(n),
        tz,
        weekly: days.iter().map(|day| (*day, hours(ranges))).collect(),
        overrides: BTreeMap::new(),
        blocked: Vec::new(),
        slot_interval_minutes: 60,
        pre_buffer_minutes: 0,
        post_buffer_minutes: 0,
        setup_minutes: 0,
        teardown_minutes: 0,
        rest_minutes: 0,
        capacity: 1,
        max_daily_bookings: None,
        min_advance_hours: 0,
        max_advance_days: 365,
    }
}

fn requirement(count: u32, candidates: &[u128]) -> Requirement {
    Requirement { count, candidates: candidates.iter().map(|n| id(*n)).collect() }
}

/// An hour's service on bookable `n`, searched from 2026-01-01.
fn search_on(n: u128, from: &str, to: &str) -> Search {
    Search {
        from: at(from),
        to: at(to),
        now: at("2026-01-01T00:00"),
        duration_minutes: 60,
        template_pre_buffer_minutes: 0,
        template_post_buffer_minutes: 0,
        requirements: vec![requirement(1, &[n])],
        class: None,
        participants: 1,
    }
}

fn booking(n: u128, start: &str, end: &str) -> Existing {
    Existing {
        bookable_id: id(n),
        start: at(start),
        end: at(end),
        template_id: id(OTHER_TEMPLATE),
        participants: 1,
        busy: None,
    }
}

fn class_booking(n: u128, start: &str, end: &str, participants: u32) -> Existing {
    Existing { template_id: id(CLASS_TEMPLATE), participants, ..booking(n, start, end) }
}

fn starts(slots: &[Slot]) -> Vec<String> {
    slots.iter().map(|slot| slot.start.format("%Y-%m-%dT%H:%M").to_string()).collect()
}

struct Case {
    name: &'static str,
    calendar: BookableCalendar,
    search: Search,
    existing: Vec<Existing>,
    /// Slot starts, UTC, worked out by hand.
    expected: &'static [&'static str],
}

/// A case on bookable 1 with an hour's service and no existing bookings.
fn case(
    name: &'static str,
    calendar: BookableCalendar,
    window: (&str, &str),
    expected: &'static [&'static str],
) -> Case {
    Case { name, calendar, search: search_on(1, window.0, window.1), existing: Vec::new(), expected }
}

fn with(mut calendar: BookableCalendar, change: impl FnOnce(&mut BookableCalendar)) -> BookableCalendar {
    change(&mut calendar);
    calendar
}

fn cases() -> Vec<Case> {
    let ny_sunday = |ranges| calendar(1, New_York, &[Sunday], ranges);
    let berlin_sunday = |ranges| calendar(1, Berlin, &[Sunday], ranges);
    let half_hourly = |c: &mut BookableCalendar| c.slot_interval_minutes = 30;
    let utc_weekdays = calendar(1, UTC, WEEKDAYS, &[("09:00", "12:00")]);
    vec![
        // --- time zones and daylight saving ---
        case(
            "New York 09:00-12:00 in winter is 14:00-17:00Z",
            calendar(1, New_York, &[Monday], &[("09:00", "12:00")]),
            ("2026-01-05T00:00", "2026-01-06T00:00"),
            &["2026-01-05T14:00", "2026-01-05T15:00", "2026-01-05T16:00"],
        ),
        case(
            "New York 09:00-12:00 in summer is 13:00-16:00Z",
            calendar(1, New_York, &[Monday], &[("09:00", "12:00")]),
            ("2026-07-06T00:00", "2026-07-07T00:00"),
            &["2026-07-06T13:00", "2026-07-06T14:00", "2026-07-06T15:00"],
        ),
        case(
            "New York spring forward: 00:00-04:00 lasts 3 real hours (00:00, 01:00, 03:00 local)",
            ny_sunday(&[("00:00", "04:00")]),
            ("2026-03-08T00:00", "2026-03-09T00:00"),
            &["2026-03-08T05:00", "2026-03-08T06:00", "2026-03-08T07:00"],
        ),
        case(
            "New York spring forward: a range starting at 02:30 (in the gap) opens at 03:00 EDT",
            ny_sunday(&[("02:30", "05:00")]),
            ("2026-03-08T00:00", "2026-03-09T00:00"),
            &["2026-03-08T07:00", "2026-03-08T08:00"],
        ),
        case(
            "New York spring forward: a range ending at 02:30 (in the gap) closes at 03:00 EDT",
            ny_sunday(&[("00:00", "02:30")]),
            ("2026-03-08T00:00", "2026-03-09T00:00"),
            &["2026-03-08T05:00", "2026-03-08T06:00"],
        ),
        case(
            "New York across the spring-forward weekend: 09:00 local moves from 14:00Z to 13:00Z",
            calendar(1, New_York, EVERY_DAY, &[("09:00", "10:00")]),
            ("2026-03-07T00:00", "2026-03-10T00:00"),
            &["2026-03-07T14:00", "2026-03-08T13:00", "2026-03-09T13:00"],
        ),
        case(
            "New York fall back: 00:00-04:00 lasts 5 real hours",
            ny_sunday(&[("00:00", "04:00")]),
            ("2026-11-01T00:00", "2026-11-02T00:00"),
            &["2026-11-01T04:00", "2026-11-01T05:00", "2026-11-01T06:00", "2026-11-01T07:00", "2026-11-01T08:00"],
        ),
        case(
            "New York fall back: an ambiguous start takes the earlier 01:30 (EDT)",
            with(ny_sunday(&[("01:30", "03:00")]), half_hourly),
            ("2026-11-01T00:00", "2026-11-02T00:00"),
            &["2026-11-01T05:30", "2026-11-01T06:00", "2026-11-01T06:30", "2026-11-01T07:00", "2026-11-01T07:30"],
        )
        .with_duration(30),
        case(
            "New York fall back: an ambiguous end takes the later 01:30 (EST)",
            with(ny_sunday(&[("00:00", "01:30")]), half_hourly),
            ("2026-11-01T00:00", "2026-11-02T00:00"),
            &["2026-11-01T04:00", "2026-11-01T04:30", "2026-11-01T05:00", "2026-11-01T05:30"],
        ),
        case(
            "Berlin spring forward: 01:00-04:00 lasts 2 real hours (01:00 CET, 03:00 CEST)",
            berlin_sunday(&[("01:00", "04:00")]),
            ("2026-03-28T00:00", "2026-03-30T00:00"),
            &["2026-03-29T00:00", "2026-03-29T01:00"],
        ),
        case(
            "Berlin spring forward: a range starting at 02:00 (in the gap) opens at 03:00 CEST",
            with(berlin_sunday(&[("02:00", "03:30")]), half_hourly),
            ("2026-03-28T00:00", "2026-03-30T00:00"),
            &["2026-03-29T01:00"],
        )
        .with_duration(30),
        case(
            "Berlin fall back: 01:00-04:00 lasts 4 real hours, the local day starting on the 24th in UTC",
            berlin_sunday(&[("01:00", "04:00")]),
            ("2026-10-24T00:00", "2026-10-26T00:00"),
            &["2026-10-24T23:00", "2026-10-25T00:00", "2026-10-25T01:00", "2026-10-25T02:00"],
        ),
        case(
            "Berlin fall back: 02:00-02:30 runs from the first 02:00 to the second 02:30",
            with(berlin_sunday(&[("02:00", "02:30")]), half_hourly),
            ("2026-10-24T00:00", "2026-10-26T00:00"),
            &["2026-10-25T00:00", "2026-10-25T00:30", "2026-10-25T01:00"],
        )
        .with_duration(30),
        case(
            "the window is half-open: a slot starting at `to` is left out",
            calendar(1, New_York, &[Monday], &[("09:00", "12:00")]),
            ("2026-01-05T15:00", "2026-01-05T16:00"),
            &["2026-01-05T15:00"],
        ),
        // --- overrides ---
        case(
            "overrides: Tuesday closed, Wednesday two modified ranges, an extra Saturday",
            with(utc_weekdays.clone(), |c| {
                c.overrides.insert(date("2026-01-06"), DayHours::Closed);
                c.overrides
                    .insert(date("2026-01-07"), DayHours::Hours(hours(&[("13:00", "14:00"), ("15:00", "16:30")])));
                c.overrides.insert(date("2026-01-10"), DayHours::Hours(hours(&[("10:00", "11:00")])));
            }),
            ("2026-01-05T00:00", "2026-01-12T00:00"),
            &[
                "2026-01-05T09:00",
                "2026-01-05T10:00",
                "2026-01-05T11:00",
                "2026-01-07T13:00",
                "2026-01-07T15:00",
                "2026-01-08T09:00",
                "2026-01-08T10:00",
                "2026-01-08T11:00",
                "2026-01-09T09:00",
                "2026-01-09T10:00",
                "2026-01-09T11:00",
                "2026-01-10T10:00",
            ],
        ),
        case(
            "overrides apply to the local date: New York Tuesday 18:00-20:00 ends on Wednesday in UTC",
            with(calendar(1, New_York, WEEKDAYS, &[("09:00", "12:00")]), |c| {
                c.overrides.insert(date("2026-01-06"), DayHours::Hours(hours(&[("18:00", "20:00")])));
            }),
            ("2026-01-06T00:00", "2026-01-07T12:00"),
            &["2026-01-06T23:00", "2026-01-07T00:00"],
        ),
        // --- blocked times ---
        case(
            "a blocked half hour removes the slot it overlaps",
            with(utc_weekdays.clone(), |c| c.blocked.push(interval("2026-01-05T10:30", "2026-01-05T11:00"))),
            ("2026-01-05T00:00", "2026-01-06T00:00"),
            &["2026-01-05T09:00", "2026-01-05T11:00"],
        ),
        case(
            "a blocked time before opening still catches the pre-buffer",
            with(utc_weekdays.clone(), |c| {
                c.pre_buffer_minutes = 15;
                c.blocked.push(interval("2026-01-05T08:00", "2026-01-05T08:50"));
            }),
            ("2026-01-05T00:00", "2026-01-06T00:00"),
            &["2026-01-05T10:00", "2026-01-05T11:00"],
        ),
        case(
            "a blocked time that only touches the pre-buffer does not",
            with(utc_weekdays.clone(), |c| {
                c.pre_buffer_minutes = 15;
                c.blocked.push(interval("2026-01-05T08:00", "2026-01-05T08:45"));
            }),
            ("2026-01-05T00:00", "2026-01-06T00:00"),
            &["2026-01-05T09:00", "2026-01-05T10:00", "2026-01-05T11:00"],
        ),
        // --- buffers, setup/teardown and rest around an existing 10:00-11:00 booking ---
        Case {
            name: "post buffer 15 + rest 15 after an existing booking (half-hourly grid)",
            calendar: with(calendar(1, UTC, &[Monday], &[("08:00", "14:00")]), |c| {
                c.slot_interval_minutes = 30;
                c.post_buffer_minutes = 15;
                c.rest_minutes = 15;
            }),
            search: search_on(1, "2026-01-05T00:00", "2026-01-06T00:00"),
            existing: vec![booking(1, "2026-01-05T10:00", "2026-01-05T11:00")],
            expected: &[
                "2026-01-05T08:00",
                "2026-01-05T08:30",
                "2026-01-05T11:30",
                "2026-01-05T12:00",
                "2026-01-05T12:30",
                "2026-01-05T13:00",
            ],
        },
        Case {
            name: "plus the template's 10-minute pre-buffer",
            calendar: with(calendar(1, UTC, &[Monday], &[("08:00", "14:00")]), |c| {
                c.slot_interval_minutes = 30;
                c.post_buffer_minutes = 15;
                c.rest_minutes = 15;
            }),
            search: Search { template_pre_buffer_minutes: 10, ..search_on(1, "2026-01-05T00:00", "2026-01-06T00:00") },
            existing: vec![booking(1, "2026-01-05T10:00", "2026-01-05T11:00")],
            expected: &["2026-01-05T08:00", "2026-01-05T12:00", "2026-01-05T12:30", "2026-01-05T13:00"],
        },
        Case {
            name: "venue setup 30 and teardown 30 (setup may start before opening)",
            calendar: with(calendar(1, UTC, &[Monday], &[("08:00", "14:00")]), |c| {
                c.setup_minutes = 30;
                c.teardown_minutes = 30;
            }),
            search: search_on(1, "2026-01-05T00:00", "2026-01-06T00:00"),
            existing: vec![booking(1, "2026-01-05T10:00", "2026-01-05T11:00")],
            expected: &["2026-01-05T08:00", "2026-01-05T12:00", "2026-01-05T13:00"],
        },
        // --- daily limit and advance ---
        Case {
            name: "max 2 a day: Monday has 2 by New York time (one at 22:00 local = Tuesday 03:00Z)",
            calendar: with(calendar(1, New_York, WEEKDAYS, &[("09:00", "12:00")]), |c| c.max_daily_bookings = Some(2)),
            search: search_on(1, "2026-01-05T00:00", "2026-01-07T00:00"),
            existing: vec![
                booking(1, "2026-01-05T14:00", "2026-01-05T15:00"),
                booking(1, "2026-01-06T03:00", "2026-01-06T04:00"),
            ],
            expected: &["2026-01-06T14:00", "2026-01-06T15:00", "2026-01-06T16:00"],
        },
        Case {
            name: "advance: at least 2 hours and at most 1 day ahead of now (Monday 09:30)",
            calendar: with(calendar(1, UTC, WEEKDAYS, &[("09:00", "17:00")]), |c| {
                c.min_advance_hours = 2;
                c.max_advance_days = 1;
            }),
            search: Search { now: at("2026-01-05T09:30"), ..search_on(1, "2026-01-05T00:00", "2026-01-08T00:00") },
            existing: Vec::new(),
            expected: &[
                "2026-01-05T12:00",
                "2026-01-05T13:00",
                "2026-01-05T14:00",
                "2026-01-05T15:00",
                "2026-01-05T16:00",
                "2026-01-06T09:00",
            ],
        },
        // --- capacity ---
        Case {
            name: "capacity 2: two existing bookings that do not overlap each other never add up",
            calendar: with(calendar(1, UTC, &[Monday], &[("09:00", "12:00")]), |c| {
                c.capacity = 2;
                c.slot_interval_minutes = 30;
            }),
            search: search_on(1, "2026-01-05T00:00", "2026-01-06T00:00"),
            existing: vec![
                booking(1, "2026-01-05T09:00", "2026-01-05T10:00"),
                booking(1, "2026-01-05T10:00", "2026-01-05T11:00"),
            ],
            expected: &[
                "2026-01-05T09:00",
                "2026-01-05T09:30",
                "2026-01-05T10:00",
                "2026-01-05T10:30",
                "2026-01-05T11:00",
            ],
        },
        Case {
            name: "capacity 2: two overlapping existing bookings fill it while both run",
            calendar: with(calendar(1, UTC, &[Monday], &[("09:00", "12:00")]), |c| {
                c.capacity = 2;
                c.slot_interval_minutes = 30;
            }),
            search: search_on(1, "2026-01-05T00:00", "2026-01-06T00:00"),
            existing: vec![
                booking(1, "2026-01-05T09:00", "2026-01-05T10:00"),
                booking(1, "2026-01-05T09:30", "2026-01-05T10:30"),
            ],
            expected: &["2026-01-05T10:00", "2026-01-05T10:30", "2026-01-05T11:00"],
        },
    ]
}

impl Case {
    /// The same case with a shorter service.
    fn with_duration(mut self, minutes: u32) -> Self {
        self.search.duration_minutes = minutes;
        self
    }
}

#[test]
fn the_table_of_cases() {
    for case in cases() {
        let slots = search(&case.search, std::slice::from_ref(&case.calendar), &case.existing);
        assert_eq!(starts(&slots), case.expected, "{}", case.name);
        for slot in &slots {
            assert_eq!(slot.options, vec![vec![id(1)]], "{}", case.name);
            assert_eq!(slot.seats_left, None, "{}", case.name);
            assert_eq!(slot.end - slot.start, TimeDelta::minutes(case.search.duration_minutes.into()), "{}", case.name);
            // What search offers, check accepts.
            let checked =
                check(&case.search, std::slice::from_ref(&case.calendar), &case.existing, slot.start, &slot.options);
            assert_eq!(checked, Ok(()), "{} at {}", case.name, slot.start);
        }
    }
}

#[test]
fn a_provider_and_a_venue_at_once() {
    // Providers 1 (09-13) and 2 (11-15), venue 10 (10-15); provider 1 busy 10-11, venue busy 12-13.
    let calendars = [
        calendar(1, UTC, &[Monday], &[("09:00", "13:00")]),
        calendar(2, UTC, &[Monday], &[("11:00", "15:00")]),
        calendar(10, UTC, &[Monday], &[("10:00", "15:00")]),
    ];
    let existing =
        [booking(1, "2026-01-05T10:00", "2026-01-05T11:00"), booking(10, "2026-01-05T12:00", "2026-01-05T13:00")];
    let search_both = Search {
        requirements: vec![requirement(1, &[2, 1]), requirement(1, &[10])],
        ..search_on(1, "2026-01-05T00:00", "2026-01-06T00:00")
    };
    let slots = search(&search_both, &calendars, &existing);
    let slot = |start: &str, providers: &[u128]| Slot {
        start: at(start),
        end: at(start) + TimeDelta::hours(1),
        options: vec![providers.iter().map(|n| id(*n)).collect(), vec![id(10)]],
        seats_left: None,
    };
    // 09:00 venue closed, 10:00 provider 1 busy (and not on provider 2's grid), 12:00 venue busy,
    // 13:00 and 14:00 provider 1 closed.
    assert_eq!(
        slots,
        vec![slot("2026-01-05T11:00", &[1, 2]), slot("2026-01-05T13:00", &[2]), slot("2026-01-05T14:00", &[2])]
    );

    let check_at = |start: &str, chosen: &[&[u128]]| {
        let chosen: Vec<Vec<Uuid>> = chosen.iter().map(|ids| ids.iter().map(|n| id(*n)).collect()).collect();
        check(&search_both, &calendars, &existing, at(start), &chosen)
    };
    assert_eq!(check_at("2026-01-05T11:00", &[&[2], &[10]]), Ok(()));
    assert_eq!(check_at("2026-01-05T13:15", &[&[2], &[10]]), Ok(()), "off the grid, staff may book");
    assert_eq!(check_at("2026-01-05T11:15", &[&[2], &[10]]), Err(Unavailable::Taken), "runs into the venue's 12:00");
    assert_eq!(check_at("2026-01-05T12:00", &[&[1], &[10]]), Err(Unavailable::Taken), "the venue is busy");
    assert_eq!(check_at("2026-01-05T09:00", &[&[1], &[10]]), Err(Unavailable::Closed), "the venue opens at 10");
    assert_eq!(check_at("2026-01-05T11:00", &[&[10], &[1]]), Err(Unavailable::NotACandidate));
}

#[test]
fn a_bookable_serves_one_requirement_at_a_time() {
    // Requirement 0 takes 1 or 2, requirement 1 takes only 1: 1 must go to requirement 1
    // (picking the lowest id first for requirement 0 would wrongly fail).
    let calendars = [
        calendar(1, UTC, &[Monday], &[("09:00", "11:00")]),
        calendar(2, UTC, &[Monday], &[("09:00", "11:00")]),
        calendar(3, UTC, &[Monday], &[("09:00", "11:00")]),
    ];
    let existing = [booking(2, "2026-01-05T10:00", "2026-01-05T11:00")];
    let both = Search {
        requirements: vec![requirement(1, &[1, 2]), requirement(1, &[1])],
        ..search_on(1, "2026-01-05T00:00", "2026-01-06T00:00")
    };
    let slots = search(&both, &calendars, &existing);
    assert_eq!(starts(&slots), ["2026-01-05T09:00"], "at 10:00 only bookable 1 is free, for both");
    assert_eq!(slots[0].options, vec![vec![id(1), id(2)], vec![id(1)]]);
    let dup = check(&both, &calendars, &existing, at("2026-01-05T09:00"), &[vec![id(1)], vec![id(1)]]);
    assert_eq!(dup, Err(Unavailable::NotACandidate));

    // Two of three at once.
    let two = Search { requirements: vec![requirement(2, &[1, 2, 3])], ..both.clone() };
    let slots = search(&two, &calendars, &existing);
    assert_eq!(starts(&slots), ["2026-01-05T09:00", "2026-01-05T10:00"]);
    assert_eq!(slots[1].options, vec![vec![id(1), id(3)]]);
    let three = Search { requirements: vec![requirement(3, &[1, 2, 3])], ..both };
    assert_eq!(starts(&search(&three, &calendars, &existing)), ["2026-01-05T09:00"]);
}

/// Venue 1 (capacity 1) on Mondays 09-14, half-hourly; the class (max 10) has a session at
/// 10:00 with 6 participants and a full one at 12:00; another template takes 13:00.
fn class_fixture() -> (Search, BookableCalendar, Vec<Existing>) {
    let venue = with(calendar(1, UTC, &[Monday], &[("09:00", "14:00")]), |c| c.slot_interval_minutes = 30);
    let search = Search {
        class: Some(ClassSpec { template_id: id(CLASS_TEMPLATE), max_participants: 10 }),
        participants: 2,
        ..search_on(1, "2026-01-05T00:00", "2026-01-06T00:00")
    };
    let existing = vec![
        class_booking(1, "2026-01-05T10:00", "2026-01-05T11:00", 2),
        class_booking(1, "2026-01-05T10:00", "2026-01-05T11:00", 3),
        class_booking(1, "2026-01-05T10:00", "2026-01-05T11:00", 1),
        class_booking(1, "2026-01-05T12:00", "2026-01-05T13:00", 6),
        class_booking(1, "2026-01-05T12:00", "2026-01-05T13:00", 4),
        booking(1, "2026-01-05T13:00", "2026-01-05T14:00"),
    ];
    (search, venue, existing)
}

#[test]
fn class_seats() {
    let (class, venue, existing) = class_fixture();
    let seats = |slots: Vec<Slot>| -> Vec<(String, Option<u32>)> {
        slots.iter().map(|s| (s.start.format("%H:%M").to_string(), s.seats_left)).collect()
    };
    let slot = |start: &str, seats: u32| (start.to_string(), Some(seats));
    // 09:30, 10:30, 11:30 and 12:30 overlap a session without being it; 12:00 is full; 13:00 taken.
    let slots = search(&class, std::slice::from_ref(&venue), &existing);
    assert_eq!(slots[1].options, vec![vec![id(1)]]);
    assert_eq!(seats(slots), [slot("09:00", 10), slot("10:00", 4), slot("11:00", 10)]);

    let five = Search { participants: 5, ..class.clone() };
    assert_eq!(seats(search(&five, std::slice::from_ref(&venue), &existing)), [slot("09:00", 10), slot("11:00", 10)]);

    // A session counts once for the daily limit (two sessions and one booking make 3, not 6),
    // and joining a session is not a new booking.
    let limited = with(venue.clone(), |c| c.max_daily_bookings = Some(4));
    let slots = search(&class, std::slice::from_ref(&limited), &existing);
    assert_eq!(seats(slots), [slot("09:00", 10), slot("10:00", 4), slot("11:00", 10)]);
    let limited = with(venue, |c| c.max_daily_bookings = Some(3));
    assert_eq!(seats(search(&class, std::slice::from_ref(&limited), &existing)), [slot("10:00", 4)]);
}

#[test]
fn check_accepts_an_off_grid_start_and_names_each_reason() {
    // Provider 1: Mondays 09-17, blocked 15-16, busy 12-13.
    let provider = with(calendar(1, UTC, &[Monday], &[("09:00", "17:00")]), |c| {
        c.blocked.push(interval("2026-01-05T15:00", "2026-01-05T16:00"));
    });
    let existing = vec![booking(1, "2026-01-05T12:00", "2026-01-05T13:00")];
    let base = search_on(1, "2026-01-05T00:00", "2026-01-06T00:00");
    let run = |search: &Search, calendar: &BookableCalendar, start: &str, chosen: &[u128]| {
        let chosen = vec![chosen.iter().map(|n| id(*n)).collect()];
        check(search, std::slice::from_ref(calendar), &existing, at(start), &chosen)
    };
    use Unavailable::*;
    assert_eq!(run(&base, &provider, "2026-01-05T09:15", &[1]), Ok(()), "off the hourly grid");
    assert_eq!(run(&base, &provider, "2026-01-05T13:00", &[1]), Ok(()), "right after the busy hour");
    assert_eq!(run(&base, &provider, "2026-01-04T09:00", &[1]), Err(OutsideWindow), "before `from`");
    let soon = Search { now: at("2026-01-05T08:30"), ..base.clone() };
    let min_advance = with(provider.clone(), |c| c.min_advance_hours = 1);
    assert_eq!(run(&soon, &min_advance, "2026-01-05T09:15", &[1]), Err(OutsideWindow), "too soon");
    let max_advance = with(provider.clone(), |c| c.max_advance_days = 3);
    assert_eq!(run(&base, &max_advance, "2026-01-05T09:15", &[1]), Err(OutsideWindow), "too far ahead");
    assert_eq!(run(&base, &provider, "2026-01-05T16:30", &[1]), Err(Closed), "ends after closing");
    assert_eq!(run(&base, &provider, "2026-01-06T10:00", &[1]), Err(OutsideWindow), "at `to`");
    let tuesday = search_on(1, "2026-01-05T00:00", "2026-01-07T00:00");
    assert_eq!(run(&tuesday, &provider, "2026-01-06T10:00", &[1]), Err(Closed), "closed on Tuesdays");
    assert_eq!(run(&base, &provider, "2026-01-05T14:30", &[1]), Err(Blocked));
    assert_eq!(run(&base, &provider, "2026-01-05T11:30", &[1]), Err(Taken));
    let rested = with(provider.clone(), |c| c.rest_minutes = 15);
    assert_eq!(run(&base, &rested, "2026-01-05T13:00", &[1]), Err(Taken), "the provider's rest");
    let daily = with(provider.clone(), |c| c.max_daily_bookings = Some(1));
    assert_eq!(run(&base, &daily, "2026-01-05T09:00", &[1]), Err(DailyLimit));
    assert_eq!(run(&base, &provider, "2026-01-05T09:00", &[2]), Err(NotACandidate), "not a candidate");
    assert_eq!(run(&base, &provider, "2026-01-05T09:00", &[]), Err(NotACandidate), "one bookable too few");
    let two = Search { requirements: vec![requirement(1, &[1, 2])], ..base.clone() };
    assert_eq!(run(&two, &provider, "2026-01-05T09:00", &[2]), Err(NotACandidate), "a candidate with no calendar");
    assert_eq!(
        check(&base, std::slice::from_ref(&provider), &existing, at("2026-01-05T09:00"), &[]),
        Err(NotACandidate)
    );

    let (class, venue, existing) = class_fixture();
    let class_at = |start: &str| check(&class, std::slice::from_ref(&venue), &existing, at(start), &[vec![id(1)]]);
    assert_eq!(class_at("2026-01-05T10:00"), Ok(()), "joins the session");
    assert_eq!(class_at("2026-01-05T12:00"), Err(SeatsFull));
    assert_eq!(class_at("2026-01-05T10:30"), Err(Taken), "overlaps the session without being it");
    assert_eq!(class_at("2026-01-05T13:00"), Err(Taken), "another template holds the venue");
}

#[test]
fn results_are_sorted_and_deduplicated_across_primary_grids() {
    // Two providers, one on the hour and one on the half hour, both open 09-11.
    let calendars = [
        calendar(1, UTC, &[Monday], &[("09:00", "11:00")]),
        with(calendar(2, UTC, &[Monday], &[("09:00", "11:00")]), |c| c.slot_interval_minutes = 30),
    ];
    let both =
        Search { requirements: vec![requirement(1, &[1, 2])], ..search_on(1, "2026-01-05T00:00", "2026-01-06T00:00") };
    let slots = search(&both, &calendars, &[]);
    assert_eq!(starts(&slots), ["2026-01-05T09:00", "2026-01-05T09:30", "2026-01-05T10:00"]);
    let options: Vec<_> = slots.iter().map(|s| s.options[0].len()).collect();
    assert_eq!(options, [2, 1, 2], "09:30 is only on provider 2's grid");
}

#[test]
fn a_month_of_fifty_bookables_with_a_thousand_bookings() {
    // 50 providers, weekdays 08:00-18:00 half-hourly (20 slots a day), in two zones, over 30 days.
    let calendars: Vec<BookableCalendar> = (0..50u128)
        .map(|n| {
            let tz = if n % 2 == 0 { UTC } else { New_York };
            with(calendar(n + 1, tz, WEEKDAYS, &[("08:00", "18:00")]), |c| {
                c.slot_interval_minutes = 30;
                c.post_buffer_minutes = 10;
                c.max_daily_bookings = Some(8);
                c.blocked.push(interval("2026-01-14T12:00", "2026-01-14T15:00"));
            })
        })
        .collect();
    let from = at("2026-01-05T00:00");
    let mut seed = 42u64;
    let existing: Vec<Existing> = (0..1000)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let bookable = u128::from(seed >> 33) % 50 + 1;
            let start = from + TimeDelta::minutes(i64::try_from((seed >> 20) % (30 * 48)).unwrap() * 30);
            Existing {
                bookable_id: id(bookable),
                start,
                end: start + TimeDelta::minutes(30),
                template_id: id(OTHER_TEMPLATE),
                participants: 1,
                busy: None,
            }
        })
        .collect();
    let big = Search {
        duration_minutes: 30,
        requirements: vec![requirement(1, &(1..=50).collect::<Vec<_>>())],
        ..search_on(1, "2026-01-05T00:00", "2026-02-04T00:00")
    };
    let slots = search(&big, &calendars, &existing);
    assert!(!slots.is_empty());
    // Spot-check that what search offers, check accepts.
    for slot in slots.iter().step_by(97) {
        let chosen = [vec![slot.options[0][0]]];
        assert_eq!(check(&big, &calendars, &existing, slot.start, &chosen), Ok(()), "at {}", slot.start);
    }
}

#[test]
fn stays_check_in_during_hours_and_span_the_nights() {
    // A cabin open for check-in 15:00–18:00 (UTC) every day; a two-night stay is 2,880 minutes.
    let cabin = calendar(7, chrono_tz::UTC, EVERY_DAY, &[("15:00", "18:00")]);
    let mut stay = search_on(7, "2026-03-02T00:00", "2026-03-05T00:00");
    stay.duration_minutes = 2 * 24 * 60;
    let free = search(&stay, std::slice::from_ref(&cabin), &[]);
    assert_eq!(
        starts(&free),
        [
            "2026-03-02T15:00",
            "2026-03-02T16:00",
            "2026-03-02T17:00",
            "2026-03-03T15:00",
            "2026-03-03T16:00",
            "2026-03-03T17:00",
            "2026-03-04T15:00",
            "2026-03-04T16:00",
            "2026-03-04T17:00",
        ]
    );
    // A stay from the 3rd to the 5th leaves no check-in from the 2nd (it would overlap) to
    // the 4th; the 5th at 15:00 — when it ends — is free again.
    let taken = [booking(7, "2026-03-03T15:00", "2026-03-05T15:00")];
    let mut later = stay.clone();
    later.to = at("2026-03-06T00:00");
    let free = search(&later, std::slice::from_ref(&cabin), &taken);
    assert_eq!(starts(&free), ["2026-03-05T15:00", "2026-03-05T16:00", "2026-03-05T17:00"]);
    assert_eq!(
        check(&later, std::slice::from_ref(&cabin), &taken, at("2026-03-02T15:00"), &[vec![id(7)]]),
        Err(Unavailable::Taken)
    );
    assert_eq!(
        check(&later, std::slice::from_ref(&cabin), &taken, at("2026-03-05T10:00"), &[vec![id(7)]]),
        Err(Unavailable::Closed),
        "check-in outside hours"
    );
}

/// A small deterministic generator (xorshift), so the property run is the same each time.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Security #9: any local date chrono can hold, in any zone, at any minute (DST gaps
/// included) turns into an instant or into nothing — never a panic.
#[test]
fn security_9_local_instants_never_panic_for_any_date_and_zone() {
    let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15);
    let (min, max) = (NaiveDate::MIN.num_days_from_ce(), NaiveDate::MAX.num_days_from_ce());
    let span = u64::try_from(i64::from(max) - i64::from(min)).unwrap();
    let zones = chrono_tz::TZ_VARIANTS;
    for i in 0..50_000u64 {
        // Half the draws near the ends of chrono's range, where offsets overflow.
        let day = match i % 4 {
            0 => min + i32::try_from(rng.next() % 800).unwrap(),
            1 => max - i32::try_from(rng.next() % 800).unwrap(),
            _ => min + i32::try_from(rng.next() % span).unwrap(),
        };
        let date = NaiveDate::from_num_days_from_ce_opt(day).unwrap();
        let time = NaiveTime::from_hms_opt(
            u32::try_from(rng.next() % 24).unwrap(),
            u32::try_from(rng.next() % 60).unwrap(),
            0,
        )
        .unwrap();
        let tz = zones[usize::try_from(rng.next()).unwrap() % zones.len()];
        let fold = if rng.next().is_multiple_of(2) { Fold::Earlier } else { Fold::Later };
        let _ = local_instant(tz, date.and_time(time), fold);
    }
    // The ends themselves, in zones on both sides of UTC.
    for tz in [New_York, Berlin, UTC, chrono_tz::Pacific::Kiritimati, chrono_tz::Pacific::Pago_Pago] {
        for date in [NaiveDate::MIN, NaiveDate::MAX] {
            for time in [NaiveTime::MIN, NaiveTime::from_hms_opt(23, 59, 0).unwrap()] {
                let _ = local_instant(tz, date.and_time(time), Fold::Earlier);
            }
        }
    }
}
