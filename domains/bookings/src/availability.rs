//! Availability: pure slot computation (no I/O). The caller loads the calendars of a template's
//! candidate bookables and the bookings and active holds already on them; this module says which
//! starts can be booked ([`search`]) and re-checks one concrete choice at booking time ([`check`]).
//!
//! Rules, per bookable `b`:
//! 1. **Hours.** For each local date (in `b.tz`) the open ranges are that date's override if any
//!    (`Closed` = none), else the weekly ranges of its weekday. Local times become instants in
//!    `b.tz`: one in a DST gap becomes the first instant after the gap; an ambiguous one (DST fold)
//!    the earlier instant for a range start and the later for a range end. Slot starts step through
//!    each range by `slot_interval_minutes` of real time from the range start (0 means "the
//!    duration", at least one minute), keeping those whose service interval fits in the range.
//! 2. **Taken.** A booking's occupied interval on `b` is `[start - pre, end + post + rest)`, with
//!    `pre` = template pre + `b` pre buffer + setup and `post` = template post + `b` post buffer +
//!    teardown. Existing bookings get the *searched* template's buffers too (their own template's
//!    buffers are not known here). `b` is taken when, somewhere in the candidate's occupied
//!    interval, `b.capacity` existing occupied intervals overlap at once. Classes: existing
//!    bookings of the same class template with the same start and end are the session the new
//!    booking joins; they use no capacity, and seats left = max participants − their participants
//!    must cover the new booking's participants.
//! 3. **Blocked.** The occupied interval overlaps no blocked interval of `b`.
//! 4. **Closed.** The service interval fits in one open range (buffers may stick out).
//! 5. **Advance.** `now + min_advance_hours <= start <= now + max_advance_days`.
//! 6. **Daily limit.** Fewer than `max_daily_bookings` existing bookings start on the candidate's
//!    local date. Bookings of one template with the same start and end count once (a class
//!    session), and joining an existing session is not a new booking.
//! 7. **Requirements.** Starts are the union of the grids of the first requirement's candidates;
//!    a primary candidate is an option only at starts on its own grid, other requirements' ones at
//!    any start inside their hours. A slot is offered when `count` distinct bookables per
//!    requirement can be chosen among the options (a bookable serves one requirement at a time;
//!    checked as a bipartite matching, not greedily). A class slot's `seats_left` is, per
//!    requirement, the `count`-th best option's seats, and the least of those over requirements.
//!
//! Cost: per bookable, existing bookings, blocked times, open ranges and full days are sorted
//! once into step functions and prefix maxima, and instants become integer microseconds, so each
//! (start, bookable) test is a few binary searches (about 2.5 ms, release build, for 50 bookables ×
//! 30 days × 20 slots a day with 1,000 existing bookings).

use std::collections::{BTreeMap, HashMap, HashSet};

use atrium_core::schedule::Weekday;
use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::Serialize;
use uuid::Uuid;

pub type Instant = DateTime<Utc>;

/// Half-open `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: Instant,
    pub end: Instant,
}

/// One day's hours from a date override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DayHours {
    Closed,
    Hours(Vec<(NaiveTime, NaiveTime)>),
}

/// Everything about one bookable that availability needs.
#[derive(Clone, Debug)]
pub struct BookableCalendar {
    pub id: Uuid,
    pub tz: Tz,
    /// Local opening ranges per weekday (absent day = closed), start < end, no overlaps.
    pub weekly: BTreeMap<Weekday, Vec<(NaiveTime, NaiveTime)>>,
    /// Local date → hours replacing the weekly pattern that day.
    pub overrides: BTreeMap<NaiveDate, DayHours>,
    /// Blocked UTC intervals (time off, maintenance): nothing may overlap them.
    pub blocked: Vec<Interval>,
    /// Minutes between consecutive slot starts on this bookable's grid.
    pub slot_interval_minutes: u32,
    /// Calendar buffers, minutes before/after each booking.
    pub pre_buffer_minutes: u32,
    pub post_buffer_minutes: u32,
    /// Venue setup/teardown, minutes before/after each booking (0 for others).
    pub setup_minutes: u32,
    pub teardown_minutes: u32,
    /// Provider's minimum rest between two bookings, minutes (0 for others).
    pub rest_minutes: u32,
    /// Bookings that may overlap at one instant (1 for most; a venue's max simultaneous bookings).
    pub capacity: u32,
    /// At most this many bookings starting on one local date.
    pub max_daily_bookings: Option<u32>,
    pub min_advance_hours: u32,
    pub max_advance_days: u32,
}

