//! The simulated marketplace over HTTP: one axum [`Router`] per store speaking that store's
//! wire format, so the real adapters can be pointed at it.
//!
//! - `bestbuy`: `GET /v1/products(search=…&salePrice<=…)?apiKey=…&pageSize=…&page=…` and
//!   `GET /v1/products/{sku}.json?apiKey=…` (Best Buy Products API; a missing key is 403).
//! - `ebay`: `POST /identity/v1/oauth2/token` (Basic auth, `grant_type=client_credentials`),
//!   `GET /buy/browse/v1/item_summary/search?q=…&limit=…&offset=…&filter=…` and
//!   `GET /buy/browse/v1/item/{id}` (Bearer token required; any issued-looking token is accepted).
//! - `amazon`, `walmart`, `target`: `POST /v1/queries` (Oxylabs Realtime API, Basic auth,
//!   `source` = `<store>_search` / `<store>_product`), 20 results per page.
//! - every store: its offers' product pages at their `url_path`, as schema.org JSON-LD.
//!
//! Each request first meets the world's [`StoreMood`] for the store: `Slow` waits, `RateLimited`
//! answers 429 with `Retry-After`, `Unavailable` answers 503. Credentials must be present; any
//! value is accepted. Links in answers are absolute, built from the request's `Host` and the
//! router's path prefix.
//!
//! [`SimServer::start`] runs one listener per store on ephemeral ports; [`SimHandle::stop`] closes
//! a store's listener (connections are then refused) and [`SimHandle::restart`] opens it again
//! on the same port. [`router_all`] serves all five under `/{store}` on one port.

use super::wire;
use super::world::{SimWorld, StoreMood, StoreOffer};
use crate::STORES;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use deals_core::Condition;
use deals_core::money::parse_minor;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, oneshot};
use tokio::task::JoinHandle;

/// Results per page of the Oxylabs stores.
const OXYLABS_PAGE: usize = 20;

#[derive(Clone)]
struct StoreState {
    world: Arc<SimWorld>,
    store: &'static str,
    prefix: String,
    /// `url_path` → external id.
    pages: Arc<HashMap<String, String>>,
}

impl StoreState {
    fn base(&self, headers: &HeaderMap) -> String {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}{}", self.prefix)
    }

    fn offer(&self, id: &str) -> Option<&StoreOffer> {
        self.world.offer(self.store, id)
    }
}

/// The router of one store, for mounting at `prefix` (`""` at the root, `/bestbuy` nested).
pub fn store_router(world: Arc<SimWorld>, store: &'static str, prefix: &str) -> Router {
    let pages = world
        .offers(store)
        .iter()
        .map(|o| (o.url_path.clone(), o.external_id.clone()))
        .collect();
    let state = StoreState {
        world,
        store,
        prefix: prefix.trim_end_matches('/').to_owned(),
        pages: Arc::new(pages),
    };
    let api = match store {
        "bestbuy" => Router::new()
            .route("/v1/{spec}", get(bestbuy_search))
            .route("/v1/products/{file}", get(bestbuy_product)),
        "ebay" => Router::new()
            .route("/identity/v1/oauth2/token", post(ebay_token))
            .route("/buy/browse/v1/item_summary/search", get(ebay_search))
            .route("/buy/browse/v1/item/{id}", get(ebay_item)),
        _ => Router::new().route("/v1/queries", post(oxylabs_queries)),
    };
    api.fallback(product_page)
        .layer(middleware::from_fn_with_state(state.clone(), mood))
        .with_state(state)
}

/// All five stores on one router, each under `/{store}`.
pub fn router_all(world: Arc<SimWorld>) -> Router {
    STORES.iter().fold(Router::new(), |r, store| {
        let prefix = format!("/{store}");
        r.nest(&prefix, store_router(Arc::clone(&world), store, &prefix))
    })
}

async fn mood(State(s): State<StoreState>, req: Request, next: Next) -> Response {
    match s.world.mood(s.store, chrono::Utc::now()) {
        StoreMood::Normal => next.run(req).await,
        StoreMood::Slow { delay_ms } => {
            tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
            next.run(req).await
        }
        StoreMood::RateLimited { retry_after_s } => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_s.to_string())],
            "Too Many Requests",
        )
            .into_response(),
        StoreMood::Unavailable => {
            (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
        }
    }
}

