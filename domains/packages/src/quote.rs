//! The refund rules, pure: what a refund of a partly used purchase pays.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::RefundRule;

/// One item of a purchase as a refund sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemUse {
    pub quantity: i64,
    /// Consumed: redeemed (net of returns) or forfeited.
    pub used: i64,
    /// Still redeemable: what a refund voids.
    pub unused: i64,
    pub list_price: Decimal,
}

/// `(gross, amount)`: the rule's amount before the fee, and `gross − fee` never below 0,
/// rounded down to `minor_units`. Nothing unused refunds nothing, whatever the rule.
pub fn refund(
    rule: RefundRule,
    total_paid: Decimal,
    fee: Decimal,
    items: &[ItemUse],
    minor_units: u32,
) -> (Decimal, Decimal) {
    let unused: i64 = items.iter().map(|i| i.unused).sum();
    let gross = if unused == 0 {
        Decimal::ZERO
    } else {
        match rule {
            RefundRule::UnusedShareOfPrice => {
                let total: Decimal = items.iter().map(|i| i.list_price * Decimal::from(i.quantity)).sum();
                let left: Decimal = items.iter().map(|i| i.list_price * Decimal::from(i.unused)).sum();
                if total.is_zero() {
                    let count: i64 = items.iter().map(|i| i.quantity).sum();
                    total_paid * Decimal::from(unused) / Decimal::from(count.max(1))
                } else {
                    total_paid * left / total
                }
            }
            RefundRule::PriceMinusUsedAtListPrice => {
                let used: Decimal = items.iter().map(|i| i.list_price * Decimal::from(i.used)).sum();
                (total_paid - used).max(Decimal::ZERO)
            }
        }
    };
    let gross = gross.round_dp_with_strategy(minor_units, RoundingStrategy::ToZero);
    let amount = (gross - fee).max(Decimal::ZERO).round_dp_with_strategy(minor_units, RoundingStrategy::ToZero);
    (gross, amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    fn item(quantity: i64, used: i64, unused: i64, price: &str) -> ItemUse {
        ItemUse { quantity, used, unused, list_price: d(price) }
    }

    /// One row of the table: (rule, paid, fee, items, gross, amount).
    type Case = (RefundRule, &'static str, &'static str, Vec<ItemUse>, &'static str, &'static str);

    /// Hand-computed: (rule, paid, fee, items, gross, amount).
    #[test]
    fn the_refund_table() {
        use RefundRule::*;
        let ten = |used| vec![item(10, used, 10 - used, "60.00")];
        let mixed = vec![item(5, 2, 3, "20.00"), item(1, 1, 0, "50.00")];
        let cases: Vec<Case> = vec![
            // 10 × 60 = 600 list, sold for 500
            (UnusedShareOfPrice, "500.00", "0", ten(0), "500.00", "500.00"),
            (UnusedShareOfPrice, "500.00", "0", ten(4), "300.00", "300.00"), // 500 × 360/600
            (UnusedShareOfPrice, "500.00", "10.00", ten(4), "300.00", "290.00"),
            (UnusedShareOfPrice, "500.00", "0", ten(10), "0", "0"),
            (PriceMinusUsedAtListPrice, "500.00", "0", ten(4), "260.00", "260.00"), // 500 − 240
            (PriceMinusUsedAtListPrice, "500.00", "10.00", ten(4), "260.00", "250.00"),
            (PriceMinusUsedAtListPrice, "500.00", "0", ten(9), "0", "0"), // 500 − 540 < 0
            (PriceMinusUsedAtListPrice, "500.00", "0", ten(10), "0", "0"),
            // 5 × 20 + 1 × 50 = 150 list, sold for 100; 3 × 20 = 60 unused
            (UnusedShareOfPrice, "100.00", "0", mixed.clone(), "40.00", "40.00"), // 100 × 60/150
            (PriceMinusUsedAtListPrice, "100.00", "0", mixed.clone(), "10.00", "10.00"), // 100 − 90
            (PriceMinusUsedAtListPrice, "100.00", "25.00", mixed.clone(), "10.00", "0"), // fee above gross
            // rounding down to the cent: 100 × 1/3
            (UnusedShareOfPrice, "100.00", "0", vec![item(3, 2, 1, "10.00")], "33.33", "33.33"),
        ];
        for (rule, paid, fee, items, gross, amount) in cases {
            let got = refund(rule, d(paid), d(fee), &items, 2);
            assert_eq!(got, (d(gross), d(amount)), "{rule:?} paid {paid} fee {fee} {items:?}");
        }
    }

    #[test]
    fn no_minor_unit_rounds_to_whole_units() {
        let items = [item(3, 1, 2, "1000")];
        assert_eq!(refund(RefundRule::UnusedShareOfPrice, d("1000"), d("0"), &items, 0), (d("666"), d("666")));
    }
}
