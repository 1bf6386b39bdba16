//! Listing titles in each store's own style, so cross-store matching is a real problem:
//! amazon keyword-stuffed, bestbuy `Brand - Model …  - Colour`, walmart mixed, target short,
//! ebay seller-style within 80 characters.

use deals_core::Condition;

use super::hash::{fnv, hash_at, pick};
use crate::sim::catalog::CatalogProduct;

/// What a title is built from.
pub(crate) struct TitleParts<'a> {
    /// The product.
    pub p: &'a CatalogProduct,
    /// Hash key of the offer.
    pub key: u64,
    /// Colour word, if the product comes in colours.
    pub colour: Option<&'static str>,
    /// Condition of the offer.
    pub condition: Condition,
}

impl TitleParts<'_> {
    /// Whether the maker's name contains the model (TVs, for one, are named without it).
    fn model_in_name(&self) -> bool {
        self.p.name.contains(&self.p.model)
    }

    /// The descriptor with "Noise Cancelling" spelt as this store spells it.
    fn descriptor(&self, noise_cancelling: &str) -> String {
        self.p
            .descriptor()
            .replace("Noise Cancelling", noise_cancelling)
    }
}

/// The title for a store index into [`crate::STORES`].
pub(crate) fn title(store: usize, t: &TitleParts<'_>) -> String {
    match store {
        0 => amazon(t),
        1 => walmart(t),
        2 => bestbuy(t),
        3 => target(t),
        _ => ebay(t),
    }
}

fn amazon(t: &TitleParts<'_>) -> String {
    let p = t.p;
    let brand = if fnv(&p.brand).is_multiple_of(4) {
        p.brand.to_uppercase()
    } else {
        p.brand.clone()
    };
    let d = t.descriptor(if p.brand == "Sony" {
        "Industry Leading Noise Canceling"
    } else {
        "Noise Canceling"
    });
    let extra = pick(
        hash_at(t.key, "amazon-extra", 0),
        amazon_extras(&p.category),
    );
    let mut title = if t.model_in_name() {
        format!("{brand} {} {d}{extra}", p.model)
    } else {
        format!("{brand} {d}{extra} ({})", p.model)
    };
    if let Some(colour) = t.colour {
        title.push_str(", ");
        title.push_str(colour);
    }
    if t.condition == Condition::Refurbished {
        title.push_str(" (Renewed)");
    }
    title
}

fn amazon_extras(category: &str) -> &'static [&'static str] {
    match category {
        "audio/headphones" => &[
            " with Auto Noise Canceling Optimizer",
            " with Microphone for Phone-Call and Alexa Voice Control",
            ", Bluetooth, Up to 30 Hours Battery Life",
            " with Mic for Calls",
        ],
        "audio/speakers" => &[", IP67 Waterproof and Dustproof", " with Deep Bass"],
        "tv/tvs" => &[" with Dolby Vision and HDR10 (2024 Model)", " (2024 Model)"],
        "computers/laptops" => &[", Backlit Keyboard, Wi-Fi 6E", " (2024 Model)"],
        "phones/smartphones" => &[", AI Camera, Long Battery Life", " (US Version)"],
        "home/vacuums" => &[
            ", Powerful Suction, Pet Hair",
            " for Carpets and Hard Floors",
        ],
        _ => &[" (Latest Model)", " - Newest Version"],
    }
}

fn bestbuy(t: &TitleParts<'_>) -> String {
    let p = t.p;
    let mut d = t
        .descriptor("Noise-Canceling")
        .replace("Truly Wireless", "True Wireless");
    if d.ends_with(" Headphones") && !d.contains("-Ear") && !d.contains("Open-Back") {
        d = format!(
            "{} Over-the-Ear Headphones",
            d.trim_end_matches(" Headphones")
        );
    }
    let mut title = if t.model_in_name() {
        format!("{} - {} {d}", p.brand, p.model)
    } else {
        format!("{} - {d}", p.brand)
    };
    if let Some(colour) = t.colour {
        title.push_str(" - ");
        title.push_str(colour);
    }
    title
}

fn walmart(t: &TitleParts<'_>) -> String {
    let p = t.p;
    let d = t.descriptor("Noise Cancelling");
    let colour = t
        .colour
        .map_or_else(|| ", New".to_owned(), |c| format!(", {c}"));
    let restored = if t.condition == Condition::Refurbished {
        "Restored "
    } else {
        ""
    };
    if hash_at(t.key, "walmart-style", 0).is_multiple_of(2) || !t.model_in_name() {
        format!("{restored}{} {} {d}{colour}", p.brand, p.model)
    } else {
        format!("{restored}{} {d}, {}{colour}", p.brand, p.model)
    }
}

fn target(t: &TitleParts<'_>) -> String {
    let p = t.p;
    let d = t.descriptor("Noise-Canceling");
    let short: Vec<&str> = d.split_whitespace().take(5).collect();
    let short = short.join(" ");
    let mut title = if t.model_in_name() {
        format!("{} {} {short}", p.brand, p.model)
    } else {
        format!("{} {short}", p.brand)
    };
    if let Some(colour) = t.colour {
        title.push_str(" - ");
        title.push_str(colour);
    }
    title
}

fn ebay(t: &TitleParts<'_>) -> String {
    let p = t.p;
    let d = t.descriptor("NC").replace("Truly Wireless", "TWS");
    let (prefix, suffix) = match t.condition {
        Condition::New => ("NEW ", " SEALED"),
        Condition::Used => ("", " - Used"),
        Condition::Refurbished => ("", " - Certified Refurbished"),
        Condition::OpenBox => ("", " Open Box"),
    };
    let colour = t.colour.map(|c| format!(" {c}")).unwrap_or_default();
    let core = if t.model_in_name() {
        format!("{} {} {d}{colour}", p.brand, p.model)
    } else {
        format!("{} {d}{colour} {}", p.brand, p.model)
    };
    let budget = 80 - prefix.len() - suffix.len();
    let mut kept = String::new();
    for word in core.split_whitespace() {
        if kept.len() + word.len() + usize::from(!kept.is_empty()) > budget {
            break;
        }
        if !kept.is_empty() {
            kept.push(' ');
        }
        kept.push_str(word);
    }
    format!("{prefix}{kept}{suffix}")
}
