//! Accessory vs product: whether a listing sells a product itself or something made for one
//! (a controller *for* a console, a case *for* a phone, a charger *for* a laptop).
//!
//! A listing is an accessory when
//! - its **store category** says so: the last segment of the trail names accessories
//!   (`Video Games › Gaming Accessories`; `Headphones, Earbuds & Accessories › Headphones` is
//!   not, its last segment being `Headphones`);
//! - or its **title**, before the first `with` (so `AirPods with Charging Case` stays earbuds),
//!   names an accessory noun of [`lexicon::ACCESSORY_NOUNS`] (`controller`, `case`, `charger`,
//!   `cable`, `strap`, `mount`, `replacement`, `refill`…) that is not the first half of a
//!   product name (`Cable Modem`, `Stand Mixer`);
//! - or its title says `for X` / `compatible with X` where X names a product
//!   ([`lexicon::ACCESSORY_TARGETS`]: `for PS5`, `for iPhone 15`, `compatible with MacBook`),
//!   while `Vlog Camera for Content Creators` is still a camera.
//!
//! [`accessory`] says which accessory and of what; the goal matcher uses it so that a listing
//! that is an accessory only matches a goal asking for that accessory.

use serde::Serialize;

use super::lexicon;
use super::text;

/// What a listing is an accessory of, as read from its title and store category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accessory {
    /// The accessory noun of the title, as a [`text::term`] (`controller`, `case`), when the
    /// title names one.
    pub noun: Option<String>,
    /// The product it is made for, in lower case (`ps5`, `xbox series x`), when the title
    /// says `for X` or `compatible with X`.
    pub of: Option<String>,
    /// Whether the store category files it under accessories.
    pub by_category: bool,
}

impl Accessory {
    /// A short description for reasons: `controller for ps5`, `accessory for iphone 15`,
    /// `accessory`.
    pub fn describe(&self) -> String {
        let noun = self.noun.as_deref().unwrap_or("accessory");
        match &self.of {
            Some(of) => format!("{noun} for {of}"),
            None => noun.to_owned(),
        }
    }
}

/// Most words kept of the product an accessory is made for.
const MAX_OF_WORDS: usize = 4;

/// The accessory a listing is, or `None` when it is a product itself. `category` is the store's
/// category trail (`Video Games > Gaming Accessories`), when known.
pub fn accessory(title: &str, category: Option<&str>) -> Option<Accessory> {
    let by_category = category.is_some_and(category_says_accessory);
    let toks = text::tokens(title);
    let head_end = head_end(&toks);
    let head = toks.get(..head_end).unwrap_or(&[]);
    let noun = accessory_noun(head);
    let of = target(&toks, head_end);
    let of_product = of.as_deref().is_some_and(|o| {
        o.split(' ')
            .any(|w| lexicon::ACCESSORY_TARGETS.contains(&w))
    });
    if noun.is_none() && !by_category && !of_product {
        return None;
    }
    Some(Accessory {
        noun,
        of: of.filter(|_| of_product),
        by_category,
    })
}

/// The words naming what an accessory title is made for (`for X`, `compatible with X`), up to
/// a stop word, whether or not they name a known product.
pub(crate) fn made_for(title: &str) -> Option<String> {
    let toks = text::tokens(title);
    target(&toks, head_end(&toks))
}

/// Whether the listing is an accessory (see [`accessory`]).
pub fn is_accessory(title: &str, category: Option<&str>) -> bool {
    accessory(title, category).is_some()
}

/// Whether the last segment of a store category trail names accessories.
pub fn category_says_accessory(trail: &str) -> bool {
    trail
        .rsplit(['>', '›', '/', '|'])
        .next()
        .is_some_and(|leaf| leaf.to_lowercase().contains("accessor"))
}

/// Index of the first `with` that is not part of `compatible with`, or the token count.
fn head_end(toks: &[String]) -> usize {
    toks.iter()
        .enumerate()
        .position(|(i, t)| {
            t == "with" && !(i > 0 && toks.get(i - 1).is_some_and(|p| p == "compatible"))
        })
        .unwrap_or(toks.len())
}

