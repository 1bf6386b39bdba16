//! Read models: what the repositories return. Enumerated columns are domain enums and criteria
//! are [`GoalCriteria`], parsed once here, at the storage boundary: a stored value that is not one
//! of an enum's values is [`StoreError::Corrupt`], never a silent default. Callers outside this
//! crate use these types, never the SeaORM entities.

use chrono::{DateTime, Utc};
use deals_core::{
    Availability, Condition, Currency, GoalCriteria, GoalStatus, LastSearch, ListingStatus,
    NotificationKind, Priority, Role,
};
use uuid::Uuid;

use crate::StoreError;
use crate::entity::{goal, goal_match, listing, notification, tracker, user};

/// A stored price observation.
pub type PricePointRow = crate::entity::price_point::Model;
/// A product known at one or more stores.
pub type Product = crate::entity::product::Model;
/// A stored deal analysis with every modifier.
pub type Analysis = crate::entity::deal_analysis::Model;
/// A recorded agent run.
pub type AgentRunRow = crate::entity::agent_run::Model;

/// Parses a stored enumerated value, naming the column when it is not one of the values.
fn parse<T, E: std::fmt::Display>(
    column: &str,
    raw: &str,
    f: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    f(raw).map_err(|e| StoreError::Corrupt(format!("{column} = {raw:?}: {e}")))
}

/// What a user wants to buy.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Short title.
    pub title: String,
    /// The user's own words.
    pub query: Option<String>,
    /// Structured criteria.
    pub criteria: GoalCriteria,
    /// Lifecycle.
    pub status: GoalStatus,
    /// Priority.
    pub priority: Priority,
    /// Optional deadline.
    pub deadline: Option<DateTime<Utc>>,
    /// Most matches kept.
    pub max_matches: i32,
    /// Score (0..1) from which the owner is alerted.
    pub notify_threshold: f64,
    /// Price hoped for, in minor units.
    pub target_price_minor: Option<i64>,
    /// Currency of the goal's prices.
    pub currency: Currency,
    /// Deals matched so far.
    pub matches_found: i32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// What the goal's last deal search did; `None` before the first one.
    pub last_search: Option<LastSearch>,
}

impl TryFrom<goal::Model> for Goal {
    type Error = StoreError;
    fn try_from(g: goal::Model) -> Result<Self, StoreError> {
        let criteria = GoalCriteria::from_json(g.criteria)
            .map_err(|e| StoreError::Corrupt(format!("goals.criteria of {}: {e:?}", g.id)))?;
        Ok(Self {
            id: g.id,
            user_id: g.user_id,
            title: g.title,
            query: g.query,
            criteria,
            status: parse("goals.status", &g.status, GoalStatus::parse)?,
            priority: parse("goals.priority", &g.priority, Priority::parse)?,
            deadline: g.deadline,
            max_matches: g.max_matches,
            notify_threshold: g.notify_threshold,
            target_price_minor: g.target_price_minor,
            currency: parse("goals.currency", &g.currency, Currency::parse)?,
            matches_found: g.matches_found,
            created_at: g.created_at,
            updated_at: g.updated_at,
            last_search: g
                .last_search
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("goals.last_search of {}: {e}", g.id)))?,
        })
    }
}

/// One offer at one market (a deal).
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// Id.
    pub id: Uuid,
    /// The same product at other stores, when known.
    pub product_id: Option<Uuid>,
    /// Set for deals attached by hand: private to this user.
    pub owner_id: Option<Uuid>,
    /// Market name (`amazon`, `bestbuy`…; attached deals may name any store).
    pub market: String,
    /// The market's own id.
    pub external_id: String,
    /// Link to the offer.
    pub url: String,
    /// Title as the store shows it.
    pub title: String,
    /// Brand, lower case.
    pub brand: Option<String>,
    /// Store category, lower case.
    pub category: Option<String>,
    /// Current price.
    pub price_minor: i64,
    /// The store's "was" price.
    pub original_price_minor: Option<i64>,
    /// Claimed discount in basis points.
    pub discount_bp: Option<i32>,
    /// Currency.
    pub currency: Currency,
    /// Item condition.
    pub condition: Condition,
    /// Seller.
    pub seller_name: Option<String>,
    /// Seller rating, 0–5.
    pub seller_rating: Option<f64>,
    /// Stock state.
    pub availability: Availability,
    /// Shipping cost.
    pub shipping_minor: Option<i64>,
    /// Picture.
    pub image_url: Option<String>,
    /// Latest normalized deal score (0..1).
    pub score: Option<f64>,
    /// Still offered?
    pub status: ListingStatus,
    /// First seen.
    pub first_seen_at: DateTime<Utc>,
    /// Last seen.
    pub last_seen_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Warnings from the source, e.g. `price_jump`.
    pub flags: Vec<String>,
}

impl Listing {
    /// Whether the source flagged the current price as far from the list price.
    pub fn has_price_jump(&self) -> bool {
        self.flags.iter().any(|f| f == "price_jump")
    }
}

