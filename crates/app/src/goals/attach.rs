//! A deal the user found elsewhere, attached to a goal by hand: private to them, linked to the
//! same product at other stores when the catalogue has it, matched against the goal with
//! reasons (kept even when outside the criteria; the reasons say so) and scored.

use deals_core::matching::{ListingFacts, match_goal, valid_gtin};
use deals_core::money::AmountInput;
use deals_core::{Availability, Condition, Currency, ValidationErrors};
use deals_store::Scope;
use deals_store::now;
use deals_store::repo::goals::MatchedDeal;
use deals_store::repo::listings::NewListing;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::deals::analysis::analyze_listing;
use crate::deals::ingest::{Identifiers, same_product_elsewhere};
use crate::error::Result;
use crate::state::AppState;

/// A deal found by the user, to attach to a goal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachDealRequest {
    /// Title of the offer (1–300 characters once runs of spaces are collapsed).
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    pub title: String,
    /// Current price, above zero, e.g. `"279.99"`.
    #[schema(schema_with = crate::schema::positive_money)]
    pub price: AmountInput,
    /// Product page: an absolute http(s) URL whose host has a dot (or is `localhost`).
    #[schema(schema_with = crate::schema::web_url)]
    pub url: String,
    /// Market name, e.g. `bestbuy`.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    pub market: String,
    /// List or "was" price.
    #[schema(schema_with = crate::schema::money_or_null)]
    pub original_price: Option<AmountInput>,
    /// ISO 4217 code (default USD).
    #[schema(schema_with = crate::schema::currency_or_null)]
    pub currency: Option<String>,
    /// `new` (default), `used`, `refurbished`, `open_box`.
    #[schema(schema_with = crate::schema::condition)]
    pub condition: Option<String>,
    /// Seller name, at most 200 characters.
    #[schema(max_length = 200)]
    pub seller: Option<String>,
    /// Seller rating, 0–5.
    #[schema(minimum = 0, maximum = 5)]
    pub seller_rating: Option<f64>,
    /// Brand, at most 100 characters.
    #[schema(max_length = 100)]
    pub brand: Option<String>,
    /// Category, at most 100 characters.
    #[schema(max_length = 100)]
    pub category: Option<String>,
    /// The market's id of the offer, at most 128 characters (defaults to one derived from
    /// the URL).
    #[schema(max_length = 128)]
    pub external_id: Option<String>,
    /// Picture: an absolute http(s) URL.
    #[schema(schema_with = crate::schema::web_url_or_null)]
    pub image_url: Option<String>,
    /// GTIN / UPC / EAN of the item, when known, with a valid check digit: links the deal to
    /// the same product at other stores (price comparison, market average).
    #[schema(pattern = "^([0-9]{8}|[0-9]{12,14})$")]
    pub gtin: Option<String>,
    /// Manufacturer part number, when known.
    pub mpn: Option<String>,
    /// Shipping cost.
    #[schema(schema_with = crate::schema::money_or_null)]
    pub shipping: Option<AmountInput>,
    /// `in_stock` (default), `low_stock`, `out_of_stock`, `preorder`, `unknown`.
    #[schema(schema_with = crate::schema::availability)]
    pub availability: Option<String>,
}

/// A web URL (see `http_url_host`) whose host has a dot or is `localhost…`.
fn is_web_url(s: &str) -> bool {
    deals_core::preferences::http_url_host(s)
        .is_some_and(|host| host.contains('.') || host.starts_with("localhost"))
}

fn text(
    errors: &mut ValidationErrors,
    field: &str,
    v: Option<String>,
    max: usize,
) -> Option<String> {
    let v = v
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())?;
    if v.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    }
    Some(v)
}