/// A booking or active hold already on a bookable (its service interval, without buffers).
#[derive(Clone, Debug)]
pub struct Existing {
    pub bookable_id: Uuid,
    pub start: Instant,
    pub end: Instant,
    /// The service template booked, and how many participants it holds (for class sessions).
    pub template_id: Uuid,
    pub participants: u32,
    /// What it occupies, as stored when it was made (its own template's buffers, the
    /// bookable's buffers, setup/teardown and rest at the time). `None`: rebuilt from the
    /// searched template's buffers and the bookable's current ones.
    pub busy: Option<Interval>,
}

/// One requirement of the template: `count` distinct bookables among `candidates`.
#[derive(Clone, Debug)]
pub struct Requirement {
    pub count: u32,
    pub candidates: Vec<Uuid>,
}

#[derive(Clone, Debug)]
pub struct Search {
    /// The window: slots whose start lies in [from, to).
    pub from: Instant,
    pub to: Instant,
    pub now: Instant,
    pub duration_minutes: u32,
    /// The template's own buffers (added to each bookable's calendar buffers).
    pub template_pre_buffer_minutes: u32,
    pub template_post_buffer_minutes: u32,
    /// The first requirement is the primary one: slot starts come from ITS candidates' grids.
    pub requirements: Vec<Requirement>,
    /// For a class (group) template: the template id and its max participants.
    pub class: Option<ClassSpec>,
    /// Seats the new booking needs (1 for non-class).
    pub participants: u32,
}

#[derive(Clone, Copy, Debug)]
pub struct ClassSpec {
    pub template_id: Uuid,
    pub max_participants: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub start: Instant,
    pub end: Instant,
    /// Per requirement (same order as Search::requirements): the candidates free for this slot, ascending by id.
    pub options: Vec<Vec<Uuid>>,
    /// Classes only: seats left in the session at this start.
    pub seats_left: Option<u32>,
}

/// Why a specific slot cannot be booked (for the booking-time re-check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unavailable {
    OutsideWindow,
    Closed,
    Blocked,
    Taken,
    DailyLimit,
    SeatsFull,
    NotACandidate,
}

/// Bookable slots with a start in `[search.from, search.to)`, sorted by start.
pub fn search(search: &Search, calendars: &[BookableCalendar], existing: &[Existing]) -> Vec<Slot> {
    let (from, to) = (micros(search.from), micros(search.to));
    let candidates: Vec<Vec<Uuid>> = search.requirements.iter().map(|r| sorted_unique(&r.candidates)).collect();
    let prepared = prepare(search, calendars, existing, candidates.iter().flatten(), from, to);
    // Candidates resolved once; those without a calendar are never free.
    let columns: Vec<Vec<(Uuid, Option<&Prepared>)>> =
        candidates.iter().map(|ids| ids.iter().map(|id| (*id, prepared.get(id))).collect()).collect();
    let grids: Vec<Vec<Micros>> = match columns.first() {
        Some(primary) => primary.iter().map(|(_, b)| b.map_or_else(Vec::new, |b| b.grid(from, to))).collect(),
        None => return Vec::new(),
    };
    let mut starts: Vec<Micros> = grids.iter().flatten().copied().collect();
    starts.sort_unstable();
    starts.dedup();

    let counts: Vec<u32> = search.requirements.iter().map(|r| r.count).collect();
    let disjoint = pairwise_disjoint(&candidates);
    // Starts ascend, so each primary candidate's grid is walked once with a cursor.
    let mut cursors = vec![0usize; grids.len()];
    let mut slots = Vec::new();
    for start in starts {
        let mut options = Vec::with_capacity(columns.len());
        let mut seats = Vec::with_capacity(columns.len());
        for (index, column) in columns.iter().enumerate() {
            let mut free = Vec::new();
            let mut free_seats = Vec::new();
            for (position, (id, bookable)) in column.iter().enumerate() {
                let Some(bookable) = bookable else { continue };
                if index == 0 && !on_grid(&grids[position], &mut cursors[position], start) {
                    continue;
                }
                if let Ok(seat) = bookable.status(search, start) {
                    free.push(*id);
                    free_seats.push(seat);
                }
            }
            options.push(free);
            seats.push(free_seats);
        }
        if !assignable(&options, &counts, disjoint) {
            continue;
        }
        slots.push(Slot {
            start: instant(start),
            end: instant(start.saturating_add(minutes(search.duration_minutes))),
            options,
            seats_left: search.class.map(|class| session_seats(class, &seats, &counts)),
        });
    }
    slots
}

