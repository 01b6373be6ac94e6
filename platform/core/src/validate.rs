//! Parse, don't validate: input strings become domain types whose constructors are the
//! only way to make them. Each `parse` returns the message for a [`FieldError`]; the
//! [`all_valid!`](crate::all_valid) macro gathers every failure of a request into one 422.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// Evaluates to early-return a 422 listing every `Err` among the named
/// `Result<_, FieldError>` bindings, then rebinds each name to its `Ok` value.
#[macro_export]
macro_rules! all_valid {
    ($($v:ident),+ $(,)?) => {
        let errors: Vec<$crate::error::FieldError> =
            [$($v.as_ref().err()),+].into_iter().flatten().cloned().collect();
        if !errors.is_empty() {
            return Err($crate::error::ApiError::validation(errors).into());
        }
        $(let Ok($v) = $v else { unreachable!("checked above") };)+
    };
}

macro_rules! string_type {
    ($name:ident) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_type!(Slug);
string_type!(Email);
string_type!(Timezone);
string_type!(CurrencyCode);
string_type!(Name);
string_type!(DomainName);
string_type!(Phone);

impl Phone {
    /// E.164 (`+33612345678`); spaces, dots, hyphens and parentheses are dropped first.
    pub fn parse(value: &str) -> Result<Self, String> {
        let kept: String = value.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
        let digits = kept.strip_prefix('+').unwrap_or("");
        let ok =
            (7..=15).contains(&digits.len()) && !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit());
        if ok { Ok(Self(kept)) } else { Err("must be an international number: `+`, then 7–15 digits (E.164)".into()) }
    }
}

impl Slug {
    /// DNS-safe: 3–63 of `a-z 0-9 -`, starting with a letter, not ending with `-`.
    pub fn parse(value: &str) -> Result<Self, String> {
        let ok = (3..=63).contains(&value.len())
            && value.starts_with(|c: char| c.is_ascii_lowercase())
            && !value.ends_with('-')
            && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err("must be 3–63 characters of a-z, 0-9 and '-', start with a letter and not end with '-'".into())
        }
    }
}

impl Email {
    /// Trimmed and lower-cased, so uniqueness is case-insensitive.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim().to_lowercase();
        let valid = value.len() <= 254
            && value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !value.chars().any(|c| c.is_whitespace() || c.is_control())
                    && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            });
        if valid { Ok(Self(value)) } else { Err("must be an email address".into()) }
    }
}

impl Timezone {
    /// An IANA zone name (`Europe/Paris`).
    pub fn parse(value: &str) -> Result<Self, String> {
        chrono_tz::Tz::from_str(value)
            .map(|tz| Self(tz.name().to_owned()))
            .map_err(|_| format!("`{value}` is not an IANA time zone"))
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        chrono_tz::Tz::from_str(&self.0).unwrap_or(chrono_tz::UTC)
    }
}

impl CurrencyCode {
    /// An ISO 4217 code (`USD`).
    pub fn parse(value: &str) -> Result<Self, String> {
        iso_currency::Currency::from_code(value)
            .map(|c| Self(c.code().to_owned()))
            .ok_or_else(|| format!("`{value}` is not an ISO 4217 currency code"))
    }

    /// Digits after the decimal point (2 for USD, 0 for JPY).
    pub fn minor_units(&self) -> u32 {
        iso_currency::Currency::from_code(&self.0).and_then(|c| c.exponent()).map_or(2, u32::from)
    }
}

/// The largest amount of money a price, cost or payment may carry.
pub const MAX_AMOUNT: rust_decimal::Decimal = rust_decimal::Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// Checks an amount of money into `errors` under `field`: 0 or more, at most
/// [`MAX_AMOUNT`], and no more decimals than `currency` has (when it is known).
pub fn money(
    field: &str,
    value: rust_decimal::Decimal,
    currency: Option<&CurrencyCode>,
    errors: &mut Vec<crate::error::FieldError>,
) {
    use crate::error::FieldError;
    if value.is_sign_negative() && !value.is_zero() {
        errors.push(FieldError::new(field, "must be 0 or more"));
    } else if value > MAX_AMOUNT {
        errors.push(FieldError::new(field, format!("must be at most {MAX_AMOUNT}")));
    } else if let Some(c) = currency
        && value.normalize().scale() > c.minor_units()
    {
        errors.push(FieldError::new(
            field,
            format!("has more decimals than {} allows ({})", c.as_str(), c.minor_units()),
        ));
    }
}

impl Name {
    /// 1–200 characters after trimming, no control characters.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control) {
            return Err("must be 1–200 characters".into());
        }
        Ok(Self(value.to_owned()))
    }
}

impl DomainName {
    /// A lower-case host name with at least two labels (`book.example.com`).
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim().to_lowercase();
        let labels_ok = value.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if labels_ok && value.contains('.') && value.len() <= 253 {
            Ok(Self(value))
        } else {
            Err("must be a domain name such as book.example.com".into())
        }
    }
}

/// A password: at least 10 and at most 1,000 characters.
pub fn check_password(value: &str) -> Result<(), String> {
    match value.chars().count() {
        10..=1000 => Ok(()),
        _ => Err("must be 10–1000 characters".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("acme-salon-2").is_ok());
        for bad in ["ab", "Acme", "-acme", "acme-", "1acme", "ac me", "acmé"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_normalized() {
        assert_eq!(Email::parse("  Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        for bad in ["", "ana", "ana@", "@x.com", "ana@x", "a na@x.com", "ana@x..com."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zones_and_currencies() {
        assert!(Timezone::parse("Europe/Paris").is_ok());
        assert!(Timezone::parse("Mars/Olympus").is_err());
        assert_eq!(CurrencyCode::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(CurrencyCode::parse("USD").unwrap().minor_units(), 2);
        assert!(CurrencyCode::parse("XYZ").is_err());
        assert!(CurrencyCode::parse("usd").is_err());
    }
}
