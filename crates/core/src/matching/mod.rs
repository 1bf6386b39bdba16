//! Matching: the same product across stores ([`same_product`]) and listings against users'
//! goals ([`match_goal`], [`GoalIndex`]). Both share the text normalisation of [`text`].

mod brands;
pub mod goal;
mod gtin;
pub mod index;
pub mod lexicon;
mod model;
mod prepared;
pub mod product;
mod stem;
pub mod text;
mod variants;

pub use goal::{GoalMatch, ListingFacts, match_goal};
pub use index::GoalIndex;
pub use product::{
    ProductFeatures, ProductKey, SameProduct, normalize_gtin, same_product, valid_gtin,
};
