//! A light English stemmer for matching: folds the plural and `-ing`/`-ed` forms a product
//! title or a goal uses onto one stem. It is not a linguistic stemmer: both sides of every
//! comparison go through it, so it only has to be consistent, and it stays readable for
//! common words (`headphones` → `headphone`, not `headphon`).

/// A light English stemmer for lower-case ASCII words: plurals (`headphones` → `headphone`,
/// `batteries` → `battery`, `watches` → `watch`), then `-ing`/`-ed` (`cancelling`,
/// `canceling`, `cancelled` → `cancel`; `charging` → `charge`; `gaming` → `game`). Words under
/// four letters, non-ASCII words and a few exceptions (`series`, `lens`, `used`) are kept.
pub fn stem(word: &str) -> String {
    const KEEP: &[&str] = &["series", "lens", "news", "always", "canvas", "used"];
    if word.len() < 4 || !word.bytes().all(|b| b.is_ascii_lowercase()) || KEEP.contains(&word) {
        return word.to_owned();
    }
    verb(plural(word))
}

fn plural(w: &str) -> String {
    if w.ends_with("sses") || ["xes", "ches", "shes"].iter().any(|s| w.ends_with(s)) {
        w[..w.len() - 2].to_owned()
    } else if w.len() > 4 && w.ends_with("ies") {
        format!("{}y", &w[..w.len() - 3])
    } else if w.ends_with('s') && !["ss", "us", "is"].iter().any(|s| w.ends_with(s)) {
        w[..w.len() - 1].to_owned()
    } else {
        w.to_owned()
    }
}

fn verb(w: String) -> String {
    let base = if w.ends_with("ing") && w.len() >= 6 {
        &w[..w.len() - 3]
    } else if w.ends_with("ed") && !w.ends_with("eed") {
        &w[..w.len() - 2]
    } else {
        return w;
    };
    if base.len() < 2 || !base.bytes().any(is_vowel) {
        return w;
    }
    let b = base.as_bytes();
    let n = b.len();
    if n >= 2 && b[n - 1] == b[n - 2] && !is_vowel(b[n - 1]) && !matches!(b[n - 1], b's' | b'z') {
        return base[..n - 1].to_owned();
    }
    const ADD_E: &[&str] = &["at", "bl", "iz", "rg", "dg", "iv", "rc", "us"];
    if ADD_E.iter().any(|s| base.ends_with(s)) || short_cvc(b) {
        return format!("{base}e");
    }
    base.to_owned()
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Porter's `*o` with measure 1: one vowel group, ending consonant-vowel-consonant (`wir`,
/// `gam`, `stor`), last letter not w, x or y.
fn short_cvc(b: &[u8]) -> bool {
    let n = b.len();
    if n < 3 || !(!is_vowel(b[n - 3]) && is_vowel(b[n - 2]) && !is_vowel(b[n - 1])) {
        return false;
    }
    let groups = b
        .windows(2)
        .filter(|w| is_vowel(w[0]) && !is_vowel(w[1]))
        .count();
    groups == 1 && !matches!(b[n - 1], b'w' | b'x' | b'y')
}
