//! The product vocabulary of the rules: product nouns (the taxonomy's, from
//! [`deals_core::matching::lexicon::PRODUCT_NOUNS`]), feature words, model families and tiers,
//! accessory nouns. With it, before parsing:
//! - spelling and spacing variants are joined (`air pods` → `airpods`, `ear buds` → `earbuds`,
//!   `play station` → `playstation`, `4 k` → `4k`) and a family glued to its number is split
//!   (`quest3` → `quest 3`);
//! - a misspelt product word is corrected when exactly one vocabulary word is one edit away
//!   (`keybaord` → `keyboard`, `moniter` → `monitor`); known words are never corrected, and
//!   brand typos are left to the brand list. Each correction adds a note: `searched for
//!   "keyboard" ("keybaord")`.

use std::collections::HashSet;
use std::sync::LazyLock;

use deals_core::matching::lexicon::{ACCESSORY_NOUNS, PRODUCT_NOUNS, TIERS};

use super::brands::{correct_typo, edit_distance};
use super::tokens::Token;
use super::vocab::{CONDITIONS, FEATURES, FILLER, MARKETS, NEGATIONS, STOPWORDS, UNITS};

/// Shortest word considered for product typo correction.
const TYPO_MIN_CHARS: usize = 6;

/// Single words that describe a product and must appear in a listing (hard).
pub(super) const FEATURE_WORDS: &[&str] = &[
    "wireless",
    "bluetooth",
    "gaming",
    "portable",
    "waterproof",
    "mechanical",
    "curved",
    "cordless",
    "smart",
    "oled",
    "qled",
    "4k",
    "8k",
    "mesh",
    "external",
    "internal",
    "robot",
    "unlocked",
    "foldable",
    "hepa",
    "ultrawide",
    "mirrorless",
    "action",
    "wifi",
    "anc",
    "usb",
    "nvme",
    "5g",
    "amoled",
    "stick",
    "upright",
    "dolby",
    "atmos",
    "full",
    "frame",
];

/// Model family names: kept as hard keywords wherever they appear.
pub(super) const FAMILIES: &[&str] = &[
    "airpods",
    "quietcomfort",
    "galaxy",
    "pixel",
    "iphone",
    "ipad",
    "macbook",
    "playstation",
    "xbox",
    "switch",
    "kindle",
    "echo",
    "roomba",
    "thinkpad",
    "surface",
    "zenbook",
    "bravia",
    "quest",
    "steam",
    "deck",
    "soundlink",
    "momentum",
    "elite",
    "buds",
    "watch",
    "tab",
    "legion",
    "rog",
    "predator",
    "odyssey",
    "ultrasharp",
    "vivobook",
    "ideapad",
    "yoga",
    "spectre",
    "envy",
    "pavilion",
    "xps",
    "inspiron",
    "dualsense",
    "homepod",
    "series",
    "chromebook",
    "linkbuds",
    "powerbeats",
    "soundcore",
    "vertuo",
    "vitamix",
    "creami",
];

/// Every word the rules know; typo correction never touches these.
static KNOWN: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    let mut known: HashSet<&'static str> = vocabulary().collect();
    let phrases = FILLER.iter().chain(NEGATIONS).copied();
    let tables = (CONDITIONS.iter().map(|(p, _)| *p)).chain(MARKETS.iter().map(|(p, _)| *p));
    known.extend(phrases.chain(tables).flat_map(|p| p.split(' ')));
    known.extend(STOPWORDS.iter().chain(UNITS).copied());
    known
});

/// The product vocabulary words (what a typo is corrected to and what joins must form).
fn vocabulary() -> impl Iterator<Item = &'static str> {
    let nouns = PRODUCT_NOUNS.iter().flat_map(|(p, _)| p.split(' '));
    let features = FEATURES.iter().flat_map(|(p, _)| p.split(' '));
    nouns
        .chain(features)
        .chain(FEATURE_WORDS.iter().copied())
        .chain(FAMILIES.iter().copied())
        .chain(ACCESSORY_NOUNS.iter().copied())
        .chain(TIERS.iter().copied())
        .chain(["keyboard", "purifier", "fryer", "vacuum", "television"])
}

static VOCABULARY: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut v: Vec<&'static str> = vocabulary().collect();
    v.sort_unstable();
    v.dedup();
    v
});

/// Whether `w` is a word of the product vocabulary.
pub(super) fn is_vocabulary(w: &str) -> bool {
    VOCABULARY.binary_search(&w).is_ok()
}

