//! Microdata: the first top-level `schema.org/Product` item scope and its offer (see the parent
//! module).

use super::{Found, sel};
use crate::market::price_from_text;
use scraper::{ElementRef, Html};

fn is_product_scope(e: &ElementRef) -> bool {
    e.value().attr("itemscope").is_some()
        && e.value().attr("itemtype").is_some_and(|t| {
            t.split_whitespace()
                .any(|t| t.rsplit('/').next() == Some("Product"))
        })
}

/// The nearest `itemscope` ancestor of `e` (not `e` itself).
fn scope_of<'a>(e: &ElementRef<'a>) -> Option<ElementRef<'a>> {
    e.ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().attr("itemscope").is_some())
}

fn prop_value(e: &ElementRef) -> Option<String> {
    let v = e.value();
    let raw = v
        .attr("content")
        .or_else(|| match v.name() {
            "a" | "link" => v.attr("href"),
            "img" | "source" => v.attr("src"),
            "meta" => v.attr("content"),
            "data" | "meter" => v.attr("value"),
            _ => None,
        })
        .map(str::to_owned)
        .unwrap_or_else(|| e.text().collect::<String>());
    let t = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}

/// `itemprop` name → value pairs that belong directly to `scope`.
fn props<'a>(scope: &ElementRef<'a>) -> Vec<(String, ElementRef<'a>)> {
    let Some(s) = sel("[itemprop]") else {
        return Vec::new();
    };
    scope
        .select(&s)
        .filter(|e| scope_of(e).is_some_and(|p| p.id() == scope.id()))
        .flat_map(|e| {
            e.value()
                .attr("itemprop")
                .unwrap_or_default()
                .split_whitespace()
                .map(|n| (n.to_owned(), e))
                .collect::<Vec<_>>()
        })
        .collect()
}

pub(super) fn read(doc: &Html) -> Option<Found> {
    let s = sel("[itemscope][itemtype]")?;
    let product = doc.select(&s).find(|e| {
        is_product_scope(e)
            && !e
                .ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| is_product_scope(&a))
    })?;
    let mut f = Found::default();
    let mut offer_scope = None;
    for (name, e) in props(&product) {
        let value = || prop_value(&e);
        match name.as_str() {
            "name" if f.title.is_none() => f.title = value(),
            "brand" if f.brand.is_none() => {
                f.brand = if e.value().attr("itemscope").is_some() {
                    props(&e)
                        .into_iter()
                        .find(|(n, _)| n == "name")
                        .and_then(|(_, b)| prop_value(&b))
                } else {
                    value()
                }
            }
            "model" => f.model = value(),
            "mpn" => f.mpn = value(),
            "sku" => f.sku = value(),
            "gtin13" | "gtin12" | "gtin14" | "gtin8" | "gtin" if f.gtin.is_none() => {
                f.gtin = value()
            }
            "image" if f.image.is_none() => f.image = value(),
            "category" => f.category = value(),
            "offers" if offer_scope.is_none() && e.value().attr("itemscope").is_some() => {
                offer_scope = Some(e)
            }
            "aggregateRating" => {
                for (n, r) in props(&e) {
                    match n.as_str() {
                        "ratingValue" => f.rating = prop_value(&r).and_then(|v| v.parse().ok()),
                        "reviewCount" | "ratingCount" => {
                            f.reviews = prop_value(&r).and_then(|v| v.replace(',', "").parse().ok())
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let offer = offer_scope?;
    for (name, e) in props(&offer) {
        match name.as_str() {
            "price" | "lowPrice" if f.price.is_none() => {
                f.price = prop_value(&e).map(|p| price_from_text(&p))
            }
            "priceCurrency" => f.currency = prop_value(&e),
            "availability" => f.availability = prop_value(&e),
            "itemCondition" => f.condition = prop_value(&e),
            "seller" => {
                f.seller = props(&e)
                    .into_iter()
                    .find(|(n, _)| n == "name")
                    .and_then(|(_, s)| prop_value(&s))
                    .or_else(|| prop_value(&e))
            }
            _ => {}
        }
    }
    f.price.is_some().then_some(f)
}
