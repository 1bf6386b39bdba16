//! Generic product-page adapter (`page`): fetches any product URL and reads its structured data.
//!
//! Sources, in order, the first that yields a priced product wins:
//! 1. schema.org JSON-LD (`<script type="application/ld+json">`): top-level nodes, arrays and
//!    `@graph` members of type `Product` (or a `ProductGroup`'s `hasVariant`). Products nested
//!    in other nodes (`isRelatedTo`, `ItemList` elements, …) are never the main product. Among
//!    several top-level products the one whose `url`/`@id` (or offer `url`) is the page URL wins (with
//!    its query string first, so `?color=` variants stay apart; then without it), else the first
//!    with offers.
//!    Its `offers` may be an `Offer`, an `AggregateOffer` (→ `lowPrice`) or an array (the offer
//!    whose `url` is the page URL, else the first one with a price); a `priceSpecification` of
//!    type `StrikethroughPrice`/`ListPrice` is the original price, never the price. A variant's
//!    fields are never mixed with another variant's.
//! 2. Microdata: the first `itemscope` of type `schema.org/Product` not inside another one, its
//!    own `itemprop`s and those of its `offers` scope (`price`, `priceCurrency`, `availability`,
//!    `itemCondition`).
//! 3. OpenGraph product meta: `product:price:amount` / `og:price:amount` (a
//!    `product:sale_price:amount` is preferred), `…:currency`, `og:title`, `og:image`,
//!    `product:brand`, `product:availability`, `product:condition`, `product:retailer_item_id`,
//!    `product:original_price:amount`.
//!
//! Fields read: title (`name`), brand, `gtin13`/`gtin12`/`gtin14`/`gtin8`/`gtin`, `mpn`, `model`,
//! `sku`, image, category, price, currency, availability, condition, seller (`offers.seller`),
//! `aggregateRating.{ratingValue,reviewCount}`. The market of the offer is the store when the
//! host is one of the five (`www.bestbuy.com` → `bestbuy`), else the host name.
//! `search()` is unsupported. A page without product data is `NotFound`; one that looks like a
//! captcha wall is `Blocked`.
//!
//! Config keys (`[markets.page]`): `enabled`, `user_agent`, `max_bytes`, `http.*`.

use crate::config::PageConfig;
use crate::http::HttpSource;
use crate::market::{
    Impossible, Market, MarketError, Offer, SearchQuery, SourceHealth, currency_code,
    possible_product, price_from_json, price_from_text,
};
use crate::{STORES, SourceKind};
use async_trait::async_trait;
use deals_core::{Availability, Condition};
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

/// Reads product pages.
#[derive(Debug)]
pub struct ProductPage {
    config: PageConfig,
    http: HttpSource,
}

impl ProductPage {
    /// An adapter for `config`.
    pub fn new(config: PageConfig) -> Result<Self, MarketError> {
        let http = HttpSource::new(
            "page",
            SourceKind::Page,
            config.enabled,
            config.http.clone(),
        )?;
        Ok(Self { config, http })
    }
}

#[async_trait]
impl Market for ProductPage {
    fn name(&self) -> &str {
        "page"
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Page
    }

    async fn search(&self, _query: &SearchQuery) -> Result<Vec<Offer>, MarketError> {
        Err(MarketError::Unsupported(
            "the page adapter cannot search: give it a product URL".into(),
        ))
    }

    async fn product(&self, external_id: &str) -> Result<Offer, MarketError> {
        let url = url::Url::parse(external_id.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| MarketError::NotFound(format!("not an http(s) URL: {external_id}")))?;
        let max = self.config.max_bytes;
        let html = self
            .http
            .request(
                |c| {
                    c.get(url.as_str())
                        .header(reqwest::header::USER_AGENT, &self.config.user_agent)
                        .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml")
                },
                |reply| {
                    let reply = reply.success(&format!("page {url}"))?;
                    let end = reply.body.len().min(max);
                    Ok(String::from_utf8_lossy(&reply.body[..end]).into_owned())
                },
            )
            .await?;
        let result = extract(&html, url.as_str());
        if let Err(e @ MarketError::Blocked(_)) = &result {
            self.http.note_failure(e);
        }
        result
    }

    fn health(&self) -> SourceHealth {
        self.http.health()
    }
}

