//! OpenGraph product meta tags (see the parent module).

use super::{Found, sel};
use crate::market::price_from_text;
use scraper::Html;

pub(super) fn read(doc: &Html) -> Option<Found> {
    let s = sel("meta[property], meta[name]")?;
    let meta: Vec<(String, String)> = doc
        .select(&s)
        .filter_map(|m| {
            let key = m
                .value()
                .attr("property")
                .or_else(|| m.value().attr("name"))?;
            let content = m.value().attr("content")?.trim();
            (!content.is_empty()).then(|| (key.to_lowercase(), content.to_owned()))
        })
        .collect();
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| meta.iter().find(|(mk, _)| mk == k).map(|(_, v)| v.clone()))
    };
    let price = get(&[
        "product:sale_price:amount",
        "product:price:amount",
        "og:price:amount",
    ])?;
    Some(Found {
        title: get(&["og:title", "twitter:title"]),
        brand: get(&["product:brand", "og:brand"]),
        image: get(&["og:image", "og:image:url", "og:image:secure_url"]),
        price: Some(price_from_text(&price)),
        // With a sale price, the regular `price:amount` is the crossed-out one.
        original: get(&["product:original_price:amount"])
            .or_else(|| {
                get(&["product:sale_price:amount"])
                    .and_then(|_| get(&["product:price:amount", "og:price:amount"]))
            })
            .and_then(|p| price_from_text(&p).ok()),
        currency: get(&[
            "product:sale_price:currency",
            "product:price:currency",
            "og:price:currency",
        ]),
        availability: get(&["product:availability", "og:availability"]),
        condition: get(&["product:condition"]),
        sku: get(&["product:retailer_item_id"]),
        gtin: get(&["product:gtin", "product:upc", "product:ean"]),
        category: get(&["product:category"]),
        ..Found::default()
    })
}