fn error(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn has_auth(headers: &HeaderMap, scheme: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix(scheme))
        .is_some_and(|rest| !rest.trim().is_empty())
}

fn usize_param(q: &HashMap<String, String>, key: &str, default: usize) -> usize {
    q.get(key).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn in_range(world: &SimWorld, o: &StoreOffer, min: Option<i64>, max: Option<i64>) -> bool {
    let price = wire::quote_now(world, o).price_cents;
    min.is_none_or(|m| price >= m) && max.is_none_or(|m| price <= m)
}

// ---------- Best Buy ----------

async fn bestbuy_search(
    State(s): State<StoreState>,
    Path(spec): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if q.get("apiKey").is_none_or(|k| k.trim().is_empty()) {
        return error(
            StatusCode::FORBIDDEN,
            json!({"errorCode": "403", "errorMessage": "The provided API Key is invalid."}),
        );
    }
    let Some(inner) = spec
        .strip_prefix("products(")
        .and_then(|r| r.strip_suffix(')'))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            json!({"errorCode": "400", "errorMessage": "Couldn't understand the request path."}),
        );
    };
    let (mut words, mut min, mut max) = (Vec::new(), None, None);
    for term in inner.split('&') {
        if let Some(w) = term.strip_prefix("search=") {
            words.push(w.to_owned());
        } else if let Some(v) = term.strip_prefix("salePrice<=") {
            max = parse_minor(v).ok();
        } else if let Some(v) = term.strip_prefix("salePrice>=") {
            min = parse_minor(v).ok();
        }
    }
    let hits: Vec<&StoreOffer> = s
        .world
        .search(s.store, &words.join(" "))
        .into_iter()
        .filter(|o| in_range(&s.world, o, min, max))
        .collect();
    let size = usize_param(&q, "pageSize", 10).clamp(1, 100);
    let page = usize_param(&q, "page", 1).max(1);
    let total_pages = hits.len().div_ceil(size).max(1);
    let base = s.base(&headers);
    let products: Vec<Value> = hits
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|o| wire::bestbuy_product(&base, o, &wire::quote_now(&s.world, o)))
        .collect();
    let from = (page - 1) * size + 1;
    Json(json!({
        "from": from, "to": from + products.len().saturating_sub(1), "currentPage": page,
        "total": hits.len(), "totalPages": total_pages, "queryTime": "0.001",
        "totalTime": "0.002", "partial": false,
        "canonicalUrl": format!("/v1/{spec}?format=json&page={page}"),
        "products": products,
    }))
    .into_response()
}

async fn bestbuy_product(
    State(s): State<StoreState>,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if q.get("apiKey").is_none_or(|k| k.trim().is_empty()) {
        return error(
            StatusCode::FORBIDDEN,
            json!({"errorCode": "403", "errorMessage": "The provided API Key is invalid."}),
        );
    }
    let sku = file.strip_suffix(".json").unwrap_or(&file);
    match s.offer(sku) {
        Some(o) => Json(wire::bestbuy_product(
            &s.base(&headers),
            o,
            &wire::quote_now(&s.world, o),
        ))
        .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            json!({"errorCode": "404", "errorMessage": "Product not found."}),
        ),
    }
}

// ---------- eBay ----------

async fn ebay_token(headers: HeaderMap, body: String) -> Response {
    if !has_auth(&headers, "Basic ") || !body.contains("grant_type=client_credentials") {
        return error(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client", "error_description": "client authentication failed"}),
        );
    }
    Json(json!({
        "access_token": format!("v^1.1#i^1#sim-{}", fastrand::u64(..)),
        "expires_in": 7200,
        "token_type": "Application Access Token",
    }))
    .into_response()
}

fn ebay_unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        json!({"errors": [{"errorId": 1001, "domain": "OAuth", "category": "REQUEST", "message": "Invalid access token"}]}),
    )
}

