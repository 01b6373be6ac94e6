//! Recurring rules' occurrences, worked out without the database: a pattern (daily, weekly
//! or monthly, every `interval`), bounded by an end date and/or a count, with exceptions
//! (skip, reschedule), expanded into local dates, and each date's local start time read in
//! the rule's zone — so 09:00 stays 09:00 local across a DST change.

use chrono::{DateTime, Datelike, Days, Duration, LocalResult, Months, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// A rule has at most this many occurrences.
pub const MAX_OCCURRENCES: usize = 366;

/// Periods (days, weeks or months) looked at before giving up: a monthly rule on the 30th
/// every 12 months from February never lands, and must still end.
const MAX_PERIODS: u32 = 4 * 366;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    pub frequency: Frequency,
    /// Every `interval` days, weeks or months (at least 1).
    pub interval: u32,
    /// Weekly: the days; none means the start date's weekday.
    pub days_of_week: Vec<chrono::Weekday>,
    /// Monthly: the day (the start date's when absent); months without it are skipped.
    pub day_of_month: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionAction {
    Skip,
    Reschedule(NaiveDate),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception {
    /// One of the pattern's dates.
    pub date: NaiveDate,
    pub action: ExceptionAction,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub pattern: Pattern,
    pub start_date: NaiveDate,
    /// The last date the pattern may fall on (inclusive).
    pub end_date: Option<NaiveDate>,
    /// How many of the pattern's dates, skipped and rescheduled ones included.
    pub max_occurrences: Option<u32>,
    /// Local start time, read in `tz`.
    pub start_time: NaiveTime,
    pub tz: Tz,
    pub exceptions: Vec<Exception>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Regular,
    Rescheduled,
    Skipped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The date the pattern gives.
    pub pattern_date: NaiveDate,
    /// The date it takes place on: the pattern's, or the exception's new date.
    pub date: NaiveDate,
    /// `start_time` on `date`, in the rule's zone.
    pub start: DateTime<Utc>,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpandError {
    /// Neither an end date nor a count.
    Unbounded,
    /// More than [`MAX_OCCURRENCES`].
    TooMany,
    /// The pattern never lands between its start and its end.
    Empty,
    /// The exception at this index names a date the pattern does not give.
    NotAnOccurrence(usize),
    /// An occurrence falls where the calendar cannot represent its instant.
    OutOfRange,
}

/// The pattern's dates, in order, before exceptions.
pub fn dates(rule: &Rule) -> Result<Vec<NaiveDate>, ExpandError> {
    if rule.end_date.is_none() && rule.max_occurrences.is_none() {
        return Err(ExpandError::Unbounded);
    }
    let cap = rule.max_occurrences.map_or(MAX_OCCURRENCES + 1, |n| (n as usize).min(MAX_OCCURRENCES + 1));
    let interval = rule.pattern.interval.max(1);
    let start = rule.start_date;
    let mut out = Vec::new();
    // Every candidate of one period, ascending; `None` once the calendar runs out.
    let period = |n: u32| -> Option<Vec<NaiveDate>> {
        let step = n.checked_mul(interval)?;
        match rule.pattern.frequency {
            Frequency::Daily => Some(vec![start.checked_add_days(Days::new(u64::from(step)))?]),
            Frequency::Weekly => {
                let monday = start - Duration::days(i64::from(start.weekday().num_days_from_monday()));
                let week = monday.checked_add_days(Days::new(u64::from(step) * 7))?;
                let mut days: Vec<u32> = if rule.pattern.days_of_week.is_empty() {
                    vec![start.weekday().num_days_from_monday()]
                } else {
                    rule.pattern.days_of_week.iter().map(|d| d.num_days_from_monday()).collect()
                };
                days.sort_unstable();
                days.dedup();
                Some(days.into_iter().filter_map(|d| week.checked_add_days(Days::new(u64::from(d)))).collect())
            }
            Frequency::Monthly => {
                let first = start.with_day(1)?.checked_add_months(Months::new(step))?;
                let day = rule.pattern.day_of_month.unwrap_or(start.day());
                Some(NaiveDate::from_ymd_opt(first.year(), first.month(), day).into_iter().collect())
            }
        }
    };
    'periods: for n in 0..MAX_PERIODS {
        let Some(candidates) = period(n) else { break };
        for date in candidates {
            if date < start {
                continue;
            }
            if rule.end_date.is_some_and(|end| date > end) {
                break 'periods;
            }
            out.push(date);
            if out.len() >= cap {
                break 'periods;
            }
        }
    }
    if out.len() > MAX_OCCURRENCES {
        return Err(ExpandError::TooMany);
    }
    if out.is_empty() {
        return Err(ExpandError::Empty);
    }
    Ok(out)
}

/// Every occurrence of the rule, in the pattern's order, with its exceptions applied.
pub fn expand(rule: &Rule) -> Result<Vec<Occurrence>, ExpandError> {
    let dates = dates(rule)?;
    if let Some(i) = rule.exceptions.iter().position(|e| dates.binary_search(&e.date).is_err()) {
        return Err(ExpandError::NotAnOccurrence(i));
    }
    let exceptions: std::collections::HashMap<NaiveDate, ExceptionAction> =
        rule.exceptions.iter().map(|e| (e.date, e.action)).collect();
    dates
        .into_iter()
        .map(|pattern_date| {
            let (date, kind) = match exceptions.get(&pattern_date) {
                None => (pattern_date, Kind::Regular),
                Some(ExceptionAction::Skip) => (pattern_date, Kind::Skipped),
                Some(ExceptionAction::Reschedule(to)) => (*to, Kind::Rescheduled),
            };
            let start = local_instant(rule.tz, date, rule.start_time).ok_or(ExpandError::OutOfRange)?;
            Ok(Occurrence { pattern_date, date, start, kind })
        })
        .collect()
}

/// `time` on `date` in `tz` as an instant. An ambiguous time (the hour repeated when clocks
/// go back) is its first instance; a time that does not exist (skipped when clocks go
/// forward) is read with the offset in force before the change, so 02:30 becomes 03:30 —
/// as iCalendar (RFC 5545) does.
/// `None` only at the ends of the calendar, where the instant cannot be represented.
pub fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
        LocalResult::None => {
            let day_before = local.checked_sub_signed(Duration::days(1))?;
            let before = tz.offset_from_utc_datetime(&day_before).fix();
            Some(local.checked_sub_signed(Duration::seconds(i64::from(before.local_minus_utc())))?.and_utc())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Weekday::*;

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn rule(frequency: Frequency, interval: u32, start: &str) -> Rule {
        Rule {
            pattern: Pattern { frequency, interval, days_of_week: Vec::new(), day_of_month: None },
            start_date: d(start),
            end_date: None,
            max_occurrences: None,
            start_time: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            tz: chrono_tz::UTC,
            exceptions: Vec::new(),
        }
    }

    fn shown(occurrences: &[Occurrence]) -> Vec<String> {
        occurrences
            .iter()
            .map(|o| {
                let kind = match o.kind {
                    Kind::Regular => String::new(),
                    Kind::Skipped => " skipped".to_owned(),
                    Kind::Rescheduled => format!(" (from {})", o.pattern_date),
                };
                format!("{}{kind}", o.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            })
            .collect()
    }

    #[test]
    fn patterns_expand_to_the_expected_occurrences() {
        let daily_every_2 = Rule { max_occurrences: Some(4), ..rule(Frequency::Daily, 2, "2026-01-30") };
        let mut mon_wed_fri = Rule { end_date: Some(d("2026-01-16")), ..rule(Frequency::Weekly, 1, "2026-01-07") };
        mon_wed_fri.pattern.days_of_week = vec![Fri, Mon, Wed, Mon];
        let mut fortnightly_tue = Rule { max_occurrences: Some(3), ..rule(Frequency::Weekly, 2, "2026-01-08") };
        fortnightly_tue.pattern.days_of_week = vec![Tue];
        let mut monthly_31st = Rule { max_occurrences: Some(4), ..rule(Frequency::Monthly, 1, "2026-01-15") };
        monthly_31st.pattern.day_of_month = Some(31);
        let quarterly = Rule { end_date: Some(d("2026-12-31")), ..rule(Frequency::Monthly, 3, "2026-02-28") };
        let end_first = Rule {
            end_date: Some(d("2026-01-03")),
            max_occurrences: Some(10),
            ..rule(Frequency::Daily, 1, "2026-01-01")
        };
        let count_first = Rule {
            end_date: Some(d("2026-12-31")),
            max_occurrences: Some(2),
            ..rule(Frequency::Daily, 1, "2026-01-01")
        };
        let exceptions = Rule {
            max_occurrences: Some(4),
            exceptions: vec![
                Exception { date: d("2026-01-13"), action: ExceptionAction::Skip },
                Exception { date: d("2026-01-20"), action: ExceptionAction::Reschedule(d("2026-01-22")) },
            ],
            ..rule(Frequency::Weekly, 1, "2026-01-06")
        };
        let cases: [(&str, Rule, &[&str]); 8] = [
            (
                "daily, every 2 days, across a month",
                daily_every_2,
                &["2026-01-30T09:00:00Z", "2026-02-01T09:00:00Z", "2026-02-03T09:00:00Z", "2026-02-05T09:00:00Z"],
            ),
            (
                "weekly on Mon/Wed/Fri from a Wednesday to an end date",
                mon_wed_fri,
                &[
                    "2026-01-07T09:00:00Z",
                    "2026-01-09T09:00:00Z",
                    "2026-01-12T09:00:00Z",
                    "2026-01-14T09:00:00Z",
                    "2026-01-16T09:00:00Z",
                ],
            ),
            (
                "every other Tuesday, weeks counted from the start date's week",
                fortnightly_tue,
                &["2026-01-20T09:00:00Z", "2026-02-03T09:00:00Z", "2026-02-17T09:00:00Z"],
            ),
            (
                "monthly on the 31st skips short months",
                monthly_31st,
                &["2026-01-31T09:00:00Z", "2026-03-31T09:00:00Z", "2026-05-31T09:00:00Z", "2026-07-31T09:00:00Z"],
            ),
            (
                "every 3 months on the start date's day",
                quarterly,
                &["2026-02-28T09:00:00Z", "2026-05-28T09:00:00Z", "2026-08-28T09:00:00Z", "2026-11-28T09:00:00Z"],
            ),
            (
                "the end date before the count",
                end_first,
                &["2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z"],
            ),
            ("the count before the end date", count_first, &["2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z"]),
            (
                "skip and reschedule exceptions (both still count)",
                exceptions,
                &[
                    "2026-01-06T09:00:00Z",
                    "2026-01-13T09:00:00Z skipped",
                    "2026-01-22T09:00:00Z (from 2026-01-20)",
                    "2026-01-27T09:00:00Z",
                ],
            ),
        ];
        for (name, rule, expected) in cases {
            assert_eq!(shown(&expand(&rule).unwrap()), expected, "{name}");
        }
    }

    #[test]
    fn nine_local_stays_nine_local_across_dst() {
        let mut r = Rule {
            max_occurrences: Some(3),
            tz: chrono_tz::America::New_York,
            ..rule(Frequency::Weekly, 1, "2026-03-01")
        };
        r.pattern.days_of_week = vec![Sun];
        // Clocks go forward on Sunday 8 March 2026 (EST −5 → EDT −4), and back on 1 November.
        assert_eq!(
            shown(&expand(&r).unwrap()),
            ["2026-03-01T14:00:00Z", "2026-03-08T13:00:00Z", "2026-03-15T13:00:00Z"]
        );
        let r = Rule { start_date: d("2026-10-25"), ..r };
        assert_eq!(
            shown(&expand(&r).unwrap()),
            ["2026-10-25T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-08T14:00:00Z"]
        );
        let ny = chrono_tz::America::New_York;
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        // 02:30 does not exist on 8 March: read before the change, it is 03:30 EDT.
        assert_eq!(local_instant(ny, d("2026-03-08"), t(2, 30)).unwrap().to_rfc3339(), "2026-03-08T07:30:00+00:00");
        // 01:30 happens twice on 1 November: the first (EDT).
        assert_eq!(local_instant(ny, d("2026-11-01"), t(1, 30)).unwrap().to_rfc3339(), "2026-11-01T05:30:00+00:00");
    }

    #[test]
    fn bad_rules_say_why() {
        let daily = rule(Frequency::Daily, 1, "2026-01-01");
        assert_eq!(expand(&daily), Err(ExpandError::Unbounded));
        let too_long = Rule { end_date: Some(d("2027-12-31")), ..daily.clone() };
        assert_eq!(expand(&too_long), Err(ExpandError::TooMany));
        let most = Rule { max_occurrences: Some(366), ..daily.clone() };
        assert_eq!(expand(&most).unwrap().len(), 366);
        // The 30th of February, every year: never, and the search still ends.
        let mut never = Rule { max_occurrences: Some(1), ..rule(Frequency::Monthly, 12, "2026-02-01") };
        never.pattern.day_of_month = Some(30);
        assert_eq!(expand(&never), Err(ExpandError::Empty));
        let stray = Rule {
            max_occurrences: Some(3),
            exceptions: vec![
                Exception { date: d("2026-01-02"), action: ExceptionAction::Skip },
                Exception { date: d("2026-01-05"), action: ExceptionAction::Skip },
            ],
            ..daily
        };
        assert_eq!(expand(&stray), Err(ExpandError::NotAnOccurrence(1)));
    }

    /// Security #9: any date chrono can hold, in any zone, at any minute: an instant or
    /// `None`, never a panic (before, the DST-gap branch overflowed near the ends).
    #[test]
    fn security_9_occurrence_instants_never_panic_for_any_date_and_zone() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (min, max) = (NaiveDate::MIN.num_days_from_ce(), NaiveDate::MAX.num_days_from_ce());
        let span = (i64::from(max) - i64::from(min)) as u64;
        let zones = chrono_tz::TZ_VARIANTS;
        for i in 0..50_000u64 {
            let day = match i % 4 {
                0 => min + (next() % 800) as i32,
                1 => max - (next() % 800) as i32,
                _ => min + (next() % span) as i32,
            };
            let date = NaiveDate::from_num_days_from_ce_opt(day).unwrap();
            let time = NaiveTime::from_hms_opt((next() % 24) as u32, (next() % 60) as u32, 0).unwrap();
            let tz = zones[(next() % zones.len() as u64) as usize];
            let _ = local_instant(tz, date, time);
        }
        for tz in [chrono_tz::America::New_York, chrono_tz::Pacific::Pago_Pago, chrono_tz::Pacific::Kiritimati] {
            let _ = local_instant(tz, NaiveDate::MAX, NaiveTime::from_hms_opt(23, 59, 0).unwrap());
            let _ = local_instant(tz, NaiveDate::MIN, NaiveTime::MIN);
        }
    }
}
