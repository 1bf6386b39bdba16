//! eBay Browse API adapter (`ebay`).
//!
//! Token: `POST {auth_base_url}/identity/v1/oauth2/token` with Basic `client_id:client_secret`
//! and form `grant_type=client_credentials&scope=https://api.ebay.com/oauth/api_scope` →
//! `{access_token, expires_in, token_type}`. The token is cached until `token_refresh_margin_s`
//! before it expires; a 401 from the API drops it and the call is retried once with a fresh one.
//!
//! Search: `GET {base_url}/buy/browse/v1/item_summary/search?q=…&limit=…&offset=…&filter=…`
//! with `Authorization: Bearer …` and `X-EBAY-C-MARKETPLACE-ID` (`marketplace_id`); the filter
//! is `price:[MIN..MAX],priceCurrency:USD,conditions:{NEW|USED}` (only the parts the query
//! needs). Pages are followed while the answer has `next` and the limit is not reached.
//! Product: `GET {base_url}/buy/browse/v1/item/{item_id}`.
//!
//! Fields read: `itemId`, `title`, `price.{value,currency}`,
//! `marketingPrice.originalPrice.value`, `condition` / `conditionId`, `itemWebUrl`,
//! `image.imageUrl`, `seller.{username,feedbackPercentage,feedbackScore}` (percentage ÷ 20 →
//! 0–5 rating), first `shippingOptions[].shippingCost.value`, first `categories[].categoryName`
//! (summaries) or `categoryPath` (items); on items also `brand`, `mpn`, `gtin`,
//! `estimatedAvailabilities[0].estimatedAvailabilityStatus`.
//!
//! Config keys (`[markets.ebay]`): `enabled`, `base_url`, `auth_base_url`, `client_id`,
//! `client_secret`, `marketplace_id`, `currency`, `page_size`, `token_refresh_margin_s`, `http.*`.

use super::{at, count, first_text, number, optional_price, required_price, text};
use crate::SourceKind;
use crate::config::EbayConfig;
use crate::http::HttpSource;
use crate::market::{
    Impossible, Market, MarketError, Offer, SearchQuery, SourceHealth, currency_code,
    keep_possible, possible_product,
};
use async_trait::async_trait;
use deals_core::money::format_minor;
use deals_core::{Availability, Condition};
use serde_json::Value;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The OAuth scope of the Browse API.
pub const SCOPE: &str = "https://api.ebay.com/oauth/api_scope";

#[derive(Debug, Clone)]
struct Token {
    value: String,
    refresh_at: Instant,
}

/// The eBay Browse API.
#[derive(Debug)]
pub struct Ebay {
    config: EbayConfig,
    http: HttpSource,
    token: Mutex<Option<Token>>,
}

impl Ebay {
    /// An adapter for `config`; fails when credentials are missing.
    pub fn new(config: EbayConfig) -> Result<Self, MarketError> {
        if config.client_id.is_empty() || config.client_secret.is_empty() {
            return Err(MarketError::Config(
                "ebay.client_id and ebay.client_secret are required".into(),
            ));
        }
        let http = HttpSource::new(
            "ebay",
            SourceKind::Ebay,
            config.enabled,
            config.http.clone(),
        )?;
        Ok(Self {
            config,
            http,
            token: Mutex::new(None),
        })
    }

    fn base(&self) -> &str {
        self.config.base_url.trim_end_matches('/')
    }

