//! The web UI: server-rendered pages (askama) that call the same use cases as the JSON API,
//! made live by htmx and the WebSocket. One file per page; every page works without
//! JavaScript (forms post, pages reload).

pub mod admin;
pub mod assets;
pub mod auth;
pub mod chart;
pub mod dashboard;
pub mod deal;
pub mod deals;
pub mod errors;
pub mod goal;
pub mod goals;
pub mod headers;
pub mod landing;
pub mod notifications;
pub mod session;
pub mod settings;
pub mod tokens;
pub mod tracked;
pub mod view;

use axum::Router;
use axum::middleware::from_fn;
use axum::routing::{get, post};

use crate::state::AppState;

/// The pages and their forms, with the security headers.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(landing::landing))
        .route("/static/{name}", get(assets::serve))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/register", get(auth::register_page).post(auth::register))
        .route("/logout", post(auth::logout))
        .route("/dashboard", get(dashboard::show))
        .route("/goals", get(goals::list))
        .route("/goals/new", get(goals::new_page).post(goals::create))
        .route("/goals/{id}", get(goal::show).post(goal::act))
        .route("/deals", get(deals::show))
        .route("/deals/{id}", get(deal::show))
        .route("/deals/{id}/track", post(deal::track))
        .route("/tokens", get(tokens::show))
        .route("/tracked", get(tracked::show))
        .route("/tracked/{id}/delete", post(tracked::untrack))
        .route("/notifications", get(notifications::show))
        .route("/notifications/read", post(notifications::mark_all_read))
        .route("/notifications/{id}/read", post(notifications::mark_read))
        .route("/settings", get(settings::show).post(settings::save))
        .route("/settings/test", axum::routing::post(settings::test_send))
        .route("/admin", get(admin::overview))
        .route("/admin/users", get(admin::users))
        .route("/admin/jobs", get(admin::jobs))
        .route("/admin/jobs/{id}/retry", post(admin::retry))
        .route("/admin/runs", get(admin::runs))
        .route("/admin/links", get(admin::links))
        .route("/admin/links/{id}/unlink", post(admin::unlink))
        .layer(from_fn(headers::same_origin_posts))
        .layer(from_fn(headers::security_headers))
}
