//! Matching tests: text normalisation, same-product matching on a fixture of real-looking
//! listings (`tests/fixtures/listings.json`) and on public labelled pairs, goal matching and
//! the goal index.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod er;
mod er_data;
mod fixture;
mod goal;
mod index;
mod model;
mod product;
mod text;