    /// A valid access token, fetched when none is cached or it is about to expire.
    async fn token(&self) -> Result<String, MarketError> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(t.value.clone());
        }
        let url = format!(
            "{}/identity/v1/oauth2/token",
            self.config.auth_base_url.trim_end_matches('/')
        );
        let body: Value = self
            .http
            .request(
                |c| {
                    c.post(&url)
                        .basic_auth(
                            self.config.client_id.expose(),
                            Some(self.config.client_secret.expose()),
                        )
                        .form(&[("grant_type", "client_credentials"), ("scope", SCOPE)])
                },
                |reply| reply.success("ebay token")?.json(),
            )
            .await?;
        let value = text(&body, &["access_token"])
            .ok_or_else(|| MarketError::Malformed("ebay token: no access_token".into()))?;
        let lifetime = at(&body, &["expires_in"])
            .and_then(Value::as_u64)
            .unwrap_or(7200);
        let usable = lifetime.saturating_sub(self.config.token_refresh_margin_s);
        *slot = Some(Token {
            value: value.clone(),
            refresh_at: Instant::now() + Duration::from_secs(usable),
        });
        Ok(value)
    }

    /// GET `url` with `query` and the bearer token; on 401 the token is refetched once.
    async fn get(
        &self,
        url: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<Value, MarketError> {
        for fresh in [false, true] {
            if fresh {
                *self.token.lock().await = None;
            }
            let token = self.token().await?;
            let reply = self
                .http
                .request(
                    |c| {
                        c.get(url)
                            .query(query)
                            .bearer_auth(&token)
                            .header("X-EBAY-C-MARKETPLACE-ID", &self.config.marketplace_id)
                    },
                    Ok,
                )
                .await?;
            if reply.status == 401 && !fresh {
                tracing::info!("ebay token refused: fetching a new one");
                continue;
            }
            let parsed = reply.success(what).and_then(|r| r.json());
            if let Err(e) = &parsed {
                self.http.note_failure(e);
            }
            return parsed;
        }
        Err(MarketError::Blocked("credentials refused (401)".into()))
    }

    fn filter(&self, query: &SearchQuery) -> Option<String> {
        let mut parts = Vec::new();
        if query.min_price_minor.is_some() || query.max_price_minor.is_some() {
            let min = query.min_price_minor.map(format_minor).unwrap_or_default();
            let max = query.max_price_minor.map(format_minor).unwrap_or_default();
            parts.push(format!("price:[{min}..{max}]"));
            parts.push(format!("priceCurrency:{}", self.config.currency));
        }
        let mut conditions: Vec<&str> = query
            .conditions
            .iter()
            .map(|c| if *c == Condition::New { "NEW" } else { "USED" })
            .collect();
        conditions.sort_unstable();
        conditions.dedup();
        if !conditions.is_empty() {
            parts.push(format!("conditions:{{{}}}", conditions.join("|")));
        }
        (!parts.is_empty()).then(|| parts.join(","))
    }

    async fn fetch(&self, query: &SearchQuery) -> Result<Vec<Offer>, MarketError> {
        let url = format!("{}/buy/browse/v1/item_summary/search", self.base());
        let page_size = self.config.page_size.clamp(1, 200) as usize;
        let filter = self.filter(query);
        let mut offers = Vec::new();
        let mut offset = 0usize;
        loop {
            let want = page_size.min(query.limit.max(1));
            let mut params = vec![
                ("q", query.words().join(" ")),
                ("limit", want.to_string()),
                ("offset", offset.to_string()),
            ];
            if let Some(f) = &filter {
                params.push(("filter", f.clone()));
            }
            let body = self.get(&url, &params, "ebay search").await?;
            let items = match at(&body, &["itemSummaries"]) {
                None if body.get("total").is_some() => Vec::new(),
                None => {
                    let err = MarketError::Malformed("ebay: no itemSummaries or total".into());
                    self.http.note_failure(&err);
                    return Err(err);
                }
                Some(v) => v.as_array().cloned().ok_or_else(|| {
                    MarketError::Malformed("ebay: itemSummaries is not an array".into())
                })?,
            };
            let candidates = items
                .iter()
                .map(|i| (text(i, &["itemId"]).unwrap_or_default(), offer(i)));
            offers.extend(
                keep_possible("ebay", candidates)
                    .into_iter()
                    .filter(|o| query.accepts(o)),
            );
            offset += items.len();
            if offers.len() >= query.limit || items.is_empty() || at(&body, &["next"]).is_none() {
                break;
            }
        }
        offers.truncate(query.limit);
        Ok(offers)
    }
}