/// Re-checks one concrete choice at booking time: `start` and, per requirement, the chosen bookables
/// (exactly `count` each, distinct across requirements). Same rules as `search`, except that the start
/// need not lie on the primary bookable's grid (any start inside open hours is bookable by staff).
pub fn check(
    search: &Search,
    calendars: &[BookableCalendar],
    existing: &[Existing],
    start: Instant,
    chosen: &[Vec<Uuid>],
) -> Result<(), Unavailable> {
    if chosen.len() != search.requirements.len() {
        return Err(Unavailable::NotACandidate);
    }
    let mut seen = HashSet::new();
    for (requirement, picked) in search.requirements.iter().zip(chosen) {
        if usize::try_from(requirement.count).ok() != Some(picked.len()) {
            return Err(Unavailable::NotACandidate);
        }
        if picked.iter().any(|id| !requirement.candidates.contains(id) || !seen.insert(*id)) {
            return Err(Unavailable::NotACandidate);
        }
    }
    if start < search.from || start >= search.to {
        return Err(Unavailable::OutsideWindow);
    }
    let at = micros(start);
    let prepared = prepare(search, calendars, existing, chosen.iter().flatten(), at, at.saturating_add(1));
    for id in chosen.iter().flatten() {
        prepared.get(id).ok_or(Unavailable::NotACandidate)?.status(search, at)?;
    }
    Ok(())
}

/// Instants inside this module: microseconds since the Unix epoch, so that the inner loops compare
/// and add plain integers (inputs' sub-microsecond parts are dropped).
type Micros = i64;

const MINUTE: Micros = 60_000_000;

fn micros(at: Instant) -> Micros {
    at.timestamp_micros()
}

fn instant(at: Micros) -> Instant {
    DateTime::from_timestamp_micros(at).unwrap_or(if at < 0 { Instant::MIN_UTC } else { Instant::MAX_UTC })
}

fn minutes(n: u32) -> Micros {
    i64::from(n) * MINUTE
}

/// A half-open `[start, end)` in [`Micros`].
#[derive(Clone, Copy)]
struct Span {
    start: Micros,
    end: Micros,
}

/// One bookable, ready to answer "free at this start?" in a few binary searches.
struct Prepared<'a> {
    calendar: &'a BookableCalendar,
    duration: Micros,
    pre: Micros,
    /// Post buffers, teardown and rest.
    post: Micros,
    /// Advance limits on the start (rule 5).
    earliest: Micros,
    latest: Micros,
    /// Open ranges sorted by start; `open_reach[i]` is the latest end among `open[..=i]`.
    open: Vec<Span>,
    open_reach: Vec<Micros>,
    /// Non-empty blocked intervals sorted by start, with the same prefix maximum of ends.
    blocked: Vec<Span>,
    blocked_reach: Vec<Micros>,
    /// Step function of existing occupied intervals: `load[i].1` of them overlap from `load[i].0`
    /// until the next step.
    load: Vec<(Micros, u32)>,
    /// Sessions of the searched class template: (start, end) → (bookings, participants).
    sessions: HashMap<(Micros, Micros), (u32, u32)>,
    /// The local days, sorted, on which `max_daily_bookings` existing bookings already start (a
    /// session counts once).
    full_days: Vec<Span>,
}

/// Prepares the bookables `ids` that have a calendar, for starts in `[from, to)`.
fn prepare<'a, 'i>(
    search: &Search,
    calendars: &'a [BookableCalendar],
    existing: &[Existing],
    ids: impl Iterator<Item = &'i Uuid>,
    from: Micros,
    to: Micros,
) -> HashMap<Uuid, Prepared<'a>> {
    let wanted: HashSet<Uuid> = ids.copied().collect();
    let mut rows: HashMap<Uuid, Vec<&Existing>> = HashMap::new();
    for row in existing.iter().filter(|row| wanted.contains(&row.bookable_id)) {
        rows.entry(row.bookable_id).or_default().push(row);
    }
    calendars
        .iter()
        .filter(|calendar| wanted.contains(&calendar.id))
        .map(|calendar| {
            let rows = rows.get(&calendar.id).map_or(&[][..], Vec::as_slice);
            (calendar.id, Prepared::new(search, calendar, rows, from, to))
        })
        .collect()
}