/// The first accessory noun of the title head that is not the first word of a product name.
fn accessory_noun(head: &[String]) -> Option<String> {
    head.iter().enumerate().find_map(|(i, t)| {
        let term = text::term(t);
        if !lexicon::ACCESSORY_NOUNS.contains(&term.as_str()) {
            // Two words that make one noun: `Joy-Con`, `Game Pad`.
            let joined = head.get(i + 1).map(|n| text::term(&format!("{t}{n}")))?;
            return lexicon::ACCESSORY_NOUNS
                .contains(&joined.as_str())
                .then_some(joined);
        }
        let next = head.get(i + 1).map(|n| text::term(n));
        let compound = next.as_deref().is_some_and(|n| {
            lexicon::NOT_ACCESSORY_COMPOUNDS
                .iter()
                .any(|(a, b)| *a == term && *b == n)
        });
        (!compound).then_some(term)
    })
}

/// The words after `for` (in the title head) or `compatible with`, up to a stop word.
fn target(toks: &[String], head_end: usize) -> Option<String> {
    let start = toks.iter().enumerate().find_map(|(i, t)| {
        let after_for = t == "for" && i < head_end;
        let compatible = t == "with" && i > 0 && toks.get(i - 1).is_some_and(|p| p == "compatible");
        (after_for || compatible).then_some(i + 1)
    })?;
    let words: Vec<&str> = toks
        .get(start..)
        .unwrap_or(&[])
        .iter()
        .map(String::as_str)
        .take_while(|w| !matches!(*w, "with" | "for" | "and" | "or" | "sealed" | "new"))
        .take(MAX_OF_WORDS)
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_controller_for_a_console_is_an_accessory_of_it() {
        let a = accessory(
            "Sony PlayStation DualSense Wireless Controller for PS5",
            None,
        )
        .unwrap();
        assert_eq!(a.noun.as_deref(), Some("controller"));
        assert_eq!(a.of.as_deref(), Some("ps5"));
        assert_eq!(a.describe(), "controller for ps5");
    }

    #[test]
    fn what_comes_after_with_does_not_make_an_accessory() {
        for title in [
            "Apple AirPods Pro 2 Wireless Earbuds with Active Noise Cancellation and USB-C MagSafe Charging Case",
            "Apple Watch Series 10 GPS 42mm Smartwatch with Aluminum Case and Sport Band",
            "Sony WH-1000XM5 Wireless Headphones with Microphone for Phone-Call and Alexa",
        ] {
            assert_eq!(accessory(title, None), None, "{title}");
        }
    }

    #[test]
    fn product_names_starting_with_an_accessory_word_are_products() {
        assert!(!is_accessory(
            "Motorola MB8611 DOCSIS 3.1 Multi-Gig Cable Modem",
            None
        ));
        assert!(!is_accessory(
            "KitchenAid Artisan Series 5 Quart Tilt-Head Stand Mixer",
            None
        ));
        assert!(!is_accessory(
            "Sony ZV-1 II Vlog Camera for Content Creators",
            None
        ));
    }

    #[test]
    fn the_store_category_can_say_accessory() {
        let a = accessory(
            "Microsoft Xbox Elite Wireless Controller Series 2",
            Some("Video Games > Gaming Accessories"),
        )
        .unwrap();
        assert!(a.by_category);
        assert!(!category_says_accessory(
            "Electronics › Headphones, Earbuds & Accessories › Headphones"
        ));
    }

    #[test]
    fn compatible_with_names_the_product() {
        let a = accessory("Silicone Cover Compatible with iPhone 15 Pro", None).unwrap();
        assert_eq!(a.noun.as_deref(), Some("cover"));
        assert_eq!(a.of.as_deref(), Some("iphone 15 pro"));
        let charger = accessory("65W USB-C Charger for MacBook Air", None).unwrap();
        assert_eq!(charger.describe(), "charger for macbook air");
    }
}
