//! Text normalisation shared by the product and goal matchers.
//!
//! The pipeline is: [`tokens`] (lower-case, split on non-alphanumerics, keep `6.1`, glue
//! hyphenated model codes such as `WH-1000XM5`, fold units and generations: `55"` → `55in`,
//! `128 GB` → `128gb`, `2nd Gen` → `gen2`, `Pack of 2` → `2pk`), then [`term`] per token
//! ([`stem`] plus the one-word synonym table), then multi-word synonyms ([`analyze`]). Brands go
//! through [`normalize_brand`] and the alias map instead. The tables live in
//! [`super::lexicon`].

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::lexicon;
pub use super::stem::stem;

/// What an analysed [`Term`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    /// An ordinary word.
    Word,
    /// One word of a multi-word synonym (`noise` in `noise cancelling`).
    PhraseWord,
    /// The canonical term of the multi-word synonym just before it (`anc`).
    Phrase,
}

/// One analysed word of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Normalised form: stemmed, synonyms folded to their canonical word.
    pub text: String,
    /// Whether the term is a word, part of a phrase, or a phrase's canonical term.
    pub kind: TermKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Glue {
    None,
    Hyphen,
    Amp,
}

/// Lower-cases `text` and splits it into tokens, folding units, generations and pack counts.
pub fn tokens(text: &str) -> Vec<String> {
    fold_units(glue(pieces(text)))
}

/// Analyses `text` into terms: [`tokens`], then [`term`], then multi-word synonyms.
pub fn analyze(text: &str) -> Vec<Term> {
    let words: Vec<String> = tokens(text).iter().map(|t| term(t)).collect();
    let mut out = Vec::with_capacity(words.len() + 2);
    let mut i = 0;
    while i < words.len() {
        let hit = PHRASES.iter().find(|(w, _)| words[i..].starts_with(w));
        if let Some((phrase, canonical)) = hit {
            for w in &words[i..i + phrase.len()] {
                out.push(Term {
                    text: w.clone(),
                    kind: TermKind::PhraseWord,
                });
            }
            out.push(Term {
                text: canonical.clone(),
                kind: TermKind::Phrase,
            });
            i += phrase.len();
        } else {
            out.push(Term {
                text: words[i].clone(),
                kind: TermKind::Word,
            });
            i += 1;
        }
    }
    out
}

/// The normalised form of one token: tokens with digits are kept as they are, words are
/// stemmed and mapped through the synonym table (`television` → `tv`).
pub fn term(token: &str) -> String {
    if token.bytes().any(|b| b.is_ascii_digit()) {
        return token.to_owned();
    }
    let s = stem(token);
    match SYNONYMS.get(&s) {
        Some(canonical) => canonical.clone(),
        None => s,
    }
}

/// True for words that carry no meaning for matching (given as a [`term`]).
pub fn is_stopword(term: &str) -> bool {
    STOPWORDS.contains(term)
}

/// Canonical key of a brand name: lower case, punctuation and spaces removed, corporate
/// suffixes dropped, aliases and known typos folded (`Samsumg` → `samsung`, `Hewlett-Packard`
/// → `hp`, `Sony Electronics Inc.` → `sony`).
pub fn normalize_brand(name: &str) -> String {
    let mut toks = glue(pieces(name));
    while toks.len() > 1
        && toks
            .last()
            .is_some_and(|t| lexicon::BRAND_SUFFIXES.contains(&t.as_str()))
    {
        toks.pop();
    }
    brand_alias(toks.concat())
}

/// Brand keys a title may be naming: each token and each pair of adjacent tokens, through the
/// alias map (`Western Digital` → `wd`, `SAMSUMG` → `samsung`).
pub fn brand_keys(title: &str) -> Vec<String> {
    let toks = glue(pieces(title));
    let mut out = Vec::with_capacity(toks.len() * 2);
    for (i, t) in toks.iter().enumerate() {
        out.push(brand_alias(t.clone()));
        if let Some(next) = toks.get(i + 1) {
            out.push(brand_alias(format!("{t}{next}")));
        }
    }
    out
}

