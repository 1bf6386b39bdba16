//! How each simulated store writes its answers: Best Buy Products API objects, eBay Browse API
//! item summaries and items, Oxylabs parsed content (Amazon's `results.organic`, Walmart's nested
//! `general/price/rating/seller/fulfillment`, Target's flat items) and schema.org JSON-LD pages.
//!
//! Beyond the providers' documented fields, the Oxylabs shapes carry `condition` (and `gtin`
//! when the world's store shows one) so that refurbished and open-box listings and barcodes
//! survive the trip; the real parsers expose these only on some pages.

use super::world::{Quote, SimWorld, StoreOffer};
use deals_core::money::format_minor;
use deals_core::{Availability, Condition};
use serde_json::{Map, Number, Value, json};

/// A price in cents as a JSON number with two decimals (`32999` → `329.99`).
pub fn amount(cents: i64) -> Value {
    format_minor(cents)
        .parse::<Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The world's quote of `offer` now.
pub fn quote_now(world: &SimWorld, offer: &StoreOffer) -> Quote {
    world.quote(offer, chrono::Utc::now())
}

fn in_stock(q: &Quote) -> bool {
    matches!(
        q.availability,
        Availability::InStock | Availability::LowStock
    )
}

fn stock_text(q: &Quote) -> &'static str {
    match q.availability {
        Availability::InStock => "In Stock",
        Availability::LowStock => "Only 3 left in stock - order soon.",
        Availability::OutOfStock => "Currently unavailable.",
        Availability::Preorder => "Available for Pre-order.",
        Availability::Unknown => "",
    }
}

fn condition_text(c: Condition) -> &'static str {
    match c {
        Condition::New => "New",
        Condition::Used => "Used",
        Condition::Refurbished => "Refurbished",
        Condition::OpenBox => "Open box",
    }
}

fn leaf(category: &str) -> &str {
    category.rsplit('>').next().unwrap_or(category).trim()
}

/// One Best Buy product object (the fields of `adapters::bestbuy::SHOW`).
pub fn bestbuy_product(base: &str, o: &StoreOffer, q: &Quote) -> Value {
    json!({
        "sku": o.external_id.parse::<u64>().map_or_else(|_| json!(o.external_id), |n| json!(n)),
        "name": o.title,
        "manufacturer": o.brand,
        "modelNumber": o.model,
        "upc": o.gtin,
        "salePrice": amount(q.price_cents),
        "regularPrice": amount(q.was_cents.unwrap_or(q.price_cents)),
        "onSale": q.was_cents.is_some(),
        "condition": match o.condition {
            Condition::New => "New",
            Condition::Used => "Pre-Owned",
            Condition::Refurbished => "Refurbished",
            Condition::OpenBox => "Open-Box",
        },
        "customerReviewAverage": o.seller_rating,
        "customerReviewCount": o.review_count,
        "onlineAvailability": in_stock(q),
        "shippingCost": if o.shipping_cents == 0 { json!("") } else { amount(o.shipping_cents) },
        "freeShipping": o.shipping_cents == 0,
        "image": format!("{base}{}", o.image_url),
        "url": format!("{base}{}", o.url_path),
        "categoryPath": o.category.split('>').map(|c| json!({"name": c.trim()})).collect::<Vec<_>>(),
    })
}

fn ebay_money(cents: i64) -> Value {
    json!({"value": format_minor(cents), "currency": "USD"})
}

/// An eBay item summary; with `full`, the item-detail fields too.
pub fn ebay_item(base: &str, o: &StoreOffer, q: &Quote, full: bool) -> Value {
    let mut item = json!({
        "itemId": o.external_id,
        "title": o.title,
        "price": ebay_money(q.price_cents),
        "condition": condition_text(o.condition),
        "conditionId": match o.condition {
            Condition::New => "1000",
            Condition::OpenBox => "1500",
            Condition::Refurbished => "2500",
            Condition::Used => "3000",
        },
        "itemWebUrl": format!("{base}{}", o.url_path),
        "image": {"imageUrl": format!("{base}{}", o.image_url)},
        "seller": {
            "username": o.seller_name,
            "feedbackPercentage": o.seller_rating.map(|r| format!("{:.1}", r * 20.0)),
            "feedbackScore": o.review_count,
        },
        "shippingOptions": [{
            "shippingCostType": "FIXED",
            "shippingCost": ebay_money(o.shipping_cents),
        }],
        "categories": [{"categoryId": "0", "categoryName": leaf(&o.category)}],
        "buyingOptions": ["FIXED_PRICE"],
    });
    if let Some(was) = q.was_cents {
        item["marketingPrice"] =
            json!({"originalPrice": ebay_money(was), "priceTreatment": "LIST_PRICE"});
    }
    if full {
        item["brand"] = json!(o.brand);
        item["mpn"] = json!(o.mpn);
        item["gtin"] = json!(o.gtin);
        item["categoryPath"] = json!(o.category.replace(" > ", "|"));
        item["estimatedAvailabilities"] = json!([{
            "estimatedAvailabilityStatus": match q.availability {
                Availability::InStock | Availability::Preorder | Availability::Unknown => "IN_STOCK",
                Availability::LowStock => "LIMITED_STOCK",
                Availability::OutOfStock => "OUT_OF_STOCK",
            }
        }]);
    }
    item
}

fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    if !value.is_null() {
        map.insert(key.to_owned(), value);
    }
}

