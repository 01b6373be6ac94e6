#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, TimeZone};

use super::*;
use crate::model::{PackageItem, RefundRule};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn tpl(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn terms(items: Vec<PackageItem>, price: &str, late: LateCancel, fee: Option<&str>) -> PackageTerms {
    PackageTerms {
        items,
        price: price.parse().unwrap(),
        currency: "EUR".into(),
        use_within_days: Some(365),
        valid_until: None,
        order: UsageOrder::AnyOrder,
        transferable: false,
        shareable_with_household: false,
        household_member_cap: None,
        max_per_customer: None,
        refund_rule: RefundRule::UnusedShareOfPrice,
        refund_fee: Decimal::ZERO,
        late_cancel: late,
        late_cancel_fee: fee.map(|f| f.parse().unwrap()),
    }
}

fn item(service: u128, quantity: i64, list: &str) -> PackageItem {
    PackageItem {
        service_template_id: tpl(service),
        quantity,
        list_price: list.parse().unwrap(),
        allowed_location_ids: Vec::new(),
        excluded_dates: Vec::new(),
    }
}

fn cancellation() -> CancellationPolicy {
    serde_json::from_value(json!({"allow_client_cancellation": true, "refund_tiers": [
        {"min_hours_before": 48, "refund_percent": "100"}, {"min_hours_before": 24, "refund_percent": "50"},
        {"min_hours_before": 6, "refund_percent": "0"}]}))
    .unwrap()
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 10, 10, 0, 0).unwrap()
}

#[test]
fn a_cancel_returns_the_credit_up_to_the_last_refunding_tier_to_the_second() {
    let t = terms(vec![item(1, 10, "60.00")], "500.00", LateCancel::Forfeit, None);
    let cutoff = start() - Duration::hours(24);
    let returned = |h: &str| Some(Outcome::Returned { policy: format!("cancel:refund_window:{h}"), fee: None });
    let late = Some(Outcome::Forfeited { policy: "cancel:late:forfeit".into() });
    // A second before the cutoff (more notice), exactly at it, a second after.
    assert_eq!(outcome("cancelled", &cancellation(), &t, start(), cutoff - Duration::seconds(1)), returned("24h"));
    assert_eq!(outcome("cancelled", &cancellation(), &t, start(), cutoff), returned("24h"));
    assert_eq!(outcome("cancelled", &cancellation(), &t, start(), cutoff + Duration::seconds(1)), late);
    // The 48-hour tier, a 0 % tier (late all the same), after the start.
    assert_eq!(outcome("cancelled", &cancellation(), &t, start(), start() - Duration::hours(72)), returned("48h"));
    assert_eq!(outcome("cancelled", &cancellation(), &t, start(), start() - Duration::hours(7)), late);
    assert_eq!(outcome("cancelled", &cancellation(), &t, start(), start() + Duration::hours(1)), late);
    // No refund tiers: every cancel is late.
    assert_eq!(outcome("cancelled", &CancellationPolicy::default(), &t, start(), start() - Duration::days(30)), late);
}

#[test]
fn a_late_cancel_follows_the_package_and_a_no_show_forfeits() {
    let fee = terms(vec![item(1, 10, "60.00")], "500.00", LateCancel::Fee, Some("15.00"));
    let cutoff = start() - Duration::hours(24);
    assert_eq!(
        outcome("cancelled", &cancellation(), &fee, start(), cutoff + Duration::seconds(1)),
        Some(Outcome::Returned { policy: "cancel:late:fee".into(), fee: Some(dec("15.00")) })
    );
    assert_eq!(
        outcome("cancelled", &cancellation(), &fee, start(), cutoff),
        Some(Outcome::Returned { policy: "cancel:refund_window:24h".into(), fee: None })
    );
    for t in [&fee, &terms(vec![item(1, 10, "60.00")], "500.00", LateCancel::Forfeit, None)] {
        for at in [start() - Duration::days(10), start() + Duration::hours(2)] {
            assert_eq!(
                outcome("no_show", &cancellation(), t, start(), at),
                Some(Outcome::Forfeited { policy: "no_show:forfeit".into() })
            );
        }
    }
    assert_eq!(outcome("completed", &cancellation(), &fee, start(), start()), None);
    assert_eq!(outcome("confirmed", &cancellation(), &fee, start(), start()), None);
}

fn purchase(expires: Option<DateTime<Utc>>, payment: &str, created: i64) -> purchases::Model {
    purchases::Model {
        tenant_id: Uuid::nil(),
        id: Uuid::from_u128(1000 + created as u128),
        package_id: Uuid::nil(),
        purchaser_id: Uuid::nil(),
        household_id: None,
        terms: json!({}),
        total_paid: "500.00".into(),
        currency: "EUR".into(),
        payment_status: payment.into(),
        expires_at: expires,
        expiry_recorded_at: None,
        refunded_amount: None,
        transferred_from_id: None,
        transferred_to_id: None,
        version: 1,
        created_at: start() - Duration::days(100 - created),
        updated_at: start(),
    }
}