/// Folds a normalised brand key through the alias map.
pub fn brand_alias(key: String) -> String {
    match lexicon::BRAND_ALIASES.iter().find(|(k, _)| *k == key) {
        Some((_, canonical)) => (*canonical).to_owned(),
        None => key,
    }
}

/// Splits into lower-case pieces, remembering which were glued to the next one by `-` or `&`.
fn pieces(text: &str) -> Vec<(String, Glue)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let after_digit = prev.is_some_and(|p| p.is_ascii_digit());
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
            i += 1;
            continue;
        }
        if c == '.' && after_digit && next.is_some_and(|n| n.is_ascii_digit()) {
            cur.push('.');
            i += 1;
            continue;
        }
        let glue = match c {
            '-' | '\u{2010}' | '\u{2011}' => Glue::Hyphen,
            '&' => Glue::Amp,
            _ => Glue::None,
        };
        let glue = if next.is_some_and(char::is_alphanumeric) && !cur.is_empty() {
            glue
        } else {
            Glue::None
        };
        if !cur.is_empty() {
            out.push((std::mem::take(&mut cur), glue));
        }
        match c {
            '"' | '\u{201d}' | '\u{2033}' if after_digit => out.push(("in".to_owned(), Glue::None)),
            '\'' | '\u{2019}' if after_digit && next == Some(c) => {
                out.push(("in".to_owned(), Glue::None));
                i += 1;
            }
            '\'' | '\u{2019}'
                if prev.is_some_and(char::is_alphabetic)
                    && next == Some('s')
                    && !chars.get(i + 2).is_some_and(|n| n.is_alphanumeric()) =>
            {
                i += 1;
            }
            '+' if out.last().is_some_and(|(t, _)| has_digit(t)) && prev != Some(' ') => {
                out.push(("plus".to_owned(), Glue::None));
            }
            _ => {}
        }
        i += 1;
    }
    if !cur.is_empty() {
        out.push((cur, Glue::None));
    }
    out
}

/// Joins hyphen-glued pieces when either side has a digit (`wh-1000xm5`, `55-inch`) and
/// ampersand-glued pieces always (`at&t`, `b&o`).
fn glue(pieces: Vec<(String, Glue)>) -> Vec<String> {
    let mut out = Vec::with_capacity(pieces.len());
    let mut iter = pieces.into_iter().peekable();
    while let Some((mut text, mut g)) = iter.next() {
        while let Some((next, _)) = iter.peek() {
            let join = match g {
                Glue::None => false,
                Glue::Amp => true,
                Glue::Hyphen => has_digit(&text) || has_digit(next),
            };
            if !join {
                break;
            }
            if let Some((next, next_glue)) = iter.next() {
                text.push_str(&next);
                g = next_glue;
            }
        }
        out.push(text);
    }
    out
}

fn fold_units(raw: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let t = raw[i].as_str();
        let next = raw.get(i + 1).map(String::as_str);
        let after = raw.get(i + 2).map(String::as_str);
        if is_number(t)
            && let Some(unit) = next.and_then(unit)
            && !(next == Some("in") && after.is_some_and(is_number))
        {
            out.push(format!("{t}{unit}"));
            i += 2;
        } else if let Some(n) = ordinal(t)
            && matches!(next, Some("gen" | "generation"))
        {
            out.push(format!("gen{n}"));
            i += 2;
        } else if matches!(t, "gen" | "generation")
            && let Some(n) = next.filter(|n| is_integer(n))
        {
            out.push(format!("gen{n}"));
            i += 2;
        } else if matches!(t, "pack" | "set")
            && next == Some("of")
            && let Some(n) = after.filter(|n| is_integer(n))
        {
            out.push(format!("{n}pk"));
            i += 3;
        } else {
            out.push(split_unit(t).unwrap_or_else(|| t.to_owned()));
            i += 1;
        }
    }
    out
}

