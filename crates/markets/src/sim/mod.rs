//! The simulated five-store marketplace: a real-product catalogue ([`mod@catalog`]) and the pure,
//! deterministic model of how amazon, walmart, bestbuy, target and ebay list, price and serve
//! it ([`world`]). The HTTP server that speaks each store's wire format sits on [`SimWorld`].

pub mod catalog;
pub mod server;
pub mod wire;
pub mod world;

pub use catalog::{CatalogProduct, catalog};
pub use server::{SimHandle, SimServer, router_all, store_router};
pub use world::{EventSpan, Quote, SimConfig, SimEvent, SimWorld, StoreMood, StoreOffer};