impl<'a> Prepared<'a> {
    fn new(search: &Search, calendar: &'a BookableCalendar, rows: &[&Existing], from: Micros, to: Micros) -> Self {
        let c = calendar;
        let pre = [search.template_pre_buffer_minutes, c.pre_buffer_minutes, c.setup_minutes]
            .into_iter()
            .fold(0, |sum: Micros, n| sum.saturating_add(minutes(n)));
        let post = [search.template_post_buffer_minutes, c.post_buffer_minutes, c.teardown_minutes, c.rest_minutes]
            .into_iter()
            .fold(0, |sum: Micros, n| sum.saturating_add(minutes(n)));
        let now = micros(search.now);
        let earliest = now.saturating_add(minutes(c.min_advance_hours).saturating_mul(60));
        let latest = now.saturating_add(minutes(c.max_advance_days).saturating_mul(24 * 60));

        // Only the local dates where a start can fall: the window clipped to the advance limits.
        let (lo, hi) = (from.max(earliest), to.min(latest));
        let open = if lo <= hi {
            let local_date = |at: Micros| instant(at).with_timezone(&c.tz).date_naive();
            let first = local_date(lo).pred_opt().unwrap_or(NaiveDate::MIN);
            let last = local_date(hi).succ_opt().unwrap_or(NaiveDate::MAX);
            open_ranges(c, first, last)
        } else {
            Vec::new()
        };
        let open_reach = reach(&open);

        let mut blocked: Vec<Span> = c
            .blocked
            .iter()
            .map(|b| Span { start: micros(b.start), end: micros(b.end) })
            .filter(|b| b.start < b.end)
            .collect();
        blocked.sort_unstable_by_key(|b| b.start);
        let blocked_reach = reach(&blocked);

        let mut edges: Vec<(Micros, i64)> = Vec::with_capacity(rows.len() * 2);
        for row in rows {
            let (start, end) = match row.busy {
                Some(busy) => (micros(busy.start), micros(busy.end)),
                None => (micros(row.start).saturating_sub(pre), micros(row.end).saturating_add(post)),
            };
            if start < end {
                edges.push((start, 1));
                edges.push((end, -1));
            }
        }
        // At one instant ends come before starts: touching half-open intervals do not overlap.
        edges.sort_unstable();
        let mut load: Vec<(Micros, u32)> = Vec::with_capacity(edges.len());
        let mut level = 0i64;
        for (at, delta) in edges {
            level += delta;
            let count = u32::try_from(level).unwrap_or(0);
            match load.last_mut() {
                Some(last) if last.0 == at => last.1 = count,
                _ => load.push((at, count)),
            }
        }

        let mut sessions: HashMap<(Micros, Micros), (u32, u32)> = HashMap::new();
        if let Some(class) = search.class {
            for row in rows.iter().filter(|row| row.template_id == class.template_id) {
                let session = sessions.entry((micros(row.start), micros(row.end))).or_default();
                session.0 += 1;
                session.1 = session.1.saturating_add(row.participants);
            }
        }

        let mut full_days = Vec::new();
        if let Some(max) = c.max_daily_bookings {
            let distinct: HashSet<(Uuid, Instant, Instant)> =
                rows.iter().map(|row| (row.template_id, row.start, row.end)).collect();
            let mut daily: HashMap<NaiveDate, u32> = HashMap::new();
            for (_, start, _) in distinct {
                *daily.entry(start.with_timezone(&c.tz).date_naive()).or_default() += 1;
            }
            full_days = daily.into_iter().filter(|(_, n)| *n >= max).map(|(date, _)| local_day(c.tz, date)).collect();
            full_days.sort_unstable_by_key(|day| day.start);
        }

        Self {
            calendar,
            duration: minutes(search.duration_minutes),
            pre,
            post,
            earliest,
            latest,
            open,
            open_reach,
            blocked,
            blocked_reach,
            load,
            sessions,
            full_days,
        }
    }

    /// This bookable's slot starts in `[from, to)` within its advance limits, ascending (rule 1).
    fn grid(&self, from: Micros, to: Micros) -> Vec<Micros> {
        let step = match self.calendar.slot_interval_minutes {
            0 => self.duration,
            n => minutes(n),
        }
        .max(MINUTE);
        let lo = from.max(self.earliest);
        let mut starts = Vec::new();
        for range in &self.open {
            // The range's first grid start at or after `lo`.
            let behind = lo.saturating_sub(range.start);
            let skipped = if behind > 0 { (behind - 1) / step + 1 } else { 0 };
            let mut start = range.start.saturating_add(skipped.saturating_mul(step));
            while start < to
                && start <= self.latest
                && (self.is_stay() || start.saturating_add(self.duration) <= range.end)
            {
                starts.push(start);
                match start.checked_add(step) {
                    Some(next) => start = next,
                    None => break,
                }
            }
        }
        starts.sort_unstable();
        starts.dedup();
        starts
    }

