//! The public deal search and deal pages, cached (moka or Redis) and invalidated when a listing
//! changes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use deals_core::money::{format_minor, parse_minor};
use deals_core::{Condition, DealSort, ValidationErrors};
use deals_store::repo::search::DealQuery;
use deals_store::rows::Listing;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{PageParams, Paginated};
use crate::auth::MaybeUser;
use crate::cache::{DEAL_TTL, SEARCH_TTL};
use crate::deals::cache;
use crate::http::error::{AppError, Problem};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// A deal: one offer of one market.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DealOut {
    /// Id.
    pub id: Uuid,
    /// Title at the market.
    pub title: String,
    /// Market name (`amazon`, `walmart`, `bestbuy`, `target`, `ebay`, …).
    pub market: String,
    /// Where to buy.
    pub url: String,
    /// Current price, two decimals.
    pub price: String,
    /// List or "was" price, two decimals.
    pub original_price: Option<String>,
    /// Discount against `original_price`, percent with two decimals.
    pub discount_pct: Option<f64>,
    /// ISO 4217 code.
    pub currency: String,
    /// `new`, `used`, `refurbished` or `open_box`.
    pub condition: String,
    /// Seller name.
    pub seller: Option<String>,
    /// Seller rating, 0–5.
    pub seller_rating: Option<f64>,
    /// Stock state.
    pub availability: String,
    /// Shipping cost, two decimals.
    pub shipping: Option<String>,
    /// Brand.
    pub brand: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Picture.
    pub image_url: Option<String>,
    /// Latest deal score, 0–1; null until analysed.
    pub score: Option<f64>,
    /// Canonical product shared with the same item at other markets.
    pub product_id: Option<Uuid>,
    /// `active`, `ended` or `removed`.
    pub status: String,
    /// What the source flagged about the latest price (`price_jump`: far from the list price).
    pub flags: Vec<String>,
    /// First observation.
    pub first_seen_at: DateTime<Utc>,
    /// Latest observation.
    pub last_seen_at: DateTime<Utc>,
}

impl From<Listing> for DealOut {
    fn from(l: Listing) -> Self {
        Self {
            id: l.id,
            title: l.title,
            market: l.market,
            url: l.url,
            price: format_minor(l.price_minor),
            original_price: l.original_price_minor.map(format_minor),
            discount_pct: l.discount_bp.map(|bp| f64::from(bp) / 100.0),
            currency: l.currency.as_str().to_owned(),
            condition: l.condition.as_str().to_owned(),
            seller: l.seller_name,
            seller_rating: l.seller_rating,
            availability: l.availability.as_str().to_owned(),
            shipping: l.shipping_minor.map(format_minor),
            brand: l.brand,
            category: l.category,
            image_url: l.image_url,
            score: l.score,
            product_id: l.product_id,
            status: l.status.as_str().to_owned(),
            flags: l.flags,
            first_seen_at: l.first_seen_at,
            last_seen_at: l.last_seen_at,
        }
    }
}

/// Query of the deal search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Full-text query; `or` between words means either.
    pub q: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Market.
    pub market: Option<String>,
    /// Lowest price, e.g. `50` or `49.99`; empty: none.
    #[param(schema_with = crate::schema::price_filter)]
    pub min_price: Option<String>,
    /// Highest price; empty: none. Not below `min_price`.
    #[param(schema_with = crate::schema::price_filter)]
    pub max_price: Option<String>,
    /// `new`, `used`, `refurbished`, `open_box`; empty: any.
    #[param(schema_with = crate::schema::condition_filter)]
    pub condition: Option<String>,
    /// `score` (default, also when empty), `price`, `discount` or `newest`.
    #[param(schema_with = crate::schema::deal_sort)]
    pub sort: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

/// An empty filter is no filter, as when it is left out; anything else must parse (a blank
/// value is refused, like every value the document does not list).
fn price_param(errors: &mut ValidationErrors, field: &str, raw: &Option<String>) -> Option<i64> {
    let raw = raw.as_deref().filter(|s| !s.is_empty())?;
    errors.check(field, parse_minor(raw))
}

