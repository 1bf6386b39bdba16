//! Product links of listings: by which rule the ingest path linked a listing to its product,
//! what an administrator sees of that link, and undoing it (the listing is unlinked and the
//! pair blocked, so the ingest path does not link it to that product again).

use chrono::{DateTime, Utc};
use deals_core::matching::SameProduct;
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::entity::{listing, listing_link, listing_link_block, product};
use crate::rows::{Listing, Product};
use crate::{Store, StoreError, now};

/// How the ingest path linked a listing to a product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewLink {
    /// The listing.
    pub listing_id: Uuid,
    /// The product it was linked to.
    pub product_id: Uuid,
    /// The rule that linked them (never [`SameProduct::No`]).
    pub rule: SameProduct,
    /// The learned model's log-odds above its threshold, when the model decided.
    pub score: Option<f32>,
}

/// A listing's product link as an administrator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingLink {
    /// The listing.
    pub listing: Listing,
    /// Its product, when linked.
    pub product: Option<Product>,
    /// The rule that linked it; `None` when unlinked or linked before links were recorded
    /// (or by hand).
    pub rule: Option<SameProduct>,
    /// The learned model's log-odds above its threshold, when the model linked it.
    pub score: Option<f64>,
    /// When the ingest path linked it.
    pub linked_at: Option<DateTime<Utc>>,
    /// Products an administrator unlinked it from, which it is not linked to again.
    pub blocked: Vec<Product>,
}

/// A product a listing may not be linked to again, by the listing's market and id there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkBlock {
    /// Market of the listing.
    pub market: String,
    /// The market's id of the listing.
    pub external_id: String,
    /// The product it was unlinked from.
    pub product_id: Uuid,
}

fn parse_rule(s: &str) -> Result<SameProduct, StoreError> {
    [SameProduct::Gtin, SameProduct::BrandMpn, SameProduct::Title]
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt(format!("listing link rule {s:?}")))
}

impl Store {
    /// Records how listings were linked (replacing an earlier record of the same listing).
    pub async fn record_links(&self, links: &[NewLink]) -> Result<(), StoreError> {
        if links.is_empty() {
            return Ok(());
        }
        let at = now();
        let rows = links.iter().map(|l| listing_link::ActiveModel {
            listing_id: Set(l.listing_id),
            product_id: Set(l.product_id),
            rule: Set(l.rule.as_str().to_owned()),
            score: Set(l.score.map(f64::from)),
            linked_at: Set(at),
        });
        listing_link::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(listing_link::Column::ListingId)
                    .update_columns([
                        listing_link::Column::ProductId,
                        listing_link::Column::Rule,
                        listing_link::Column::Score,
                        listing_link::Column::LinkedAt,
                    ])
                    .to_owned(),
            )
            .exec(self.write_conn())
            .await?;
        Ok(())
    }

    /// The products the listings `external_ids` of `market` were unlinked from by an
    /// administrator (usually none: one query).
    pub async fn link_blocks(
        &self,
        market: &str,
        external_ids: &[&str],
    ) -> Result<Vec<LinkBlock>, StoreError> {
        if external_ids.is_empty() {
            return Ok(vec![]);
        }
        let listings_of_page = Query::select()
            .column(listing::Column::Id)
            .from(listing::Entity)
            .and_where(listing::Column::Market.eq(market))
            .and_where(listing::Column::ExternalId.is_in(external_ids.iter().copied()))
            .to_owned();
        let blocks = listing_link_block::Entity::find()
            .filter(listing_link_block::Column::ListingId.in_subquery(listings_of_page))
            .all(self.conn())
            .await?;
        if blocks.is_empty() {
            return Ok(vec![]);
        }
        let listings = listing::Entity::find()
            .filter(listing::Column::Id.is_in(blocks.iter().map(|b| b.listing_id)))
            .all(self.conn())
            .await?;
        Ok(blocks
            .into_iter()
            .filter_map(|b| {
                let l = listings.iter().find(|l| l.id == b.listing_id)?;
                Some(LinkBlock {
                    market: l.market.clone(),
                    external_id: l.external_id.clone(),
                    product_id: b.product_id,
                })
            })
            .collect())
    }

    /// A listing's product link, the rule that made it and the products it is blocked from.
    pub async fn listing_link(&self, listing_id: Uuid) -> Result<ListingLink, StoreError> {
        let listing: Listing = listing::Entity::find_by_id(listing_id)
            .one(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()?;
        let product = match listing.product_id {
            Some(id) => product::Entity::find_by_id(id).one(self.conn()).await?,
            None => None,
        };
        let record = listing_link::Entity::find_by_id(listing_id)
            .one(self.conn())
            .await?
            .filter(|r| Some(r.product_id) == listing.product_id);
        let blocked_ids: Vec<Uuid> = listing_link_block::Entity::find()
            .filter(listing_link_block::Column::ListingId.eq(listing_id))
            .order_by_asc(listing_link_block::Column::CreatedAt)
            .all(self.conn())
            .await?
            .into_iter()
            .map(|b| b.product_id)
            .collect();
        let blocked = if blocked_ids.is_empty() {
            vec![]
        } else {
            product::Entity::find()
                .filter(product::Column::Id.is_in(blocked_ids))
                .order_by_asc(product::Column::Id)
                .all(self.conn())
                .await?
        };
        let rule = record.as_ref().map(|r| parse_rule(&r.rule)).transpose()?;
        Ok(ListingLink {
            listing,
            product,
            rule,
            score: record.as_ref().and_then(|r| r.score),
            linked_at: record.map(|r| r.linked_at),
            blocked,
        })
    }

    /// Undoes a listing's product link on behalf of administrator `by`: the listing is
    /// unlinked, its link record removed, and the product blocked for it. [`StoreError::NotFound`]
    /// for an unknown listing, [`StoreError::Conflict`] when it is not linked.
    pub async fn unlink_listing(&self, listing_id: Uuid, by: Uuid) -> Result<(), StoreError> {
        {
            let txn = self.begin_write().await?;
            let current = listing::Entity::find_by_id(listing_id)
                .one(&txn)
                .await?
                .ok_or(StoreError::NotFound)?;
            let Some(product_id) = current.product_id else {
                return Err(StoreError::Conflict(
                    "the listing is not linked to a product".into(),
                ));
            };
            let mut m: listing::ActiveModel = current.into();
            m.product_id = Set(None);
            m.updated_at = Set(now());
            m.update(&txn).await?;
            listing_link::Entity::delete_by_id(listing_id)
                .exec(&txn)
                .await?;
            listing_link_block::Entity::insert(listing_link_block::ActiveModel {
                listing_id: Set(listing_id),
                product_id: Set(product_id),
                blocked_by: Set(Some(by)),
                created_at: Set(now()),
            })
            .on_conflict_do_nothing_on([
                listing_link_block::Column::ListingId,
                listing_link_block::Column::ProductId,
            ])
            .exec(&txn)
            .await?;
            txn.commit().await?;
            Ok(())
        }
    }
}
