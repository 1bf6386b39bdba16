//! The route table and the gateway layers around it. Every route is registered here, through
//! `routes!`, so the OpenAPI document cannot miss one.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use axum::middleware::{from_fn, from_fn_with_state};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use super::api::{
    analysis, auth, deals, goal_deals, goals, jobs, links, sources, system, tokens, tracking,
    unsubscribe, users, wallet, ws,
};
use super::middleware::{
    problem_for_bare_errors, rate_limit, refuse_huge_headers, refuse_oversized, track_metrics,
};
use super::openapi::ApiDoc;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The OpenAPI router with every route and its document.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(system::health))
        .routes(routes!(system::ready))
        .routes(routes!(system::metrics))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh_tokens))
        .routes(routes!(auth::logout))
        .routes(routes!(users::me))
        .routes(routes!(users::get_preferences, users::put_preferences))
        .routes(routes!(users::test_send))
        .routes(routes!(users::admin_list_users))
        .routes(routes!(goals::create, goals::list))
        .routes(routes!(goals::get, goals::update, goals::delete))
        .routes(routes!(goal_deals::list_deals, goal_deals::attach_deal))
        .routes(routes!(deals::search))
        .routes(routes!(deals::get))
        .routes(routes!(analysis::get_analysis))
        .routes(routes!(analysis::price_history))
        .routes(routes!(jobs::analyze_deal))
        .routes(routes!(jobs::search_goal))
        .routes(routes!(jobs::get_job))
        .routes(routes!(jobs::admin_jobs))
        .routes(routes!(jobs::retry_job))
        .routes(routes!(links::get_link, links::unlink))
        .routes(routes!(tracking::track))
        .routes(routes!(tracking::list_tracked))
        .routes(routes!(tracking::untrack))
        .routes(routes!(tracking::list_notifications))
        .routes(routes!(tracking::unread_count))
        .routes(routes!(tracking::mark_read))
        .routes(routes!(tracking::mark_all_read))
        .routes(routes!(ws::live_updates))
        .routes(routes!(unsubscribe::unsubscribe))
        .routes(routes!(sources::list_markets))
        .routes(routes!(sources::agents_status))
        .routes(routes!(sources::agent_runs))
        .routes(routes!(tokens::pricing))
        .routes(routes!(tokens::balance))
        .routes(routes!(tokens::transactions))
        .routes(routes!(tokens::deposit))
        .routes(routes!(tokens::admin_grant))
        .routes(routes!(tokens::referral_code, tokens::redeem_referral))
        .routes(routes!(tokens::set_budget))
        .routes(routes!(wallet::challenge))
        .routes(routes!(wallet::verify))
        .routes(routes!(wallet::get_wallet))
}

/// The OpenAPI document alone (for `deals openapi` and tests).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut doc = api_routes().split_for_parts().1;
    super::openapi::finish(&mut doc);
    doc
}

fn cors(origins: &[String]) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([REQUEST_ID, header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    if origins.iter().any(|o| o == "*") {
        base.allow_origin(Any)
    } else {
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        base.allow_origin(AllowOrigin::list(list))
    }
}

/// The complete application: routes, docs, and the gateway layers.
pub fn router(state: AppState) -> Router {
    let (api, mut openapi) = api_routes().split_for_parts();
    super::openapi::finish(&mut openapi);
    let settings = state.settings.clone();
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let route = req
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "unmatched".into());
        let request_id = req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", method = %req.method(), route, request_id)
    });
    api.merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .merge(super::ui::routes())
        .fallback(super::ui::errors::not_found)
        .layer(from_fn_with_state(state.clone(), rate_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(settings.server.request_timeout_secs),
        ))
        .layer(from_fn(problem_for_bare_errors))
        .layer(from_fn_with_state(state.clone(), refuse_oversized))
        .layer(from_fn(refuse_huge_headers))
        .layer(DefaultBodyLimit::max(settings.server.body_limit_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(trace)
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(from_fn(track_metrics))
                .layer(cors(&settings.server.cors_allowed_origins))
                .layer(CompressionLayer::new().gzip(true)),
        )
        .with_state(state)
}
