//! DEAL tokens: amounts in integer minor units (the token has 6 decimals) and the kinds of
//! ledger entries.
//!
//! Amounts never pass through floating point: the API reads and writes them as decimal strings
//! (`"12.5"` in, `"12.500000"` out), parsed digit by digit.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Decimal places of the DEAL token.
pub const DECIMALS: u32 = 6;

/// Minor units in one token.
pub const UNIT: i64 = 10_i64.pow(DECIMALS);

/// Largest accepted amount: a thousand billion tokens (bounds arithmetic).
pub const MAX_TOKENS: i64 = 1_000_000_000_000;

/// An amount of DEAL tokens in minor units (millionths). Never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TokenAmount(i64);

/// Why a string is not a [`TokenAmount`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not a plain decimal number.
    #[error("must be a decimal number of tokens such as \"12.5\"")]
    Syntax,
    /// More than six decimal places.
    #[error("has more than {DECIMALS} decimal places")]
    Precision,
    /// Negative or too large.
    #[error("must be between 0 and {MAX_TOKENS} tokens")]
    Range,
}

impl TokenAmount {
    /// Zero tokens.
    pub const ZERO: TokenAmount = TokenAmount(0);

    /// An amount of minor units; `None` when negative or above the maximum.
    pub const fn from_minor(minor: i64) -> Option<Self> {
        if minor < 0 || minor > MAX_TOKENS * UNIT {
            None
        } else {
            Some(Self(minor))
        }
    }

    /// A whole number of tokens (for defaults and tests); saturates at the maximum.
    pub const fn whole(tokens: i64) -> Self {
        if tokens <= 0 {
            Self(0)
        } else if tokens > MAX_TOKENS {
            Self(MAX_TOKENS * UNIT)
        } else {
            Self(tokens * UNIT)
        }
    }

    /// The amount in minor units.
    pub const fn minor(self) -> i64 {
        self.0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses a decimal string such as `"12"`, `"0.25"` or `"1.000001"`.
    pub fn parse(raw: &str) -> Result<Self, AmountError> {
        let s = raw.trim();
        if s.starts_with('-') {
            return Err(AmountError::Range);
        }
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(frac)
            || (s.contains('.') && frac.is_empty())
        {
            return Err(AmountError::Syntax);
        }
        if frac.len() > DECIMALS as usize {
            return Err(AmountError::Precision);
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 13 {
            return Err(AmountError::Range);
        }
        let w: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| AmountError::Range)?
        };
        let padded = format!("{frac:0<width$}", width = DECIMALS as usize);
        let f: i64 = padded.parse().map_err(|_| AmountError::Syntax)?;
        w.checked_mul(UNIT)
            .and_then(|m| m.checked_add(f))
            .and_then(Self::from_minor)
            .ok_or(AmountError::Range)
    }
}

/// A signed number of minor units as a decimal string (`-0.100000`), for ledger movements.
pub fn format_signed(minor: i64) -> String {
    let abs = TokenAmount(minor.saturating_abs());
    if minor < 0 {
        format!("-{abs}")
    } else {
        abs.to_string()
    }
}

impl fmt::Display for TokenAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:0width$}",
            self.0 / UNIT,
            self.0 % UNIT,
            width = DECIMALS as usize
        )
    }
}

impl Serialize for TokenAmount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads a decimal string, or a number (as an environment variable arrives in the
/// configuration) through its shortest decimal representation, so `0.25` is exactly 250 000
/// minor units.
impl<'de> Deserialize<'de> for TokenAmount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = TokenAmount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal string of tokens such as \"12.5\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TokenAmount, E> {
                TokenAmount::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TokenAmount, E> {
                TokenAmount::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TokenAmount, E> {
                TokenAmount::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<TokenAmount, E> {
                TokenAmount::parse(&v.to_string()).map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// What a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Tokens given at registration.
    SignupBonus,
    /// Tokens given for referring a user, or for being referred.
    ReferralReward,
    /// Tokens bought on chain and verified.
    Deposit,
    /// Agent work paid for (a hold taken from the balance).
    Charge,
    /// A charge given back (the work failed or its hold expired).
    Refund,
    /// Tokens given by an administrator, with a reason.
    AdminGrant,
    /// A correction by an operator.
    Adjustment,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 7] = [
        EntryKind::SignupBonus,
        EntryKind::ReferralReward,
        EntryKind::Deposit,
        EntryKind::Charge,
        EntryKind::Refund,
        EntryKind::AdminGrant,
        EntryKind::Adjustment,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::SignupBonus => "signup_bonus",
            EntryKind::ReferralReward => "referral_reward",
            EntryKind::Deposit => "deposit",
            EntryKind::Charge => "charge",
            EntryKind::Refund => "refund",
            EntryKind::AdminGrant => "admin_grant",
            EntryKind::Adjustment => "adjustment",
        }
    }

    /// Reads a stored or requested name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!("must be one of {}", names.join(", "))
            })
    }

    /// Whether entries of this kind take tokens away (the others add them).
    pub const fn is_debit(self) -> bool {
        matches!(self, EntryKind::Charge)
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_become_exact_minor_units_and_back() {
        let cases = [
            ("0", 0),
            ("12", 12_000_000),
            ("0.25", 250_000),
            ("1.000001", 1_000_001),
            ("007.5", 7_500_000),
        ];
        for (text, minor) in cases {
            assert_eq!(TokenAmount::parse(text).map(TokenAmount::minor), Ok(minor));
        }
        assert_eq!(TokenAmount::whole(12).to_string(), "12.000000");
        assert_eq!(
            TokenAmount::parse("0.000001").unwrap().to_string(),
            "0.000001"
        );
        assert_eq!(format_signed(-100_000), "-0.100000");
        assert_eq!(format_signed(2_000_000), "2.000000");
    }

    #[test]
    fn malformed_negative_and_too_precise_amounts_are_refused() {
        assert_eq!(TokenAmount::parse("1.0000001"), Err(AmountError::Precision));
        assert_eq!(TokenAmount::parse("-1"), Err(AmountError::Range));
        assert_eq!(TokenAmount::parse("1e6"), Err(AmountError::Syntax));
        assert_eq!(TokenAmount::parse("1."), Err(AmountError::Syntax));
        assert_eq!(TokenAmount::parse(""), Err(AmountError::Syntax));
        assert_eq!(
            TokenAmount::parse("99999999999999"),
            Err(AmountError::Range)
        );
        assert_eq!(TokenAmount::from_minor(-1), None);
    }

    #[test]
    fn entry_kinds_round_trip_through_their_names() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(
            EntryKind::parse("gift")
                .unwrap_err()
                .contains("signup_bonus")
        );
        assert!(EntryKind::Charge.is_debit() && !EntryKind::Refund.is_debit());
    }

    #[test]
    fn amounts_read_strings_and_numbers_exactly() {
        let read = |json: &str| serde_json::from_str::<TokenAmount>(json);
        assert_eq!(read("\"2.5\"").unwrap().minor(), 2_500_000);
        assert_eq!(read("3").unwrap().minor(), 3_000_000);
        assert_eq!(read("0.1").unwrap().minor(), 100_000);
        assert!(read("0.0000001").is_err(), "too precise");
        assert!(read("-1").is_err());
        assert_eq!(
            serde_json::to_string(&TokenAmount::whole(1)).unwrap(),
            "\"1.000000\""
        );
    }
}