    /// Whether a booking of `search` may start at `start` here (grid aside); for classes, the
    /// seats left in the session it would join or open.
    fn status(&self, search: &Search, start: Micros) -> Result<Option<u32>, Unavailable> {
        if start < self.earliest || start > self.latest {
            return Err(Unavailable::OutsideWindow);
        }
        let end = start.saturating_add(self.duration);
        if !self.fits(start, end) {
            return Err(Unavailable::Closed);
        }
        let occupied = Span { start: start.saturating_sub(self.pre), end: end.saturating_add(self.post) };
        if self.is_blocked(occupied) {
            return Err(Unavailable::Blocked);
        }
        let (joined, seated) = match search.class {
            Some(_) => self.sessions.get(&(start, end)).copied().unwrap_or((0, 0)),
            None => (0, 0),
        };
        // The session's own bookings cover exactly `occupied`, so they come off the peak uniformly.
        if self.peak_load(occupied).saturating_sub(joined) >= self.calendar.capacity {
            return Err(Unavailable::Taken);
        }
        if joined == 0 && self.on_full_day(start) {
            return Err(Unavailable::DailyLimit);
        }
        match search.class {
            Some(class) => {
                let seats = class.max_participants.saturating_sub(seated);
                if seats < search.participants { Err(Unavailable::SeatsFull) } else { Ok(Some(seats)) }
            }
            None => Ok(None),
        }
    }

    /// The service interval lies in one open range: some range starting by `start` reaches `end`.
    fn fits(&self, start: Micros, end: Micros) -> bool {
        let i = self.open.partition_point(|range| range.start <= start);
        if self.is_stay() {
            // A stay (a day or more: multi-day services) checks in during opening hours;
            // its nights are not opening hours.
            return i > 0 && self.open_reach[i - 1] > start;
        }
        i > 0 && self.open_reach[i - 1] >= end
    }

    fn is_stay(&self) -> bool {
        self.duration >= 24 * 60 * MINUTE
    }

    /// Some blocked interval starting before `occupied` ends reaches past its start.
    fn is_blocked(&self, occupied: Span) -> bool {
        let i = self.blocked.partition_point(|blocked| blocked.start < occupied.end);
        i > 0 && self.blocked_reach[i - 1] > occupied.start
    }

    fn on_full_day(&self, start: Micros) -> bool {
        let i = self.full_days.partition_point(|day| day.start <= start);
        i > 0 && self.full_days[i - 1].end > start
    }

    /// The most existing occupied intervals overlapping at one instant of `within`.
    fn peak_load(&self, within: Span) -> u32 {
        if within.start >= within.end {
            return 0;
        }
        let i = self.load.partition_point(|step| step.0 <= within.start);
        let mut peak = if i > 0 { self.load[i - 1].1 } else { 0 };
        for step in self.load[i..].iter().take_while(|step| step.0 < within.end) {
            peak = peak.max(step.1);
        }
        peak
    }
}

/// Whether `start` is on `grid`, moving `cursor` forward (starts are asked in ascending order).
fn on_grid(grid: &[Micros], cursor: &mut usize, start: Micros) -> bool {
    while grid.get(*cursor).is_some_and(|at| *at < start) {
        *cursor += 1;
    }
    grid.get(*cursor) == Some(&start)
}

/// Open ranges of the local dates `first..=last`, sorted by start.
fn open_ranges(calendar: &BookableCalendar, first: NaiveDate, last: NaiveDate) -> Vec<Span> {
    let mut open = Vec::new();
    for date in first.iter_days().take_while(|date| *date <= last) {
        let hours = match calendar.overrides.get(&date) {
            Some(DayHours::Closed) => &[][..],
            Some(DayHours::Hours(hours)) => hours.as_slice(),
            None => calendar.weekly.get(&Weekday::of(date.weekday())).map_or(&[][..], Vec::as_slice),
        };
        for &(start, end) in hours.iter().filter(|(start, end)| start < end) {
            let start = local_instant(calendar.tz, date.and_time(start), Fold::Earlier);
            let end = local_instant(calendar.tz, date.and_time(end), Fold::Later);
            if let (Some(start), Some(end)) = (start, end)
                && start < end
            {
                open.push(Span { start: micros(start), end: micros(end) });
            }
        }
    }
    open.sort_unstable_by_key(|range| range.start);
    open
}

