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
    possible_product,
};
use crate::{STORES, SourceKind};
use async_trait::async_trait;
use deals_core::{Availability, Condition};
use scraper::{Html, Selector};

mod jsonld;
mod microdata;
mod opengraph;

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
    let found = jsonld::read(&doc, page_url)
        .or_else(|| microdata::read(&doc))
        .or_else(|| opengraph::read(&doc));
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