fn balances(p: &purchases::Model, left: &[i64]) -> Vec<balances::Model> {
    left.iter()
        .enumerate()
        .map(|(i, r)| balances::Model {
            tenant_id: Uuid::nil(),
            id: Uuid::now_v7(),
            purchase_id: p.id,
            item_no: item_no(i),
            service_template_id: Uuid::nil(),
            remaining: *r,
            updated_at: start(),
        })
        .collect()
}

#[test]
fn eligibility_by_payment_expiry_service_location_date_and_order() {
    let loc = Uuid::from_u128(77);
    let want = Want {
        service_template_id: tpl(1),
        location_id: Some(loc),
        // 23:30 UTC on the 9th is already the 10th in Auckland.
        start: Utc.with_ymd_and_hms(2027, 3, 9, 23, 30, 0).unwrap(),
        timezone: "Pacific/Auckland",
        now: start() - Duration::days(5),
    };
    let t = terms(vec![item(1, 10, "60.00"), item(2, 1, "50.00")], "500.00", LateCancel::Forfeit, None);
    let p = purchase(Some(want.now + Duration::days(1)), "paid", 1);
    assert_eq!(eligible_item(&p, &t, &balances(&p, &[3, 1]), &want), Ok(0));
    // Unpaid, refunded, transferred, expired at the instant, used up.
    assert!(eligible_item(&purchase(None, "pending_payment", 1), &t, &balances(&p, &[3, 1]), &want).is_err());
    assert!(eligible_item(&purchase(None, "refunded", 1), &t, &balances(&p, &[3, 1]), &want).is_err());
    let moved = purchases::Model { transferred_to_id: Some(Uuid::from_u128(5)), ..p.clone() };
    assert!(eligible_item(&moved, &t, &balances(&p, &[3, 1]), &want).is_err());
    let expired = purchase(Some(want.now), "paid", 1);
    assert!(eligible_item(&expired, &t, &balances(&expired, &[3, 1]), &want).is_err());
    assert!(eligible_item(&p, &t, &balances(&p, &[0, 1]), &want).is_err());
    // Another service.
    let other = Want { service_template_id: tpl(3), ..want };
    assert!(eligible_item(&p, &t, &balances(&p, &[3, 1]), &other).is_err());
    let want = Want { service_template_id: tpl(1), ..other };
    // Allowed locations.
    let mut at_loc = t.clone();
    at_loc.items[0].allowed_location_ids = vec![Uuid::from_u128(78)];
    assert!(eligible_item(&p, &at_loc, &balances(&p, &[3, 1]), &want).is_err());
    at_loc.items[0].allowed_location_ids.push(loc);
    assert_eq!(eligible_item(&p, &at_loc, &balances(&p, &[3, 1]), &want), Ok(0));
    let nowhere = Want { location_id: None, ..want };
    assert!(eligible_item(&p, &at_loc, &balances(&p, &[3, 1]), &nowhere).is_err());
    // Excluded dates are the service's local dates.
    let mut excluded = t.clone();
    excluded.items[0].excluded_dates = vec![NaiveDate::from_ymd_opt(2027, 3, 9).unwrap()];
    assert_eq!(eligible_item(&p, &excluded, &balances(&p, &[3, 1]), &want), Ok(0));
    excluded.items[0].excluded_dates = vec![NaiveDate::from_ymd_opt(2027, 3, 10).unwrap()];
    assert!(eligible_item(&p, &excluded, &balances(&p, &[3, 1]), &want).is_err());
    // Sequential: the second item only once the first is used up.
    let mut seq = t.clone();
    seq.order = UsageOrder::Sequential;
    let second = Want { service_template_id: tpl(2), ..want };
    assert!(eligible_item(&p, &seq, &balances(&p, &[3, 1]), &second).is_err());
    assert_eq!(eligible_item(&p, &seq, &balances(&p, &[0, 1]), &second), Ok(1));
    assert_eq!(eligible_item(&p, &t, &balances(&p, &[3, 1]), &second), Ok(1));
}

#[test]
fn candidates_sort_by_expiry_then_unit_value_then_age() {
    let c = |id: u128, days: Option<i64>, value: &str, age: i64| Candidate {
        id: Uuid::from_u128(id),
        expires_at: days.map(|d| start() + Duration::days(d)),
        unit_value: value.parse().unwrap(),
        created_at: start() - Duration::days(age),
    };
    let mut all = [
        c(1, None, "10.00", 90),
        c(2, Some(30), "50.00", 10),
        c(3, Some(10), "60.00", 5),
        c(4, Some(30), "45.00", 1),
        c(5, Some(30), "45.00", 20),
    ];
    all.sort_by(order);
    let ids: Vec<u128> = all.iter().map(|c| c.id.as_u128()).collect();
    assert_eq!(ids, [3, 5, 4, 2, 1]);
}

#[test]
fn a_unit_value_is_the_price_shared_by_list_prices() {
    let t = terms(vec![item(1, 10, "60.00"), item(2, 1, "50.00")], "500.00", LateCancel::Forfeit, None);
    // 500 × 60 / 650 = 46.1538… → 46.15; 500 × 50 / 650 = 38.46.
    assert_eq!((unit_value(&t, 0), unit_value(&t, 1)), (dec("46.15"), dec("38.46")));
    let free = terms(vec![item(1, 1, "0")], "0", LateCancel::Forfeit, None);
    assert_eq!(unit_value(&free, 0), Decimal::ZERO);
}
