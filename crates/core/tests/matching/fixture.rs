//! The listing fixture shared by the matching tests.

use deals_core::Condition;
use deals_core::matching::{ListingFacts, ProductKey};
use serde_json::Value;

/// One fixture listing.
pub struct Listing {
    pub id: String,
    pub product: String,
    pub market: String,
    pub title: String,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub gtin: Option<String>,
    pub mpn: Option<String>,
    pub category: Option<String>,
    pub condition: Condition,
    pub price_minor: i64,
    pub seller_rating: Option<f64>,
}

impl Listing {
    pub fn key(&self) -> ProductKey<'_> {
        ProductKey {
            title: &self.title,
            brand: self.brand.as_deref(),
            model: self.model.as_deref(),
            gtin: self.gtin.as_deref(),
            mpn: self.mpn.as_deref(),
        }
    }

    pub fn facts(&self) -> ListingFacts<'_> {
        ListingFacts {
            title: &self.title,
            brand: self.brand.as_deref(),
            category: self.category.as_deref(),
            market: &self.market,
            condition: self.condition,
            price_minor: self.price_minor,
            currency: "USD",
            seller_rating: self.seller_rating,
        }
    }
}

fn text(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// The fixture's listings and its known misses.
pub fn fixture() -> (Vec<Listing>, Vec<(String, String)>) {
    let raw: Value =
        serde_json::from_str(include_str!("../fixtures/listings.json")).expect("fixture is JSON");
    let listings = raw["listings"]
        .as_array()
        .expect("listings")
        .iter()
        .map(|v| Listing {
            id: text(v, "id").expect("id"),
            product: text(v, "product").expect("product"),
            market: text(v, "market").expect("market"),
            title: text(v, "title").expect("title"),
            brand: text(v, "brand"),
            model: text(v, "model"),
            gtin: text(v, "gtin"),
            mpn: text(v, "mpn"),
            category: text(v, "category"),
            condition: Condition::parse(v["condition"].as_str().expect("condition"))
                .expect("known condition"),
            price_minor: v["price_minor"].as_i64().expect("price"),
            seller_rating: v.get("seller_rating").and_then(Value::as_f64),
        })
        .collect();
    let misses = raw["known_misses"]
        .as_array()
        .expect("known_misses")
        .iter()
        .map(|p| {
            (
                p[0].as_str().expect("id").to_owned(),
                p[1].as_str().expect("id").to_owned(),
            )
        })
        .collect();
    (listings, misses)
}
