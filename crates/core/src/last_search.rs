//! What a goal's last deal search did, in the user's terms: when, what each store returned, how
//! many listings were kept, and — when nothing was — which constraint excluded what.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What one store returned to a goal's search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketSearch {
    /// The store.
    pub market: String,
    /// The query it was asked (the last one, when the search was relaxed).
    pub query: String,
    /// Offers it returned; `None` when it could not be searched.
    pub offers: Option<usize>,
    /// How the last query relaxed the goal's own, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relaxed: Option<String>,
}

/// The summary of a goal's last deal search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastSearch {
    /// When it finished.
    pub at: DateTime<Utc>,
    /// Listings that fit the goal.
    pub found: usize,
    /// One sentence for the user: what was found, or why nothing was ("14 TVs found, none under
    /// $250.00; cheapest $256.00 at walmart").
    pub summary: String,
    /// Per store.
    pub markets: Vec<MarketSearch>,
    /// Stores that failed, with their error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}
