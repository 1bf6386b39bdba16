//! The HTTP surface: route table, gateway layers, errors, extractors, handlers and the OpenAPI
//! document.

pub mod api;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod router;
pub mod ui;
pub mod wire;
