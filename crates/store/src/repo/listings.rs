//! Listings (deals), their price history and canonical products.

use chrono::{DateTime, Utc};
use deals_core::{Availability, Condition, Currency, ListingStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::entity::{listing, price_point, product};
use crate::error::retry_on_conflict;
use crate::rows::{Listing, PricePointRow, Product};
use crate::{Scope, Store, StoreError, now};

/// A listing as observed at a market.
#[derive(Debug, Clone, PartialEq)]
pub struct NewListing {
    /// Canonical product, when known.
    pub product_id: Option<Uuid>,
    /// The user who attached this deal by hand (private to them); `None` for market listings.
    pub owner_id: Option<Uuid>,
    /// Market name, e.g. `amazon`.
    pub market: String,
    /// The market's own id for the offer.
    pub external_id: String,
    /// Where to buy.
    pub url: String,
    /// Title at the market.
    pub title: String,
    /// Brand, lower-cased.
    pub brand: Option<String>,
    /// Category, lower-cased.
    pub category: Option<String>,
    /// Price in minor units.
    pub price_minor: i64,
    /// List or "was" price in minor units.
    pub original_price_minor: Option<i64>,
    /// Currency of the prices.
    pub currency: Currency,
    /// Item condition.
    pub condition: Condition,
    /// Seller.
    pub seller_name: Option<String>,
    /// Seller rating, 0–5.
    pub seller_rating: Option<f64>,
    /// Stock state.
    pub availability: Availability,
    /// Shipping cost in minor units.
    pub shipping_minor: Option<i64>,
    /// Picture.
    pub image_url: Option<String>,
    /// When this observation was made.
    pub seen_at: DateTime<Utc>,
    /// What the source flagged about this observation (`price_jump`: kept, but suspicious).
    pub flags: Vec<String>,
}

/// A product to find by GTIN or create.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewProduct {
    /// Title as first seen.
    pub title: String,
    /// Brand, lower case.
    pub brand: Option<String>,
    /// Model name or number.
    pub model: Option<String>,
    /// GTIN (UPC/EAN), normalised.
    pub gtin: Option<String>,
    /// Manufacturer part number.
    pub mpn: Option<String>,
    /// Category, lower case.
    pub category: Option<String>,
}

/// Result of [`Store::upsert_listing`].
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted {
    /// The stored listing.
    pub listing: Listing,
    /// Whether the listing was new.
    pub created: bool,
    /// Whether the price differs from the previous observation (always true when created).
    pub price_changed: bool,
    /// Whether an existing listing was linked to another product (or to one for the first
    /// time): its market average changed.
    pub relinked: bool,
}

/// Basis points of discount of `price` against `original` (`None` without a higher original).
pub fn discount_bp(price: i64, original: Option<i64>) -> Option<i32> {
    let original = original?;
    (original > price && original > 0).then(|| ((original - price) * 10_000 / original) as i32)
}

/// Flags as stored: `None` when there are none.
fn flags_json(flags: &[String]) -> Option<serde_json::Value> {
    (!flags.is_empty()).then(|| serde_json::json!(flags))
}

impl Store {
    /// Inserts a listing or refreshes the one with the same market and external id, recording a
    /// price point when the price is new or changed. One transaction.
    pub async fn upsert_listing(&self, new: NewListing) -> Result<Upserted, StoreError> {
        retry_on_conflict(|| async {
            let txn = self.begin_write().await?;
            let upserted = upsert_listing_in(&txn, new.clone()).await?;
            txn.commit().await?;
            Ok(upserted)
        })
        .await
    }

    /// [`Store::upsert_listing`] for a page of observations in one transaction (one commit
    /// for a store's page of results instead of one per offer), in the order given.
    pub async fn upsert_listings(&self, news: &[NewListing]) -> Result<Vec<Upserted>, StoreError> {
        if news.is_empty() {
            return Ok(vec![]);
        }
        retry_on_conflict(|| async {
            let txn = self.begin_write().await?;
            let mut out = Vec::with_capacity(news.len());
            for new in news {
                out.push(upsert_listing_in(&txn, new.clone()).await?);
            }
            txn.commit().await?;
            Ok(out)
        })
        .await
    }

