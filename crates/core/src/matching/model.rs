//! Model numbers: read from titles and store fields, normalised, and compared with the
//! differences stores add around them.
//!
//! A code is written without case or punctuation (`WH-1000XM5/B` → `wh1000xm5b`). Titles are
//! read as pieces split at every non-alphanumeric character; a code is one piece, or two or
//! three pieces glued by punctuation (`DVP-NC800H / S` → `dvpnc800hs`, `1EG0.052.00`), or a
//! short letter prefix and a number written apart (`RS 130` → `rs130`). Only *strong* codes
//! count: letters and at least two digits and four characters (`qn90c`, `rs130`, not `4k`,
//! `ddr5`, `1080p` or `128gb`), or a number of at least five digits that is not round
//! (`961464`, not `12000`).
//!
//! Two codes are [`compatible`] when equal, or when the longer one adds around the shorter one
//! only a store or size prefix (`qn65` + `qn90c`, `ess` + `rk15313`) and a letter suffix for
//! a region or colour (`wh1000xm5` + `b`, `qn90c` + `afxza`). A digit added on either end
//! makes another model (`hf10` / `hf100`).

use super::lexicon;

/// Longest prefix a store or a size adds before a code (`coolpix` + `p6000`, `qn65` + `qn90c`).
const MAX_PREFIX: usize = 7;
/// Longest letter suffix for a region or colour (`wh1000xm5` + `b`, `qn90c` + `afxza`).
const MAX_SUFFIX: usize = 5;
/// Most pieces glued into one code.
const MAX_PIECES: usize = 3;

/// Words that are never part of a code (`new-7653` is `7653`).
const NOT_CODE: &[&str] = &[
    "new", "for", "with", "and", "the", "of", "in", "to", "x", "w", "a", "by", "up", "or", "pack",
];

/// A code without case, spaces or punctuation: `WH-1000XM5/B` → `wh1000xm5b`.
pub(crate) fn code(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The strong codes of a title and of store fields (model, MPN), sorted and deduplicated.
pub(crate) fn codes<'a>(title: &str, fields: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    for field in fields {
        let c = code(field);
        if is_strong(&c) {
            out.push(c);
        }
        read_title(field, &mut out);
    }
    read_title(title, &mut out);
    out.sort_unstable();
    out.dedup();
    out
}

/// Appends the strong codes of one text.
fn read_title(title: &str, out: &mut Vec<String>) {
    // (piece, whether it is written apart from the previous piece)
    let mut pieces: Vec<(String, bool)> = Vec::new();
    let mut cur = String::new();
    let mut gap = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if cur.is_empty() {
                pieces.push((String::new(), !glued(&gap)));
                gap.clear();
            }
            cur.push(c.to_ascii_lowercase());
        } else {
            if let Some(last) = pieces.last_mut().filter(|_| !cur.is_empty()) {
                last.0 = std::mem::take(&mut cur);
            }
            gap.push(c);
        }
    }
    if let Some(last) = pieces.last_mut().filter(|_| !cur.is_empty()) {
        last.0 = cur;
    }
    for start in 0..pieces.len() {
        let mut joined = String::new();
        for (k, (piece, apart)) in pieces.iter().skip(start).take(MAX_PIECES).enumerate() {
            let letters_only = piece.bytes().all(|b| b.is_ascii_alphabetic());
            if NOT_CODE.contains(&piece.as_str()) || (letters_only && piece.len() > 4) {
                break;
            }
            if k > 0 && *apart && !spaced_join(&joined, piece) {
                break;
            }
            joined.push_str(piece);
            // A number counts only when written apart: not the `00001` of `NUD-00001`.
            let alone = || {
                pieces[start].1
                    && pieces.get(start + k + 1).is_none_or(|(_, apart)| *apart)
            };
            let number = joined.bytes().all(|b| b.is_ascii_digit());
            if is_strong(&joined) && !is_measure(&joined) && (!number || alone()) {
                out.push(joined.clone());
            }
        }
    }
}

