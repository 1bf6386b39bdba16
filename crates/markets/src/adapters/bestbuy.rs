//! Best Buy Products API adapter (`bestbuy`).
//!
//! Search: `GET {base_url}/v1/products(search=w1&search=w2&salePrice>=MIN&salePrice<=MAX)` with
//! query `apiKey`, `format=json`, `show=` the fields below, `pageSize` (`page_size`) and `page`;
//! the answer `{from,to,currentPage,total,totalPages,…,products:[…]}` is paged until the query's
//! limit is reached or `currentPage == totalPages`. Conditions are filtered after reading.
//! Product: `GET {base_url}/v1/products/{sku}.json?apiKey=…&show=…` (404 → not found).
//!
//! Fields read per product: `sku` → external id, `name`, `manufacturer` → brand, `modelNumber` →
//! model and MPN, `upc` → GTIN, `salePrice` → price, `regularPrice` → original price,
//! `condition` (`New`, `Refurbished`, `Pre-Owned`, `Open-Box`), `customerReviewAverage` /
//! `customerReviewCount` → rating, `onlineAvailability` → in/out of stock, `shippingCost` /
//! `freeShipping`, `image`, `url`, last `categoryPath[].name` → category. Prices are USD and the
//! seller is "Best Buy".
//!
//! Config keys (`[markets.bestbuy]`): `enabled`, `base_url`, `api_key`, `page_size`, `http.*`.

use super::{at, count, number, optional_price, required_price, text};
use crate::SourceKind;
use crate::config::BestBuyConfig;
use crate::http::HttpSource;
use crate::market::{
    Impossible, Market, MarketError, Offer, SearchQuery, SourceHealth, keep_possible,
    possible_product,
};
use async_trait::async_trait;
use deals_core::money::format_minor;
use deals_core::{Availability, Condition};
use serde_json::Value;

/// Fields asked for with `show=`.
pub const SHOW: &str = "sku,name,manufacturer,modelNumber,upc,salePrice,regularPrice,onSale,condition,customerReviewAverage,customerReviewCount,onlineAvailability,shippingCost,freeShipping,image,url,categoryPath.name";

/// The Best Buy Products API.
#[derive(Debug)]
pub struct BestBuy {
    config: BestBuyConfig,
    http: HttpSource,
}

impl BestBuy {
    /// An adapter for `config`; fails when the API key is missing or the client cannot be built.
    pub fn new(config: BestBuyConfig) -> Result<Self, MarketError> {
        if config.api_key.is_empty() {
            return Err(MarketError::Config("bestbuy.api_key is missing".into()));
        }
        let http = HttpSource::new(
            "bestbuy",
            SourceKind::Bestbuy,
            config.enabled,
            config.http.clone(),
        )?;
        Ok(Self { config, http })
    }

    fn base(&self) -> &str {
        self.config.base_url.trim_end_matches('/')
    }

    /// The parenthesised search expression of the products path.
    fn expression(query: &SearchQuery) -> String {
        let mut terms: Vec<String> = query
            .words()
            .iter()
            .map(|w| format!("search={w}"))
            .collect();
        if let Some(min) = query.min_price_minor {
            terms.push(format!("salePrice>={}", format_minor(min)));
        }
        if let Some(max) = query.max_price_minor {
            terms.push(format!("salePrice<={}", format_minor(max)));
        }
        terms.join("&")
    }

