//! Matching: the same product across stores ([`same_product`]), listings against users'
//! goals ([`match_goal`], [`GoalIndex`]) and accessories told apart from products
//! ([`accessory`]). Both share the text normalisation of [`text`].

pub mod accessory;
mod brands;
pub mod category;
pub mod goal;
mod gtin;
pub mod index;
mod keys;
mod learned;
mod learned_model;
pub mod lexicon;
mod model;
mod prepared;
pub mod product;
pub mod rank;
mod relevance;
mod stem;
pub mod text;
mod variants;

pub use accessory::{Accessory, accessory, is_accessory};
pub use category::{category_of, category_of_title, noun_category};
pub use goal::{GoalMatch, ListingFacts, match_goal};
pub use index::GoalIndex;
pub use learned::{FEATURE_NAMES, FEATURES, Idf};
pub use product::{
    Judged, ProductFeatures, ProductKey, SameProduct, normalize_gtin, same_product, valid_gtin,
};
pub use rank::{RankFacts, compare_deals, one_product_first};
