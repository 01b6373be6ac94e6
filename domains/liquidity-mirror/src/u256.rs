//! An exact unsigned 256-bit integer: what an on-chain `uint256` holds. Only what the mirror
//! needs — checked addition and subtraction, comparison, and decimal text both ways — so
//! an amount is never rounded and an overflow or underflow is an error, never a wrap.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Four 64-bit limbs, most significant first (so the derived order is the numeric one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct U256([u64; 4]);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseU256Error {
    #[error("must be a non-negative integer in decimal digits")]
    NotDigits,
    #[error("must be at most 2^256-1 (78 digits)")]
    TooLarge,
}

impl U256 {
    pub const ZERO: Self = Self([0; 4]);
    pub const ONE: Self = Self([0, 0, 0, 1]);
    pub const MAX: Self = Self([u64::MAX; 4]);

    pub fn from_u128(v: u128) -> Self {
        Self([0, 0, (v >> 64) as u64, v as u64])
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 4]
    }

    pub fn checked_add(self, rhs: Self) -> Option<Self> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for i in (0..4).rev() {
            let s = u128::from(self.0[i]) + u128::from(rhs.0[i]) + carry;
            out[i] = s as u64;
            carry = s >> 64;
        }
        (carry == 0).then_some(Self(out))
    }

    pub fn checked_sub(self, rhs: Self) -> Option<Self> {
        if self < rhs {
            return None;
        }
        let mut out = [0u64; 4];
        let mut borrow = false;
        for i in (0..4).rev() {
            let (d, b1) = self.0[i].overflowing_sub(rhs.0[i]);
            let (d, b2) = d.overflowing_sub(u64::from(borrow));
            out[i] = d;
            borrow = b1 || b2;
        }
        Some(Self(out))
    }

    fn checked_mul_small(self, m: u64) -> Option<Self> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for i in (0..4).rev() {
            let p = u128::from(self.0[i]) * u128::from(m) + carry;
            out[i] = p as u64;
            carry = p >> 64;
        }
        (carry == 0).then_some(Self(out))
    }

    fn div_rem_small(self, d: u64) -> (Self, u64) {
        let mut out = [0u64; 4];
        let mut rem = 0u128;
        for (o, limb) in out.iter_mut().zip(self.0) {
            let cur = (rem << 64) | u128::from(limb);
            *o = (cur / u128::from(d)) as u64;
            rem = cur % u128::from(d);
        }
        (Self(out), rem as u64)
    }

    /// The amount with `decimals` places, exactly (`1500000000000000000` with 18 →
    /// `1.5`); trailing zeros of the fraction are dropped.
    pub fn display_with_decimals(&self, decimals: u32) -> String {
        let digits = self.to_string();
        let d = decimals as usize;
        if d == 0 {
            return digits;
        }
        let padded = if digits.len() <= d { format!("{}{digits}", "0".repeat(d + 1 - digits.len())) } else { digits };
        let (int, frac) = padded.split_at(padded.len() - d);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() { int.to_owned() } else { format!("{int}.{frac}") }
    }
}

impl FromStr for U256 {
    type Err = ParseU256Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseU256Error::NotDigits);
        }
        let mut v = Self::ZERO;
        for b in s.bytes() {
            v = v
                .checked_mul_small(10)
                .and_then(|v| v.checked_add(Self::from_u128(u128::from(b - b'0'))))
                .ok_or(ParseU256Error::TooLarge)?;
        }
        Ok(v)
    }
}

impl fmt::Display for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        // Chunks of 19 digits, least significant first.
        const CHUNK: u64 = 10_000_000_000_000_000_000;
        let mut chunks = Vec::new();
        let mut v = *self;
        while !v.is_zero() {
            let (q, r) = v.div_rem_small(CHUNK);
            chunks.push(r);
            v = q;
        }
        let mut out = String::with_capacity(chunks.len() * 19);
        for (i, c) in chunks.iter().rev().enumerate() {
            if i == 0 {
                out.push_str(&c.to_string());
            } else {
                out.push_str(&format!("{c:019}"));
            }
        }
        f.write_str(&out)
    }
}

/// JSON carries amounts as decimal strings: a JSON number would lose digits in most clients.
impl Serialize for U256 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for U256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MAX: &str = "115792089237316195423570985008687907853269984665640564039457584007913129639935";

    #[test]
    fn the_extremes_round_trip_as_text() {
        assert_eq!(U256::MAX.to_string(), MAX);
        assert_eq!(MAX.parse::<U256>().unwrap(), U256::MAX);
        assert_eq!("0".parse::<U256>().unwrap(), U256::ZERO);
        assert_eq!("1".parse::<U256>().unwrap(), U256::ONE);
        assert_eq!("000123".parse::<U256>().unwrap().to_string(), "123");
    }

    #[test]
    fn out_of_range_and_non_digits_are_refused() {
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert_eq!(over.parse::<U256>(), Err(ParseU256Error::TooLarge));
        for bad in ["", "-1", "1.5", "1e18", " 1", "0x10"] {
            assert_eq!(bad.parse::<U256>(), Err(ParseU256Error::NotDigits), "{bad}");
        }
    }

    #[test]
    fn arithmetic_is_checked_never_wrapping() {
        assert_eq!(U256::MAX.checked_add(U256::ONE), None);
        assert_eq!(U256::ZERO.checked_sub(U256::ONE), None);
        assert_eq!(U256::MAX.checked_sub(U256::MAX), Some(U256::ZERO));
        assert_eq!(U256::MAX.checked_sub(U256::ONE).unwrap().checked_add(U256::ONE), Some(U256::MAX));
        // carries across every limb
        let a = U256::from_u128(u128::MAX);
        assert_eq!(a.checked_add(U256::ONE).unwrap().to_string(), "340282366920938463463374607431768211456");
    }

    #[test]
    fn agrees_with_u128_on_random_values() {
        use rand::Rng;
        let mut rng = rand::rng();
        for _ in 0..10_000 {
            let a: u128 = rng.random::<u128>() >> 1;
            let b: u128 = rng.random::<u128>() >> 1;
            let (x, y) = (U256::from_u128(a), U256::from_u128(b));
            assert_eq!(x.checked_add(y).unwrap().to_string(), (a + b).to_string());
            assert_eq!(x.checked_sub(y).map(|v| v.to_string()), a.checked_sub(b).map(|v| v.to_string()));
            assert_eq!(x.cmp(&y), a.cmp(&b));
            assert_eq!(a.to_string().parse::<U256>().unwrap(), x);
        }
    }

    #[test]
    fn display_amounts_use_the_tokens_decimals() {
        let v: U256 = "1500000000000000000".parse().unwrap();
        assert_eq!(v.display_with_decimals(18), "1.5");
        assert_eq!(U256::ONE.display_with_decimals(18), "0.000000000000000001");
        assert_eq!(U256::ZERO.display_with_decimals(6), "0");
        assert_eq!(v.display_with_decimals(0), "1500000000000000000");
        assert_eq!(
            U256::MAX.display_with_decimals(36),
            "115792089237316195423570985008687907853269.984665640564039457584007913129639935"
        );
    }
}