/// Whether the characters between two pieces glue them into one code: `-`, `/` or `.`
/// without spaces (`WH-1000XM5`), or a slash with spaces (`DVP-NC800H / S`).
fn glued(gap: &str) -> bool {
    !gap.is_empty()
        && (gap.trim() == "/"
            || (!gap.contains(char::is_whitespace) && gap.chars().all(|c| "-/.".contains(c))))
}

/// `RS 130`, `Z 2300`: a short letter prefix written apart from its number.
fn spaced_join(prefix: &str, next: &str) -> bool {
    prefix.len() <= 4
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && next.starts_with(|c: char| c.is_ascii_digit())
}

/// Letters and at least two digits in four characters or more, not a generic spec; or a
/// number of five digits or more that does not end in `000`.
pub(crate) fn is_strong(c: &str) -> bool {
    const GENERIC_PREFIXES: &[&str] = &["ddr", "wifi", "usb", "gen", "hdmi", "pcie", "80211"];
    let letters = c.bytes().filter(u8::is_ascii_alphabetic).count();
    let digits = c.bytes().filter(u8::is_ascii_digit).count();
    if letters == 0 {
        return digits >= 5 && !c.ends_with("000");
    }
    let spec = c.len() > 1
        && c[..c.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && c.ends_with(['p', 'k', 'g', 'x']);
    c.len() >= 4 && digits >= 2 && !spec && !GENERIC_PREFIXES.iter().any(|p| c.starts_with(p))
}

/// A number with a unit (`128gb`, `1855mm`, `16mp`), which names a variant, not a model.
fn is_measure(c: &str) -> bool {
    const SPEC_UNITS: &[&str] = &["mp", "ghz", "mhz", "v", "mah", "hr", "hrs", "x", "th", "nd"];
    let Some(at) = c.find(|ch: char| !ch.is_ascii_digit()) else {
        return false;
    };
    let unit = &c[at..];
    at > 0 && (lexicon::UNITS.iter().any(|(w, _)| *w == unit) || SPEC_UNITS.contains(&unit))
}

/// Equal, or the longer adds at most a short prefix and a letter suffix around the shorter,
/// which is strong.
pub(crate) fn compatible(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    a == b || (is_strong(short) && extends(short, long))
}

/// Whether `long` is `short` with at most a short prefix (not a digit before a leading digit)
/// and a short letter suffix.
pub(crate) fn extends(short: &str, long: &str) -> bool {
    long.match_indices(short).any(|(at, _)| {
        let (prefix, suffix) = (&long[..at], &long[at + short.len()..]);
        let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        prefix.len() <= MAX_PREFIX
            && suffix.len() <= MAX_SUFFIX
            && suffix.bytes().all(|b| b.is_ascii_alphabetic())
            && !(digit(short.chars().next()) && digit(prefix.chars().last()))
    })
}

/// How the codes of two listings relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codes {
    /// They share a code and each side's other lettered codes are matched on the other side.
    Shared,
    /// Each side has a lettered code the other lacks (`10707rnn` / `10707rcc`, even when
    /// both say `10700 series`).
    Conflict,
    /// Neither: no code in common.
    Unrelated,
}

/// Compares the codes of two listings (numbers alone are store SKUs and never conflict).
pub(crate) fn relate(a: &[String], b: &[String]) -> Codes {
    let lettered = |c: &&String| c.bytes().any(|b| b.is_ascii_alphabetic());
    let unmatched = |x: &[String], y: &[String]| {
        x.iter()
            .filter(lettered)
            .any(|c| !y.iter().any(|d| compatible(c, d)))
    };
    if unmatched(a, b) && unmatched(b, a) {
        Codes::Conflict
    } else if a.iter().any(|x| b.iter().any(|y| compatible(x, y))) {
        Codes::Shared
    } else {
        Codes::Unrelated
    }
}
