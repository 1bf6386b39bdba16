//! The brand list and its typo correction.
//!
//! A single word that is not a known brand is corrected to one when it is at least
//! [`TYPO_MIN_CHARS`] long, starts with the same letter as the brand and is one edit away from
//! exactly one brand (insertion, deletion, substitution or transposition of neighbours:
//! `samsumg`, `bosee`, `appel`). Real words that are one edit from a brand (`apply`, `razor`…)
//! are listed in [`NOT_TYPOS`] and never corrected.

use super::tokens::Token;
use super::vocab::lookup;

/// Shortest word considered for typo correction.
pub(super) const TYPO_MIN_CHARS: usize = 5;

/// Canonical brand names, lower case, as written in criteria.
pub(super) const BRANDS: &[&str] = &[
    "sony",
    "bose",
    "apple",
    "samsung",
    "lg",
    "dell",
    "hp",
    "lenovo",
    "asus",
    "acer",
    "microsoft",
    "nintendo",
    "dyson",
    "google",
    "msi",
    "razer",
    "logitech",
    "corsair",
    "steelseries",
    "hyperx",
    "alienware",
    "jbl",
    "sennheiser",
    "beats",
    "skullcandy",
    "audio-technica",
    "shure",
    "anker",
    "jabra",
    "bang & olufsen",
    "sonos",
    "marshall",
    "ultimate ears",
    "harman kardon",
    "klipsch",
    "yamaha",
    "denon",
    "panasonic",
    "philips",
    "tcl",
    "hisense",
    "vizio",
    "toshiba",
    "sharp",
    "canon",
    "nikon",
    "fujifilm",
    "olympus",
    "gopro",
    "dji",
    "garmin",
    "fitbit",
    "xiaomi",
    "oneplus",
    "motorola",
    "nokia",
    "huawei",
    "western digital",
    "seagate",
    "sandisk",
    "crucial",
    "kingston",
    "intel",
    "amd",
    "nvidia",
    "gigabyte",
    "netgear",
    "tp-link",
    "ring",
    "arlo",
    "eufy",
    "roku",
    "kitchenaid",
    "ninja",
    "instant pot",
    "cuisinart",
    "breville",
    "keurig",
    "nespresso",
    "vitamix",
    "shark",
    "irobot",
    "bissell",
    "hoover",
    "dewalt",
    "makita",
    "bosch",
    "black & decker",
    "milwaukee",
    "ryobi",
    "weber",
    "traeger",
    "yeti",
    "coleman",
    "the north face",
    "patagonia",
    "columbia",
    "osprey",
];

/// Other spellings of brands, as token phrases.
const ALIASES: &[(&str, &str)] = &[
    ("b&o", "bang & olufsen"),
    ("bang and olufsen", "bang & olufsen"),
    ("hewlett packard", "hp"),
    ("audio technica", "audio-technica"),
    ("tp link", "tp-link"),
    ("tplink", "tp-link"),
    ("wd", "western digital"),
    ("black and decker", "black & decker"),
    ("black+decker", "black & decker"),
    ("north face", "the north face"),
    ("go pro", "gopro"),
];

/// Words one edit away from a brand that are real words, never corrected.
const NOT_TYPOS: &[&str] = &[
    "apply", "ample", "razor", "hover", "share", "demon", "canoe", "boats", "bears", "beads",
    "belts", "beast", "sharps", "rings", "acres",
];

/// The brand written at token `i` (exact spelling or alias), with the tokens it spans.
pub(super) fn brand_at(toks: &[Token], i: usize) -> Option<(usize, &'static str)> {
    let exact = BRANDS
        .iter()
        .filter_map(|b| {
            let phrase = b.replace('-', " ");
            let n = phrase.split(' ').count();
            let hit = phrase
                .split(' ')
                .enumerate()
                .all(|(k, w)| toks.get(i + k).is_some_and(|t| t.text == w));
            hit.then_some((n, *b))
        })
        .max_by_key(|(n, _)| *n);
    match (exact, lookup(toks, i, ALIASES)) {
        (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The brand a misspelt single word stands for, if exactly one brand is one edit away.
pub(super) fn correct_typo(word: &str) -> Option<&'static str> {
    if word.chars().count() < TYPO_MIN_CHARS
        || !word.chars().all(char::is_alphabetic)
        || NOT_TYPOS.contains(&word)
    {
        return None;
    }
    let mut found = BRANDS
        .iter()
        .filter(|b| b.chars().all(char::is_alphabetic) && b.chars().count() + 1 >= TYPO_MIN_CHARS)
        .filter(|b| b.chars().next() == word.chars().next() && edit_distance(word, b) == 1);
    let first = found.next()?;
    found.next().is_none().then_some(*first)
}

/// Optimal-string-alignment distance: edits are insertions, deletions, substitutions and
/// transpositions of adjacent characters.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}