impl AttachDealRequest {
    /// The listing to store, with the GTIN and MPN used to find the same product elsewhere.
    fn parse(self) -> Result<(NewListing, Option<String>, Option<String>), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = text(&mut errors, "title", Some(self.title), 300);
        if title.is_none() {
            errors.add("title", "must not be empty");
        }
        let price = errors.check("price", self.price.to_minor());
        if price == Some(0) {
            errors.add("price", "must be greater than zero");
        }
        let original = self
            .original_price
            .and_then(|a| errors.check("original_price", a.to_minor()));
        let shipping = self
            .shipping
            .and_then(|a| errors.check("shipping", a.to_minor()));
        let url = self.url.trim().to_owned();
        if !is_web_url(&url) {
            errors.add("url", "must be an absolute http:// or https:// URL");
        }
        let market = self.market.trim().to_lowercase();
        if market.is_empty()
            || market.len() > 32
            || !market
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            errors.add("market", "must be a market name such as amazon or bestbuy");
        }
        let currency = match self.currency {
            Some(c) => errors
                .check("currency", Currency::parse(&c))
                .unwrap_or_default(),
            None => Currency::USD,
        };
        let condition = match self.condition {
            Some(c) => errors
                .check("condition", Condition::parse(&c))
                .unwrap_or(Condition::New),
            None => Condition::New,
        };
        let availability = match self.availability {
            Some(a) => errors
                .check("availability", Availability::parse(&a))
                .unwrap_or(Availability::Unknown),
            None => Availability::InStock,
        };
        if let Some(r) = self.seller_rating
            && !(0.0..=5.0).contains(&r)
        {
            errors.add("seller_rating", "must be between 0 and 5");
        }
        if let Some(code) = &self.gtin
            && !valid_gtin(code)
        {
            errors.add(
                "gtin",
                "must be a GTIN-8, UPC-A, EAN-13 or GTIN-14 with a valid check digit",
            );
        }
        if let Some(img) = &self.image_url
            && !is_web_url(img)
        {
            errors.add("image_url", "must be an absolute http:// or https:// URL");
        }
        let external_id =
            text(&mut errors, "external_id", self.external_id, 128).unwrap_or_else(|| {
                format!("url-{}", &hex::encode(Sha256::digest(url.as_bytes()))[..24])
            });
        let seller_name = text(&mut errors, "seller", self.seller, 200);
        let brand = text(&mut errors, "brand", self.brand, 100).map(|b| b.to_lowercase());
        let category = text(&mut errors, "category", self.category, 100).map(|c| c.to_lowercase());
        let listing = NewListing {
            product_id: None,
            owner_id: None,
            market,
            external_id,
            url,
            title: title.unwrap_or_default(),
            brand,
            category,
            price_minor: price.unwrap_or_default(),
            original_price_minor: original,
            currency,
            condition,
            seller_name,
            seller_rating: self.seller_rating,
            availability,
            shipping_minor: shipping,
            image_url: self.image_url,
            seen_at: now(),
            flags: vec![],
        };
        errors.into_result((listing, self.gtin, self.mpn))
    }
}

/// Attaches a parsed deal to a goal visible in `scope`: stored privately for the goal's owner,
/// linked to the same product elsewhere, matched with reasons and scored.
pub async fn attach(
    state: &AppState,
    scope: Scope,
    goal_id: Uuid,
    req: AttachDealRequest,
) -> Result<MatchedDeal> {
    let (mut listing, gtin, mpn) = req.parse()?;
    let goal = state.store.get_goal(scope, goal_id).await?;
    let ids = Identifiers {
        gtin: gtin.as_deref(),
        mpn: mpn.as_deref(),
        model: None,
    };
    listing.product_id = same_product_elsewhere(state, &listing, ids).await?;
    let fit = match_goal(
        &goal.criteria,
        &ListingFacts {
            title: &listing.title,
            brand: listing.brand.as_deref(),
            category: listing.category.as_deref(),
            market: &listing.market,
            condition: listing.condition,
            price_minor: listing.price_minor,
            currency: listing.currency.as_str(),
            seller_rating: listing.seller_rating,
        },
    );
    let mut reasons = vec!["attached by hand".to_owned()];
    if let Some(why) = &fit.excluded_by {
        reasons.push(format!("outside the goal's criteria: {why}"));
    }
    reasons.extend(fit.reasons);
    let mut matched = state
        .store
        .attach_listing(scope, goal_id, listing, fit.score, &reasons)
        .await?;
    let analysis = analyze_listing(&state.store, matched.listing.id).await?;
    matched.listing.score = Some(analysis.normalized_score);
    Ok(matched)
}
