//! The offline Goal Analysis rules: deterministic, no network, never fails.
//!
//! [`parse_goal`] reads plain-language goal text into [`GoalCriteria`]:
//! - **prices**: `under $1000`, `below 500`, `over $500`, `at least`, `$500-$1000`,
//!   `$500 to $1000`, `between $500 and $1000`, `max 300`, `up to 200`, `1,299.99`, `$1.2k`,
//!   `300 dollars`, `€300` (EUR), `£300` (GBP). `around $300` is read as ±15 %
//!   ($255–$345). An amount with a currency and no price word is read as the maximum.
//! - **brands** from a list of about a hundred, multi-word ones included (`bang & olufsen`,
//!   `the north face`), and misspellings one edit away (`samsumg` → `samsung`, see the
//!   brands module).
//! - **categories** from a map of product nouns (`earbuds` → `audio/headphones`, `tv` → `tv/tvs`: the
//!   taxonomy paths of `deals_core::taxonomy`).
//!   The product noun is also kept as a keyword, as the main product of the goal (`noise
//!   cancelling headphones` → keywords `noise cancelling`, `headphones`), except when nouns
//!   are alternatives (`laptop or tablet`): then they are categories only, because every
//!   keyword counts towards a listing's keyword coverage and a listing is only one of them.
//! - **conditions** (`new`, `used`, `pre-owned`, `refurbished`, `renewed`, `open box`); a
//!   refused condition (`no refurbished`, `not used`) is left out of the accepted list.
//! - **exclusions** (`not Apple`, `no Apple`, `except Apple`, `without ads`) become excluded
//!   words; a refused market (`not on eBay`) is left out of the market list.
//! - **markets** (`on eBay or Amazon`, `from Best Buy`, `at Target`) and the **minimum seller
//!   rating** (`seller rating 4.5+`, `at least 4 stars`).
//! - **features** stay keywords (`16GB RAM` → `16gb ram`, `4K`, `noise cancelling`, `OLED`).
//!
//! Filler (`find me a`, `I'm looking for`, `please`…) and stop words are dropped; `cheap` and
//! similar words add a note. Whatever else remains becomes keywords, one per word, so text
//! such as "ignore previous instructions" is only ever data: it can add keywords, nothing else.

mod brands;
mod build;
mod parse;
mod prices;
mod specs;
mod tokens;
mod vocab;
mod words;

#[cfg(test)]
mod tests;

use deals_core::GoalCriteria;

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 80;

/// The result of reading a goal.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedGoal {
    /// The structured criteria; always valid for [`GoalCriteria::parse`].
    pub criteria: GoalCriteria,
    /// A short title: the text without filler, at most [`MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// What was ambiguous or ignored, one sentence each.
    pub notes: Vec<String>,
}

/// Reads goal text into criteria, a title and notes. Never panics and never fails: text with
/// nothing recognisable yields keywords only.
pub fn parse_goal(text: &str) -> ParsedGoal {
    let mut notes = Vec::new();
    let text = match text.char_indices().nth(tokens::MAX_CHARS) {
        Some((cut, _)) => {
            notes.push(format!(
                "only the first {} characters are read",
                tokens::MAX_CHARS
            ));
            &text[..cut]
        }
        None => text,
    };
    let mut toks = tokens::tokenize(text);
    notes.extend(words::normalise(&mut toks));
    let parser = parse::Parser::run(&toks);
    let title = title(text, &toks, &parser.filler);
    let (criteria, more) = build::criteria(parser.draft);
    notes.extend(more);
    ParsedGoal {
        criteria,
        title,
        notes,
    }
}

/// The original words minus those made only of filler, trimmed and capitalised.
fn title(text: &str, toks: &[tokens::Token], filler: &[bool]) -> String {
    let kept: Vec<&str> = text
        .split_whitespace()
        .enumerate()
        .filter(|(w, _)| {
            let of_word: Vec<bool> = toks
                .iter()
                .zip(filler)
                .filter(|(t, _)| t.word == *w)
                .map(|(_, f)| *f)
                .collect();
            // A word with no token of its own was joined to its neighbour ("air pods" →
            // `airpods`): it is part of the product, not filler.
            of_word.is_empty() || !of_word.iter().all(|f| *f)
        })
        .map(|(_, word)| word)
        .collect();
    let joined = kept.join(" ");
    let trimmed = joined.trim_matches(|c: char| !(c.is_alphanumeric() || "$€£".contains(c)));
    let mut title = String::new();
    let mut chars = trimmed.chars();
    if let Some(first) = chars.next() {
        title.extend(first.to_uppercase());
    }
    title.extend(chars);
    if title.chars().count() > MAX_TITLE_CHARS {
        let cut: String = title.chars().take(MAX_TITLE_CHARS).collect();
        title = match cut.rsplit_once(' ') {
            Some((head, _)) => head.trim_end_matches([',', ';', ':']).to_owned(),
            None => cut,
        };
    }
    title
}

/// The first known brand named in a listing title (exact names and aliases, no typo
/// correction): `NEW Skullcandy Crusher ANC 2` → `skullcandy`. Used when a store does not
/// state the brand, so that a goal naming other brands can exclude the listing.
pub fn brand_in_title(title: &str) -> Option<&'static str> {
    let toks = tokens::tokenize(title);
    (0..toks.len()).find_map(|i| brands::brand_at(&toks, i).map(|(_, b)| b))
}

#[cfg(test)]
mod title_tests {
    use super::parse_goal;

    #[test]
    fn a_title_keeps_both_words_of_a_joined_variant() {
        assert_eq!(parse_goal("air pods").title, "Air pods");
        assert_eq!(
            parse_goal("sony ear buds under $50").title,
            "Sony ear buds under $50"
        );
    }
}

#[cfg(test)]
mod brand_in_title_tests {
    use super::brand_in_title;

    #[test]
    fn a_title_names_its_brand() {
        assert_eq!(
            brand_in_title("NEW Skullcandy Crusher ANC 2 Wireless NC Headphones White SEALED"),
            Some("skullcandy")
        );
        assert_eq!(
            brand_in_title("Sony - WH-1000XM5 Wireless Headphones"),
            Some("sony")
        );
        assert_eq!(brand_in_title("Wireless Noise-Canceling Headphones"), None);
    }
}