/// Reads `price:[a..b]` and `conditions:{NEW|USED}` out of a Browse API filter.
fn ebay_filter(filter: &str) -> (Option<i64>, Option<i64>, Vec<&str>) {
    let (mut min, mut max, mut conditions) = (None, None, Vec::new());
    if let Some(range) = filter
        .split("price:[")
        .nth(1)
        .and_then(|r| r.split(']').next())
    {
        let (lo, hi) = range.split_once("..").unwrap_or((range, ""));
        min = parse_minor(lo).ok();
        max = parse_minor(hi).ok();
    }
    if let Some(set) = filter
        .split("conditions:{")
        .nth(1)
        .and_then(|r| r.split('}').next())
    {
        conditions = set.split('|').collect();
    }
    (min, max, conditions)
}

async fn ebay_search(
    State(s): State<StoreState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !has_auth(&headers, "Bearer ") {
        return ebay_unauthorized();
    }
    let (min, max, conditions) = ebay_filter(q.get("filter").map_or("", String::as_str));
    let hits: Vec<&StoreOffer> = s
        .world
        .search(s.store, q.get("q").map_or("", String::as_str))
        .into_iter()
        .filter(|o| in_range(&s.world, o, min, max))
        .filter(|o| {
            conditions.is_empty()
                || conditions.contains(&if o.condition == Condition::New {
                    "NEW"
                } else {
                    "USED"
                })
        })
        .collect();
    let limit = usize_param(&q, "limit", 50).clamp(1, 200);
    let offset = usize_param(&q, "offset", 0);
    let base = s.base(&headers);
    let items: Vec<Value> = hits
        .iter()
        .skip(offset)
        .take(limit)
        .map(|o| wire::ebay_item(&base, o, &wire::quote_now(&s.world, o), false))
        .collect();
    let search = format!("{base}/buy/browse/v1/item_summary/search");
    let mut body = json!({
        "href": format!("{search}?offset={offset}&limit={limit}"),
        "total": hits.len(), "limit": limit, "offset": offset,
    });
    if offset + limit < hits.len() {
        body["next"] = json!(format!("{search}?offset={}&limit={limit}", offset + limit));
    }
    if !items.is_empty() {
        body["itemSummaries"] = Value::Array(items);
    }
    Json(body).into_response()
}

async fn ebay_item(
    State(s): State<StoreState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !has_auth(&headers, "Bearer ") {
        return ebay_unauthorized();
    }
    match s.offer(&id) {
        Some(o) => Json(wire::ebay_item(
            &s.base(&headers),
            o,
            &wire::quote_now(&s.world, o),
            true,
        ))
        .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            json!({"errors": [{"errorId": 11001, "domain": "API_BROWSE", "category": "REQUEST", "message": "The specified item Id was not found."}]}),
        ),
    }
}

// ---------- Oxylabs (amazon, walmart, target) ----------

fn oxylabs_answer(source: &str, url: String, status: u16, content: Value) -> Response {
    Json(json!({
        "results": [{"content": content, "status_code": status, "url": url, "page": 1,
                     "job_id": "sim", "parser_type": ""}],
        "job": {"id": "sim", "source": source, "status": "done", "parse": true},
    }))
    .into_response()
}

