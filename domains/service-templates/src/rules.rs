//! The rules of a service template that need no database, all in
//! [`ServiceTemplateState::check`]: every broken rule is one [`FieldError`] with its JSON
//! path, so one 422 lists them all. References (location, specific bookables) are checked
//! by [`crate::service`].

use std::collections::HashSet;
use std::ops::RangeInclusive;

use atrium_bookables::model::{is_tag, slugify};
use atrium_core::error::FieldError;
use atrium_core::validate::{CurrencyCode, Name, Slug, Timezone};
use rust_decimal::Decimal;

use crate::model::{
    BookableRequirement, CancellationPolicy, CapacityType, DepositPolicy, ReservationSettings, ServiceDuration,
    ServiceTemplateState, ServiceTemplateType, TemplateCapacity, TemplatePricing,
};

/// The largest price or amount a template takes (keeps every quote far from overflow).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
const MAX_MULTIPLIER: Decimal = Decimal::from_parts(100, 0, 0, false, 0);
const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    fn range<T: PartialOrd + std::fmt::Display>(&mut self, field: impl Into<String>, value: T, r: RangeInclusive<T>) {
        if !r.contains(&value) {
            self.push(field, format!("must be between {} and {}", r.start(), r.end()));
        }
    }

    fn at_most(&mut self, field: &str, len: usize, max: usize) {
        if len > max {
            self.push(field, format!("at most {max} entries"));
        }
    }

    fn text(&mut self, field: &str, value: Option<&String>, max: usize) {
        let bad = |v: &String| {
            v.trim().is_empty()
                || v.chars().count() > max
                || v.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        };
        if value.is_some_and(bad) {
            self.push(field, format!("must be 1–{max} characters"));
        }
    }

    fn tags(&mut self, field: &str, tags: &[String]) {
        if tags.len() > 20 {
            self.push(field, "at most 20 tags");
        }
        for (i, tag) in tags.iter().enumerate() {
            if !is_tag(tag) {
                self.push(format!("{field}[{i}]"), "must be 1–40 characters of a-z, 0-9, '-' and '_'");
            }
        }
    }

    /// A price: 0 or more, at most [`MAX_AMOUNT`], no finer than the currency's minor unit.
    fn money(&mut self, field: &str, value: Decimal, currency: Option<&CurrencyCode>) {
        if value.is_sign_negative() && !value.is_zero() {
            self.push(field, "must be 0 or more");
        } else if value > MAX_AMOUNT {
            self.push(field, format!("must be at most {MAX_AMOUNT}"));
        } else if let Some(c) = currency
            && value.normalize().scale() > c.minor_units()
        {
            self.push(field, format!("has more decimals than {c} allows ({})", c.minor_units()));
        }
    }

    /// A percentage 0–100, up to 4 decimals.
    fn percent(&mut self, field: String, value: Decimal) {
        if value < Decimal::ZERO || value > HUNDRED {
            self.push(field, "must be between 0 and 100");
        } else if value.normalize().scale() > 4 {
            self.push(field, "at most 4 decimals");
        }
    }

    /// A multiplier: more than 0, at most 100, up to 4 decimals.
    fn multiplier(&mut self, field: String, value: Decimal) {
        if value <= Decimal::ZERO {
            self.push(field, "must be more than 0");
        } else if value > MAX_MULTIPLIER {
            self.push(field, "must be at most 100");
        } else if value.normalize().scale() > 4 {
            self.push(field, "at most 4 decimals");
        }
    }
}

impl ServiceTemplateState {
    /// The slug the template is stored under: the given one, or one made from the name.
    pub fn effective_slug(&self) -> String {
        self.slug.clone().unwrap_or_else(|| slugify(&self.name))
    }

