//! The OpenAPI 3.1 document: metadata and the bearer security scheme. Paths are collected from
//! the handlers' annotations by the route table.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Document metadata.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "agentic-deals API",
        description = "A self-hosted AI deal agent: goals in plain language, deals from five marketplaces, explainable scores, price history and alerts.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "system", description = "Liveness, readiness and metrics"),
        (name = "auth", description = "Accounts and sessions"),
        (name = "users", description = "The signed-in user"),
        (name = "goals", description = "What users want to buy"),
        (name = "deals", description = "Offers found at marketplaces"),
        (name = "notifications", description = "Alerts raised for the user"),
        (name = "jobs", description = "Background work and its progress"),
        (name = "markets", description = "Marketplace sources and their health"),
        (name = "agents", description = "LLM providers and the agent run log"),
        (name = "tokens", description = "DEAL tokens: prices, balance, history"),
        (name = "admin", description = "Administration (admin role)")
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
