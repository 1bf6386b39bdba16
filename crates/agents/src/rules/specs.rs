//! Numeric specs in goal text: `16GB RAM`, `at least 1TB`, `120hz or more`, `under 2 kg`,
//! `65 inch`, `8 quart` become [`SpecInput`]s with a quantity, a direction and a unit.
//!
//! The direction comes from the words just before (`at least`, `min`, `over` → minimum;
//! `under`, `max`, `up to` → maximum) or just after (`or more`, `+` → minimum; `or less` →
//! maximum); without one, sizes are exact, weights a maximum and everything else a minimum
//! (`120hz` is met by 165 Hz, `16gb ram` by 32 GB).

use deals_core::spec::{Quantity, SpecInput, SpecOp};

use super::tokens::Token;
use super::vocab::phrase_len;

const MIN_BEFORE: &[&str] = &[
    "at least",
    "min",
    "minimum",
    "over",
    "above",
    "more than",
    ">",
];
const MAX_BEFORE: &[&str] = &[
    "under",
    "below",
    "less than",
    "max",
    "maximum",
    "at most",
    "up to",
    "lighter than",
    "<",
];
const MIN_AFTER: &[&str] = &[
    "or more",
    "or higher",
    "or better",
    "or above",
    "and up",
    "plus",
    "+",
];
const MAX_AFTER: &[&str] = &["or less", "or lower", "or under", "or below", "max"];
/// Nouns after an amount that join the spec (`16gb ram`); `ram` and `memory` make it memory.
const SPEC_NOUNS: &[&str] = &["ram", "memory", "storage", "screen", "display", "battery"];

/// `(unit word, quantity, canonical unit)`.
const UNITS: &[(&str, Quantity, &str)] = &[
    ("inch", Quantity::Size, "in"),
    ("inches", Quantity::Size, "in"),
    ("in", Quantity::Size, "in"),
    ("gb", Quantity::Storage, "gb"),
    ("tb", Quantity::Storage, "tb"),
    ("hz", Quantity::RefreshRate, "hz"),
    ("kg", Quantity::Weight, "kg"),
    ("lb", Quantity::Weight, "lb"),
    ("lbs", Quantity::Weight, "lb"),
    ("w", Quantity::Power, "w"),
    ("watt", Quantity::Power, "w"),
    ("watts", Quantity::Power, "w"),
    ("qt", Quantity::Capacity, "qt"),
    ("quart", Quantity::Capacity, "qt"),
    ("quarts", Quantity::Capacity, "qt"),
    ("mah", Quantity::Battery, "mah"),
];

/// The spec written at token `i` (number and unit, joined or apart), with the tokens it spans
/// from `i`; the direction words before `i` are looked at but not consumed.
pub(super) fn spec_at(toks: &[Token], i: usize) -> Option<(usize, SpecInput)> {
    let text = |k: usize| toks.get(k).map_or("", |t| t.text.as_str());
    let word = text(i);
    let split = word
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(word.len());
    let (number, unit) = word.split_at(split);
    let value: f64 = number.parse().ok()?;
    let (unit, mut n) = if unit.is_empty() {
        (text(i + 1), 2)
    } else {
        (unit, 1)
    };
    if unit == "in" && n == 2 && text(i + 2).parse::<f64>().is_ok() {
        return None;
    }
    let &(_, mut quantity, unit) = UNITS.iter().find(|(u, _, _)| *u == unit)?;
    if SPEC_NOUNS.contains(&text(i + n)) {
        if quantity == Quantity::Storage && matches!(text(i + n), "ram" | "memory") {
            quantity = Quantity::Memory;
        }
        n += 1;
    }
    let before = |words: &[&str]| {
        (1..=2).any(|back| i >= back && phrase_len(toks, i - back, words) == Some(back))
    };
    let after = phrase_len(toks, i + n, MIN_AFTER)
        .map(|m| (m, SpecOp::Min))
        .or_else(|| phrase_len(toks, i + n, MAX_AFTER).map(|m| (m, SpecOp::Max)));
    let op = if let Some((m, op)) = after {
        n += m;
        op
    } else if before(MIN_BEFORE) {
        SpecOp::Min
    } else if before(MAX_BEFORE) {
        SpecOp::Max
    } else {
        match quantity {
            Quantity::Size | Quantity::Capacity => SpecOp::Eq,
            Quantity::Weight => SpecOp::Max,
            _ => SpecOp::Min,
        }
    };
    Some((
        n,
        SpecInput {
            quantity,
            op,
            value,
            unit: unit.to_owned(),
        },
    ))
}