/// A local date of `tz` as the instants from its first midnight to the next day's.
fn local_day(tz: Tz, date: NaiveDate) -> Span {
    let midnight = |date: NaiveDate| {
        let local = date.and_time(NaiveTime::MIN);
        micros(local_instant(tz, local, Fold::Earlier).unwrap_or_else(|| local.and_utc()))
    };
    Span { start: midnight(date), end: date.succ_opt().map_or(Micros::MAX, midnight) }
}

/// Which instant an ambiguous local time (DST fold) stands for.
#[derive(Clone, Copy)]
enum Fold {
    Earlier,
    Later,
}

/// A local wall-clock time in `tz` as an instant; in a DST gap, the first instant after the gap.
fn local_instant(tz: Tz, local: NaiveDateTime, fold: Fold) -> Option<Instant> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            Some(match fold {
                Fold::Earlier => a.min(b),
                Fold::Later => a.max(b),
            })
        }
        LocalResult::None => {
            // Clocks jump on whole minutes, so the first valid local minute after `local` is the
            // gap's end, and its instant is the transition itself. Gaps last at most a day.
            let mut probe = local.with_second(0)?.with_nanosecond(0)?;
            for _ in 0..2 * 24 * 60 {
                probe = probe.checked_add_signed(TimeDelta::minutes(1))?;
                if let Some(at) = tz.from_local_datetime(&probe).earliest() {
                    return Some(at.with_timezone(&Utc));
                }
            }
            None
        }
    }
}

/// `reach[i]` = the latest end among `spans[..=i]`.
fn reach(spans: &[Span]) -> Vec<Micros> {
    let mut latest = Micros::MIN;
    spans
        .iter()
        .map(|span| {
            latest = latest.max(span.end);
            latest
        })
        .collect()
}

/// Whether `count[r]` distinct bookables can be picked from each `options[r]` at once: a bipartite
/// matching of requirement seats to bookables (Kuhn's augmenting paths; the sizes are tiny).
fn assignable(options: &[Vec<Uuid>], counts: &[u32], disjoint: bool) -> bool {
    let enough = |(free, count): (&Vec<Uuid>, &u32)| usize::try_from(*count).is_ok_and(|count| free.len() >= count);
    if !options.iter().zip(counts).all(enough) {
        return false;
    }
    if disjoint {
        return true;
    }
    // Each count is at most its list's length here, so this stays small.
    let seats: Vec<usize> =
        counts.iter().enumerate().flat_map(|(r, count)| std::iter::repeat_n(r, *count as usize)).collect();
    let mut holder: HashMap<Uuid, usize> = HashMap::new();
    (0..seats.len()).all(|seat| augment(seat, &seats, options, &mut holder, &mut HashSet::new()))
}

fn augment(
    seat: usize,
    seats: &[usize],
    options: &[Vec<Uuid>],
    holder: &mut HashMap<Uuid, usize>,
    visited: &mut HashSet<Uuid>,
) -> bool {
    for id in &options[seats[seat]] {
        if !visited.insert(*id) {
            continue;
        }
        let free = match holder.get(id).copied() {
            None => true,
            Some(other) => augment(other, seats, options, holder, visited),
        };
        if free {
            holder.insert(*id, seat);
            return true;
        }
    }
    false
}

/// Seats a class slot offers: per requirement the `count`-th best option's seats, and the least of
/// those (the bookables of one booking share one session).
fn session_seats(class: ClassSpec, seats: &[Vec<Option<u32>>], counts: &[u32]) -> u32 {
    let mut least = class.max_participants;
    for (free, count) in seats.iter().zip(counts) {
        let mut free: Vec<u32> = free.iter().map(|seat| seat.unwrap_or(class.max_participants)).collect();
        free.sort_unstable_by(|a, b| b.cmp(a));
        if let Some(nth) = (*count as usize).checked_sub(1).and_then(|i| free.get(i)) {
            least = least.min(*nth);
        }
    }
    least
}

fn pairwise_disjoint(lists: &[Vec<Uuid>]) -> bool {
    let mut seen = HashSet::new();
    lists.iter().flatten().all(|id| seen.insert(*id))
}

fn sorted_unique(ids: &[Uuid]) -> Vec<Uuid> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
#[path = "availability_tests.rs"]
mod tests;
