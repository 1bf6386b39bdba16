//! Which taxonomy category a store files a listing under, read from its category trail
//! (`TV & Home Theater > TVs > OLED TVs` → `tv/tvs`, `Computers & Accessories › Monitors` →
//! `computers/monitors`) with the product nouns of [`lexicon::PRODUCT_NOUNS`].
//!
//! The last segment of the trail decides; when it names no product, the segment before it,
//! and so on. Words are compared as [`text::term`]s, so plurals and synonyms agree
//! (`Televisions`, `Smart Watches`, `Unlocked Cell Phones`).

use std::sync::LazyLock;

use super::{lexicon, text};

/// The product nouns as term sequences with their path, longest first.
static NOUNS: LazyLock<Vec<(Vec<String>, &'static str)>> = LazyLock::new(|| {
    let mut v: Vec<(Vec<String>, &'static str)> = lexicon::PRODUCT_NOUNS
        .iter()
        .map(|(phrase, path)| (phrase.split(' ').map(text::term).collect(), *path))
        .collect();
    v.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
    v
});

/// The taxonomy path a store category trail names, if any.
pub fn category_of(trail: &str) -> Option<&'static str> {
    trail
        .rsplit(['>', '›', '/', '|'])
        .find_map(|segment| first_noun(&terms(segment)))
}

/// The taxonomy path a product phrase names (`earbuds` → `audio/headphones`).
pub fn noun_category(phrase: &str) -> Option<&'static str> {
    let words = terms(phrase);
    NOUNS
        .iter()
        .find(|(noun, _)| *noun == words)
        .map(|(_, path)| *path)
}

fn terms(text: &str) -> Vec<String> {
    text::tokens(text).iter().map(|t| text::term(t)).collect()
}

/// The path of the first product noun of a segment, the longest at each position.
fn first_noun(words: &[String]) -> Option<&'static str> {
    (0..words.len()).find_map(|i| {
        let rest = words.get(i..).unwrap_or(&[]);
        NOUNS
            .iter()
            .find(|(noun, _)| rest.starts_with(noun))
            .map(|(_, path)| *path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_trails_name_taxonomy_categories() {
        for (trail, path) in [
            ("TV & Home Theater > TVs > OLED TVs", "tv/tvs"),
            (
                "Consumer Electronics > TV, Video & Home Audio > Televisions",
                "tv/tvs",
            ),
            (
                "Electronics › Computers & Accessories › Monitors",
                "computers/monitors",
            ),
            ("Cell Phones > Unlocked Cell Phones", "phones/smartphones"),
            (
                "Cell Phones & Accessories > Smart Watches",
                "wearables/smartwatches",
            ),
            ("Video Games › Gaming Accessories", "gaming/accessories"),
            ("Video Games > PlayStation 5 > PS5 Consoles", "gaming/consoles"),
            ("Home/Kitchen Appliances", "home/kitchen"),
            (
                "Home/Heating, Cooling & Air Quality/Air Quality",
                "home/air-quality",
            ),
            (
                "Computers/Tablets & Networking > Drives, Storage & Blank Media",
                "computers/storage",
            ),
        ] {
            assert_eq!(category_of(trail), Some(path), "{trail}");
        }
        assert_eq!(category_of("Clothing > Shoes"), None);
    }

    #[test]
    fn every_path_is_in_the_taxonomy() {
        for (noun, path) in lexicon::PRODUCT_NOUNS {
            assert!(crate::taxonomy::is_known(path), "{noun}: {path}");
        }
        assert_eq!(noun_category("Earbuds"), Some("audio/headphones"));
    }
}