impl TryFrom<listing::Model> for Listing {
    type Error = StoreError;
    fn try_from(l: listing::Model) -> Result<Self, StoreError> {
        let flags = match l.flags {
            None => Vec::new(),
            Some(v) => serde_json::from_value(v)
                .map_err(|e| StoreError::Corrupt(format!("listings.flags of {}: {e}", l.id)))?,
        };
        Ok(Self {
            id: l.id,
            product_id: l.product_id,
            owner_id: l.owner_id,
            market: l.market,
            external_id: l.external_id,
            url: l.url,
            title: l.title,
            brand: l.brand,
            category: l.category,
            price_minor: l.price_minor,
            original_price_minor: l.original_price_minor,
            discount_bp: l.discount_bp,
            currency: parse("listings.currency", &l.currency, Currency::parse)?,
            condition: parse("listings.condition", &l.condition, Condition::parse)?,
            seller_name: l.seller_name,
            seller_rating: l.seller_rating,
            availability: parse(
                "listings.availability",
                &l.availability,
                Availability::parse,
            )?,
            shipping_minor: l.shipping_minor,
            image_url: l.image_url,
            score: l.score,
            status: parse("listings.status", &l.status, ListingStatus::parse)?,
            first_seen_at: l.first_seen_at,
            last_seen_at: l.last_seen_at,
            created_at: l.created_at,
            updated_at: l.updated_at,
            flags,
        })
    }
}

/// How a listing came to be matched to a goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchSource {
    /// Found by the goal's own deal search.
    Search,
    /// Found by another goal's search, matched through the goal index.
    Index,
    /// Attached by hand.
    Manual,
}

impl MatchSource {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Search => "search",
            Self::Index => "index",
            Self::Manual => "manual",
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "search" => Ok(Self::Search),
            "index" => Ok(Self::Index),
            "manual" => Ok(Self::Manual),
            _ => Err("must be one of: search index manual".into()),
        }
    }
}

/// A listing matched to a goal, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalMatch {
    /// Id.
    pub id: Uuid,
    /// The goal.
    pub goal_id: Uuid,
    /// The listing.
    pub listing_id: Uuid,
    /// How well it matches (0..1).
    pub match_score: f64,
    /// Why, one line each.
    pub reasons: Vec<String>,
    /// How it was found.
    pub source: MatchSource,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<goal_match::Model> for GoalMatch {
    type Error = StoreError;
    fn try_from(m: goal_match::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: m.id,
            goal_id: m.goal_id,
            listing_id: m.listing_id,
            match_score: m.match_score,
            reasons: serde_json::from_value(m.reasons).map_err(|e| {
                StoreError::Corrupt(format!("goal_matches.reasons of {}: {e}", m.id))
            })?,
            source: parse("goal_matches.source", &m.source, MatchSource::parse)?,
            created_at: m.created_at,
        })
    }
}

/// An in-app alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Id.
    pub id: Uuid,
    /// Recipient.
    pub user_id: Uuid,
    /// What it is about.
    pub kind: NotificationKind,
    /// Urgency.
    pub priority: Priority,
    /// One line.
    pub title: String,
    /// The explanation.
    pub body: String,
    /// Links and numbers.
    pub data: serde_json::Value,
    /// At most one alert per user and key.
    pub dedup_key: Option<String>,
    /// When the user read it.
    pub read_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Per-user increasing id of the event (live-update resume).
    pub event_id: Option<i64>,
}

impl TryFrom<notification::Model> for Notification {
    type Error = StoreError;
    fn try_from(n: notification::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: n.id,
            user_id: n.user_id,
            kind: parse("notifications.kind", &n.kind, NotificationKind::parse)?,
            priority: parse("notifications.priority", &n.priority, Priority::parse)?,
            title: n.title,
            body: n.body,
            data: n.data,
            dedup_key: n.dedup_key,
            read_at: n.read_at,
            created_at: n.created_at,
            event_id: n.event_id,
        })
    }
}

/// A user watching one listing's price.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracker {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// The tracked listing.
    pub listing_id: Uuid,
    /// Alert at or below this price.
    pub target_price_minor: Option<i64>,
    /// Alert on a drop of at least this percentage.
    pub notify_on_drop_pct: Option<f64>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Price at the last check.
    pub last_price_minor: Option<i64>,
    /// Last check.
    pub last_checked_at: Option<DateTime<Utc>>,
    /// Which alert conditions held at the last check (owned by the tracking rules).
    pub alert_state: Option<serde_json::Value>,
}

impl From<tracker::Model> for Tracker {
    fn from(t: tracker::Model) -> Self {
        Self {
            id: t.id,
            user_id: t.user_id,
            listing_id: t.listing_id,
            target_price_minor: t.target_price_minor,
            notify_on_drop_pct: t.notify_on_drop_pct,
            created_at: t.created_at,
            last_price_minor: t.last_price_minor,
            last_checked_at: t.last_checked_at,
            alert_state: t.alert_state,
        }
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// Sign-in address, lower case.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// PHC string of the password hash.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<user::Model> for User {
    type Error = StoreError;
    fn try_from(u: user::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: u.id,
            role: parse("users.role", &u.role, Role::parse)?,
            email: u.email,
            name: u.name,
            password_hash: u.password_hash,
            created_at: u.created_at,
            updated_at: u.updated_at,
        })
    }
}

/// Converts a list of entity models.
pub(crate) fn all<M, R: TryFrom<M, Error = StoreError>>(
    rows: Vec<M>,
) -> Result<Vec<R>, StoreError> {
    rows.into_iter().map(R::try_from).collect()
}
