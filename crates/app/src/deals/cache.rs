//! Cache generations of deal pages and searches: a changed listing gets a new generation, so
//! every cached answer that showed it (its page, any search) is no longer found.

use bytes::Bytes;
use uuid::Uuid;

use crate::state::AppState;

/// Cache key of the search generation.
const SEARCH_GENERATION: &str = "search:generation";

/// Generations outlive every cached answer that uses them.
const GENERATION_TTL: std::time::Duration = std::time::Duration::from_secs(86_400);

async fn generation(state: &AppState, key: &str) -> String {
    state
        .cache
        .get(key)
        .await
        .map(|g| String::from_utf8_lossy(&g).into_owned())
        .unwrap_or_else(|| "0".into())
}

/// The current generation of every search answer.
pub async fn search_generation(state: &AppState) -> String {
    generation(state, SEARCH_GENERATION).await
}

/// The current generation of one deal's answers.
pub async fn deal_generation(state: &AppState, id: Uuid) -> String {
    generation(state, &format!("deal:{id}:generation")).await
}

/// Drops every cached answer that showed this listing: its page and all searches.
pub async fn invalidate_listing(state: &AppState, id: Uuid) {
    let fresh = || Bytes::from(Uuid::new_v4().simple().to_string());
    state
        .cache
        .set(&format!("deal:{id}:generation"), fresh(), GENERATION_TTL)
        .await;
    state
        .cache
        .set(SEARCH_GENERATION, fresh(), GENERATION_TTL)
        .await;
}