    /// One listing.
    pub async fn get_listing(&self, id: Uuid) -> Result<Listing, StoreError> {
        listing::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    /// A listing as seen by `viewer` (`None`: anonymous): market listings are public, deals
    /// attached by hand only visible to their owner and administrators.
    pub async fn get_visible_listing(
        &self,
        id: Uuid,
        viewer: Option<Scope>,
    ) -> Result<Listing, StoreError> {
        let found = self.get_listing(id).await?;
        match (found.owner_id, viewer) {
            (None, _) | (Some(_), Some(Scope::All)) => Ok(found),
            (Some(owner), Some(Scope::Owner(user))) if owner == user => Ok(found),
            _ => Err(StoreError::NotFound),
        }
    }

    /// Records a price observation; a second observation at the same instant is ignored.
    pub async fn record_price(
        &self,
        listing_id: Uuid,
        at: DateTime<Utc>,
        price_minor: i64,
        currency: Currency,
    ) -> Result<(), StoreError> {
        insert_price_point(self.conn(), listing_id, at, price_minor, currency).await
    }

    /// Price points of a listing since `since`, oldest first.
    pub async fn price_history(
        &self,
        listing_id: Uuid,
        since: DateTime<Utc>,
    ) -> Result<Vec<PricePointRow>, StoreError> {
        Ok(price_point::Entity::find()
            .filter(price_point::Column::ListingId.eq(listing_id))
            .filter(price_point::Column::At.gte(since))
            .order_by_asc(price_point::Column::At)
            .all(self.conn())
            .await?)
    }

    /// Finds the product with this GTIN or creates it.
    pub async fn find_or_create_product(&self, new: NewProduct) -> Result<Product, StoreError> {
        let new = product::Model {
            id: Uuid::now_v7(),
            title: new.title,
            brand: new.brand,
            model: new.model,
            gtin: new.gtin,
            mpn: new.mpn,
            category: new.category,
            created_at: now(),
        };
        retry_on_conflict(|| async {
            if let Some(gtin) = &new.gtin
                && let Some(found) = product::Entity::find()
                    .filter(product::Column::Gtin.eq(gtin))
                    .one(self.conn())
                    .await?
            {
                return Ok(found);
            }
            let am: product::ActiveModel = new.clone().into();
            Ok(am.insert(self.write_conn()).await?)
        })
        .await
    }

    /// Canonical products that could be the same item as a listing of `brand` in `category`:
    /// those of the same brand, or of the category when the brand is unknown; at most `limit`.
    pub async fn product_candidates(
        &self,
        brand: Option<&str>,
        category: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Product>, StoreError> {
        let query = match (brand, category) {
            (Some(b), _) => {
                product::Entity::find().filter(product::Column::Brand.eq(b.to_lowercase()))
            }
            (None, Some(c)) => {
                product::Entity::find().filter(product::Column::Category.eq(c.to_lowercase()))
            }
            (None, None) => return Ok(vec![]),
        };
        Ok(query
            .order_by_asc(product::Column::Id)
            .limit(limit)
            .all(self.conn())
            .await?)
    }

    /// Number of listings.
    pub async fn count_listings(&self) -> Result<u64, StoreError> {
        Ok(listing::Entity::find().count(self.conn()).await?)
    }
}

/// [`Store::upsert_listing`] inside a caller's transaction.
pub(crate) async fn upsert_listing_in<C: sea_orm::ConnectionTrait>(
    db: &C,
    new: NewListing,
) -> Result<Upserted, StoreError> {
    let existing = listing::Entity::find()
        .filter(listing::Column::Market.eq(&new.market))
        .filter(listing::Column::ExternalId.eq(&new.external_id))
        .one(db)
        .await?;
    let at = now();
    let (saved, created, price_changed, relinked) = match existing {
        Some(current) => {
            let price_changed = current.price_minor != new.price_minor;
            let relinked = new.product_id.is_some() && new.product_id != current.product_id;
            let mut m: listing::ActiveModel = current.into();
            if new.product_id.is_some() {
                m.product_id = Set(new.product_id);
            }
            m.url = Set(new.url);
            m.title = Set(new.title);
            m.brand = Set(new.brand);
            m.category = Set(new.category);
            m.price_minor = Set(new.price_minor);
            m.original_price_minor = Set(new.original_price_minor);
            m.discount_bp = Set(discount_bp(new.price_minor, new.original_price_minor));
            m.currency = Set(new.currency.as_str().to_owned());
            m.condition = Set(new.condition.as_str().to_owned());
            m.seller_name = Set(new.seller_name);
            m.seller_rating = Set(new.seller_rating);
            m.availability = Set(new.availability.as_str().to_owned());
            m.shipping_minor = Set(new.shipping_minor);
            m.image_url = Set(new.image_url);
            m.status = Set(ListingStatus::Active.as_str().to_owned());
            m.last_seen_at = Set(new.seen_at);
            m.flags = Set(flags_json(&new.flags));
            m.updated_at = Set(at);
            (m.update(db).await?, false, price_changed, relinked)
        }
        None => {
            let m = listing::ActiveModel {
                id: Set(Uuid::now_v7()),
                product_id: Set(new.product_id),
                owner_id: Set(new.owner_id),
                market: Set(new.market),
                external_id: Set(new.external_id),
                url: Set(new.url),
                title: Set(new.title),
                brand: Set(new.brand),
                category: Set(new.category),
                price_minor: Set(new.price_minor),
                original_price_minor: Set(new.original_price_minor),
                discount_bp: Set(discount_bp(new.price_minor, new.original_price_minor)),
                currency: Set(new.currency.as_str().to_owned()),
                condition: Set(new.condition.as_str().to_owned()),
                seller_name: Set(new.seller_name),
                seller_rating: Set(new.seller_rating),
                availability: Set(new.availability.as_str().to_owned()),
                shipping_minor: Set(new.shipping_minor),
                image_url: Set(new.image_url),
                score: Set(None),
                flags: Set(flags_json(&new.flags)),
                status: Set(ListingStatus::Active.as_str().to_owned()),
                first_seen_at: Set(new.seen_at),
                last_seen_at: Set(new.seen_at),
                created_at: Set(at),
                updated_at: Set(at),
            };
            (m.insert(db).await?, true, true, false)
        }
    };
    if price_changed {
        insert_price_point(db, saved.id, new.seen_at, new.price_minor, new.currency).await?;
    }
    Ok(Upserted {
        listing: saved.try_into()?,
        created,
        price_changed,
        relinked,
    })
}

async fn insert_price_point<C: sea_orm::ConnectionTrait>(
    db: &C,
    listing_id: Uuid,
    at: DateTime<Utc>,
    price_minor: i64,
    currency: Currency,
) -> Result<(), StoreError> {
    let point = price_point::ActiveModel {
        listing_id: Set(listing_id),
        at: Set(at),
        price_minor: Set(price_minor),
        currency: Set(currency.as_str().to_owned()),
    };
    price_point::Entity::insert(point)
        .on_conflict_do_nothing()
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discount_in_basis_points() {
        assert_eq!(discount_bp(7_500, Some(10_000)), Some(2_500));
        assert_eq!(discount_bp(10_000, Some(10_000)), None);
        assert_eq!(discount_bp(12_000, Some(10_000)), None);
        assert_eq!(discount_bp(5_000, None), None);
    }
}