/// `128gb` → `128gb`, `55inch` → `55in`, `2pack` → `2pk`; `None` when not number + unit.
fn split_unit(t: &str) -> Option<String> {
    let at = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, suffix) = t.split_at(at);
    if !is_number(num) {
        return None;
    }
    unit(suffix).map(|u| format!("{num}{u}"))
}

fn unit(word: &str) -> Option<&'static str> {
    lexicon::UNITS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, u)| *u)
}

fn ordinal(t: &str) -> Option<&str> {
    ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| t.strip_suffix(s))
        .filter(|n| is_integer(n))
}

fn is_integer(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

fn is_number(t: &str) -> bool {
    t.starts_with(|c: char| c.is_ascii_digit())
        && !t.ends_with('.')
        && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// True when `t` contains an ASCII digit.
pub fn has_digit(t: &str) -> bool {
    t.bytes().any(|b| b.is_ascii_digit())
}

/// Builds a set of [`term`]s from surface words (for the lexicon's lists).
pub(crate) fn term_set(words: &[&str]) -> HashSet<String> {
    words.iter().map(|w| term(w)).collect()
}

static STOPWORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    lexicon::STOPWORDS
        .iter()
        .map(|w| stem(w))
        .collect::<HashSet<_>>()
});

static SYNONYMS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    lexicon::SYNONYMS
        .iter()
        .map(|(from, to)| (stem(from), stem(to)))
        .collect()
});

static PHRASES: LazyLock<Vec<(Vec<String>, String)>> = LazyLock::new(|| {
    lexicon::PHRASES
        .iter()
        .map(|(words, canonical)| (words.iter().map(|w| term(w)).collect(), term(canonical)))
        .collect()
});

/// The items two sorted lists share, in order (a merge of the two).
pub(crate) fn shared_sorted<'a, T: Ord>(a: &'a [T], b: &'a [T]) -> impl Iterator<Item = &'a T> {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
            match x.cmp(y) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    return Some(x);
                }
            }
        }
        None
    })
}

/// Where `needle` occurs in `hay`, left to right and not overlapping (like
/// `str::match_indices`), by a plain scan: for the short texts of listings (a title as one run
/// of letters and digits) it is faster than the standard searcher, whose set-up dominates.
pub(crate) fn occurrences<'a>(hay: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let mut from = 0;
    std::iter::from_fn(move || {
        let (&first, rest) = n.split_first()?;
        while from + n.len() <= h.len() {
            let at = from;
            from += 1;
            if h[at] == first && &h[at + 1..at + n.len()] == rest {
                from = at + n.len();
                return Some(at);
            }
        }
        None
    })
}

/// Whether `needle` occurs in `hay` (see [`occurrences`]); an empty needle always does.
pub(crate) fn occurs(hay: &str, needle: &str) -> bool {
    needle.is_empty() || occurrences(hay, needle).next().is_some()
}

#[cfg(test)]
mod occurrence_tests {
    use super::*;

    #[test]
    fn occurrences_are_those_of_match_indices() {
        let cases = [
            ("sonywh1000xm5wh1000xm5", "wh1000xm5"),
            ("aaaa", "aa"),
            ("aa1aa1ab", "aa1a"),
            ("dmctz50", "dmctz5"),
            ("short", "longer than the text"),
            ("", "x"),
            ("abc", "c"),
            ("abc", "abc"),
        ];
        for (hay, needle) in cases {
            let ours: Vec<usize> = occurrences(hay, needle).collect();
            let std: Vec<usize> = hay.match_indices(needle).map(|(at, _)| at).collect();
            assert_eq!(ours, std, "{needle:?} in {hay:?}");
            assert_eq!(occurs(hay, needle), hay.contains(needle));
        }
        assert!(occurs("abc", ""));
    }
}