    async fn fetch(&self, query: &SearchQuery) -> Result<Vec<Offer>, MarketError> {
        let url = format!("{}/v1/products({})", self.base(), Self::expression(query));
        let page_size = self.config.page_size.clamp(1, 100).to_string();
        let mut offers = Vec::new();
        let mut page: u32 = 1;
        loop {
            let page_text = page.to_string();
            let body: Value = self
                .http
                .request(
                    |c| {
                        c.get(&url).query(&[
                            ("apiKey", self.config.api_key.expose()),
                            ("format", "json"),
                            ("show", SHOW),
                            ("pageSize", page_size.as_str()),
                            ("page", page_text.as_str()),
                        ])
                    },
                    |reply| reply.success("bestbuy search")?.json(),
                )
                .await?;
            let Some(products) = body.get("products").and_then(Value::as_array) else {
                let err = MarketError::Malformed("bestbuy: no products array".into());
                self.http.note_failure(&err);
                return Err(err);
            };
            let candidates = products
                .iter()
                .map(|p| (text(p, &["sku"]).unwrap_or_default(), self.offer(p)));
            offers.extend(
                keep_possible("bestbuy", candidates)
                    .into_iter()
                    .filter(|o| query.accepts(o)),
            );
            let total_pages = body.get("totalPages").and_then(Value::as_u64).unwrap_or(1);
            let current = body
                .get("currentPage")
                .and_then(Value::as_u64)
                .unwrap_or(u64::from(page));
            if offers.len() >= query.limit || current >= total_pages || products.is_empty() {
                break;
            }
            page += 1;
        }
        offers.truncate(query.limit);
        Ok(offers)
    }

    fn offer(&self, p: &Value) -> Result<Offer, Impossible> {
        let sku = text(p, &["sku"]).ok_or(Impossible::MissingId)?;
        let price_minor = required_price(p, &[&["salePrice"]])?;
        let free = at(p, &["freeShipping"]).and_then(Value::as_bool) == Some(true);
        let shipping_minor = if free {
            Some(0)
        } else {
            optional_price(p, &[&["shippingCost"]])
        };
        let category = at(p, &["categoryPath"])
            .and_then(Value::as_array)
            .and_then(|path| path.last())
            .and_then(|c| text(c, &["name"]));
        let availability = match at(p, &["onlineAvailability"]).and_then(Value::as_bool) {
            Some(true) => Availability::InStock,
            Some(false) => Availability::OutOfStock,
            None => Availability::Unknown,
        };
        let model = text(p, &["modelNumber"]);
        Ok(Offer {
            market: "bestbuy".into(),
            source: SourceKind::Bestbuy,
            url: text(p, &["url"])
                .unwrap_or_else(|| format!("https://www.bestbuy.com/site/{sku}.p")),
            external_id: sku,
            title: text(p, &["name"]).unwrap_or_default(),
            brand: text(p, &["manufacturer"]),
            mpn: model.clone(),
            model,
            gtin: text(p, &["upc"]),
            category,
            price_minor,
            original_price_minor: optional_price(p, &[&["regularPrice"]]),
            currency: "USD".into(),
            condition: condition(text(p, &["condition"]).as_deref()),
            seller_name: Some("Best Buy".into()),
            seller_rating: number(p, &["customerReviewAverage"]),
            seller_review_count: count(p, &["customerReviewCount"]),
            availability,
            shipping_minor,
            image_url: text(p, &["image"]),
            flags: Vec::new(),
        })
    }
}

/// Best Buy's condition names.
fn condition(raw: Option<&str>) -> Condition {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        Some("refurbished") => Condition::Refurbished,
        Some("pre-owned" | "used") => Condition::Used,
        Some("open-box" | "open box") => Condition::OpenBox,
        _ => Condition::New,
    }
}

#[async_trait]
impl Market for BestBuy {
    fn name(&self) -> &str {
        "bestbuy"
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Bestbuy
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<Offer>, MarketError> {
        self.http.cached(query.cache_key(), self.fetch(query)).await
    }

    async fn product(&self, external_id: &str) -> Result<Offer, MarketError> {
        let sku = external_id.trim();
        if sku.is_empty() || !sku.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(MarketError::NotFound(format!(
                "bestbuy sku {external_id:?}"
            )));
        }
        let url = format!("{}/v1/products/{sku}.json", self.base());
        let body: Value = self
            .http
            .request(
                |c| {
                    c.get(&url)
                        .query(&[("apiKey", self.config.api_key.expose()), ("show", SHOW)])
                },
                |reply| reply.success(&format!("bestbuy sku {sku}"))?.json(),
            )
            .await?;
        possible_product("bestbuy", sku, self.offer(&body))
    }

    fn health(&self) -> SourceHealth {
        self.http.health()
    }
}