async fn oxylabs_queries(
    State(s): State<StoreState>,
    headers: HeaderMap,
    Json(job): Json<Value>,
) -> Response {
    if !has_auth(&headers, "Basic ") {
        return error(StatusCode::UNAUTHORIZED, json!({"message": "Unauthorized"}));
    }
    let source = job
        .get("source")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let base = s.base(&headers);
    let text = |key: &str| {
        job.get(key)
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| v.as_u64().map(|n| n.to_string()))
            })
            .unwrap_or_default()
    };
    if source == format!("{}_search", s.store) {
        let query = text("query");
        let hits = s.world.search(s.store, &query);
        let page = job
            .get("start_page")
            .and_then(Value::as_u64)
            .and_then(|p| usize::try_from(p).ok())
            .unwrap_or(1)
            .max(1);
        let items: Vec<Value> = hits
            .iter()
            .skip((page - 1) * OXYLABS_PAGE)
            .take(OXYLABS_PAGE)
            .map(|o| wire::oxylabs_item(s.store, &base, o, &wire::quote_now(&s.world, o), false))
            .collect();
        let last = hits.len().div_ceil(OXYLABS_PAGE).max(1);
        let results = if s.store == "amazon" {
            json!({"paid": [], "organic": items})
        } else {
            Value::Array(items)
        };
        let url = format!("{base}/search?q={query}&page={page}");
        let content = json!({"url": url, "page": page, "query": query, "results": results,
                             "last_visible_page": last, "parse_status_code": 12000});
        return oxylabs_answer(source, url, 200, content);
    }
    if source == format!("{}_product", s.store) {
        let id = if s.store == "amazon" {
            text("query")
        } else {
            text("product_id")
        };
        return match s.offer(&id) {
            Some(o) => {
                let url = format!("{base}{}", o.url_path);
                let item =
                    wire::oxylabs_item(s.store, &base, o, &wire::quote_now(&s.world, o), true);
                oxylabs_answer(source, url, 200, item)
            }
            None => oxylabs_answer(source, format!("{base}/{id}"), 404, json!({})),
        };
    }
    error(
        StatusCode::BAD_REQUEST,
        json!({"message": format!("unsupported source {source:?} for {}", s.store)}),
    )
}

// ---------- product pages ----------

async fn product_page(
    State(s): State<StoreState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let path = uri.path();
    let Some(o) = s.pages.get(path).and_then(|id| s.offer(id)) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let ld = wire::json_ld(&s.base(&headers), o, &wire::quote_now(&s.world, o));
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        wire::page_html(&ld),
    )
        .into_response()
}

// ---------- listeners ----------

struct Running {
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// Starts the per-store listeners.
#[derive(Debug)]
pub struct SimServer;

/// The running simulator: one listener per store.
pub struct SimHandle {
    world: Arc<SimWorld>,
    addrs: HashMap<&'static str, SocketAddr>,
    running: Mutex<HashMap<&'static str, Running>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addrs", &self.addrs)
            .finish_non_exhaustive()
    }
}

async fn serve(world: Arc<SimWorld>, store: &'static str, listener: TcpListener) -> Running {
    let (tx, rx) = oneshot::channel::<()>();
    let app = store_router(world, store, "");
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = rx.await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(store, error = %e, "simulated store stopped with an error");
        }
    });
    Running { shutdown: tx, task }
}

impl SimServer {
    /// Binds one listener per store on `bind` with an ephemeral port and serves them.
    pub async fn start(world: Arc<SimWorld>, bind: IpAddr) -> std::io::Result<SimHandle> {
        let mut addrs = HashMap::new();
        let mut running = HashMap::new();
        for store in STORES {
            let listener = TcpListener::bind(SocketAddr::new(bind, 0)).await?;
            addrs.insert(store, listener.local_addr()?);
            running.insert(store, serve(Arc::clone(&world), store, listener).await);
        }
        Ok(SimHandle {
            world,
            addrs,
            running: Mutex::new(running),
        })
    }
}

impl SimHandle {
    /// `http://ip:port` of `store`'s listener (kept across stop/restart).
    pub fn base_url(&self, store: &str) -> Option<String> {
        self.addrs.get(store).map(|a| format!("http://{a}"))
    }

    /// The world being served.
    pub fn world(&self) -> &Arc<SimWorld> {
        &self.world
    }

    /// Closes `store`'s listener and its connections; returns whether it was running.
    pub async fn stop(&self, store: &str) -> bool {
        let Some(r) = self.running.lock().await.remove(store) else {
            return false;
        };
        let _ = r.shutdown.send(());
        let _ = r.task.await;
        true
    }

    /// Opens `store`'s listener again on its port; does nothing when it is running.
    pub async fn restart(&self, store: &str) -> std::io::Result<()> {
        let Some((&name, &addr)) = self.addrs.get_key_value(store) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("unknown store {store}"),
            ));
        };
        let mut running = self.running.lock().await;
        if running.contains_key(name) {
            return Ok(());
        }
        let listener = TcpListener::bind(addr).await?;
        running.insert(name, serve(Arc::clone(&self.world), name, listener).await);
        Ok(())
    }

    /// Stops every store.
    pub async fn shutdown(&self) {
        for store in STORES {
            self.stop(store).await;
        }
    }
}