/// One Oxylabs parsed item of `store` (search result or product content).
pub fn oxylabs_item(store: &str, base: &str, o: &StoreOffer, q: &Quote, product: bool) -> Value {
    let url = format!("{base}{}", o.url_path);
    let image = format!("{base}{}", o.image_url);
    let mut m = Map::new();
    match store {
        "walmart" => {
            m.insert(
                "general".into(),
                json!({"url": url, "title": o.title, "image": image, "product_id": o.external_id,
                       "brand": o.brand, "sponsored": false}),
            );
            let mut price = json!({"price": amount(q.price_cents), "currency": "USD"});
            if let Some(was) = q.was_cents {
                price["price_strikethrough"] = amount(was);
            }
            m.insert("price".into(), price);
            m.insert(
                "rating".into(),
                json!({"rating": o.seller_rating, "count": o.review_count}),
            );
            m.insert("seller".into(), json!({"name": o.seller_name}));
            let mut fulfillment = json!({"shipping": true, "free_shipping": o.shipping_cents == 0,
                                         "out_of_stock": !in_stock(q)});
            if o.shipping_cents > 0 {
                fulfillment["shipping_price"] = amount(o.shipping_cents);
            }
            m.insert("fulfillment".into(), fulfillment);
        }
        _ => {
            let id_key = if store == "amazon" { "asin" } else { "tcin" };
            m.insert(id_key.into(), json!(o.external_id));
            m.insert("title".into(), json!(o.title));
            m.insert("url".into(), json!(url));
            m.insert("price".into(), amount(q.price_cents));
            put(
                &mut m,
                "price_strikethrough",
                q.was_cents.map_or(Value::Null, amount),
            );
            m.insert("currency".into(), json!("USD"));
            put(&mut m, "rating", json!(o.seller_rating));
            m.insert("reviews_count".into(), json!(o.review_count));
            put(&mut m, "brand", json!(o.brand));
            put(&mut m, "manufacturer", json!(o.brand));
            m.insert("stock".into(), json!(stock_text(q)));
            if o.shipping_cents == 0 {
                m.insert("free_shipping".into(), json!(true));
            } else {
                m.insert("shipping_price".into(), amount(o.shipping_cents));
            }
            if product {
                m.insert("images".into(), json!([image]));
                m.insert(
                    "category".into(),
                    json!([{"ladder": o.category.split('>').map(|c| json!({"name": c.trim()})).collect::<Vec<_>>()}]),
                );
                m.insert("featured_merchant".into(), json!({"name": o.seller_name}));
                put(
                    &mut m,
                    "product_details",
                    o.model
                        .as_ref()
                        .map_or(Value::Null, |mdl| json!({"item_model_number": mdl})),
                );
            } else {
                m.insert(
                    if store == "amazon" {
                        "url_image"
                    } else {
                        "image"
                    }
                    .into(),
                    json!(image),
                );
                m.insert("seller".into(), json!({"name": o.seller_name}));
            }
        }
    }
    m.insert("condition".into(), json!(condition_text(o.condition)));
    put(&mut m, "gtin", json!(o.gtin));
    Value::Object(m)
}

/// The schema.org JSON-LD `Product` of an offer's page.
pub fn json_ld(base: &str, o: &StoreOffer, q: &Quote) -> Value {
    let schema = |s: &str| format!("https://schema.org/{s}");
    let mut offer = json!({
        "@type": "Offer",
        "url": format!("{base}{}", o.url_path),
        "price": format_minor(q.price_cents),
        "priceCurrency": "USD",
        "availability": schema(match q.availability {
            Availability::InStock | Availability::Unknown => "InStock",
            Availability::LowStock => "LimitedAvailability",
            Availability::OutOfStock => "OutOfStock",
            Availability::Preorder => "PreOrder",
        }),
        "itemCondition": schema(match o.condition {
            Condition::New => "NewCondition",
            Condition::Used => "UsedCondition",
            Condition::Refurbished => "RefurbishedCondition",
            Condition::OpenBox => "UsedCondition",
        }),
        "seller": {"@type": "Organization", "name": o.seller_name},
    });
    if let Some(was) = q.was_cents {
        offer["priceSpecification"] = json!([{
            "@type": "UnitPriceSpecification",
            "priceType": "https://schema.org/StrikethroughPrice",
            "price": format_minor(was),
            "priceCurrency": "USD",
        }]);
    }
    let mut product = json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": o.title,
        "sku": o.external_id,
        "url": format!("{base}{}", o.url_path),
        "image": format!("{base}{}", o.image_url),
        "category": o.category,
        "offers": offer,
    });
    if let Some(b) = &o.brand {
        product["brand"] = json!({"@type": "Brand", "name": b});
    }
    if let Some(m) = &o.model {
        product["model"] = json!(m);
    }
    if let Some(m) = &o.mpn {
        product["mpn"] = json!(m);
    }
    if let Some(g) = &o.gtin {
        let key = if g.len() == 12 { "gtin12" } else { "gtin13" };
        product[key] = json!(g);
    }
    if let Some(r) = o.seller_rating {
        product["aggregateRating"] =
            json!({"@type": "AggregateRating", "ratingValue": r, "reviewCount": o.review_count});
    }
    product
}

/// A product page whose only content is its JSON-LD (escaped so it cannot end the script).
pub fn page_html(ld: &Value) -> String {
    let data = ld
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <script type=\"application/ld+json\">{data}</script></head><body></body></html>\n"
    )
}
