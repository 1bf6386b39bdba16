//! Oxylabs Realtime API adapter, one instance per store (`amazon`, `walmart`, `target`).
//!
//! Every call is `POST {base_url}/v1/queries` with Basic `username:password` and a JSON body
//! `{"source": "<store>_search" | "<store>_product", "domain": "com", "parse": true, …}`:
//! searches send `query`, `pages: 1` and `start_page` (pages are followed until the limit is
//! reached or a page comes back empty); Amazon products send the ASIN as `query`, Walmart and
//! Target products send `product_id`. The answer is `{"results":[{"content":{…},
//! "status_code":200,"url":…}],"job":{…}}`; a `status_code` other than 200 in the first result
//! is an error (404 → not found).
//!
//! Parsed fields read (each with the alternatives Oxylabs uses across its parsers):
//! - `amazon_search`: `content.results.organic[]` (and `paid[]`) with `asin`, `title`, `price`,
//!   `price_strikethrough`, `currency`, `rating`, `reviews_count`, `url` (relative URLs joined to
//!   `https://www.amazon.{domain}`), `url_image`, `manufacturer`.
//! - `amazon_product`: `content` with `asin`, `title`, `price` (or `price_buybox`),
//!   `price_strikethrough` / `price_initial`, `currency`, `rating`, `reviews_count`, `brand` /
//!   `manufacturer`, `stock` (text: "In Stock", "Only 3 left", "Currently unavailable"),
//!   `url`, `images[0]` / `url_image`, `category[0].ladder[-1].name`, `featured_merchant.name`.
//! - `walmart_search` / `target_search`: `content.results[]` with either the nested shape
//!   `general.{title,url,image,product_id,brand}`, `price.{price,price_strikethrough,currency}`,
//!   `rating.{rating,count}`, `seller.name`, `fulfillment.{out_of_stock,free_shipping}` or the
//!   flat one (`title`, `url`, `price`, `currency`, `rating`, `reviews_count`, …).
//! - `walmart_product` / `target_product`: `content` in the same two shapes.
//!
//! Config keys (`[markets.oxylabs]`): `base_url`, `username`, `password`, `http.*`, and per store
//! `amazon.enabled`, `amazon.domain` (same for `walmart`, `target`).

use super::{at, count, first, first_text, optional_price, required_price, text, text_of};
use crate::SourceKind;
use crate::config::{OxylabsConfig, OxylabsStoreConfig};
use crate::http::HttpSource;
use crate::market::{
    Impossible, Market, MarketError, Offer, SearchQuery, SourceHealth, currency_code,
    keep_possible, possible_product,
};
use async_trait::async_trait;
use deals_core::{Availability, Condition};
use serde_json::{Value, json};

/// A store Oxylabs reads for us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OxylabsStore {
    /// amazon.com through `amazon_search` / `amazon_product`.
    Amazon,
    /// walmart.com through `walmart_search` / `walmart_product`.
    Walmart,
    /// target.com through `target_search` / `target_product`.
    Target,
}

impl OxylabsStore {
    /// All three.
    pub const ALL: [OxylabsStore; 3] = [Self::Amazon, Self::Walmart, Self::Target];

    /// Store name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Amazon => "amazon",
            Self::Walmart => "walmart",
            Self::Target => "target",
        }
    }

    /// The Oxylabs source of a search.
    pub fn search_source(self) -> &'static str {
        match self {
            Self::Amazon => "amazon_search",
            Self::Walmart => "walmart_search",
            Self::Target => "target_search",
        }
    }

    /// The Oxylabs source of a product look-up.
    pub fn product_source(self) -> &'static str {
        match self {
            Self::Amazon => "amazon_product",
            Self::Walmart => "walmart_product",
            Self::Target => "target_product",
        }
    }

    /// The store's section of the Oxylabs config.
    pub fn config(self, config: &OxylabsConfig) -> &OxylabsStoreConfig {
        match self {
            Self::Amazon => &config.amazon,
            Self::Walmart => &config.walmart,
            Self::Target => &config.target,
        }
    }

    fn site(self, domain: &str) -> String {
        format!("https://www.{}.{domain}", self.name())
    }
}

/// One store read through the Oxylabs Realtime API.
#[derive(Debug)]
pub struct Oxylabs {
    store: OxylabsStore,
    config: OxylabsConfig,
    domain: String,
    http: HttpSource,
}

impl Oxylabs {
    /// An adapter for `store`; fails when the credentials are missing.
    pub fn new(store: OxylabsStore, config: OxylabsConfig) -> Result<Self, MarketError> {
        if config.username.is_empty() || config.password.is_empty() {
            return Err(MarketError::Config(
                "oxylabs.username and oxylabs.password are required".into(),
            ));
        }
        let store_config = store.config(&config);
        let http = HttpSource::new(
            store.name(),
            SourceKind::Oxylabs,
            store_config.enabled,
            config.http.clone(),
        )?;
        Ok(Self {
            store,
            domain: store_config.domain.clone(),
            config,
            http,
        })
    }