/// Joins variants, splits glued families and corrects product typos; returns the notes.
pub(super) fn normalise(toks: &mut Vec<Token>) -> Vec<String> {
    join_variants(toks);
    split_families(toks);
    let mut notes = Vec::new();
    for t in toks.iter_mut() {
        if let Some(fixed) = correct(&t.text) {
            notes.push(format!("searched for \"{fixed}\" (\"{}\")", t.text));
            t.text = fixed.to_owned();
        }
    }
    notes
}

/// `air pods` → `airpods`, `4 k` → `4k`: two tokens whose concatenation is a vocabulary word.
fn join_variants(toks: &mut Vec<Token>) {
    let mut i = 0;
    while i + 1 < toks.len() {
        let joined = format!("{}{}", toks[i].text, toks[i + 1].text);
        let number_k = toks[i].text.bytes().all(|b| b.is_ascii_digit()) && toks[i + 1].text == "k";
        if is_vocabulary(&joined) || number_k {
            toks[i].text = joined;
            toks.remove(i + 1);
        }
        i += 1;
    }
}

/// `quest3` → `quest`, `3`: a family name glued to its number.
fn split_families(toks: &mut Vec<Token>) {
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i].text;
        let at = t.find(|c: char| c.is_ascii_digit()).unwrap_or(t.len());
        let (head, tail) = t.split_at(at);
        if !tail.is_empty() && FAMILIES.contains(&head) && tail.bytes().all(|b| b.is_ascii_digit())
        {
            let (head, tail) = (head.to_owned(), tail.to_owned());
            let word = toks[i].word;
            toks[i].text = head;
            toks.insert(i + 1, Token { text: tail, word });
        }
        i += 1;
    }
}

/// The vocabulary word a misspelt word stands for, when exactly one is one edit away.
fn correct(word: &str) -> Option<&'static str> {
    if word.chars().count() < TYPO_MIN_CHARS
        || !word.chars().all(|c| c.is_ascii_alphabetic())
        || KNOWN.contains(word)
    {
        return None;
    }
    let head = |w: &str| w.bytes().take(2).fold(0u16, |h, b| h + u16::from(b));
    let mut close = VOCABULARY.iter().filter(|v| {
        // One edit changes the length by at most one and keeps the first two letters (maybe
        // swapped): cheap tests before the distance.
        v.len().abs_diff(word.len()) <= 1
            && v.len() + 1 >= TYPO_MIN_CHARS
            && (v.as_bytes().first() == word.as_bytes().first() || head(v) == head(word))
            && edit_distance(word, v) == 1
    });
    let first = close.next()?;
    // A brand typo is the brand list's to correct.
    (close.next().is_none() && correct_typo(word).is_none()).then_some(*first)
}

#[cfg(test)]
mod tests {
    use super::super::tokens::tokenize;
    use super::*;

    fn normalised(text: &str) -> (Vec<String>, Vec<String>) {
        let mut toks = tokenize(text);
        let notes = normalise(&mut toks);
        (toks.into_iter().map(|t| t.text).collect(), notes)
    }

    #[test]
    fn product_typos_are_corrected_and_said() {
        let (words, notes) = normalised("mechanical keybaord");
        assert_eq!(words, ["mechanical", "keyboard"]);
        assert_eq!(notes, ["searched for \"keyboard\" (\"keybaord\")"]);
        for (typo, fixed) in [
            ("moniter", "monitor"),
            ("earbds", "earbuds"),
            ("headphoens", "headphones"),
            ("labtop", "laptop"),
            ("vaccum", "vacuum"),
            ("purifer", "purifier"),
        ] {
            assert_eq!(normalised(typo).0, [fixed], "{typo}");
        }
    }

    #[test]
    fn known_words_and_brand_typos_are_left_alone() {
        assert_eq!(
            normalised("monitors for school").0,
            ["monitors", "for", "school"]
        );
        assert_eq!(normalised("samsumg").0, ["samsumg"]);
    }

    #[test]
    fn spelling_and_spacing_variants_are_bridged() {
        assert_eq!(normalised("air pods max").0, ["airpods", "max"]);
        assert_eq!(normalised("ear buds").0, ["earbuds"]);
        assert_eq!(normalised("4 k tv").0, ["4k", "tv"]);
        assert_eq!(normalised("play station 5").0, ["playstation", "5"]);
        assert_eq!(normalised("meta quest3").0, ["meta", "quest", "3"]);
    }
}
