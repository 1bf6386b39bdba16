//! Whether two stores' brands can name the same maker: aliases and typos, sub-brands and
//! product lines sold under their maker's name (`Ultimate Ears` is Logitech, `Alienware` is
//! Dell), and brand fields that a store fills differently (`Elite Screens` / `Elite`,
//! `Arkon` for a Griffin case whose title says `Griffin`).
//!
//! Keys are in the form [`super::text::normalize_brand`] produces; its alias map (in the
//! lexicon) is applied first, and [`ALIASES`] here adds the ones same-product matching needs.

use super::text;

/// More aliases and typos: `(normalised variant, canonical)`.
pub(crate) const ALIASES: &[(&str, &str)] = &[
    ("sennheisser", "sennheiser"),
    ("powermate", "powermat"),
    ("hewlett", "hp"),
    ("hpinc", "hp"),
    ("lgelectronic", "lg"),
    ("tplink", "tplink"),
    ("motorolamobility", "motorola"),
    ("sandiskcorp", "sandisk"),
    ("westerndigitalwd", "wd"),
];

/// Sub-brands and product lines: `(sub-brand, maker)`.
pub(crate) const SUB_BRANDS: &[(&str, &str)] = &[
    ("ultimateears", "logitech"),
    ("logitechg", "logitech"),
    ("alienware", "dell"),
    ("beats", "apple"),
    ("beatsbydre", "apple"),
    ("jbl", "harman"),
    ("harmankardon", "harman"),
    ("rog", "asus"),
    ("omen", "hp"),
    ("predator", "acer"),
    ("legion", "lenovo"),
    ("thinkpad", "lenovo"),
    ("playstation", "sony"),
    ("xbox", "microsoft"),
    ("surface", "microsoft"),
    ("pixel", "google"),
    ("nest", "google"),
    ("fitbit", "google"),
    ("ring", "amazon"),
    ("echo", "amazon"),
    ("kindle", "amazon"),
    ("soundcore", "anker"),
    ("eufy", "anker"),
    ("galaxy", "samsung"),
    ("vaio", "sony"),
    ("bravia", "sony"),
    ("cybershot", "sony"),
    ("nikkor", "nikon"),
    ("coolpix", "nikon"),
    ("easyshare", "kodak"),
    ("powershot", "canon"),
    ("pixma", "canon"),
    ("lumix", "panasonic"),
    ("linksys", "cisco"),
];

/// Shortest brand key that may be the start of a longer one (`elite` of `elitescreens`).
const MIN_PREFIX: usize = 3;

/// The canonical key of a brand name: the lexicon's aliases, then [`ALIASES`].
pub(crate) fn key(name: &str) -> String {
    let key = text::normalize_brand(name);
    match ALIASES.iter().find(|(k, _)| *k == key) {
        Some((_, canonical)) => (*canonical).to_owned(),
        None => key,
    }
}

/// A brand key with its maker, looked up once per listing (pairs compare them without
/// searching [`SUB_BRANDS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Brand {
    /// The canonical key ([`key`]).
    pub(crate) key: String,
    /// The maker when the key is a sub-brand.
    maker: Option<&'static str>,
}

impl Brand {
    /// A brand key ([`key`]'s form) and its maker.
    pub(crate) fn new(key: String) -> Self {
        let maker = SUB_BRANDS
            .iter()
            .find(|(sub, _)| *sub == key)
            .map(|(_, maker)| *maker);
        Self { key, maker }
    }

    /// The maker of a sub-brand, or the brand itself.
    fn maker(&self) -> &str {
        self.maker.unwrap_or(&self.key)
    }

    /// Whether two brands can name the same maker: equal, the same maker, one a sub-brand of
    /// the other, or one the start of the other (`mercury` / `mercuryluggage`).
    pub(crate) fn compatible(&self, other: &Self) -> bool {
        let (a, b) = (self.key.as_str(), other.key.as_str());
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        a == b
            || self.maker() == other.maker()
            || (short.len() >= MIN_PREFIX && long.starts_with(short))
    }
}

/// Brand keys at the start of a title (its first three words, alone and in pairs), which a
/// store with a different brand field may still name (`Logitech Ultimate Ears 700`).
pub(crate) fn title_keys(title: &str) -> Vec<Brand> {
    let mut keys: Vec<String> = text::brand_keys(title)
        .into_iter()
        .take(6)
        .map(|k| key(&k))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter().map(Brand::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands_of_one_maker_are_compatible() {
        let compatible = |a: &str, b: &str| Brand::new(key(a)).compatible(&Brand::new(key(b)));
        assert!(compatible("Sony", "SONY"));
        assert!(compatible("Ultimate Ears", "Logitech"));
        assert!(compatible("Alienware", "Dell"));
        assert!(compatible("Beats", "Beats by Dre"), "both Apple");
        assert!(compatible("Elite", "Elite Screens"), "a prefix");
        assert!(compatible("Hewlett", "HP"), "an alias");
        assert!(!compatible("Sony", "Bose"));
        assert!(
            !compatible("LG", "LGX"),
            "a prefix shorter than three letters"
        );
        assert!(!compatible("Xbox", "Sony"));
    }
}
