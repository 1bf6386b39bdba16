//! The product taxonomy: every category is a `department/category` path such as
//! `audio/headphones`.
//!
//! Goals, the simulated marketplace's catalogue and the demo seed all name categories by these
//! paths. Stores name theirs in their own words (`Audio > Headphones`, `Headphones`), so goal
//! matching compares only the last segment of a path (see [`leaf`]) with the listing's title and
//! category words.

/// Every category path, department first.
pub const CATEGORIES: &[&str] = &[
    "audio/headphones",
    "audio/speakers",
    "audio/soundbars",
    "tv/tvs",
    "computers/laptops",
    "computers/desktops",
    "computers/monitors",
    "computers/tablets",
    "computers/storage",
    "computers/networking",
    "phones/smartphones",
    "cameras/cameras",
    "gaming/consoles",
    "gaming/accessories",
    "wearables/smartwatches",
    "home/vacuums",
    "home/kitchen",
    "home/air-quality",
    "outdoor/gear",
];

/// The last segment of a category path (`audio/headphones` → `headphones`); a name without a
/// `/` is its own leaf.
pub fn leaf(category: &str) -> &str {
    let trimmed = category.trim().trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// The department of a category path (`audio/headphones` → `audio`), if it has one.
pub fn department(category: &str) -> Option<&str> {
    category.trim().split_once('/').map(|(d, _)| d)
}

/// Whether `category` is one of [`CATEGORIES`].
pub fn is_known(category: &str) -> bool {
    CATEGORIES.contains(&category)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_has_a_leaf_and_a_department() {
        assert_eq!(leaf("audio/headphones"), "headphones");
        assert_eq!(department("audio/headphones"), Some("audio"));
        assert_eq!(leaf("headphones"), "headphones");
        assert_eq!(department("headphones"), None);
        assert_eq!(leaf(" home/air-quality/ "), "air-quality");
    }

    #[test]
    fn every_category_is_a_two_level_lowercase_path() {
        for c in CATEGORIES {
            let (d, l) = c.split_once('/').unwrap_or_default();
            assert!(!d.is_empty() && !l.is_empty() && !l.contains('/'), "{c}");
            assert_eq!(c.to_lowercase(), *c);
            assert!(is_known(c));
        }
        assert!(!is_known("headphones"));
    }
}