    /// Posts one job and returns the first result's `content`.
    async fn query(&self, body: Value, what: &str) -> Result<Value, MarketError> {
        let url = format!("{}/v1/queries", self.config.base_url.trim_end_matches('/'));
        let answer: Value = self
            .http
            .request(
                |c| {
                    c.post(&url)
                        .basic_auth(
                            self.config.username.expose(),
                            Some(self.config.password.expose()),
                        )
                        .json(&body)
                },
                |reply| reply.success(what)?.json(),
            )
            .await?;
        let result = at(&answer, &["results"])
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .cloned();
        let outcome = match result {
            None => Err(MarketError::Malformed(format!("{what}: no results"))),
            Some(r) => match at(&r, &["status_code"]).and_then(Value::as_u64) {
                Some(200) | None => at(&r, &["content"])
                    .filter(|c| c.is_object())
                    .cloned()
                    .ok_or_else(|| MarketError::Malformed(format!("{what}: no parsed content"))),
                Some(404) => Err(MarketError::NotFound(what.to_owned())),
                Some(status) => Err(MarketError::Status {
                    status: u16::try_from(status).unwrap_or(599),
                    message: format!("{what}: target answered {status}"),
                }),
            },
        };
        if let Err(e) = &outcome {
            self.http.note_failure(e);
        }
        outcome
    }

    async fn fetch(&self, query: &SearchQuery) -> Result<Vec<Offer>, MarketError> {
        let mut offers = Vec::new();
        let mut page = 1u32;
        loop {
            let body = json!({
                "source": self.store.search_source(),
                "domain": self.domain,
                "query": query.words().join(" "),
                "parse": true,
                "pages": 1,
                "start_page": page,
            });
            let content = self
                .query(body, &format!("{} search", self.store.name()))
                .await?;
            let items = self.items(&content)?;
            let candidates = items
                .iter()
                .map(|i| (self.item_id(i).unwrap_or_default(), self.offer(i)));
            offers.extend(
                keep_possible(self.store.name(), candidates)
                    .into_iter()
                    .filter(|o| query.accepts(o)),
            );
            let last_page = first(&content, &[&["last_visible_page"], &["total_pages"]])
                .and_then(Value::as_u64)
                .unwrap_or(1);
            if offers.len() >= query.limit || items.is_empty() || u64::from(page) >= last_page {
                break;
            }
            page += 1;
        }
        offers.truncate(query.limit);
        Ok(offers)
    }

    /// The result items of a parsed search page.
    fn items(&self, content: &Value) -> Result<Vec<Value>, MarketError> {
        let results = at(content, &["results"]);
        let list = match results {
            Some(Value::Array(items)) => items.clone(),
            Some(Value::Object(groups)) => ["organic", "paid"]
                .iter()
                .filter_map(|g| groups.get(*g).and_then(Value::as_array))
                .flatten()
                .cloned()
                .collect(),
            _ => {
                let err = MarketError::Malformed(format!(
                    "{} search: content.results missing",
                    self.store.name()
                ));
                self.http.note_failure(&err);
                return Err(err);
            }
        };
        Ok(list)
    }

    fn item_id(&self, item: &Value) -> Option<String> {
        first_text(
            item,
            &[
                &["asin"],
                &["product_id"],
                &["general", "product_id"],
                &["tcin"],
                &["general", "tcin"],
                &["id"],
            ],
        )
        .or_else(|| {
            let url = first_text(item, &[&["url"], &["general", "url"]])?;
            let path = url.split(['?', '#']).next()?;
            path.trim_end_matches('/')
                .rsplit('/')
                .next()
                .map(|s| s.trim_start_matches("A-").to_owned())
                .filter(|s| !s.is_empty())
        })
    }

    fn absolute(&self, url: String) -> String {
        if url.starts_with("http://") || url.starts_with("https://") {
            url
        } else {
            format!(
                "{}/{}",
                self.store.site(&self.domain),
                url.trim_start_matches('/')
            )
        }
    }

