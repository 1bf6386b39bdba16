//! Word lists of the rules parser: filler, stop words, conditions, markets, categories and
//! features. Phrases are written as space-separated lower-case tokens (hyphenated words are
//! split by the tokenizer, so `pre-owned` is written `pre owned`).

use deals_core::Condition;

use super::tokens::Token;

/// Opening phrases and politeness that say nothing about the product.
pub(super) const FILLER: &[&str] = &[
    "i'm looking for a",
    "i'm looking for an",
    "im looking for a",
    "i am looking for a",
    "looking for a",
    "looking for an",
    "looking to buy a",
    "can you find a",
    "can you find me a",
    "i want a",
    "i want an",
    "i want to buy a",
    "i want to buy an",
    "i need a",
    "i need an",
    "get me a",
    "show me a",
    "find me a",
    "find me an",
    "find me",
    "find",
    "i'm looking for",
    "im looking for",
    "i am looking for",
    "looking for",
    "looking to buy",
    "can you find",
    "can you find me",
    "could you find",
    "help me find",
    "i want",
    "i want to buy",
    "i would like",
    "i'd like",
    "i need",
    "please",
    "show me",
    "search for",
    "get me",
    "a good",
    "good",
    "great",
    "nice",
    "best",
    "decent",
    "quality",
    "deal on",
    "deals on",
    "deal",
    "deals",
    "some",
    "only",
];

/// Words that sound like a price but name none; each one adds a note.
pub(super) const VAGUE_PRICE: &[&str] = &["cheap", "affordable", "inexpensive", "budget"];

/// Words dropped from the keywords.
pub(super) const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "nor",
    "for",
    "with",
    "w",
    "of",
    "in",
    "on",
    "to",
    "by",
    "from",
    "at",
    "via",
    "my",
    "me",
    "i",
    "it",
    "is",
    "are",
    "be",
    "that",
    "this",
    "these",
    "those",
    "which",
    "any",
    "one",
    "something",
    "should",
    "must",
    "have",
    "has",
    "having",
    "also",
    "just",
    "very",
    "really",
    "want",
    "need",
    "would",
    "could",
    "can",
    "you",
    "your",
    "get",
    "buy",
    "price",
    "priced",
    "cost",
    "costs",
    "under",
    "over",
    "below",
    "above",
    "less",
    "more",
    "than",
    "up",
    "least",
    "most",
    "max",
    "min",
    "between",
    "around",
    "about",
    "but",
    "if",
    "so",
    "please",
    "product",
    "products",
    "item",
    "items",
    "condition",
    "stores",
    "store",
    "shop",
    "shops",
    "sellers",
    "seller",
    "rating",
    "rated",
    "stars",
    "star",
    "preferably",
    "ideally",
    "maybe",
    "possibly",
    "etc",
    "&",
    "-",
    "~",
    "<",
    ">",
    "like",
];

/// Units after a number: such a number is a spec, never a price.
pub(super) const UNITS: &[&str] = &[
    "gb", "tb", "mb", "hz", "mp", "mah", "w", "watt", "watts", "inch", "inches", "in", "lbs", "lb",
    "kg", "g", "oz", "mm", "cm", "ft", "hours", "hrs", "hour", "years", "year", "months", "stars",
    "star", "%", "core", "cores", "qt", "quart", "liter", "l", "ms", "x", "pack", "pcs",
];

/// Words that negate what follows (`no Apple`, `not used`, `without ads`).
pub(super) const NEGATIONS: &[&str] = &[
    "no",
    "not",
    "non",
    "except",
    "excluding",
    "exclude",
    "without",
    "avoid",
    "never",
    "don't want",
    "do not want",
    "dont want",
    "anything but",
    "other than",
    "nothing from",
];

/// Condition phrases.
pub(super) const CONDITIONS: &[(&str, Condition)] = &[
    ("new", Condition::New),
    ("brand new", Condition::New),
    ("like new", Condition::Used),
    ("used", Condition::Used),
    ("pre owned", Condition::Used),
    ("preowned", Condition::Used),
    ("second hand", Condition::Used),
    ("secondhand", Condition::Used),
    ("refurbished", Condition::Refurbished),
    ("certified refurbished", Condition::Refurbished),
    ("refurb", Condition::Refurbished),
    ("renewed", Condition::Refurbished),
    ("open box", Condition::OpenBox),
    ("openbox", Condition::OpenBox),
];

/// Market names; `target` is a market only after `on`, `at`, `from`, `via` or another market.
pub(super) const MARKETS: &[(&str, &str)] = &[
    ("amazon", "amazon"),
    ("amazon.com", "amazon"),
    ("ebay", "ebay"),
    ("ebay.com", "ebay"),
    ("walmart", "walmart"),
    ("best buy", "bestbuy"),
    ("bestbuy", "bestbuy"),
    ("target", "target"),
];

/// Words that introduce a market.
pub(super) const MARKET_PREPOSITIONS: &[&str] = &["on", "at", "from", "via", "in"];

/// Product nouns and the taxonomy path they name: one table shared with core matching.
pub(super) use deals_core::matching::lexicon::PRODUCT_NOUNS as CATEGORIES;

/// Multi-word features kept as one keyword, with their normal spelling.
pub(super) const FEATURES: &[(&str, &str)] = &[
    ("noise cancelling", "noise cancelling"),
    ("noise canceling", "noise cancelling"),
    ("noise cancellation", "noise cancelling"),
    ("active noise cancelling", "noise cancelling"),
    ("active noise canceling", "noise cancelling"),
    ("over ear", "over ear"),
    ("in ear", "in ear"),
    ("on ear", "on ear"),
    ("true wireless", "true wireless"),
    ("wi fi", "wifi"),
    ("usb c", "usb-c"),
    ("touch screen", "touchscreen"),
    ("fast charging", "fast charging"),
    ("water resistant", "water resistant"),
    ("smart tv", "smart tv"),
    ("dolby atmos", "dolby atmos"),
    ("open back", "open back"),
];

/// Length in tokens of the longest phrase of `phrases` that starts at token `i`.
pub(super) fn phrase_len(toks: &[Token], i: usize, phrases: &[&str]) -> Option<usize> {
    phrases.iter().filter_map(|p| matches_at(toks, i, p)).max()
}

/// Longest entry of a `(phrase, value)` table starting at token `i`: its length and value.
pub(super) fn lookup<T: Copy>(toks: &[Token], i: usize, table: &[(&str, T)]) -> Option<(usize, T)> {
    table
        .iter()
        .filter_map(|(p, v)| matches_at(toks, i, p).map(|n| (n, *v)))
        .max_by_key(|(n, _)| *n)
}

/// Number of tokens of `phrase` when it appears at token `i`.
fn matches_at(toks: &[Token], i: usize, phrase: &str) -> Option<usize> {
    let mut n = 0;
    for (k, word) in phrase.split(' ').enumerate() {
        if toks.get(i + k)?.text != word {
            return None;
        }
        n += 1;
    }
    Some(n)
}
