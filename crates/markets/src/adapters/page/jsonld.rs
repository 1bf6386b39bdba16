//! JSON-LD: the main `Product` of a page's `application/ld+json` blocks (see the parent module).

use super::{Found, same_page, sel};
use crate::market::{Impossible, price_from_json};
use scraper::Html;
use serde_json::Value;

fn has_type(node: &Value, wanted: &str) -> bool {
    let matches = |t: &Value| {
        t.as_str()
            .is_some_and(|s| s.rsplit('/').next() == Some(wanted))
    };
    match node.get("@type") {
        Some(Value::Array(types)) => types.iter().any(matches),
        Some(t) => matches(t),
        None => false,
    }
}

/// Top-level nodes of every JSON-LD block: arrays and `@graph` flattened, nothing nested.
fn top_level_nodes(doc: &Html) -> Vec<Value> {
    let Some(s) = sel(r#"script[type="application/ld+json"]"#) else {
        return Vec::new();
    };
    let mut nodes = Vec::new();
    for script in doc.select(&s) {
        let raw: String = script.text().collect();
        let Ok(value) = serde_json::from_str::<Value>(raw.trim()) else {
            continue;
        };
        let mut stack = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                Value::Array(items) => stack.extend(items.into_iter().rev()),
                Value::Object(ref map) if map.contains_key("@graph") => {
                    if let Some(graph) = map.get("@graph") {
                        stack.push(graph.clone());
                    }
                }
                Value::Object(_) => nodes.push(v),
                _ => {}
            }
        }
    }
    nodes
}

fn ld_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.iter().find_map(|i| ld_text(Some(i))),
        Value::Object(map) => ld_text(map.get("name").or_else(|| map.get("url"))),
        _ => None,
    }
}

pub(super) fn read(doc: &Html, page_url: &str) -> Option<Found> {
    let nodes = top_level_nodes(doc);
    let mut products: Vec<(Value, Option<Value>)> = Vec::new();
    for node in &nodes {
        if has_type(node, "ProductGroup") {
            let variants = node
                .get("hasVariant")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            products.extend(variants.into_iter().map(|v| (v, Some(node.clone()))));
            if node.get("offers").is_some() {
                products.push((node.clone(), None));
            }
        } else if has_type(node, "Product") {
            products.push((node.clone(), None));
        }
    }
    let is_page = |p: &Value, exact: bool| {
        [p.get("url"), p.get("@id")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|u| same_page(u, page_url, exact))
            || offers_of(p).iter().any(|o| {
                o.get("url")
                    .and_then(Value::as_str)
                    .is_some_and(|u| same_page(u, page_url, exact))
            })
    };
    let (product, group) = products
        .iter()
        .find(|(p, _)| is_page(p, true))
        .or_else(|| products.iter().find(|(p, _)| is_page(p, false)))
        .or_else(|| products.iter().find(|(p, _)| !offers_of(p).is_empty()))
        .or_else(|| products.first())?;
    Some(read_ld_product(product, group.as_ref(), page_url))
}

fn offers_of(product: &Value) -> Vec<Value> {
    match product.get("offers") {
        Some(Value::Array(items)) => items.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => Vec::new(),
    }
}

fn read_ld_product(p: &Value, group: Option<&Value>, page_url: &str) -> Found {
    let field = |key: &str| ld_text(p.get(key)).or_else(|| group.and_then(|g| ld_text(g.get(key))));
    let offers = offers_of(p);
    let offer_at = |exact: bool| {
        offers.iter().find(move |o| {
            o.get("url")
                .and_then(Value::as_str)
                .is_some_and(|u| same_page(u, page_url, exact))
        })
    };
    let offer = offer_at(true)
        .or_else(|| offer_at(false))
        .or_else(|| offers.iter().find(|o| ld_price(o).is_some()))
        .or_else(|| offers.first());
    let mut found = Found {
        title: field("name"),
        brand: field("brand"),
        model: ld_text(p.get("model")),
        gtin: ["gtin13", "gtin12", "gtin14", "gtin8", "gtin"]
            .iter()
            .find_map(|k| ld_text(p.get(*k))),
        mpn: ld_text(p.get("mpn")),
        sku: ld_text(p.get("sku")),
        category: field("category"),
        image: ld_text(p.get("image")).or_else(|| group.and_then(|g| ld_text(g.get("image")))),
        rating: p
            .get("aggregateRating")
            .and_then(|r| ld_text(r.get("ratingValue")))
            .and_then(|r| r.parse().ok()),
        reviews: p
            .get("aggregateRating")
            .and_then(|r| ld_text(r.get("reviewCount").or_else(|| r.get("ratingCount"))))
            .and_then(|r| r.parse().ok()),
        ..Found::default()
    };
    if let Some(o) = offer {
        let (price, original) = ld_price(o).unwrap_or((Err(Impossible::MissingPrice), None));
        found.price = Some(price);
        found.original = original;
        found.currency = ld_text(o.get("priceCurrency")).or_else(|| {
            o.get("priceSpecification")
                .and_then(|s| ld_text(first_spec(s).and_then(|s| s.get("priceCurrency"))))
        });
        found.availability = ld_text(o.get("availability"));
        found.condition = ld_text(o.get("itemCondition"));
        found.seller = ld_text(o.get("seller"));
    }
    found
}

fn first_spec(spec: &Value) -> Option<&Value> {
    match spec {
        Value::Array(items) => items.first(),
        other => Some(other),
    }
}

fn is_strikethrough(spec: &Value) -> bool {
    ld_text(spec.get("priceType")).is_some_and(|t| {
        t.contains("Strikethrough") || t.contains("ListPrice") || t.contains("MSRP")
    })
}

/// The price of one offer (and its crossed-out price, when it names one).
fn ld_price(offer: &Value) -> Option<(Result<i64, Impossible>, Option<i64>)> {
    let specs: Vec<&Value> = match offer.get("priceSpecification") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    };
    let original = specs
        .iter()
        .filter(|s| is_strikethrough(s))
        .find_map(|s| s.get("price").and_then(|p| price_from_json(p).ok()));
    let own = if has_type(offer, "AggregateOffer") {
        offer.get("lowPrice").or_else(|| offer.get("price"))
    } else {
        offer.get("price")
    };
    let price = own.filter(|p| !p.is_null()).or_else(|| {
        specs
            .iter()
            .find(|s| !is_strikethrough(s))
            .and_then(|s| s.get("price"))
    })?;
    Some((price_from_json(price), original))
}