    fn offer(&self, item: &Value) -> Result<Offer, Impossible> {
        let id = self.item_id(item).ok_or(Impossible::MissingId)?;
        let price_minor = required_price(
            item,
            &[
                &["price", "price"],
                &["price", "current"],
                &["price"],
                &["price_buybox"],
            ],
        )?;
        let currency = first_text(
            item,
            &[
                &["price", "currency"],
                &["currency"],
                &["general", "currency"],
            ],
        )
        .unwrap_or_else(|| "USD".into());
        let currency = currency_code(&currency)?;
        let url = first_text(item, &[&["url"], &["general", "url"]])
            .map(|u| self.absolute(u))
            .unwrap_or_else(|| self.store.site(&self.domain));
        let image = first(item, &[&["images"], &["general", "images"]])
            .and_then(|imgs| imgs.get(0))
            .and_then(text_of)
            .or_else(|| {
                first_text(
                    item,
                    &[
                        &["url_image"],
                        &["image"],
                        &["general", "image"],
                        &["general", "main_image"],
                    ],
                )
            });
        let category = first(item, &[&["category"], &["breadcrumbs"]])
            .and_then(|c| c.get(0))
            .and_then(|c| {
                at(c, &["ladder"])
                    .and_then(Value::as_array)
                    .and_then(|l| l.last())
                    .and_then(|l| text(l, &["name"]))
                    .or_else(|| text(c, &["category_name"]))
                    .or_else(|| text_of(c))
            });
        Ok(Offer {
            market: self.store.name().into(),
            source: SourceKind::Oxylabs,
            external_id: id,
            url,
            title: first_text(item, &[&["title"], &["general", "title"]]).unwrap_or_default(),
            brand: first_text(
                item,
                &[&["brand"], &["general", "brand"], &["manufacturer"]],
            ),
            model: first_text(
                item,
                &[&["model"], &["product_details", "item_model_number"]],
            ),
            gtin: first_text(item, &[&["gtin"], &["upc"], &["general", "upc"]]),
            mpn: first_text(item, &[&["mpn"], &["product_details", "item_model_number"]]),
            category,
            price_minor,
            original_price_minor: optional_price(
                item,
                &[
                    &["price", "price_strikethrough"],
                    &["price", "was"],
                    &["price_strikethrough"],
                    &["price_initial"],
                ],
            ),
            currency,
            condition: condition(first_text(item, &[&["condition"]]).as_deref()),
            seller_name: first_text(
                item,
                &[
                    &["seller", "name"],
                    &["featured_merchant", "name"],
                    &["seller"],
                ],
            )
            .or_else(|| {
                (self.store != OxylabsStore::Amazon).then(|| title_case(self.store.name()))
            }),
            seller_rating: first(item, &[&["rating", "rating"], &["rating"]]).and_then(
                |r| match r {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                },
            ),
            seller_review_count: count(item, &["rating", "count"])
                .or_else(|| count(item, &["reviews_count"])),
            availability: availability(item),
            shipping_minor: shipping(item),
            image_url: image,
            flags: Vec::new(),
        })
    }
}

fn title_case(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn condition(raw: Option<&str>) -> Condition {
    let raw = raw.unwrap_or_default().to_lowercase();
    if raw.contains("refurb") || raw.contains("renewed") {
        Condition::Refurbished
    } else if raw.contains("open box") || raw.contains("open_box") {
        Condition::OpenBox
    } else if raw.contains("used") || raw.contains("pre-owned") {
        Condition::Used
    } else {
        Condition::New
    }
}

fn availability(item: &Value) -> Availability {
    if let Some(out) =
        first(item, &[&["fulfillment", "out_of_stock"], &["out_of_stock"]]).and_then(Value::as_bool)
    {
        return if out {
            Availability::OutOfStock
        } else {
            Availability::InStock
        };
    }
    if let Some(b) =
        first(item, &[&["in_stock"], &["general", "in_stock"]]).and_then(Value::as_bool)
    {
        return if b {
            Availability::InStock
        } else {
            Availability::OutOfStock
        };
    }
    match first_text(item, &[&["stock"], &["availability"]]).map(|s| s.to_lowercase()) {
        Some(s) if s.contains("unavailable") || s.contains("out of stock") => {
            Availability::OutOfStock
        }
        Some(s) if s.contains("only") && s.contains("left") => Availability::LowStock,
        Some(s) if s.contains("pre-order") || s.contains("preorder") => Availability::Preorder,
        Some(s) if s.contains("in stock") => Availability::InStock,
        _ => Availability::Unknown,
    }
}

fn shipping(item: &Value) -> Option<i64> {
    if first(
        item,
        &[&["fulfillment", "free_shipping"], &["free_shipping"]],
    )
    .and_then(Value::as_bool)
        == Some(true)
    {
        return Some(0);
    }
    optional_price(
        item,
        &[
            &["fulfillment", "shipping_price"],
            &["shipping_price"],
            &["shipping", "price"],
        ],
    )
}

#[async_trait]
impl Market for Oxylabs {
    fn name(&self) -> &str {
        self.store.name()
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Oxylabs
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<Offer>, MarketError> {
        self.http.cached(query.cache_key(), self.fetch(query)).await
    }

    async fn product(&self, external_id: &str) -> Result<Offer, MarketError> {
        let id = external_id.trim();
        if id.is_empty() {
            return Err(MarketError::NotFound(format!(
                "{} product \"\"",
                self.store.name()
            )));
        }
        let mut body = json!({
            "source": self.store.product_source(),
            "domain": self.domain,
            "parse": true,
        });
        let key = if self.store == OxylabsStore::Amazon {
            "query"
        } else {
            "product_id"
        };
        body[key] = Value::String(id.to_owned());
        let what = format!("{} product {id}", self.store.name());
        let mut content = self.query(body, &what).await?;
        if self.item_id(&content).is_none() {
            content["product_id"] = Value::String(id.to_owned());
        }
        possible_product(self.store.name(), id, self.offer(&content))
    }

    fn health(&self) -> SourceHealth {
        self.http.health()
    }
}
