//! Stored deal analyses and the price context an analysis needs: a listing's own history, the
//! same product's history across stores, and the market average it is compared with.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::Serialize;
use uuid::Uuid;

use crate::entity::{deal_analysis, listing, price_point};
use crate::rows::Listing;
use crate::{Store, StoreError, now};

/// An analysis to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnalysis {
    /// The analysed listing.
    pub listing_id: Uuid,
    /// Version of the scoring formula.
    pub formula_version: String,
    /// Base score 0–100.
    pub base_score: f64,
    /// Every modifier with its explanation.
    pub modifiers: serde_json::Value,
    /// Final score 0–100.
    pub final_score: f64,
    /// Final score / 100.
    pub normalized_score: f64,
    /// Whether the score is an outlier against recent scores.
    pub is_anomaly: bool,
    /// Moving average of the last five earlier scores.
    pub moving_average: Option<f64>,
    /// Sample standard deviation of those scores.
    pub stddev: Option<f64>,
    /// 1 − stddev/mean of the listing's prices.
    pub price_stability: Option<f64>,
    /// The market average compared with, in minor units.
    pub market_average_minor: Option<i64>,
    /// One-paragraph explanation.
    pub explanation: String,
    /// Everything else worth showing: reference-price check, glitch check, recommendation…
    pub details: serde_json::Value,
}

/// Where a market average comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AverageBasis {
    /// The same product at other stores.
    SameProduct,
    /// Comparable listings: same category and currency, price within ±40 %.
    Comparable,
}

/// A market average and what it was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MarketAverage {
    /// Mean current price in minor units.
    pub average_minor: i64,
    /// Listings averaged.
    pub listings: usize,
    /// Same product or comparable listings.
    pub basis: AverageBasis,
}

/// One price observation with the market it was seen at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarketPrice {
    /// The listing observed.
    pub listing_id: Uuid,
    /// Its market.
    pub market: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Price in minor units.
    pub price_minor: i64,
}

/// Public active listings of the same currency, other than `l`.
fn public_peers(l: &Listing) -> Condition {
    Condition::all()
        .add(listing::Column::Id.ne(l.id))
        .add(listing::Column::OwnerId.is_null())
        .add(listing::Column::Status.eq("active"))
        .add(listing::Column::Currency.eq(l.currency.as_str()))
}

fn mean(prices: &[i64]) -> Option<i64> {
    let n = i64::try_from(prices.len()).ok().filter(|n| *n > 0)?;
    Some((prices.iter().map(|p| i128::from(*p)).sum::<i128>() / i128::from(n)) as i64)
}