    /// Every rule that needs no database.
    pub fn check(&self) -> Vec<FieldError> {
        let mut e = Errors(Vec::new());
        if let Err(m) = Name::parse(&self.name) {
            e.push("name", m);
        }
        if let Some(slug) = &self.slug
            && let Err(m) = Slug::parse(slug)
        {
            e.push("slug", m);
        }
        e.text("description", self.description.as_ref(), 5000);
        e.tags("tags", &self.tags);
        match (self.template_type, self.duration.is_multi_day()) {
            (ServiceTemplateType::MultiDay, false) => {
                e.push("duration.type", "a multi_day template needs a multi_day duration")
            }
            (ServiceTemplateType::MultiDay, true) | (_, false) => {}
            (_, true) => e.push("duration.type", "only multi_day templates last a number of nights"),
        }
        if self.template_type == ServiceTemplateType::Class && self.capacity.capacity_type != CapacityType::Group {
            e.push("capacity.type", "a class needs group capacity");
        }
        check_duration(&self.duration, &mut e);
        let mut specific = HashSet::new();
        for (field, list) in
            [("required_bookables", &self.required_bookables), ("optional_bookables", &self.optional_bookables)]
        {
            e.at_most(field, list.len(), 10);
            for (i, r) in list.iter().enumerate() {
                check_requirement(&format!("{field}[{i}]"), r, &mut specific, &mut e);
            }
        }
        check_capacity(&self.capacity, &mut e);
        let currency = CurrencyCode::parse(&self.pricing.currency).ok();
        check_pricing(&self.pricing, currency.as_ref(), self.template_type, &mut e);
        check_cancellation(&self.cancellation, &mut e);
        if let Some(d) = &self.deposit {
            check_deposit(d, currency.as_ref(), &mut e);
        }
        e.at_most("included_products", self.included_products.len(), 50);
        for (i, p) in self.included_products.iter().enumerate() {
            e.range(format!("included_products[{i}].quantity"), p.quantity, 1..=100);
        }
        check_reservation(&self.reservation, self.deposit.as_ref(), &mut e);
        e.0
    }
}

fn check_duration(d: &ServiceDuration, e: &mut Errors) {
    match *d {
        ServiceDuration::Fixed { fixed_minutes, .. } => e.range("duration.fixed_minutes", fixed_minutes, 5..=1440),
        ServiceDuration::Variable { min_minutes, max_minutes, interval_minutes, .. } => {
            e.range("duration.min_minutes", min_minutes, 1..=1440);
            e.range("duration.max_minutes", max_minutes, 1..=1440);
            e.range("duration.interval_minutes", interval_minutes, 5..=1440);
            if max_minutes < min_minutes {
                e.push("duration.max_minutes", "must not be less than min_minutes");
            } else if interval_minutes >= 5 && (max_minutes - min_minutes) % interval_minutes != 0 {
                e.push("duration.interval_minutes", "must divide max_minutes − min_minutes");
            }
        }
        ServiceDuration::MultiDay { min_nights, max_nights, .. } => {
            e.range("duration.min_nights", min_nights, 1..=365);
            e.range("duration.max_nights", max_nights, 1..=365);
            if max_nights < min_nights {
                e.push("duration.max_nights", "must not be less than min_nights");
            }
        }
    }
    let (pre, post) = d.buffers();
    e.range("duration.pre_buffer_minutes", pre, 0..=240);
    e.range("duration.post_buffer_minutes", post, 0..=240);
}

fn check_requirement(at: &str, r: &BookableRequirement, specific: &mut HashSet<uuid::Uuid>, e: &mut Errors) {
    e.range(format!("{at}.count"), r.count, 1..=20);
    if let Some(id) = r.specific_bookable_id {
        if r.criteria.is_some() {
            e.push(format!("{at}.criteria"), "give either specific_bookable_id or criteria, not both");
        }
        if r.count != 1 {
            e.push(format!("{at}.count"), "must be 1 for a specific bookable");
        }
        if !specific.insert(id) {
            e.push(format!("{at}.specific_bookable_id"), "names a bookable already listed");
        }
    }
    if let Some(c) = &r.criteria {
        e.tags(&format!("{at}.criteria.tags"), &c.tags);
        e.at_most(&format!("{at}.criteria.category_ids"), c.category_ids.len(), 20);
        if let Some(rating) = c.min_rating {
            e.range(format!("{at}.criteria.min_rating"), rating, Decimal::ZERO..=Decimal::from(5));
        }
    }
}

fn check_capacity(c: &TemplateCapacity, e: &mut Errors) {
    match (c.capacity_type, &c.group) {
        (CapacityType::Individual, None) => {}
        (CapacityType::Individual, Some(_)) => e.push("capacity.group", "only for group capacity"),
        (CapacityType::Group, None) => e.push("capacity.group", "is required for group capacity"),
        (CapacityType::Group, Some(g)) => {
            e.range("capacity.group.min_participants", g.min_participants, 1..=1000);
            e.range("capacity.group.max_participants", g.max_participants, 1..=1000);
            if g.max_participants < g.min_participants {
                e.push("capacity.group.max_participants", "must not be less than min_participants");
            }
        }
    }
}

