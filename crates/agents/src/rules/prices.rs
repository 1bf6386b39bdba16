//! Price phrases: `under $1000`, `over 500`, `$500-$1000`, `between $500 and $1000`,
//! `around $300` (±15 %), `max 300`, `$1.2k`, `300 dollars`, `€300`, `£300`.
//!
//! A bare number (`500`) is a price only after a price word (`under 500`) or before a price
//! postfix (`500 or less`); a number followed by a unit (`under 5 lbs`, `at least 16 gb`) never is.
//! An amount with a currency but no price word (`headphones for $300`) is read as the maximum.

use deals_core::Currency;
use deals_core::money::parse_minor;

use super::tokens::Token;
use super::vocab::{UNITS, phrase_len};

/// Share of the amount added and taken away for `around $300`, in percent.
pub(super) const AROUND_PERCENT: i64 = 15;

/// One amount read from the text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Amount {
    /// Minor units.
    pub minor: i64,
    /// Currency written with it, if any.
    pub currency: Option<Currency>,
}

/// What a price phrase says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Price {
    /// Highest acceptable price.
    Max(Amount),
    /// Lowest acceptable price.
    Min(Amount),
    /// Both bounds, in either order.
    Range(Amount, Amount),
    /// `around`: ±[`AROUND_PERCENT`].
    Around(Amount),
    /// An amount with a currency and no price word; read as the maximum.
    Lone(Amount),
}

const MAX_WORDS: &[&str] = &[
    "under",
    "below",
    "less than",
    "no more than",
    "not more than",
    "not over",
    "no higher than",
    "max",
    "maximum",
    "max of",
    "maximum of",
    "up to",
    "upto",
    "at most",
    "within",
    "budget",
    "budget of",
    "budget is",
    "cheaper than",
    "lower than",
    "<",
];
const MIN_WORDS: &[&str] = &[
    "over",
    "above",
    "more than",
    "at least",
    "min",
    "minimum",
    "min of",
    "minimum of",
    "starting at",
    "greater than",
    "higher than",
    "no less than",
    "not less than",
    "from",
    ">",
];
const AROUND_WORDS: &[&str] = &[
    "around",
    "about",
    "approximately",
    "approx",
    "roughly",
    "circa",
    "close to",
    "near",
    "~",
];
const MAX_POSTFIX: &[&str] = &[
    "or less", "or under", "or below", "or lower", "max", "maximum", "tops", "budget",
];
const MIN_POSTFIX: &[&str] = &[
    "or more",
    "or above",
    "or higher",
    "and up",
    "and above",
    "plus",
];
const CURRENCY_WORDS: &[(&str, &str)] = &[
    ("dollars", "USD"),
    ("dollar", "USD"),
    ("bucks", "USD"),
    ("usd", "USD"),
    ("euros", "EUR"),
    ("euro", "EUR"),
    ("eur", "EUR"),
    ("pounds", "GBP"),
    ("gbp", "GBP"),
];

/// The currency a symbol or word names.
fn currency(code: &str) -> Option<Currency> {
    Currency::parse(code).ok()
}

/// Reads one token such as `$1,299.99`, `€300`, `300€`, `1.2k` or `$500+`; the flag is true for
/// a trailing `+`.
fn amount_token(tok: &str) -> Option<(Amount, bool)> {
    let (tok, plus) = match tok.strip_suffix('+') {
        Some(t) => (t, true),
        None => (tok, false),
    };
    let symbols = [('$', "USD"), ('€', "EUR"), ('£', "GBP")];
    let mut code = None;
    let mut num = tok;
    for (sym, c) in symbols {
        if let Some(rest) = num.strip_prefix(sym).or_else(|| num.strip_suffix(sym)) {
            num = rest;
            code = Some(c);
        }
    }
    let (num, thousands) = match num.strip_suffix('k') {
        Some(n) => (n, true),
        None => (num, false),
    };
    if !num.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let minor = parse_minor(num).ok()?;
    let minor = if thousands {
        minor.checked_mul(1_000)?
    } else {
        minor
    };
    let amount = Amount {
        minor,
        currency: code.and_then(currency),
    };
    Some((amount, plus))
}

/// Reads an amount starting at token `i`, with an optional currency word after it. Returns the
/// amount, whether it is explicit (has a currency), the trailing `+` flag and tokens used.
fn read_amount(toks: &[Token], i: usize) -> Option<(Amount, bool, bool, usize)> {
    let (mut amount, plus) = amount_token(&toks.get(i)?.text)?;
    let mut len = 1;
    let next = toks.get(i + 1).map(|t| t.text.as_str()).unwrap_or("");
    if let Some((_, code)) = CURRENCY_WORDS.iter().find(|(w, _)| *w == next) {
        amount.currency = currency(code);
        len += 1;
    } else if amount.currency.is_none() && UNITS.contains(&next) {
        return None;
    }
    Some((amount, amount.currency.is_some(), plus, len))
}

/// Reads `A - B`, `A to B` or the single token `A-B` at `i`; `and` is accepted when `between`
/// came first.
fn read_range(toks: &[Token], i: usize, allow_and: bool) -> Option<(Amount, Amount, bool, usize)> {
    if let Some((a, b)) = toks.get(i)?.text.split_once('-') {
        let (a, _) = amount_token(a)?;
        let (b, _) = amount_token(b)?;
        let explicit = a.currency.is_some() || b.currency.is_some();
        return Some((a, b, explicit, 1));
    }
    let (a, ea, _, la) = read_amount(toks, i)?;
    let sep = toks.get(i + la)?.text.as_str();
    if !(sep == "-" || sep == "to" || (allow_and && sep == "and")) {
        return None;
    }
    let (b, eb, _, lb) = read_amount(toks, i + la + 1)?;
    Some((a, b, ea || eb, la + 1 + lb))
}

/// The price phrase starting at token `i`, with the number of tokens it spans.
pub(super) fn price_at(toks: &[Token], i: usize) -> Option<(Price, usize)> {
    let word = toks.get(i)?.text.as_str();
    if (word == "between" || word == "from")
        && let Some((a, b, _, len)) = read_range(toks, i + 1, word == "between")
    {
        return Some((Price::Range(a, b), len + 1));
    }
    for (words, make) in [
        (MAX_WORDS, Price::Max as fn(Amount) -> Price),
        (MIN_WORDS, Price::Min),
        (AROUND_WORDS, Price::Around),
    ] {
        if let Some(n) = phrase_len(toks, i, words)
            && let Some((a, _, plus, len)) = read_amount(toks, i + n)
        {
            let price = if plus { Price::Min(a) } else { make(a) };
            return Some((price, n + len));
        }
    }
    if let Some((a, b, true, len)) = read_range(toks, i, false) {
        return Some((Price::Range(a, b), len));
    }
    let (a, explicit, plus, len) = read_amount(toks, i)?;
    if plus {
        return Some((Price::Min(a), len));
    }
    if let Some(n) = phrase_len(toks, i + len, MAX_POSTFIX) {
        return Some((Price::Max(a), len + n));
    }
    if let Some(n) = phrase_len(toks, i + len, MIN_POSTFIX) {
        return Some((Price::Min(a), len + n));
    }
    explicit.then_some((Price::Lone(a), len))
}

/// The bounds of `around x`: x ∓ [`AROUND_PERCENT`], rounded to the minor unit.
pub(super) fn around_bounds(minor: i64) -> (i64, i64) {
    let lo = (minor.saturating_mul(100 - AROUND_PERCENT) + 50) / 100;
    let hi = (minor.saturating_mul(100 + AROUND_PERCENT) + 50) / 100;
    (lo, hi)
}
