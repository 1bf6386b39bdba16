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

/// The taxonomy path a listing title names, for listings whose store gives no category: the
/// last product noun of the first title segment that has one (segments end at `,`, ` - `,
/// brackets, `with` and `for`), so `Bose Soundbar with … TV Speaker` is a soundbar and
/// `DualSense Wireless Controller for PS5` a gaming accessory. A noun right after an amount
/// (`512GB SSD`) and `PC` (`Copilot+ PC` laptops) do not count.
pub fn category_of_title(title: &str) -> Option<&'static str> {
    let lower = title.to_lowercase();
    let mut cut = lower.replace([',', '(', ')', '|'], " | ");
    for sep in [" - ", " with ", " for "] {
        cut = cut.replace(sep, " | ");
    }
    cut.split('|')
        .find_map(|segment| last_noun(&terms(segment)))
}

fn last_noun(words: &[String]) -> Option<&'static str> {
    let mut found = None;
    let mut i = 0;
    while i < words.len() {
        let rest = words.get(i..).unwrap_or(&[]);
        let after_amount = i > 0
            && words.get(i - 1).is_some_and(|w| {
                w.starts_with(|c: char| c.is_ascii_digit()) && w.ends_with(char::is_alphabetic)
            });
        match NOUNS.iter().find(|(noun, _)| rest.starts_with(noun)) {
            Some((noun, path)) if !(after_amount || noun.len() == 1 && noun[0] == "pc") => {
                found = Some(*path);
                i += noun.len();
            }
            _ => i += 1,
        }
    }
    found
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
            (
                "Video Games > PlayStation 5 > PS5 Consoles",
                "gaming/consoles",
            ),
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
    fn titles_name_their_product_type_by_the_head_noun() {
        for (title, path) in [
            (
                "Bose Soundbar with Bluetooth and HDMI-ARC, TV Speaker",
                Some("audio/soundbars"),
            ),
            (
                "Samsung Smart Monitor M8 32-inch 4K UHD Monitor with Streaming TV",
                Some("computers/monitors"),
            ),
            (
                "Sony PlayStation DualSense Wireless Controller for PS5",
                Some("gaming/accessories"),
            ),
            (
                "Sony - WH-1000XM5 Wireless Noise-Canceling Headphones - Black",
                Some("audio/headphones"),
            ),
            (
                "Dell XPS 13 9340 Laptop Intel Core Ultra 7 16GB RAM 512GB SSD",
                Some("computers/laptops"),
            ),
            (
                "HP OmniBook X 14-inch AI PC Snapdragon X Elite 16GB RAM 512GB SSD",
                None,
            ),
        ] {
            assert_eq!(category_of_title(title), path, "{title}");
        }
    }

    #[test]
    fn every_path_is_in_the_taxonomy() {
        for (noun, path) in lexicon::PRODUCT_NOUNS {
            assert!(crate::taxonomy::is_known(path), "{noun}: {path}");
        }
        assert_eq!(noun_category("Earbuds"), Some("audio/headphones"));
    }
}
