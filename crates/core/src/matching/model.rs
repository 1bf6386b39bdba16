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
//! only a store or size prefix (`qn65` + `qn90c`, `ess` + `rk15313`) and a one- or two-letter
//! colour suffix (`wh1000xm5` + `b`) or a known region suffix (`qn90c` + `afxza`). A digit
//! added on either end makes another model (`hf10` / `hf100`), and so does a longer suffix
//! (`pla401v3` / `pla401v3kit`).

use super::lexicon;

/// Longest prefix a store or a size adds before a code (`coolpix` + `p6000`, `qn65` + `qn90c`).
const MAX_PREFIX: usize = 7;
/// Longest letter suffix for a colour (`wh1000xm5` + `b`, `lre30453` + `bk`); a longer one
/// names another variant (`pla401v3` + `kit`) unless it is a known region suffix.
pub(crate) const MAX_SUFFIX: usize = 2;
/// Region and packaging suffixes of model numbers (`QN65QN90CAFXZA`, `MB533LL/A`).
pub(crate) const REGION_SUFFIXES: &[&str] = &["afxza", "fxza", "xza", "zar", "zaus", "lla", "cto"];

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

/// Appends the strong codes of one text: each run of pieces glued by punctuation, written
/// together, and a short letter prefix written apart from the number after it (`RS 130`).
fn read_title(title: &str, out: &mut Vec<String>) {
    let mut chunks: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut gap = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if !gap.is_empty() && !glued(&gap) {
                chunks.extend(chunk(&cur));
                cur.clear();
            }
            gap.clear();
            cur.push(c.to_ascii_lowercase());
        } else {
            gap.push(c);
        }
    }
    chunks.extend(chunk(&cur));
    for (i, c) in chunks.iter().enumerate() {
        let next = chunks.get(i + 1).filter(|n| spaced_join(c, n));
        let joined = next.map_or_else(|| c.clone(), |n| format!("{c}{n}"));
        if is_strong(&joined) && !is_measure(&joined) {
            out.push(joined);
        }
    }
}

/// One run of glued pieces (`wh-1000xm5/b`) as a code candidate: punctuation removed, a leading
/// `new-` dropped; none when a piece is a long word (`screen-96`).
fn chunk(run: &str) -> Option<String> {
    let mut pieces: Vec<&str> = run
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect();
    while pieces.first().is_some_and(|p| NOT_CODE.contains(p)) {
        pieces.remove(0);
    }
    let long_word = |p: &&str| p.len() > 4 && p.bytes().all(|b| b.is_ascii_alphabetic());
    (!pieces.is_empty() && !pieces.iter().any(long_word)).then(|| pieces.concat())
}

/// Whether the characters between two pieces glue them into one code: `-`, `/` or `.`
/// without spaces (`WH-1000XM5`), a slash with spaces (`DVP-NC800H / S`), or a dot after a
/// space (`9S00 .006`, as tokenised text writes `9S00.006`).
fn glued(gap: &str) -> bool {
    gap.trim() == "/"
        || gap.trim_start_matches(' ') == "."
        || (!gap.contains(char::is_whitespace) && gap.chars().all(|c| "-/.".contains(c)))
}

/// `RS 130`, `SH 350`: a short letter prefix written apart from a number of three digits or
/// more that is neither a year nor round (not `LG 55`, `TV 2024`, `Tab 100`).
fn spaced_join(prefix: &str, next: &str) -> bool {
    let year = next.len() == 4 && (next.starts_with("19") || next.starts_with("20"));
    (1..=4).contains(&prefix.len())
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && !NOT_CODE.contains(&prefix)
        && next.bytes().all(|b| b.is_ascii_digit())
        && next.len() >= 3
        && !next.ends_with("00")
        && !year
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
            && ((suffix.len() <= MAX_SUFFIX && suffix.bytes().all(|b| b.is_ascii_alphabetic()))
                || REGION_SUFFIXES.contains(&suffix))
            && !(digit(short.chars().next()) && digit(prefix.chars().last()))
    })
}

/// Two model numbers of one scheme that name two models: they differ in at most a quarter of
/// their characters (at least two), and neither extends the other (`qn65qn90c` / `qn65qn85c`,
/// `wh1000xm4` / `wh1000xm5`). Codes of different schemes (a store's item number against the
/// maker's part number: `144952` / `poc484bk`) say nothing about each other.
pub(crate) fn rivals(a: &str, b: &str) -> bool {
    let longest = a.len().max(b.len());
    let limit = (a.len().min(b.len()) / 4).max(2);
    !compatible(a, b) && longest - a.len().min(b.len()) <= limit && edit_distance(a, b) <= limit
}

/// Whether one of two codes is the other, strong, with a tier word or `kit` after it
/// (`pla401v3` / `pla401v3kit`, `ef4116` / `ef4116pro`): another model of the same line.
pub(crate) fn extended_model(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.strip_prefix(short).is_some_and(|suffix| {
        (suffix == "kit" || (suffix.len() >= 3 && lexicon::TIERS.contains(&suffix)))
            && is_strong(short)
    })
}

/// Levenshtein distance of two ASCII codes.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(x != y);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// How the codes of two listings relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codes {
    /// They share a code and at most one side has codes the other lacks.
    Shared,
    /// Each side has a code the other lacks (`10707rnn` / `10707rcc`, even when
    /// both say `10700 series`).
    Conflict,
    /// Neither: no code in common.
    Unrelated,
}

/// Compares the codes of two listings.
pub(crate) fn relate(a: &[String], b: &[String]) -> Codes {
    let unmatched =
        |x: &[String], y: &[String]| x.iter().any(|c| !y.iter().any(|d| compatible(c, d)));
    if unmatched(a, b) && unmatched(b, a) {
        Codes::Conflict
    } else if a.iter().any(|x| b.iter().any(|y| compatible(x, y))) {
        Codes::Shared
    } else {
        Codes::Unrelated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rivals_are_codes_of_one_scheme_that_differ_a_little() {
        assert!(rivals("qn65qn90c", "qn65qn85c"));
        assert!(rivals("wh1000xm4", "wh1000xm5"));
        assert!(!rivals("wh1000xm5", "wh1000xm5b"), "a colour suffix");
        assert!(
            !rivals("144952", "poc484bk"),
            "a store number and a part number"
        );
        assert!(!rivals("89334m", "sj0979a"));
        assert!(extended_model("pla401v3kit", "pla401v3"));
        assert!(!extended_model("nxu10", "nxu10sil"), "a colour");
        assert!(!extended_model("qn90c", "qn90cafxza"), "a region");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn a_dot_after_a_space_still_glues_a_code() {
        assert!(codes("tomtom mount kit 9s00 .006", []).contains(&"9s00006".to_owned()));
        assert!(codes("sony dvp-nc800h / s dvd player", []).contains(&"dvpnc800hs".to_owned()));
        assert!(
            !codes("lg 2.0 cu . ft. microwave", [])
                .iter()
                .any(|c| c.contains("cu"))
        );
    }
}
