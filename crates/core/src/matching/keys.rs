//! Code keys: the ways two stores write one model number, compared without reading it as a
//! strong code first (see [`super::model`]). A key is a run of one to three words written
//! together (`DHT-FS3` ≈ `dhtfs3`, `Stylus 1050 SW` ≈ `stylus1050sw`), also without a colour
//! or region suffix; a code stem is a strong code without its colour suffix, looked for in the
//! other title. Both are features of the learned model, not rules.

use super::model::{MAX_SUFFIX, REGION_SUFFIXES, code, is_strong};

/// Three-letter colour suffixes of model numbers (`nxu10sil`, `pg40tbk`), which a key or code
/// is also read without, like a suffix of at most [`MAX_SUFFIX`] letters; other longer
/// suffixes name another model (`pla401v3kit`).
const COLOUR_SUFFIXES: &[&str] = &[
    "blk", "wht", "whi", "sil", "slv", "pnk", "red", "blu", "gry", "org", "grn", "brn", "yel",
];
/// Longest word, but one, of a key written in several words (`stylus 1050 sw`, `9s00 .006`).
const MAX_KEY_WORD: usize = 4;

/// The code keys of a text (see [`Keys::of`]), hashed with their lengths
/// (`hash << 8 | length`), sorted and deduplicated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Keys {
    /// Keys as written.
    full: Vec<u64>,
    /// Keys without a short letter or region suffix (`stylus1050` of `stylus1050swb`).
    stems: Vec<u64>,
}

impl Keys {
    /// Every run of one to three consecutive words (split at spaces; punctuation inside a word
    /// is dropped), written together, that has letters and digits and is no number with a
    /// unit or a bare number, of which all words but one are short: `dhtfs3` of `DHT-FS3`, `stylus1050sw` of
    /// `Stylus 1050 SW`, `9s00006` of `9S00 .006`, `htbd2txaa` of `HT-BD2T / XAA`; and as
    /// stems, each key without a colour or region suffix (`dmctz5` of `dmctz5k`, see
    /// [`without_suffix`]).
    pub(crate) fn of(text: &str) -> Self {
        let words: Vec<String> = text
            .split_whitespace()
            .map(code)
            .filter(|w| !w.is_empty())
            .collect();
        let mut out = Self::default();
        for start in 0..words.len() {
            let mut key = String::new();
            let mut long = 0;
            for word in words.iter().skip(start).take(3) {
                long += usize::from(word.len() > MAX_KEY_WORD);
                if long > 1 {
                    break;
                }
                key.push_str(word);
                if !is_key(&key) {
                    continue;
                }
                out.full.push(hashed(&key));
                let region = REGION_SUFFIXES.iter().find_map(|r| key.strip_suffix(r));
                for stem in [without_suffix(&key), region].into_iter().flatten() {
                    if stem.len() < key.len() && is_key(stem) {
                        out.stems.push(hashed(stem));
                    }
                }
            }
        }
        for list in [&mut out.full, &mut out.stems] {
            list.sort_unstable();
            list.dedup();
        }
        out
    }

    /// Adds the keys of another text (a store's model field).
    pub(crate) fn extend(&mut self, other: Self) {
        self.full.extend(other.full);
        self.stems.extend(other.stems);
        for list in [&mut self.full, &mut self.stems] {
            list.sort_unstable();
            list.dedup();
        }
    }

    /// The length of the longest key both write, or that one writes and the other writes with
    /// a suffix; 0 when none. Two suffixed keys of one stem (`wh1000xm4b` / `wh1000xm4s`,
    /// `10707rnn` / `10707rcc`) share nothing: the suffixes may name two variants.
    pub(crate) fn longest_shared(&self, other: &Self) -> usize {
        longest_common(&self.full, &other.full)
            .max(longest_common(&self.stems, &other.full))
            .max(longest_common(&self.full, &other.stems))
    }
}

/// A code without its trailing letters when they are at most [`MAX_SUFFIX`] or a
/// three-letter colour (`dmctz5` of `dmctz5k`, `nxu10` of `nxu10sil`; not `pla401v3` of
/// `pla401v3kit`).
fn without_suffix(code: &str) -> Option<&str> {
    let stem = code.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &code[stem.len()..];
    (!suffix.is_empty() && (suffix.len() <= MAX_SUFFIX || COLOUR_SUFFIXES.contains(&suffix)))
        .then_some(stem)
}

