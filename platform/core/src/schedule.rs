//! Local-time schedules shared by every plugin that has opening hours: weekdays, `HH:MM`
//! ranges and weekly patterns (locations' operating hours, bookables' calendars, pricing
//! multipliers). Times are wall-clock times in a zone the owner names elsewhere.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monday => "monday",
            Self::Tuesday => "tuesday",
            Self::Wednesday => "wednesday",
            Self::Thursday => "thursday",
            Self::Friday => "friday",
            Self::Saturday => "saturday",
            Self::Sunday => "sunday",
        }
    }

    pub fn of(day: chrono::Weekday) -> Self {
        match day {
            chrono::Weekday::Mon => Self::Monday,
            chrono::Weekday::Tue => Self::Tuesday,
            chrono::Weekday::Wed => Self::Wednesday,
            chrono::Weekday::Thu => Self::Thursday,
            chrono::Weekday::Fri => Self::Friday,
            chrono::Weekday::Sat => Self::Saturday,
            chrono::Weekday::Sun => Self::Sunday,
        }
    }
}

/// Local times `HH:MM`; `end` after `start` (a range never crosses midnight).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    #[schema(example = "09:00")]
    pub start: String,
    #[schema(example = "17:00")]
    pub end: String,
}

impl TimeRange {
    /// The range as times, when both ends are `HH:MM` and `end` is after `start`.
    pub fn bounds(&self) -> Option<(NaiveTime, NaiveTime)> {
        match (parse_hhmm(&self.start), parse_hhmm(&self.end)) {
            (Some(s), Some(e)) if s < e => Some((s, e)),
            _ => None,
        }
    }
}

pub fn parse_hhmm(value: &str) -> Option<NaiveTime> {
    (value.len() == 5).then(|| NaiveTime::parse_from_str(value, "%H:%M").ok()).flatten()
}

/// Ranges per weekday; a day that is absent is closed.
pub type WeeklySchedule = BTreeMap<Weekday, Vec<TimeRange>>;

/// Each range well-formed, and no two ranges of the list overlapping (touching is fine).
pub fn check_ranges(path: &str, ranges: &[TimeRange], errors: &mut Vec<FieldError>) {
    let mut parsed = Vec::new();
    for (i, r) in ranges.iter().enumerate() {
        let at = format!("{path}[{i}]");
        match (parse_hhmm(&r.start), parse_hhmm(&r.end)) {
            (Some(s), Some(e)) if s < e => parsed.push((s, e, at)),
            (Some(_), Some(_)) => errors.push(FieldError::new(at, "end must be after start")),
            _ => errors.push(FieldError::new(at, "times must be HH:MM")),
        }
    }
    parsed.sort_by_key(|(s, _, _)| *s);
    for pair in parsed.windows(2) {
        if pair[1].0 < pair[0].1 {
            errors.push(FieldError::new(pair[1].2.clone(), "overlaps another range of the same day"));
        }
    }
}

/// [`check_ranges`] for every day, with paths such as `weekly_schedule.monday[1]`.
pub fn check_weekly(path: &str, schedule: &WeeklySchedule, errors: &mut Vec<FieldError>) {
    for (day, ranges) in schedule {
        check_ranges(&format!("{path}.{}", day.as_str()), ranges, errors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: &str, end: &str) -> TimeRange {
        TimeRange { start: start.into(), end: end.into() }
    }

    #[test]
    fn ranges_must_be_ordered_and_disjoint() {
        let mut errors = Vec::new();
        check_ranges("h", &[r("09:00", "12:00"), r("12:00", "17:00")], &mut errors);
        assert!(errors.is_empty(), "touching ranges are fine");
        check_ranges(
            "h",
            &[r("09:00", "12:00"), r("11:00", "13:00"), r("15:00", "14:00"), r("9:00", "10:00")],
            &mut errors,
        );
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["h[2]", "h[3]", "h[1]"]);
    }
}
