//! Store search: every non-stop-word query token must be in the offer's title, brand, model or
//! category (the category leaf matches too); results are ranked by where the tokens hit, then
//! by external id.
//!
//! Tokens are lowercase alphanumeric runs with simple plural stripping; a hyphenated word also
//! yields its joined form (`wh-1000xm5` → `wh`, `1000xm5`, `wh1000xm5`), and every spelling of
//! noise cancelling (`noise cancelling`, `noise-canceling`, `noise cancellation`, `anc`, `nc`)
//! becomes the one token `anc`.

use std::collections::HashSet;

use super::{SimWorld, StoreOffer};

/// Words a query may contain that say nothing about the product.
const STOP_WORDS: [&str; 16] = [
    "a", "an", "the", "for", "with", "and", "or", "of", "in", "on", "to", "by", "new", "best",
    "cheap", "deal",
];

/// The words of `text` as search tokens.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let parts: Vec<String> = word
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|p| !p.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if parts.len() > 1 {
            out.extend(parts.iter().cloned());
            out.push(parts.concat());
        } else {
            out.extend(parts);
        }
    }
    let mut merged: Vec<String> = Vec::with_capacity(out.len());
    let mut iter = out.into_iter().peekable();
    while let Some(t) = iter.next() {
        let next_cancels = iter.peek().is_some_and(|n| n.starts_with("cancel"));
        if t == "noise" && next_cancels {
            iter.next();
            merged.push("anc".to_owned());
        } else if t == "nc" || t.starts_with("noisecancel") {
            if merged.last().is_none_or(|l| l != "anc") {
                merged.push("anc".to_owned());
            }
        } else {
            merged.push(singular(t));
        }
    }
    merged
}

/// Simple plural stripping: `headphones` → `headphone`, `batteries` → `battery`.
fn singular(t: String) -> String {
    if t.len() > 4 && t.ends_with("ies") {
        format!("{}y", &t[..t.len() - 3])
    } else if t.len() > 2 && t.ends_with('s') && !t.ends_with("ss") && !t.ends_with("us") {
        t[..t.len() - 1].to_owned()
    } else {
        t
    }
}

impl SimWorld {
    /// The offers of `store` matching `query`, most relevant first; an empty query (or one of
    /// stop words only) returns every offer.
    pub fn search(&self, store: &str, query: &str) -> Vec<&StoreOffer> {
        self.searches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let wanted: Vec<String> = tokens(query)
            .into_iter()
            .filter(|t| !STOP_WORDS.contains(&t.as_str()))
            .collect();
        let mut hits: Vec<(u32, &StoreOffer)> = self
            .offers(store)
            .iter()
            .filter_map(|o| score(self, o, &wanted).map(|s| (s, o)))
            .collect();
        hits.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.external_id.cmp(&b.1.external_id))
        });
        hits.into_iter().map(|(_, o)| o).collect()
    }
}

/// How well `o` matches the query tokens; `None` when a token is missing.
fn score(world: &SimWorld, o: &StoreOffer, wanted: &[String]) -> Option<u32> {
    let title: HashSet<String> = tokens(&o.title).into_iter().collect();
    let mut names: HashSet<String> = HashSet::new();
    if let Some(p) = world.product(o.product) {
        names.extend(tokens(&p.brand));
        names.extend(tokens(&p.model));
        names.extend(tokens(deals_core::taxonomy::leaf(&p.category)));
    }
    names.extend(o.brand.iter().flat_map(|b| tokens(b)));
    names.extend(o.model.iter().flat_map(|m| tokens(m)));
    let category: HashSet<String> = tokens(&o.category).into_iter().collect();
    let mut total = 0;
    for t in wanted {
        total += if title.contains(t) {
            3
        } else if names.contains(t) {
            2
        } else if category.contains(t) {
            1
        } else {
            return None;
        };
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_noise_cancelling_become_one_token() {
        for text in [
            "Noise Cancelling",
            "noise-canceling",
            "Noise Cancellation",
            "ANC",
            "NC",
        ] {
            assert_eq!(tokens(text), vec!["anc"], "{text}");
        }
        assert_eq!(
            tokens("WH-1000XM5 Headphones"),
            vec!["wh", "1000xm5", "wh1000xm5", "headphone"]
        );
        assert_eq!(tokens("Batteries glass"), vec!["battery", "glass"]);
    }
}
