//! Goals and the deals matched to them.

use chrono::{DateTime, Utc};
use deals_core::matching::{RankFacts, compare_deals, one_product_first};
use deals_core::{
    Availability, GoalCriteria, GoalStatus, LastSearch, ListingStatus, Pagination, Priority,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, Set,
};
use uuid::Uuid;

use super::Page;
use super::listings::{NewListing, upsert_listing_in};
use crate::entity::{goal, goal_match, listing};
use crate::error::retry_on_conflict;
use crate::rows::{self, Goal, GoalMatch, Listing, MatchSource};
use crate::{Scope, Store, StoreError, now};

/// A goal to create.
#[derive(Debug, Clone)]
pub struct NewGoal {
    /// Owner.
    pub user_id: Uuid,
    /// Short title.
    pub title: String,
    /// The user's own words, when given.
    pub query: Option<String>,
    /// Structured criteria.
    pub criteria: GoalCriteria,
    /// Priority.
    pub priority: Priority,
    /// Optional deadline.
    pub deadline: Option<DateTime<Utc>>,
    /// Most matches to keep.
    pub max_matches: i32,
    /// Score (0..1) from which the user is alerted.
    pub notify_threshold: f64,
    /// Price the user hopes for, in minor units.
    pub target_price_minor: Option<i64>,
}

/// Changes to a goal; `None` leaves a field as it is. Nullable fields use `Option<Option<_>>`:
/// `Some(None)` clears them.
#[derive(Debug, Clone, Default)]
pub struct GoalChanges {
    /// New title.
    pub title: Option<String>,
    /// New criteria.
    pub criteria: Option<GoalCriteria>,
    /// New status.
    pub status: Option<GoalStatus>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New or cleared deadline.
    pub deadline: Option<Option<DateTime<Utc>>>,
    /// New match limit.
    pub max_matches: Option<i32>,
    /// New alert threshold.
    pub notify_threshold: Option<f64>,
    /// New or cleared target price.
    pub target_price_minor: Option<Option<i64>>,
}

/// A listing matched to a goal, with why it matched.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedDeal {
    /// The listing.
    pub listing: Listing,
    /// The match.
    pub matched: GoalMatch,
    /// How many other stores list the same product now (filled in by [`Store::goal_deals`]).
    pub other_stores: usize,
}

fn owned(scope: Scope) -> sea_orm::Condition {
    match scope {
        Scope::Owner(user_id) => sea_orm::Condition::all().add(goal::Column::UserId.eq(user_id)),
        Scope::All => sea_orm::Condition::all(),
    }
}

fn criteria_json(c: &GoalCriteria) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(c).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn match_to_listing() -> RelationDef {
    goal_match::Entity::belongs_to(listing::Entity)
        .from(goal_match::Column::ListingId)
        .to(listing::Column::Id)
        .into()
}

/// Stores a new goal as `active` inside the caller's transaction (so that the jobs working on
/// it are committed with it).
pub async fn insert_goal_in<C: sea_orm::ConnectionTrait>(
    db: &C,
    new: NewGoal,
) -> Result<Goal, StoreError> {
    let at = now();
    let currency = new.criteria.currency.as_str().to_owned();
    let model = goal::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(new.user_id),
        title: Set(new.title),
        query: Set(new.query),
        criteria: Set(criteria_json(&new.criteria)?),
        status: Set(GoalStatus::Active.as_str().to_owned()),
        priority: Set(new.priority.as_str().to_owned()),
        deadline: Set(new.deadline),
        max_matches: Set(new.max_matches),
        notify_threshold: Set(new.notify_threshold),
        target_price_minor: Set(new.target_price_minor),
        currency: Set(currency),
        matches_found: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        last_search: Set(None),
    };
    Goal::try_from(model.insert(db).await?)
}

/// One match to store with [`Store::match_listings`] or [`Store::match_listing_to_goals`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewMatch {
    /// The listing.
    pub listing_id: Uuid,
    /// Goal-match score 0–1.
    pub score: f64,
    /// Why it matches.
    pub reasons: Vec<String>,
}

