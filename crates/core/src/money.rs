//! Money as an integer number of minor units (cents) plus an ISO 4217 currency code.
//!
//! Amounts never pass through floating point: decimal strings are parsed digit by digit, and JSON
//! numbers are read through their shortest decimal representation.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest accepted amount in minor units (ten billion in major units): bounds arithmetic.
pub const MAX_MINOR: i64 = 1_000_000_000_000;

/// An ISO 4217 alphabetic currency code (three upper-case ASCII letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

/// Why a string is not a [`Currency`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an ISO 4217 currency code such as USD or EUR")]
pub struct CurrencyError;

/// The active ISO 4217 alphabetic codes (list of 2026; funds and precious-metal codes left out).
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

impl Currency {
    /// US dollar, the default currency.
    pub const USD: Currency = Currency(*b"USD");

    /// Parses a code, accepting lower case input.
    pub fn parse(raw: &str) -> Result<Self, CurrencyError> {
        let s = raw.trim().to_ascii_uppercase();
        let bytes: [u8; 3] = s.as_bytes().try_into().map_err(|_| CurrencyError)?;
        if bytes.iter().all(u8::is_ascii_uppercase) && ISO_4217.contains(&s.as_str()) {
            Ok(Self(bytes))
        } else {
            Err(CurrencyError)
        }
    }

    /// Every code [`Currency::parse`] accepts (ISO 4217, upper case).
    pub fn codes() -> &'static [&'static str] {
        ISO_4217
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The constructor only admits ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("USD")
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self::USD
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Empty or not a decimal number.
    #[error("must be a decimal amount such as 299.99")]
    Malformed,
    /// Below zero.
    #[error("must not be negative")]
    Negative,
    /// More than two decimal places.
    #[error("must have at most 2 decimal places")]
    TooPrecise,
    /// Above [`MAX_MINOR`].
    #[error("is too large")]
    TooLarge,
}

/// An amount as it arrives in JSON: a decimal string (`"299.99"`, `"1,299.00"`) or a number.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum AmountInput {
    /// A JSON string.
    Text(String),
    /// A JSON number.
    Number(serde_json::Number),
}

impl AmountInput {
    /// Parses into minor units.
    pub fn to_minor(&self) -> Result<i64, MoneyError> {
        match self {
            AmountInput::Text(s) => parse_minor(s),
            AmountInput::Number(n) => parse_minor(&n.to_string()),
        }
    }
}

/// Parses a non-negative decimal amount with at most two decimal places into minor units.
///
/// Accepts comma thousands separators in the integer part when they group by three
/// (`1,299.99`); rejects exponents, signs other than a leading `-` (reported as negative), and
/// anything else.
pub fn parse_minor(raw: &str) -> Result<i64, MoneyError> {
    let s = raw.trim();
    if let Some(rest) = s.strip_prefix('-') {
        return match parse_minor(rest) {
            Ok(0) => Ok(0),
            Ok(_) => Err(MoneyError::Negative),
            Err(e) => Err(e),
        };
    }
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let int_digits = strip_grouping(int_part).ok_or(MoneyError::Malformed)?;
    if int_digits.is_empty() && frac_part.is_none_or(str::is_empty) {
        return Err(MoneyError::Malformed);
    }
    let mut minor: i64 = 0;
    for c in int_digits.chars() {
        let d = c.to_digit(10).ok_or(MoneyError::Malformed)?;
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(d)))
            .ok_or(MoneyError::TooLarge)?;
        if minor > MAX_MINOR {
            return Err(MoneyError::TooLarge);
        }
    }
    minor = minor.checked_mul(100).ok_or(MoneyError::TooLarge)?;
    if let Some(frac) = frac_part {
        if frac.is_empty() || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(MoneyError::Malformed);
        }
        let trimmed = frac.trim_end_matches('0');
        if trimmed.len() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        let padded = format!("{trimmed:0<2}");
        let cents: i64 = padded.parse().map_err(|_| MoneyError::Malformed)?;
        minor += cents;
    }
    if minor > MAX_MINOR {
        return Err(MoneyError::TooLarge);
    }
    Ok(minor)
}

/// Removes comma thousands separators when they are well placed; `None` when they are not.
fn strip_grouping(int_part: &str) -> Option<String> {
    if !int_part.contains(',') {
        return Some(int_part.to_owned());
    }
    let groups: Vec<&str> = int_part.split(',').collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    (first_ok && rest_ok).then(|| groups.concat())
}

/// Formats minor units as a decimal string with two places (`29999` → `"299.99"`).
pub fn format_minor(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// An amount of money in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    /// Amount in minor units (cents).
    pub minor: i64,
    /// Currency of the amount.
    pub currency: Currency,
}

impl Money {
    /// Builds a value from minor units.
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", format_minor(self.minor), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_strings_exactly() {
        let cases = [
            ("299.99", 29_999),
            ("299.9", 29_990),
            ("299", 29_900),
            ("0.01", 1),
            (".5", 50),
            ("1,299.00", 129_900),
            ("12,345,678.10", 1_234_567_810),
            ("  42.50 ", 4_250),
            ("10.500", 1_050),
            ("-0", 0),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_minor(input), Ok(expected), "{input}");
        }
    }

    #[test]
    fn rejects_bad_amounts_with_a_reason() {
        assert_eq!(parse_minor(""), Err(MoneyError::Malformed));
        assert_eq!(parse_minor("."), Err(MoneyError::Malformed));
        assert_eq!(parse_minor("abc"), Err(MoneyError::Malformed));
        assert_eq!(parse_minor("1e3"), Err(MoneyError::Malformed));
        assert_eq!(parse_minor("12,34.00"), Err(MoneyError::Malformed));
        assert_eq!(parse_minor("1.2.3"), Err(MoneyError::Malformed));
        assert_eq!(parse_minor("-5"), Err(MoneyError::Negative));
        assert_eq!(parse_minor("1.999"), Err(MoneyError::TooPrecise));
        assert_eq!(parse_minor("99999999999999"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn json_numbers_do_not_go_through_binary_floating_point() {
        let n: AmountInput = serde_json::from_str("299.99").unwrap();
        assert_eq!(n.to_minor(), Ok(29_999));
        let n: AmountInput = serde_json::from_str("0.1").unwrap();
        assert_eq!(n.to_minor(), Ok(10));
        let s: AmountInput = serde_json::from_str("\"19.95\"").unwrap();
        assert_eq!(s.to_minor(), Ok(1_995));
    }

    #[test]
    fn formats_two_places() {
        assert_eq!(format_minor(29_999), "299.99");
        assert_eq!(format_minor(5), "0.05");
        assert_eq!(format_minor(-150), "-1.50");
        assert_eq!(Money::new(100, Currency::USD).to_string(), "1.00 USD");
    }

    #[test]
    fn currency_codes_are_iso_4217() {
        assert_eq!(Currency::parse("eur").unwrap().as_str(), "EUR");
        assert_eq!(Currency::parse("JPY").unwrap().as_str(), "JPY");
        assert!(
            Currency::parse("QQQ").is_err(),
            "three letters, but no currency"
        );
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("E1R").is_err());
        assert!(Currency::parse("").is_err());
    }
}