/// What a page says about its main product, before validation.
#[derive(Debug, Default)]
struct Found {
    title: Option<String>,
    brand: Option<String>,
    model: Option<String>,
    gtin: Option<String>,
    mpn: Option<String>,
    sku: Option<String>,
    category: Option<String>,
    image: Option<String>,
    price: Option<Result<i64, Impossible>>,
    original: Option<i64>,
    currency: Option<String>,
    availability: Option<String>,
    condition: Option<String>,
    seller: Option<String>,
    rating: Option<f64>,
    reviews: Option<u32>,
}

/// Reads the main product of `html` (served at `page_url`) as an offer.
pub fn extract(html: &str, page_url: &str) -> Result<Offer, MarketError> {
    let doc = Html::parse_document(html);
    let found = json_ld(&doc, page_url)
        .or_else(|| microdata(&doc))
        .or_else(|| open_graph(&doc));
    let Some(found) = found else {
        let lower = html.to_lowercase();
        if lower.contains("captcha") || lower.contains("are you a robot") {
            return Err(MarketError::Blocked(format!("captcha page at {page_url}")));
        }
        return Err(MarketError::NotFound(format!(
            "no product data (schema.org JSON-LD, microdata or OpenGraph) on {page_url}"
        )));
    };
    let market = market_of(page_url);
    possible_product(&market, page_url, to_offer(found, page_url, &market))
}

fn to_offer(f: Found, page_url: &str, market: &str) -> Result<Offer, Impossible> {
    let price_minor = f.price.unwrap_or(Err(Impossible::MissingPrice))?;
    let currency = currency_code(f.currency.as_deref().unwrap_or_default())?;
    Ok(Offer {
        market: market.to_owned(),
        source: SourceKind::Page,
        external_id: page_url.to_owned(),
        url: page_url.to_owned(),
        title: f.title.unwrap_or_default(),
        brand: f.brand,
        model: f.model.or_else(|| f.mpn.clone()),
        gtin: f.gtin,
        mpn: f.mpn.or(f.sku),
        category: f.category,
        price_minor,
        original_price_minor: f.original,
        currency,
        condition: condition(f.condition.as_deref()),
        seller_name: f.seller,
        seller_rating: f.rating,
        seller_review_count: f.reviews,
        availability: availability(f.availability.as_deref()),
        shipping_minor: None,
        image_url: f.image,
        flags: Vec::new(),
    })
}

/// The store name when the host belongs to one of the five, else the host.
fn market_of(page_url: &str) -> String {
    let host = url::Url::parse(page_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    STORES
        .iter()
        .find(|s| labels.contains(s))
        .map_or(host.clone(), |s| (*s).to_owned())
}

fn availability(raw: Option<&str>) -> Availability {
    let s = raw.unwrap_or_default().to_lowercase();
    let s = s
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .replace(['_', ' '], "");
    match s.as_str() {
        "instock" | "onlineonly" | "instoreonly" => Availability::InStock,
        "limitedavailability" | "lowstock" => Availability::LowStock,
        "outofstock" | "soldout" | "discontinued" => Availability::OutOfStock,
        "preorder" | "presale" | "backorder" => Availability::Preorder,
        _ => Availability::Unknown,
    }
}

fn condition(raw: Option<&str>) -> Condition {
    let s = raw.unwrap_or_default().to_lowercase();
    if s.contains("refurb") {
        Condition::Refurbished
    } else if s.contains("used") || s.contains("damaged") {
        Condition::Used
    } else if s.contains("open") {
        Condition::OpenBox
    } else {
        Condition::New
    }
}

fn sel(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

/// Whether two URLs name the same page: fragments and a trailing slash never matter; the query
/// string matters when `exact` (it tells variants apart).
fn same_page(a: &str, b: &str, exact: bool) -> bool {
    let norm = |s: &str| {
        let s = s.split('#').next().unwrap_or_default();
        let s = if exact {
            s
        } else {
            s.split('?').next().unwrap_or_default()
        };
        s.trim_end_matches('/').to_owned()
    };
    !a.is_empty() && norm(a) == norm(b)
}

// ---------- JSON-LD ----------

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

fn json_ld(doc: &Html, page_url: &str) -> Option<Found> {
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

// ---------- Microdata ----------

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

fn microdata(doc: &Html) -> Option<Found> {
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

// ---------- OpenGraph ----------

fn open_graph(doc: &Html) -> Option<Found> {
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
        original: get(&["product:original_price:amount"]).and_then(|p| price_from_text(&p).ok()),
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