/// The codes and, where they end in a colour suffix (see [`without_suffix`]) and what is
/// left is still strong, their stems (`stylus1050b` and `stylus1050`), sorted and
/// deduplicated: what another store may write without the suffix.
pub(crate) fn stems(codes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = codes.to_vec();
    out.extend(
        codes
            .iter()
            .filter_map(|c| without_suffix(c))
            .filter(|stem| is_strong(stem))
            .map(str::to_owned),
    );
    out.sort_unstable();
    out.dedup();
    out
}

/// The length of the longest of `stems` (of one listing) found in `compact` (the other's
/// title as one run of letters and digits) where no digit follows it (`dmctz5` in
/// `lumixdmctz5digital`, not in `dmctz50`), unless one of the other's `codes` writes it with
/// another suffix (`wh1000xm4` of `wh1000xm4b` against `wh1000xm4s`); 0 when none.
pub(crate) fn longest_in(stems: &[String], compact: &str, codes: &[String]) -> usize {
    stems
        .iter()
        .filter(|s| {
            !codes
                .iter()
                .any(|c| c.len() > s.len() && c.starts_with(s.as_str()) && !stems.contains(c))
        })
        .filter(|s| {
            super::text::occurrences(compact, s).any(|at| {
                !compact[at + s.len()..]
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_digit())
            })
        })
        .map(String::len)
        .max()
        .unwrap_or(0)
}

/// Letters and digits in four characters or more, and not a number with a unit (`128gb`,
/// `1080p`, `2piece`) or a bare number (`10700` of `10700 Series`, which the strong codes
/// already read).
fn is_key(key: &str) -> bool {
    let digits = key.bytes().filter(u8::is_ascii_digit).count();
    let spec = key
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .bytes()
        .all(|b| b.is_ascii_alphabetic());
    key.len() >= 4 && digits > 0 && !spec
}

/// FNV-1a of a key, shifted to leave the low byte for its length.
fn hashed(key: &str) -> u64 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash << 8 | key.len().min(255) as u64
}

/// The length of the longest hashed key two sorted lists share, or 0.
fn longest_common(a: &[u64], b: &[u64]) -> usize {
    super::text::shared_sorted(a, b)
        .map(|x| (x & 0xff) as usize)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_shared_by_two_ways_of_writing_one_model_number() {
        let shared = |a: &str, b: &str| Keys::of(a).longest_shared(&Keys::of(b));
        assert_eq!(shared("denon dhtfs3", "denon dht-fs3 2-piece system"), 6);
        assert_eq!(shared("stylus1050sw camera", "stylus 1050 camera"), 10);
        assert_eq!(shared("zyxel pla401v3", "zyxel pla401v3kit"), 0, "a kit");
        assert_eq!(
            shared("panasonic dmctz5k", "lumix dmc-tz5 digital camera"),
            6
        );
        assert_eq!(shared("tomtom 9s00006", "tomtom kit 9s00 .006"), 7);
        assert_eq!(shared("samsung htbd2txaa", "samsung ht-bd2t / xaa"), 9);
        assert_eq!(
            shared("42 ' 1080p lcd tv 128gb", "42 ' 1080p lcd hdtv 128gb"),
            0
        );
        assert_eq!(shared("dmctz5", "dmctz50"), 0);
        assert_eq!(
            shared("sony wh-1000xm4/b", "sony wh-1000xm4/s"),
            0,
            "two colours"
        );
        assert_eq!(shared("hon 10707rnn", "hon 10707rcc"), 0);
    }

    #[test]
    fn a_code_stem_is_found_in_a_title_that_writes_no_other_suffix() {
        let codes = |c: &[&str]| c.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let stems_of = |c: &[&str]| stems(&codes(c));
        assert_eq!(
            stems_of(&["stylus1050b", "nxu10sil", "226455"]),
            ["226455", "nxu10", "nxu10sil", "stylus1050", "stylus1050b"]
        );
        assert_eq!(stems_of(&["pla401v3kit"]), ["pla401v3kit"], "a kit");
        let found =
            |a: &[&str], compact: &str, b: &[&str]| longest_in(&stems_of(a), compact, &codes(b));
        assert_eq!(found(&["stylus1050sw"], "stylus1050camera", &[]), 10);
        assert_eq!(
            found(&["stylus1050sw"], "stylus10500", &[]),
            0,
            "a digit follows"
        );
        assert_eq!(found(&["wh1000xm4b"], "sonywh1000xm4s", &["wh1000xm4s"]), 0);
    }
}
