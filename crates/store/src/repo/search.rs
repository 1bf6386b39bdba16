//! The public deal search: full text (PostgreSQL `tsvector`, SQLite FTS5) with the same
//! normalisation of the query on both backends, filters, sort orders and pagination.

use deals_core::{Condition, DealSort, ListingStatus, Pagination};
use sea_orm::sea_query::{Expr, LikeExpr, NullOrdering, Order};
use sea_orm::{
    ColumnTrait, Condition as Where, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::Page;
use crate::entity::listing;
use crate::rows::{self, Listing};
use crate::{Store, StoreError};

/// Filters, order and page of the public deal search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DealQuery {
    /// Full-text query; `or` between words means either.
    pub text: Option<String>,
    /// Category: a taxonomy path or a leaf (`headphones`), matched against the listing's own
    /// category by its leaf.
    pub category: Option<String>,
    /// Exact market.
    pub market: Option<String>,
    /// Lowest price in minor units.
    pub min_price: Option<i64>,
    /// Highest price in minor units.
    pub max_price: Option<i64>,
    /// Condition.
    pub condition: Option<Condition>,
    /// Order of results.
    pub sort: Option<DealSort>,
    /// Page.
    pub page: Pagination,
}

/// PostgreSQL's English stop words (the Snowball list), dropped from queries on both backends
/// so that SQLite and PostgreSQL answer the same query alike.
const STOP_WORDS: &[&str] = &[
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "should",
    "now",
];

/// The words of a free-text query, lower-cased, without stop words; `or` is kept only between
/// two words, where it means "either".
pub fn query_terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(32)
    {
        let word = word.to_lowercase();
        if word == "or" {
            if out.last().is_some_and(|w| w != "or") {
                out.push(word);
            }
        } else if !STOP_WORDS.contains(&word.as_str()) {
            out.push(word);
        }
    }
    if out.last().is_some_and(|w| w == "or") {
        out.pop();
    }
    out.truncate(16);
    out
}

/// An FTS5 MATCH expression for [`query_terms`]: each word quoted (no operator injection),
/// implicit AND, `OR` where the user wrote `or`.
pub fn fts5_expression(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| {
            if t == "or" {
                "OR".to_owned()
            } else {
                format!("\"{t}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A LIKE pattern matching values that contain `text` as written: `%`, `_` and `\\` in it are
/// escaped, so a category filter of `%` finds the categories that contain a percent sign.
fn contains_literally(text: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

impl Store {
    /// Active listings matching `q`, in the requested order.
    pub async fn search_listings(&self, q: &DealQuery) -> Result<Page<Listing>, StoreError> {
        let mut cond = Where::all()
            .add(listing::Column::Status.eq(ListingStatus::Active.as_str()))
            .add(listing::Column::OwnerId.is_null());
        if let Some(text) = &q.text {
            let terms = query_terms(text);
            if !terms.is_empty() {
                cond = cond.add(match self.backend() {
                    DbBackend::Postgres => Expr::cust_with_values(
                        "\"listings\".\"search_vector\" @@ websearch_to_tsquery('english', $1)",
                        [terms.join(" ")],
                    ),
                    _ => Expr::cust_with_values(
                        "\"listings\".rowid IN (SELECT rowid FROM listings_fts WHERE listings_fts MATCH ?)",
                        [fts5_expression(&terms)],
                    ),
                });
            }
        }
        if let Some(c) = &q.category {
            // `audio/headphones`, `headphones` and a store's `Audio > Headphones` all find
            // headphones: the filter matches the whole category or contains its leaf.
            let c = c.trim().to_lowercase();
            let leaf = deals_core::taxonomy::leaf(&c).to_owned();
            cond = cond.add(
                sea_orm::Condition::any()
                    .add(listing::Column::Category.eq(c.clone()))
                    .add(listing::Column::Category.like(contains_literally(&leaf))),
            );
        }
        if let Some(m) = &q.market {
            cond = cond.add(listing::Column::Market.eq(m.to_lowercase()));
        }
        if let Some(c) = q.condition {
            cond = cond.add(listing::Column::Condition.eq(c.as_str()));
        }
        if let Some(p) = q.min_price {
            cond = cond.add(listing::Column::PriceMinor.gte(p));
        }
        if let Some(p) = q.max_price {
            cond = cond.add(listing::Column::PriceMinor.lte(p));
        }
        let query = listing::Entity::find().filter(cond);
        let total = query.clone().count(self.conn()).await?;
        let query = match q.sort.unwrap_or(DealSort::Score) {
            DealSort::Score => {
                query.order_by_with_nulls(listing::Column::Score, Order::Desc, NullOrdering::Last)
            }
            DealSort::Price => query.order_by_asc(listing::Column::PriceMinor),
            DealSort::Discount => query.order_by_with_nulls(
                listing::Column::DiscountBp,
                Order::Desc,
                NullOrdering::Last,
            ),
            DealSort::Newest => query.order_by_desc(listing::Column::FirstSeenAt),
        };
        let items = query
            .order_by_asc(listing::Column::Id)
            .offset(q.page.offset())
            .limit(q.page.per_page)
            .all(self.conn())
            .await?;
        Ok(Page {
            items: rows::all(items)?,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn query_terms_drop_punctuation_operators_and_stop_words() {
        assert_eq!(
            query_terms("Sony WH-1000XM5 \"NEAR\"*"),
            t(&["sony", "wh", "1000xm5", "near"])
        );
        assert_eq!(
            query_terms("the best TV for the kitchen"),
            t(&["best", "tv", "kitchen"])
        );
        assert!(query_terms("the a of").is_empty());
    }

    #[test]
    fn or_survives_only_between_two_words() {
        assert_eq!(
            query_terms("sony or bose headphones"),
            t(&["sony", "or", "bose", "headphones"])
        );
        assert_eq!(query_terms("or tv or"), t(&["tv"]));
        assert_eq!(query_terms("tv or or the radio"), t(&["tv", "or", "radio"]));
        assert_eq!(
            fts5_expression(&query_terms("sony or bose headphones")),
            "\"sony\" OR \"bose\" \"headphones\""
        );
    }
}