fn check_pricing(p: &TemplatePricing, currency: Option<&CurrencyCode>, kind: ServiceTemplateType, e: &mut Errors) {
    if let Err(m) = CurrencyCode::parse(&p.currency) {
        e.push("pricing.currency", m);
    }
    if let Err(m) = Timezone::parse(&p.timezone) {
        e.push("pricing.timezone", m);
    }
    e.money("pricing.base_price", p.base_price, currency);
    if let Some(rate) = p.hourly_rate {
        e.money("pricing.hourly_rate", rate, currency);
        if kind == ServiceTemplateType::MultiDay {
            e.push("pricing.hourly_rate", "not for multi-day templates (their base price is per night)");
        }
    }
    e.at_most("pricing.time_multipliers", p.time_multipliers.len(), 10);
    for (i, m) in p.time_multipliers.iter().enumerate() {
        let at = format!("pricing.time_multipliers[{i}]");
        if m.time_range.bounds().is_none() {
            e.push(format!("{at}.time_range"), "times must be HH:MM, end after start");
        }
        if m.days_of_week.is_empty() {
            e.push(format!("{at}.days_of_week"), "must name at least one day");
        } else if m.days_of_week.iter().collect::<HashSet<_>>().len() != m.days_of_week.len() {
            e.push(format!("{at}.days_of_week"), "names a day twice");
        }
        e.multiplier(format!("{at}.multiplier"), m.multiplier);
    }
    if let Some(m) = p.holiday_multiplier {
        e.multiplier("pricing.holiday_multiplier".into(), m);
    }
    e.at_most("pricing.holidays", p.holidays.len(), 366);
    let mut seen = HashSet::new();
    for (i, day) in p.holidays.iter().enumerate() {
        if !seen.insert(day) {
            e.push(format!("pricing.holidays[{i}]"), "is listed twice");
        }
    }
}

fn check_cancellation(c: &CancellationPolicy, e: &mut Errors) {
    e.range("cancellation.client_cancellation_cutoff_hours", c.client_cancellation_cutoff_hours, 0..=8760);
    e.at_most("cancellation.refund_tiers", c.refund_tiers.len(), 10);
    for (i, tier) in c.refund_tiers.iter().enumerate() {
        let at = format!("cancellation.refund_tiers[{i}]");
        e.range(format!("{at}.min_hours_before"), tier.min_hours_before, 0..=8760);
        e.percent(format!("{at}.refund_percent"), tier.refund_percent);
        let Some(previous) = i.checked_sub(1).and_then(|p| c.refund_tiers.get(p)) else { continue };
        if let Some(j) = c.refund_tiers[..i].iter().position(|t| t.min_hours_before == tier.min_hours_before) {
            e.push(format!("{at}.min_hours_before"), format!("duplicates the threshold of refund_tiers[{j}]"));
        } else if tier.min_hours_before > previous.min_hours_before {
            e.push(
                format!("{at}.min_hours_before"),
                "must be less than the previous tier's: list tiers from most notice to least",
            );
        } else if tier.refund_percent > previous.refund_percent {
            e.push(format!("{at}.refund_percent"), "must not be more than the refund of a tier with more notice");
        }
    }
    e.at_most("cancellation.provider_compensation", c.provider_compensation.len(), 10);
    let mut seen = HashSet::new();
    for (i, rule) in c.provider_compensation.iter().enumerate() {
        let at = format!("cancellation.provider_compensation[{i}]");
        e.range(format!("{at}.notice_hours"), rule.notice_hours, 0..=8760);
        e.percent(format!("{at}.compensation_percent"), rule.compensation_percent);
        if !seen.insert((rule.when, rule.notice_hours)) {
            e.push(format!("{at}.notice_hours"), "another rule has the same `when` and notice");
        }
    }
    let n = &c.no_show_policy;
    e.range("cancellation.no_show_policy.grace_period_minutes", n.grace_period_minutes, 0..=1440);
    e.percent("cancellation.no_show_policy.charge_percent".into(), n.charge_percent);
    e.percent("cancellation.no_show_policy.provider_compensation_percent".into(), n.provider_compensation_percent);
}

fn check_deposit(d: &DepositPolicy, currency: Option<&CurrencyCode>, e: &mut Errors) {
    match (d.amount, d.percentage) {
        (Some(amount), None) => e.money("deposit.amount", amount, currency),
        (None, Some(p)) => {
            if p <= Decimal::ZERO {
                e.push("deposit.percentage", "must be more than 0");
            } else {
                e.percent("deposit.percentage".into(), p);
            }
        }
        _ => e.push("deposit", "give exactly one of amount and percentage"),
    }
}

fn check_reservation(r: &ReservationSettings, deposit: Option<&DepositPolicy>, e: &mut Errors) {
    e.range("reservation.hold_duration_minutes", r.hold_duration_minutes, 1..=1440);
    e.range("reservation.max_hold_minutes", r.max_hold_minutes, 1..=1440);
    if r.max_hold_minutes < r.hold_duration_minutes {
        e.push("reservation.max_hold_minutes", "must not be less than hold_duration_minutes");
    }
    if r.require_deposit && !deposit.is_some_and(|d| d.required) {
        e.push("reservation.require_deposit", "needs a required deposit");
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
