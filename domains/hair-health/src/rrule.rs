//! A small, tested subset of RFC 5545 RRULE, expanded from the event's start over a horizon:
//! `FREQ=DAILY|WEEKLY|MONTHLY`, `INTERVAL`, `COUNT`, `UNTIL` (UTC, `YYYYMMDDTHHMMSSZ` or
//! `YYYYMMDD`), `BYDAY` (weekly only, plain weekday codes) and `BYMONTHDAY` (monthly only,
//! 1–31; months without that day are skipped as RFC 5545 says). Anything else is refused
//! with the part named, so a rule is never silently misread. Times of day and durations
//! come from the event (`DTSTART`); expansion is in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};

/// The most occurrences one expansion returns.
pub const MAX_OCCURRENCES: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RRule {
    pub freq: Freq,
    pub interval: u32,
    pub count: Option<u32>,
    pub until: Option<DateTime<Utc>>,
    pub by_day: Vec<Weekday>,
    pub by_month_day: Vec<u32>,
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

fn until(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(value, "%Y%m%d").ok().and_then(|d| d.and_hms_opt(23, 59, 59)).map(|t| t.and_utc())
}

impl RRule {
    /// Parses `FREQ=…;…` (an optional `RRULE:` prefix is accepted).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let text = text.strip_prefix("RRULE:").unwrap_or(text);
        let (mut freq, mut interval, mut count, mut until_at) = (None, 1, None, None);
        let (mut by_day, mut by_month_day) = (Vec::new(), Vec::new());
        let mut seen = std::collections::HashSet::new();
        for part in text.split(';').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| format!("`{part}` is not NAME=VALUE"))?;
            if !seen.insert(key.to_owned()) {
                return Err(format!("{key} is given twice"));
            }
            match key {
                "FREQ" => {
                    freq = Some(match value {
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        _ => return Err(format!("FREQ={value} is not supported (DAILY, WEEKLY or MONTHLY)")),
                    })
                }
                "INTERVAL" => {
                    interval = value.parse().ok().filter(|i| (1..=366).contains(i)).ok_or("INTERVAL must be 1–366")?
                }
                "COUNT" => {
                    count = Some(value.parse().ok().filter(|c| (1..=1000).contains(c)).ok_or("COUNT must be 1–1000")?)
                }
                "UNTIL" => until_at = Some(until(value).ok_or("UNTIL must be YYYYMMDDTHHMMSSZ or YYYYMMDD")?),
                "BYDAY" => {
                    for d in value.split(',') {
                        by_day.push(weekday(d).ok_or_else(|| format!("BYDAY `{d}` is not MO–SU"))?);
                    }
                }
                "BYMONTHDAY" => {
                    for d in value.split(',') {
                        by_month_day
                            .push(d.parse().ok().filter(|d| (1..=31).contains(d)).ok_or("BYMONTHDAY must be 1–31")?);
                    }
                }
                _ => return Err(format!("{key} is not supported")),
            }
        }
        let freq = freq.ok_or("FREQ is required")?;
        if count.is_some() && until_at.is_some() {
            return Err("COUNT and UNTIL cannot both be given".into());
        }
        if !by_day.is_empty() && freq != Freq::Weekly {
            return Err("BYDAY is supported with FREQ=WEEKLY only".into());
        }
        if !by_month_day.is_empty() && freq != Freq::Monthly {
            return Err("BYMONTHDAY is supported with FREQ=MONTHLY only".into());
        }
        by_day.sort_by_key(|d| d.num_days_from_monday());
        by_day.dedup();
        by_month_day.sort_unstable();
        by_month_day.dedup();
        Ok(Self { freq, interval, count, until: until_at, by_day, by_month_day })
    }

    /// The starts of the occurrences in `[from, to)`, from `dtstart` (itself the first
    /// occurrence when it matches the rule), at most [`MAX_OCCURRENCES`].
    pub fn expand(&self, dtstart: DateTime<Utc>, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut produced = 0u32;
        let time = dtstart.time();
        let step = i64::from(self.interval);
        let mut emit = |t: DateTime<Utc>, out: &mut Vec<DateTime<Utc>>| -> bool {
            if t < dtstart {
                return true;
            }
            if self.until.is_some_and(|u| t > u) || t >= to {
                return false;
            }
            produced += 1;
            if self.count.is_some_and(|c| produced > c) {
                return false;
            }
            if t >= from {
                out.push(t);
            }
            out.len() < MAX_OCCURRENCES
        };
        match self.freq {
            Freq::Daily => {
                let mut t = dtstart;
                while emit(t, &mut out) {
                    t += Duration::days(step);
                }
            }
            Freq::Weekly => {
                let days = if self.by_day.is_empty() { vec![dtstart.weekday()] } else { self.by_day.clone() };
                let monday = dtstart.date_naive() - Duration::days(i64::from(dtstart.weekday().num_days_from_monday()));
                let mut week = 0i64;
                'weeks: loop {
                    let base = monday + Duration::weeks(week * step);
                    for d in &days {
                        let date = base + Duration::days(i64::from(d.num_days_from_monday()));
                        if !emit(date.and_time(time).and_utc(), &mut out) {
                            break 'weeks;
                        }
                    }
                    week += 1;
                }
            }
            Freq::Monthly => {
                let days = if self.by_month_day.is_empty() { vec![dtstart.day()] } else { self.by_month_day.clone() };
                let (mut year, mut month) = (dtstart.year(), dtstart.month());
                // Bounded: 12 * 100 years of months at most.
                for _ in 0..1200 {
                    for d in &days {
                        if let Some(date) = NaiveDate::from_ymd_opt(year, month, *d)
                            && !emit(date.and_time(time).and_utc(), &mut out)
                        {
                            return out;
                        }
                    }
                    let next = month - 1 + self.interval;
                    year += (next / 12) as i32;
                    month = next % 12 + 1;
                    let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else { break };
                    if first.and_time(chrono::NaiveTime::MIN).and_utc() >= to {
                        break;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn daily_with_count_stops_after_count() {
        let r = RRule::parse("FREQ=DAILY;COUNT=3").unwrap();
        let got = r.expand(at("2026-01-01T09:00:00Z"), at("2025-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"));
        assert_eq!(got, vec![at("2026-01-01T09:00:00Z"), at("2026-01-02T09:00:00Z"), at("2026-01-03T09:00:00Z")]);
    }

    #[test]
    fn weekly_by_day_with_interval_and_until() {
        // 2026-01-05 is a Monday.
        let r = RRule::parse("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20260131T000000Z").unwrap();
        let got = r.expand(at("2026-01-05T18:00:00Z"), at("2026-01-01T00:00:00Z"), at("2026-12-31T00:00:00Z"));
        assert_eq!(
            got,
            vec![
                at("2026-01-05T18:00:00Z"),
                at("2026-01-08T18:00:00Z"),
                at("2026-01-19T18:00:00Z"),
                at("2026-01-22T18:00:00Z"),
            ]
        );
    }

    #[test]
    fn weekly_days_before_dtstart_in_its_week_are_not_occurrences() {
        // Starts on a Wednesday; Monday of that week is before it.
        let r = RRule::parse("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3").unwrap();
        let got = r.expand(at("2026-01-07T08:00:00Z"), at("2026-01-01T00:00:00Z"), at("2026-03-01T00:00:00Z"));
        assert_eq!(got, vec![at("2026-01-07T08:00:00Z"), at("2026-01-12T08:00:00Z"), at("2026-01-14T08:00:00Z")]);
    }

    #[test]
    fn monthly_skips_months_without_the_day() {
        let r = RRule::parse("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3").unwrap();
        let got = r.expand(at("2026-01-31T10:00:00Z"), at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"));
        assert_eq!(got, vec![at("2026-01-31T10:00:00Z"), at("2026-03-31T10:00:00Z"), at("2026-05-31T10:00:00Z")]);
    }

    #[test]
    fn the_horizon_cuts_an_endless_rule_and_count_counts_from_dtstart() {
        let r = RRule::parse("FREQ=DAILY").unwrap();
        let got = r.expand(at("2026-01-01T00:00:00Z"), at("2026-01-10T00:00:00Z"), at("2026-01-12T00:00:00Z"));
        assert_eq!(got, vec![at("2026-01-10T00:00:00Z"), at("2026-01-11T00:00:00Z")]);
        let r = RRule::parse("FREQ=DAILY;COUNT=5").unwrap();
        let got = r.expand(at("2026-01-01T00:00:00Z"), at("2026-01-04T00:00:00Z"), at("2026-02-01T00:00:00Z"));
        assert_eq!(got, vec![at("2026-01-04T00:00:00Z"), at("2026-01-05T00:00:00Z")]);
        let r = RRule::parse("FREQ=DAILY").unwrap();
        let got = r.expand(at("2026-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"), at("2036-01-01T00:00:00Z"));
        assert_eq!(got.len(), MAX_OCCURRENCES);
    }

    #[test]
    fn unsupported_or_malformed_parts_are_refused() {
        for bad in [
            "FREQ=YEARLY",
            "INTERVAL=2",
            "FREQ=DAILY;BYDAY=MO",
            "FREQ=WEEKLY;BYDAY=1MO",
            "FREQ=DAILY;COUNT=0",
            "FREQ=DAILY;COUNT=2;UNTIL=20260101",
            "FREQ=DAILY;FREQ=WEEKLY",
            "FREQ=DAILY;BYSETPOS=1",
            "FREQ=MONTHLY;BYMONTHDAY=32",
            "garbage",
        ] {
            assert!(RRule::parse(bad).is_err(), "{bad}");
        }
    }
}