impl Store {
    /// Stores an analysis and makes its normalized score the listing's current score, in one
    /// transaction.
    pub async fn save_analysis(
        &self,
        new: NewAnalysis,
    ) -> Result<deal_analysis::Model, StoreError> {
        let txn = self.begin_write().await?;
        let saved = deal_analysis::ActiveModel {
            id: Set(Uuid::now_v7()),
            listing_id: Set(new.listing_id),
            formula_version: Set(new.formula_version),
            base_score: Set(new.base_score),
            modifiers: Set(new.modifiers),
            final_score: Set(new.final_score),
            normalized_score: Set(new.normalized_score),
            is_anomaly: Set(new.is_anomaly),
            moving_average: Set(new.moving_average),
            stddev: Set(new.stddev),
            price_stability: Set(new.price_stability),
            market_average_minor: Set(new.market_average_minor),
            explanation: Set(new.explanation),
            details: Set(new.details),
            analyzed_at: Set(now()),
        }
        .insert(&txn)
        .await?;
        listing::Entity::update_many()
            .col_expr(listing::Column::Score, Expr::value(saved.normalized_score))
            .filter(listing::Column::Id.eq(saved.listing_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(saved)
    }

    /// The newest analysis of a listing.
    pub async fn latest_analysis(
        &self,
        listing_id: Uuid,
    ) -> Result<Option<deal_analysis::Model>, StoreError> {
        Ok(deal_analysis::Entity::find()
            .filter(deal_analysis::Column::ListingId.eq(listing_id))
            .order_by_desc(deal_analysis::Column::AnalyzedAt)
            .order_by_desc(deal_analysis::Column::Id)
            .one(self.conn())
            .await?)
    }

    /// The final scores of a listing's last `limit` analyses, oldest first.
    pub async fn recent_scores(
        &self,
        listing_id: Uuid,
        limit: u64,
    ) -> Result<Vec<f64>, StoreError> {
        let mut scores: Vec<f64> = deal_analysis::Entity::find()
            .select_only()
            .column(deal_analysis::Column::FinalScore)
            .filter(deal_analysis::Column::ListingId.eq(listing_id))
            .order_by_desc(deal_analysis::Column::AnalyzedAt)
            .order_by_desc(deal_analysis::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(self.conn())
            .await?;
        scores.reverse();
        Ok(scores)
    }

    /// Prices since `since` of the listing and, when it has a product, of the same product's
    /// public listings at every store; oldest first.
    pub async fn product_history(
        &self,
        l: &Listing,
        since: DateTime<Utc>,
    ) -> Result<Vec<MarketPrice>, StoreError> {
        let mut listings = vec![(l.id, l.market.clone())];
        if let Some(product) = l.product_id {
            let peers: Vec<(Uuid, String)> = listing::Entity::find()
                .select_only()
                .columns([listing::Column::Id, listing::Column::Market])
                .filter(listing::Column::ProductId.eq(product))
                .filter(public_peers(l))
                .into_tuple()
                .all(self.conn())
                .await?;
            listings.extend(peers);
        }
        let ids: Vec<Uuid> = listings.iter().map(|(id, _)| *id).collect();
        let points = price_point::Entity::find()
            .filter(price_point::Column::ListingId.is_in(ids))
            .filter(price_point::Column::At.gte(since))
            .order_by_asc(price_point::Column::At)
            .all(self.conn())
            .await?;
        Ok(points
            .into_iter()
            .map(|p| MarketPrice {
                market: listings
                    .iter()
                    .find(|(id, _)| *id == p.listing_id)
                    .map(|(_, m)| m.clone())
                    .unwrap_or_default(),
                listing_id: p.listing_id,
                at: p.at,
                price_minor: p.price_minor,
            })
            .collect())
    }

    /// The market average a listing is compared with: the mean current price of the same
    /// product at the other stores; without one, of at least three comparable listings (same
    /// category and currency, price within ±40 %). `None` when neither exists.
    pub async fn market_average(&self, l: &Listing) -> Result<Option<MarketAverage>, StoreError> {
        if let Some(product) = l.product_id {
            let prices: Vec<i64> = listing::Entity::find()
                .select_only()
                .column(listing::Column::PriceMinor)
                .filter(listing::Column::ProductId.eq(product))
                .filter(public_peers(l))
                .into_tuple()
                .all(self.conn())
                .await?;
            if let Some(average_minor) = mean(&prices) {
                return Ok(Some(MarketAverage {
                    average_minor,
                    listings: prices.len(),
                    basis: AverageBasis::SameProduct,
                }));
            }
        }
        let Some(category) = &l.category else {
            return Ok(None);
        };
        let (lo, hi) = (l.price_minor * 6 / 10, l.price_minor * 14 / 10);
        let prices: Vec<i64> = listing::Entity::find()
            .select_only()
            .column(listing::Column::PriceMinor)
            .filter(public_peers(l))
            .filter(listing::Column::Category.eq(category.clone()))
            .filter(listing::Column::PriceMinor.between(lo, hi))
            .limit(1_000)
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(mean(&prices)
            .filter(|_| prices.len() >= 3)
            .map(|average_minor| MarketAverage {
                average_minor,
                listings: prices.len(),
                basis: AverageBasis::Comparable,
            }))
    }
}