/// eBay's condition: by id when present (1000 new, 1500/1750 open box, 2000–2500 refurbished,
/// anything else used), else by name.
fn condition(item: &Value) -> Condition {
    let id = text(item, &["conditionId"]).and_then(|s| s.parse::<u32>().ok());
    match id {
        Some(1000) => Condition::New,
        Some(1500 | 1750) => Condition::OpenBox,
        Some(2000..=2500) => Condition::Refurbished,
        Some(_) => Condition::Used,
        None => {
            let name = text(item, &["condition"])
                .unwrap_or_default()
                .to_lowercase();
            if name.contains("refurb") {
                Condition::Refurbished
            } else if name.contains("open box") {
                Condition::OpenBox
            } else if name.starts_with("new") || name.is_empty() {
                Condition::New
            } else {
                Condition::Used
            }
        }
    }
}

/// One item summary or item as an offer.
fn offer(item: &Value) -> Result<Offer, Impossible> {
    let id = text(item, &["itemId"]).ok_or(Impossible::MissingId)?;
    let price_minor = required_price(item, &[&["price", "value"]])?;
    let currency = currency_code(&text(item, &["price", "currency"]).unwrap_or_default())?;
    let shipping_minor = at(item, &["shippingOptions"])
        .and_then(Value::as_array)
        .and_then(|opts| opts.first())
        .and_then(|o| {
            optional_price(o, &[&["shippingCost", "value"]]).or_else(|| {
                (text(o, &["shippingCostType"]).as_deref() == Some("FREE")).then_some(0)
            })
        });
    let category = at(item, &["categories"])
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .and_then(|c| text(c, &["categoryName"]))
        .or_else(|| {
            text(item, &["categoryPath"]).and_then(|p| p.rsplit('|').next().map(str::to_owned))
        });
    let availability = match text(
        item.get("estimatedAvailabilities")
            .and_then(|a| a.get(0))
            .unwrap_or(&Value::Null),
        &["estimatedAvailabilityStatus"],
    )
    .as_deref()
    {
        Some("IN_STOCK") => Availability::InStock,
        Some("LIMITED_STOCK") => Availability::LowStock,
        Some("OUT_OF_STOCK") => Availability::OutOfStock,
        // A summary is an active listing: it can be bought.
        _ => Availability::InStock,
    };
    Ok(Offer {
        market: "ebay".into(),
        source: SourceKind::Ebay,
        url: text(item, &["itemWebUrl"])
            .unwrap_or_else(|| format!("https://www.ebay.com/itm/{id}")),
        external_id: id,
        title: text(item, &["title"]).unwrap_or_default(),
        brand: text(item, &["brand"]),
        model: first_text(item, &[&["model"], &["mpn"]]),
        gtin: text(item, &["gtin"]),
        mpn: text(item, &["mpn"]),
        category,
        price_minor,
        original_price_minor: optional_price(
            item,
            &[&["marketingPrice", "originalPrice", "value"]],
        ),
        currency,
        condition: condition(item),
        seller_name: text(item, &["seller", "username"]),
        seller_rating: number(item, &["seller", "feedbackPercentage"]).map(|p| p / 20.0),
        seller_review_count: count(item, &["seller", "feedbackScore"]),
        availability,
        shipping_minor,
        image_url: text(item, &["image", "imageUrl"]),
        flags: Vec::new(),
    })
}

#[async_trait]
impl Market for Ebay {
    fn name(&self) -> &str {
        "ebay"
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Ebay
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<Offer>, MarketError> {
        self.http.cached(query.cache_key(), self.fetch(query)).await
    }

    async fn product(&self, external_id: &str) -> Result<Offer, MarketError> {
        let id = external_id.trim();
        if id.is_empty() || id.contains('/') {
            return Err(MarketError::NotFound(format!("ebay item {external_id:?}")));
        }
        let url = format!("{}/buy/browse/v1/item/{id}", self.base());
        let body = self.get(&url, &[], &format!("ebay item {id}")).await?;
        possible_product("ebay", id, offer(&body))
    }

    fn health(&self) -> SourceHealth {
        self.http.health()
    }
}
