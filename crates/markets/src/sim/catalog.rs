//! The simulated marketplace's catalogue: real product models, embedded from
//! `data/catalog.csv` and parsed once.
//!
//! Columns: `id,brand,model,name,category,gtin13,mpn,list_price_cents`. `category` is a
//! [`deals_core::taxonomy::CATEGORIES`] path; `gtin13` has a valid check digit (the real code
//! where known, otherwise one made up under the GS1 restricted-circulation prefixes `020`/`200`,
//! so it can never collide with a real product); `mpn` may be empty; `list_price_cents` is the US
//! launch or list price.

use std::sync::OnceLock;

/// The catalogue as shipped, one product per line after the header.
const CATALOG_CSV: &str = include_str!("../../data/catalog.csv");

/// One real product model that the simulated stores list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProduct {
    /// Stable id, 1-based, the line number in the CSV.
    pub id: u32,
    /// Brand in display case (`Sony`).
    pub brand: String,
    /// Model as the maker names it (`WH-1000XM5`).
    pub model: String,
    /// Full product name as the maker writes it, brand first.
    pub name: String,
    /// Category path (`audio/headphones`).
    pub category: String,
    /// 13-digit GTIN with a valid check digit.
    pub gtin13: String,
    /// Manufacturer part number, when known.
    pub mpn: Option<String>,
    /// US list price in cents.
    pub list_price_cents: i64,
}

impl CatalogProduct {
    /// The name without the brand and the model: the words a store adds around them
    /// (`Wireless Noise Cancelling Headphones`).
    pub fn descriptor(&self) -> String {
        let rest = self.name.strip_prefix(&self.brand).unwrap_or(&self.name);
        let rest = rest.replacen(&self.model, "", 1);
        rest.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The last segment of the category path (`headphones`).
    pub fn leaf(&self) -> &str {
        deals_core::taxonomy::leaf(&self.category)
    }
}

/// Why the catalogue text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog line {line}: {reason}")]
pub struct CatalogError {
    /// 1-based line number in the CSV.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// The embedded catalogue, parsed on first use; empty only if the shipped CSV were broken,
/// which a unit test rules out.
pub fn catalog() -> &'static [CatalogProduct] {
    static CATALOG: OnceLock<Vec<CatalogProduct>> = OnceLock::new();
    CATALOG.get_or_init(|| parse_catalog(CATALOG_CSV).unwrap_or_default())
}

/// Parses catalogue CSV text (header line first; fields never contain commas or quotes).
pub fn parse_catalog(text: &str) -> Result<Vec<CatalogProduct>, CatalogError> {
    let mut products = Vec::new();
    for (index, raw) in text.lines().enumerate().skip(1) {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let err = |reason: &str| CatalogError {
            line,
            reason: reason.to_owned(),
        };
        let fields: Vec<&str> = raw.split(',').map(str::trim).collect();
        let [id, brand, model, name, category, gtin13, mpn, price] = fields[..] else {
            return Err(err("expected 8 fields"));
        };
        if [brand, model, name, category, gtin13]
            .iter()
            .any(|f| f.is_empty())
        {
            return Err(err("empty required field"));
        }
        products.push(CatalogProduct {
            id: id.parse().map_err(|_| err("bad id"))?,
            brand: brand.to_owned(),
            model: model.to_owned(),
            name: name.to_owned(),
            category: category.to_owned(),
            gtin13: gtin13.to_owned(),
            mpn: (!mpn.is_empty()).then(|| mpn.to_owned()),
            list_price_cents: price.parse().map_err(|_| err("bad list price"))?,
        });
    }
    Ok(products)
}

/// The category paths the catalogue covers, in taxonomy order.
pub const CATALOG_CATEGORIES: [&str; 17] = [
    "audio/headphones",
    "audio/speakers",
    "audio/soundbars",
    "tv/tvs",
    "computers/laptops",
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
];

#[cfg(test)]
mod tests {
    use super::*;
    use deals_core::matching::{normalize_gtin, valid_gtin};
    use std::collections::HashSet;

    #[test]
    fn the_shipped_catalog_parses_with_ids_in_order() {
        let parsed = parse_catalog(CATALOG_CSV).unwrap();
        assert!(parsed.len() >= 320, "{} products", parsed.len());
        assert_eq!(parsed.as_slice(), catalog());
        for (i, p) in parsed.iter().enumerate() {
            assert_eq!(p.id as usize, i + 1);
        }
    }

    #[test]
    fn every_category_has_at_least_eight_products_and_headphones_forty() {
        for category in CATALOG_CATEGORIES {
            assert!(deals_core::taxonomy::is_known(category), "{category}");
            let n = catalog().iter().filter(|p| p.category == category).count();
            assert!(n >= 8, "{category}: {n}");
        }
        assert!(
            catalog()
                .iter()
                .all(|p| CATALOG_CATEGORIES.contains(&p.category.as_str()))
        );
        let headphones = catalog()
            .iter()
            .filter(|p| p.category == "audio/headphones");
        assert!(headphones.count() >= 40);
    }

    #[test]
    fn every_gtin_is_valid_thirteen_digits_and_unique() {
        let mut seen = HashSet::new();
        for p in catalog() {
            assert_eq!(p.gtin13.len(), 13, "{}", p.name);
            assert!(valid_gtin(&p.gtin13), "{} {}", p.name, p.gtin13);
            assert!(
                seen.insert(normalize_gtin(&p.gtin13)),
                "duplicate {}",
                p.gtin13
            );
        }
    }

    #[test]
    fn prices_are_positive_and_brand_models_unique() {
        let mut seen = HashSet::new();
        for p in catalog() {
            assert!(
                p.list_price_cents > 0 && p.list_price_cents < 1_000_000,
                "{}",
                p.name
            );
            let key = (p.brand.to_lowercase(), p.model.to_lowercase());
            assert!(seen.insert(key), "duplicate {} {}", p.brand, p.model);
        }
    }

    #[test]
    fn the_well_known_headphones_are_there() {
        let has = |brand: &str, model: &str| {
            catalog()
                .iter()
                .any(|p| p.brand == brand && p.model == model)
        };
        assert!(has("Sony", "WH-1000XM5") && has("Sony", "WH-1000XM4"));
        assert!(has("Bose", "QuietComfort Ultra Headphones") && has("Apple", "AirPods Max"));
        let cheap_anc = catalog().iter().filter(|p| {
            p.category == "audio/headphones"
                && p.list_price_cents < 30_000
                && p.name.contains("Noise Cancelling")
        });
        assert!(cheap_anc.count() >= 5);
    }

    #[test]
    fn the_descriptor_drops_brand_and_model() {
        let xm5 = catalog().iter().find(|p| p.model == "WH-1000XM5").unwrap();
        assert_eq!(xm5.descriptor(), "Wireless Noise Cancelling Headphones");
        assert_eq!(xm5.leaf(), "headphones");
    }

    #[test]
    fn a_broken_line_is_reported_with_its_number() {
        let err = parse_catalog("header\n1,Sony,X,Sony X,audio/headphones\n").unwrap_err();
        assert_eq!(err.line, 2);
    }
}