impl Store {
    /// Stores a new goal as `active`.
    pub async fn create_goal(&self, new: NewGoal) -> Result<Goal, StoreError> {
        insert_goal_in(self.write_conn(), new).await
    }

    /// One goal visible in `scope`.
    pub async fn get_goal(&self, scope: Scope, id: Uuid) -> Result<Goal, StoreError> {
        goal::Entity::find_by_id(id)
            .filter(owned(scope))
            .one(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    /// Goals visible in `scope`, newest first, optionally of one status.
    pub async fn list_goals(
        &self,
        scope: Scope,
        status: Option<GoalStatus>,
        page: Pagination,
    ) -> Result<Page<Goal>, StoreError> {
        let mut query = goal::Entity::find().filter(owned(scope));
        if let Some(s) = status {
            query = query.filter(goal::Column::Status.eq(s.as_str()));
        }
        let total = query.clone().count(self.conn()).await?;
        let items = query
            .order_by_desc(goal::Column::CreatedAt)
            .order_by_desc(goal::Column::Id)
            .offset(page.offset())
            .limit(page.per_page)
            .all(self.conn())
            .await?;
        Ok(Page {
            items: rows::all(items)?,
            total,
        })
    }

    /// Applies `changes` to a goal visible in `scope`.
    pub async fn update_goal(
        &self,
        scope: Scope,
        id: Uuid,
        changes: GoalChanges,
    ) -> Result<Goal, StoreError> {
        let txn = self.begin_write().await?;
        let current = goal::Entity::find_by_id(id)
            .filter(owned(scope))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut model: goal::ActiveModel = current.into();
        if let Some(v) = changes.title {
            model.title = Set(v);
        }
        if let Some(v) = changes.criteria {
            model.currency = Set(v.currency.as_str().to_owned());
            model.criteria = Set(criteria_json(&v)?);
        }
        if let Some(v) = changes.status {
            model.status = Set(v.as_str().to_owned());
        }
        if let Some(v) = changes.priority {
            model.priority = Set(v.as_str().to_owned());
        }
        if let Some(v) = changes.deadline {
            model.deadline = Set(v);
        }
        if let Some(v) = changes.max_matches {
            model.max_matches = Set(v);
        }
        if let Some(v) = changes.notify_threshold {
            model.notify_threshold = Set(v);
        }
        if let Some(v) = changes.target_price_minor {
            model.target_price_minor = Set(v);
        }
        model.updated_at = Set(now());
        let updated = model.update(&txn).await?;
        txn.commit().await?;
        Goal::try_from(updated)
    }

    /// Records what the goal's last deal search did.
    pub async fn record_last_search(&self, id: Uuid, last: &LastSearch) -> Result<(), StoreError> {
        let json = serde_json::to_value(last).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        goal::Entity::update_many()
            .col_expr(goal::Column::LastSearch, Expr::value(json))
            .filter(goal::Column::Id.eq(id))
            .exec(self.write_conn())
            .await?;
        Ok(())
    }

    /// Deletes a goal visible in `scope` with its matches.
    pub async fn delete_goal(&self, scope: Scope, id: Uuid) -> Result<(), StoreError> {
        let result = goal::Entity::delete_many()
            .filter(goal::Column::Id.eq(id))
            .filter(owned(scope))
            .exec(self.write_conn())
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Matches a listing to a goal (once: matching again updates score and reasons) and keeps
    /// `matches_found` equal to the number of matches. Returns the match.
    pub async fn match_listing(
        &self,
        goal_id: Uuid,
        listing_id: Uuid,
        match_score: f64,
        reasons: &[String],
        source: MatchSource,
    ) -> Result<GoalMatch, StoreError> {
        // Two searches of one goal may match the same listing at once: the loser of the
        // unique-key race finds the winner's row on its next try.
        retry_on_conflict(|| async {
            let txn = self.begin_write().await?;
            let saved =
                match_listing_in(&txn, goal_id, listing_id, match_score, reasons, source).await?;
            txn.commit().await?;
            GoalMatch::try_from(saved)
        })
        .await
    }

    /// Matches many listings to one goal in one transaction (a search's page of results):
    /// like [`Store::match_listing`] for each, with one read of the existing matches, one
    /// insert of the new ones and one update of `matches_found`; an existing match is only
    /// written when its score or reasons changed. Returns the listings newly matched, in the
    /// order given.
    pub async fn match_listings(
        &self,
        goal_id: Uuid,
        matches: &[NewMatch],
        source: MatchSource,
    ) -> Result<Vec<Uuid>, StoreError> {
        if matches.is_empty() {
            return Ok(vec![]);
        }
        retry_on_conflict(|| async {
            let txn = self.begin_write().await?;
            let ids: Vec<Uuid> = matches.iter().map(|m| m.listing_id).collect();
            let existing: std::collections::HashMap<Uuid, goal_match::Model> =
                goal_match::Entity::find()
                    .filter(goal_match::Column::GoalId.eq(goal_id))
                    .filter(goal_match::Column::ListingId.is_in(ids))
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|m| (m.listing_id, m))
                    .collect();
            let mut fresh = Vec::new();
            let mut created = Vec::new();
            for m in matches {
                let reasons = serde_json::to_value(&m.reasons)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                match existing.get(&m.listing_id) {
                    Some(old) if old.match_score == m.score && old.reasons == reasons => {}
                    Some(old) => {
                        let mut am: goal_match::ActiveModel = old.clone().into();
                        am.match_score = Set(m.score);
                        am.reasons = Set(reasons);
                        am.update(&txn).await?;
                    }
                    None if created.contains(&m.listing_id) => {}
                    None => {
                        created.push(m.listing_id);
                        fresh.push(goal_match::ActiveModel {
                            id: Set(Uuid::now_v7()),
                            goal_id: Set(goal_id),
                            listing_id: Set(m.listing_id),
                            match_score: Set(m.score),
                            reasons: Set(reasons),
                            source: Set(source.as_str().to_owned()),
                            created_at: Set(now()),
                        });
                    }
                }
            }
            // Every listing seen goes to the goal's alert outbox in the same transaction: the
            // alert step that follows cannot be lost to a crash (see `notify::goals::flush`).
            let mut queued = std::collections::HashSet::new();
            let outbox: Vec<(Uuid, Uuid)> = matches
                .iter()
                .filter(|m| queued.insert(m.listing_id))
                .map(|m| (goal_id, m.listing_id))
                .collect();
            crate::repo::alerts::insert_outbox_in(&txn, &outbox).await?;
            if !fresh.is_empty() {
                goal_match::Entity::insert_many(fresh).exec(&txn).await?;
                goal::Entity::update_many()
                    .col_expr(
                        goal::Column::MatchesFound,
                        Expr::col(goal::Column::MatchesFound).add(created.len() as i64),
                    )
                    .col_expr(goal::Column::UpdatedAt, Expr::value(now()))
                    .filter(goal::Column::Id.eq(goal_id))
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await?;
            Ok(created)
        })
        .await
    }

    /// Matches one listing to many goals in one transaction (a new listing joining every other
    /// goal it fits); goals it already matches are left as they are. Returns the goals newly
    /// matched, in the order given.
    pub async fn match_listing_to_goals(
        &self,
        listing_id: Uuid,
        goals: &[(Uuid, NewMatch)],
        source: MatchSource,
    ) -> Result<Vec<Uuid>, StoreError> {
        if goals.is_empty() {
            return Ok(vec![]);
        }
        retry_on_conflict(|| async {
            let txn = self.begin_write().await?;
            let ids: Vec<Uuid> = goals.iter().map(|(g, _)| *g).collect();
            let existing: std::collections::HashSet<Uuid> = goal_match::Entity::find()
                .select_only()
                .column(goal_match::Column::GoalId)
                .filter(goal_match::Column::ListingId.eq(listing_id))
                .filter(goal_match::Column::GoalId.is_in(ids))
                .into_tuple::<Uuid>()
                .all(&txn)
                .await?
                .into_iter()
                .collect();
            let mut created = Vec::new();
            let mut fresh = Vec::new();
            for (goal_id, m) in goals {
                if existing.contains(goal_id) || created.contains(goal_id) {
                    continue;
                }
                let reasons = serde_json::to_value(&m.reasons)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                created.push(*goal_id);
                fresh.push(goal_match::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    goal_id: Set(*goal_id),
                    listing_id: Set(listing_id),
                    match_score: Set(m.score),
                    reasons: Set(reasons),
                    source: Set(source.as_str().to_owned()),
                    created_at: Set(now()),
                });
            }
            // Each goal newly matched gets an alert outbox row in the same transaction.
            let outbox: Vec<(Uuid, Uuid)> = created.iter().map(|g| (*g, listing_id)).collect();
            crate::repo::alerts::insert_outbox_in(&txn, &outbox).await?;
            if !fresh.is_empty() {
                goal_match::Entity::insert_many(fresh).exec(&txn).await?;
                goal::Entity::update_many()
                    .col_expr(
                        goal::Column::MatchesFound,
                        Expr::col(goal::Column::MatchesFound).add(1),
                    )
                    .col_expr(goal::Column::UpdatedAt, Expr::value(now()))
                    .filter(goal::Column::Id.is_in(created.clone()))
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await?;
            Ok(created)
        })
        .await
    }

    /// Stores a deal attached by hand (private to the goal's owner) and matches it to a goal
    /// visible in `scope`, in one transaction: either both are written or neither.
    pub async fn attach_listing(
        &self,
        scope: Scope,
        goal_id: Uuid,
        new: NewListing,
        match_score: f64,
        reasons: &[String],
    ) -> Result<MatchedDeal, StoreError> {
        retry_on_conflict(|| async {
            let txn = self.begin_write().await?;
            let goal = goal::Entity::find_by_id(goal_id)
                .filter(owned(scope))
                .one(&txn)
                .await?
                .ok_or(StoreError::NotFound)?;
            // A hand-attached deal belongs to the goal's owner and lives in their own key space,
            // so it can never overwrite a market listing or another user's deal.
            let mut own = new.clone();
            own.owner_id = Some(goal.user_id);
            own.external_id = format!("manual:{}:{}", goal.user_id.simple(), new.external_id);
            let upserted = upsert_listing_in(&txn, own).await?;
            let listing_id = upserted.listing.id;
            let matched = match_listing_in(
                &txn,
                goal_id,
                listing_id,
                match_score,
                reasons,
                MatchSource::Manual,
            )
            .await?;
            txn.commit().await?;
            Ok(MatchedDeal {
                listing: upserted.listing,
                matched: matched.try_into()?,
                other_stores: 0,
            })
        })
        .await
    }

    /// Deals matched to a goal visible in `scope`, in [`compare_deals`] order (what can be
    /// bought first, then the best match, then the best deal, then the cheapest), each product's
    /// best listing before the other stores' listings of it ([`one_product_first`]). A goal
    /// keeps at most a few hundred matches, so they are ranked here rather than in SQL.
    pub async fn goal_deals(
        &self,
        scope: Scope,
        goal_id: Uuid,
        page: Pagination,
    ) -> Result<Page<MatchedDeal>, StoreError> {
        self.get_goal(scope, goal_id).await?;
        let rows = goal_match::Entity::find()
            .filter(goal_match::Column::GoalId.eq(goal_id))
            .join(JoinType::InnerJoin, match_to_listing())
            .select_also(listing::Entity)
            .all(self.conn())
            .await?;
        let mut all = rows
            .into_iter()
            .filter_map(|(matched, listing)| listing.map(|listing| (matched, listing)))
            .map(|(matched, listing)| {
                Ok(MatchedDeal {
                    listing: Listing::try_from(listing)?,
                    matched: GoalMatch::try_from(matched)?,
                    other_stores: 0,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        all.sort_by(|a, b| {
            compare_deals(&rank_facts(a), &rank_facts(b)).then(a.matched.id.cmp(&b.matched.id))
        });
        let all = one_product_first(all, |m| m.listing.product_id, |m| rank_facts(m).available);
        let total = all.len() as u64;
        let mut items: Vec<MatchedDeal> = all
            .into_iter()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(page.per_page).unwrap_or(usize::MAX))
            .collect();
        self.count_other_stores(&mut items).await?;
        Ok(Page { items, total })
    }

    /// Fills in how many other stores list the same product (active public listings).
    async fn count_other_stores(&self, items: &mut [MatchedDeal]) -> Result<(), StoreError> {
        let products: Vec<Uuid> = items.iter().filter_map(|m| m.listing.product_id).collect();
        if products.is_empty() {
            return Ok(());
        }
        let rows: Vec<(Option<Uuid>, String)> = listing::Entity::find()
            .select_only()
            .column(listing::Column::ProductId)
            .column(listing::Column::Market)
            .filter(listing::Column::ProductId.is_in(products))
            .filter(listing::Column::OwnerId.is_null())
            .filter(listing::Column::Status.eq(ListingStatus::Active.as_str()))
            .into_tuple()
            .all(self.conn())
            .await?;
        for m in items.iter_mut() {
            let Some(product) = m.listing.product_id else {
                continue;
            };
            let mut markets: Vec<&str> = rows
                .iter()
                .filter(|(p, market)| *p == Some(product) && *market != m.listing.market)
                .map(|(_, market)| market.as_str())
                .collect();
            markets.sort_unstable();
            markets.dedup();
            m.other_stores = markets.len();
        }
        Ok(())
    }
}

/// What the rank of a matched deal depends on.
fn rank_facts(m: &MatchedDeal) -> RankFacts {
    RankFacts {
        match_score: m.matched.match_score,
        deal_score: m.listing.score,
        available: m.listing.availability != Availability::OutOfStock
            && m.listing.status == ListingStatus::Active,
        price_minor: m.listing.price_minor,
    }
}

pub(crate) async fn match_listing_in<C: sea_orm::ConnectionTrait>(
    db: &C,
    goal_id: Uuid,
    listing_id: Uuid,
    match_score: f64,
    reasons: &[String],
    source: MatchSource,
) -> Result<goal_match::Model, StoreError> {
    let reasons = serde_json::to_value(reasons).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let existing = goal_match::Entity::find()
        .filter(goal_match::Column::GoalId.eq(goal_id))
        .filter(goal_match::Column::ListingId.eq(listing_id))
        .one(db)
        .await?;
    let saved = match existing {
        Some(m) => {
            let mut am: goal_match::ActiveModel = m.into();
            am.match_score = Set(match_score);
            am.reasons = Set(reasons);
            am.update(db).await?
        }
        None => {
            let m = goal_match::ActiveModel {
                id: Set(Uuid::now_v7()),
                goal_id: Set(goal_id),
                listing_id: Set(listing_id),
                match_score: Set(match_score),
                reasons: Set(reasons),
                source: Set(source.as_str().to_owned()),
                created_at: Set(now()),
            }
            .insert(db)
            .await?;
            goal::Entity::update_many()
                .col_expr(
                    goal::Column::MatchesFound,
                    Expr::col(goal::Column::MatchesFound).add(1),
                )
                .col_expr(goal::Column::UpdatedAt, Expr::value(now()))
                .filter(goal::Column::Id.eq(goal_id))
                .exec(db)
                .await?;
            m
        }
    };
    Ok(saved)
}