impl SearchParams {
    fn parse(self) -> Result<DealQuery, AppError> {
        let mut errors = ValidationErrors::new();
        let page = match (PageParams {
            page: self.page,
            per_page: self.per_page,
        })
        .parse()
        {
            Ok(p) => p,
            Err(AppError::Validation(v)) => {
                errors.errors.extend(v.errors);
                Default::default()
            }
            Err(e) => return Err(e),
        };
        let min_price = price_param(&mut errors, "min_price", &self.min_price);
        let max_price = price_param(&mut errors, "max_price", &self.max_price);
        if let (Some(lo), Some(hi)) = (min_price, max_price)
            && lo > hi
        {
            errors.add("min_price", "must not be greater than max_price");
        }
        let nonempty = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let given = |s: Option<String>| s.filter(|s| !s.is_empty());
        let condition =
            given(self.condition).and_then(|c| errors.check("condition", Condition::parse(&c)));
        let sort = given(self.sort).and_then(|s| errors.check("sort", DealSort::parse(&s)));
        let text = nonempty(self.q);
        if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
            errors.add("q", "must be at most 200 characters");
        }
        errors
            .into_result(DealQuery {
                text,
                category: nonempty(self.category),
                market: nonempty(self.market),
                min_price,
                max_price,
                condition,
                sort,
                page,
            })
            .map_err(AppError::from)
    }
}

fn cached_json(bytes: Bytes, max_age: u64) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CACHE_CONTROL, format!("public, max-age={max_age}")),
        ],
        bytes,
    )
        .into_response()
}

/// Searches active deals; no sign-in needed.
#[utoipa::path(get, path = "/api/v1/deals/search", operation_id = "search_deals", tag = "deals", params(SearchParams), responses(
    (status = 200, body = Paginated<DealOut>, description = "OK"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Response, AppError> {
    let query = params.parse()?;
    let fingerprint = hex::encode(Sha256::digest(format!("{query:?}").as_bytes()));
    let key = format!(
        "search:{}:{fingerprint}",
        cache::search_generation(&state).await
    );
    if let Some(hit) = state.cache.get(&key).await {
        return Ok(cached_json(hit, 60));
    }
    let page = crate::deals::search(&state, &query).await?;
    let body = Paginated::from_page(page, query.page, DealOut::from);
    let bytes = Bytes::from(serde_json::to_vec(&body).map_err(anyhow::Error::from)?);
    state.cache.set(&key, bytes.clone(), SEARCH_TTL).await;
    Ok(cached_json(bytes, 60))
}

/// One deal. Market listings are public; a deal attached by hand is visible only to its owner
/// (and administrators), with their token.
#[utoipa::path(get, path = "/api/v1/deals/{deal_id}", operation_id = "get_deal", tag = "deals", params(("deal_id" = Uuid, Path)), responses(
    (status = 200, body = DealOut, description = "OK"), (status = 401, body = Problem, description = "a token was sent and is not valid"),
    (status = 404, body = Problem, description = "Not found (or not yours)")))]
pub async fn get(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    ApiPath(deal_id): ApiPath<Uuid>,
) -> Result<Response, AppError> {
    let key = format!(
        "deal:{deal_id}:{}",
        cache::deal_generation(&state, deal_id).await
    );
    if let Some(hit) = state.cache.get(&key).await {
        return Ok(cached_json(hit, DEAL_TTL.as_secs()));
    }
    let listing = crate::deals::get(&state, viewer.map(|u| u.scope()), deal_id).await?;
    let public = listing.owner_id.is_none();
    let bytes =
        Bytes::from(serde_json::to_vec(&DealOut::from(listing)).map_err(anyhow::Error::from)?);
    if public {
        state.cache.set(&key, bytes.clone(), DEAL_TTL).await;
        return Ok(cached_json(bytes, DEAL_TTL.as_secs()));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response())
}
