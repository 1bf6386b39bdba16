//! Matching tests: text normalisation, same-product matching on a fixture of real-looking
//! listings (`tests/fixtures/listings.json`), goal matching and the goal index.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;
mod goal;
mod index;
mod product;
mod text;
