//! The OpenAPI 3.1 document: metadata and the bearer security scheme. Paths are collected from
//! the handlers' annotations by the route table.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Document metadata.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "agentic-deals API",
        description = "A self-hosted AI deal agent: goals in plain language, deals from five marketplaces, explainable scores, price history and alerts. Every request body is one JSON object (nothing after it); text anywhere in a request must not contain U+0000 (422, naming the field). Failures answer application/problem+json.",
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

/// Says once, for every operation, what the per-route annotations cannot: a failure answers
/// `application/problem+json`, and the gateway adds failures of its own to every route (rate
/// limits, timeouts, an unreachable database; for a JSON body, malformed, oversized or non-JSON
/// bodies; for a path parameter, one that names nothing).
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::path::ParameterIn;
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            let has_body = op.request_body.is_some();
            let has_query = op.parameters.iter().flatten().any(|p| match p {
                RefOr::T(p) => p.parameter_in == ParameterIn::Query,
                RefOr::Ref(_) => false,
            });
            let has_path_param = path.contains('{')
                || op.parameters.iter().flatten().any(|p| match p {
                    RefOr::T(p) => p.parameter_in == ParameterIn::Path,
                    RefOr::Ref(_) => false,
                });
            let responses = &mut op.responses.responses;
            for (code, response) in responses.iter_mut() {
                if let (true, RefOr::T(r)) = (code.starts_with(['4', '5']), response)
                    && let Some(content) = r.content.shift_remove("application/json")
                {
                    r.content
                        .insert(super::error::PROBLEM_JSON.to_owned(), content);
                }
            }
            if path == "/health" {
                continue;
            }
            let mut add = |code: &str, why: &str| {
                responses
                    .entry(code.to_owned())
                    .or_insert_with(|| RefOr::T(problem_response(why)));
            };
            add("429", "Rate limited; see Retry-After");
            add(
                "408",
                "The request took longer than the server's request timeout",
            );
            add(
                "503",
                "A dependency (the database) is unavailable; see Retry-After",
            );
            if has_body {
                add(
                    "400",
                    "Malformed body: not one JSON object, or trailing data",
                );
                add("413", "Body too large");
                add("415", "The body is not JSON");
                add("422", "Validation failed; one entry per bad field");
            }
            add(
                "431",
                "The request's headers are too large (more than 64 KiB)",
            );
            if has_query {
                add("400", "A malformed query parameter (not of its type)");
                add(
                    "422",
                    "A query parameter out of its range, or a required one missing",
                );
            }
            if has_path_param {
                add(
                    "404",
                    "No such resource (also for an id that is not a UUID)",
                );
            }
        }
    }
}

/// A problem+json response with `description`.
fn problem_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            super::error::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}
