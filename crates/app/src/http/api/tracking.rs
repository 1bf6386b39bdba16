//! Price tracking (a user watching one deal's price) and the user's in-app notifications.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use deals_core::Permission;
use deals_core::money::format_minor;
use deals_store::repo::tracking::TrackedListing;
use deals_store::rows::{Notification, Tracker};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{PageParams, Paginated};
use crate::auth::AuthUser;
use crate::http::error::{AppError, Problem};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::tracking::TrackRequest;

/// A tracker.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackerOut {
    /// Id.
    pub id: Uuid,
    /// The tracked deal.
    pub deal_id: Uuid,
    /// Target price.
    pub target_price: Option<String>,
    /// Drop that alerts, in percent.
    pub notify_on_drop_pct: Option<f64>,
    /// Price at the last check.
    pub last_price: Option<String>,
    /// When the price was last checked.
    pub last_checked_at: Option<DateTime<Utc>>,
    /// When tracking started.
    pub created_at: DateTime<Utc>,
}

impl From<Tracker> for TrackerOut {
    fn from(t: Tracker) -> Self {
        Self {
            id: t.id,
            deal_id: t.listing_id,
            target_price: t.target_price_minor.map(format_minor),
            notify_on_drop_pct: t.notify_on_drop_pct,
            last_price: t.last_price_minor.map(format_minor),
            last_checked_at: t.last_checked_at,
            created_at: t.created_at,
        }
    }
}

/// A tracked deal with its latest price.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackedOut {
    /// The tracker.
    #[serde(flatten)]
    pub tracker: TrackerOut,
    /// Deal title.
    pub title: String,
    /// Market.
    pub market: String,
    /// Where to buy.
    pub url: String,
    /// Latest price.
    pub price: String,
    /// Currency.
    pub currency: String,
    /// Stock state.
    pub availability: String,
    /// Deal score 0..1.
    pub score: Option<f64>,
}

impl From<TrackedListing> for TrackedOut {
    fn from(t: TrackedListing) -> Self {
        Self {
            tracker: t.tracker.into(),
            title: t.listing.title,
            market: t.listing.market,
            url: t.listing.url,
            price: format_minor(t.listing.price_minor),
            currency: t.listing.currency.as_str().to_owned(),
            availability: t.listing.availability.as_str().to_owned(),
            score: t.listing.score,
        }
    }
}

/// Starts (or changes) tracking a deal's price; the scheduler checks it every
/// `jobs.price_check_interval_secs`.
#[utoipa::path(post, path = "/api/v1/deals/{deal_id}/track", operation_id = "track_deal", tag = "deals", security(("bearer" = [])), params(("deal_id" = Uuid, Path)),
    request_body = TrackRequest, responses(
    (status = 201, body = TrackerOut, description = "Tracking"), (status = 200, body = TrackerOut, description = "Tracker updated"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not allowed for this role"), (status = 404, body = Problem, description = "No such deal (or not yours)"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn track(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(deal_id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<TrackRequest>,
) -> Result<(StatusCode, Json<TrackerOut>), AppError> {
    user.require(Permission::Create)?;
    let rules = req.parse()?;
    let (tracker, created) =
        crate::tracking::track(&state, user.id, user.scope(), deal_id, rules).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(tracker.into())))
}

/// The caller's tracked deals with their latest prices, newest first.
#[utoipa::path(get, path = "/api/v1/tracked", operation_id = "list_tracked", tag = "deals", security(("bearer" = [])), params(PageParams), responses(
    (status = 200, body = Paginated<TrackedOut>, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn list_tracked(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Paginated<TrackedOut>>, AppError> {
    user.require(Permission::Read)?;
    let page = params.parse()?;
    let tracked = crate::tracking::list(&state, user.id, page).await?;
    Ok(Json(Paginated::from_page(tracked, page, TrackedOut::from)))
}

/// Stops tracking.
#[utoipa::path(delete, path = "/api/v1/tracked/{tracker_id}", operation_id = "untrack", tag = "deals", security(("bearer" = [])), params(("tracker_id" = Uuid, Path)), responses(
    (status = 204, description = "Stopped"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 404, body = Problem, description = "Not found (or not yours)")))]
pub async fn untrack(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(tracker_id): ApiPath<Uuid>,
) -> Result<StatusCode, AppError> {
    user.require(Permission::Read)?;
    crate::tracking::untrack(&state, user.scope(), tracker_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An in-app notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationOut {
    /// Id.
    pub id: Uuid,
    /// `new_match`, `price_drop`, `below_target`, `lowest_in_days`, `glitch`, `back_in_stock`,
    /// `deadline` or `goal_expired`.
    pub kind: String,
    /// `low`, `medium`, `high` or `critical`.
    pub priority: String,
    /// One line.
    pub title: String,
    /// Why: the numbers behind the alert.
    pub body: String,
    /// What it is about: `goal_id`/`goal_title` or `tracker_id`, `deal_id`, `product`, `store`,
    /// `price`, `currency`, `score`, `explanation`, `reason`, and the links `url` (the listing)
    /// and `deal_url` (our deal page).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// When it was read.
    pub read_at: Option<DateTime<Utc>>,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
    /// Per-user increasing id of the event (the `id` of its `notification` live frame).
    pub event_id: Option<i64>,
    /// How its delivery to each external channel stands.
    pub deliveries: Vec<DeliveryOut>,
}

/// The delivery of a notification to one external channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    /// `webhook`, `ntfy`, `email`, `telegram` or `discord`.
    pub channel: String,
    /// `pending`, `held` (quiet hours, or waiting for the user's digest), `sent` or `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The last failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl From<crate::notify::Listed> for NotificationOut {
    fn from(l: crate::notify::Listed) -> Self {
        let mut out = NotificationOut::from(l.note);
        out.deliveries = l
            .deliveries
            .into_iter()
            .map(|d| DeliveryOut {
                channel: d.channel,
                // A digest being sent right now is still pending to the reader.
                status: if d.status == "sending" {
                    "pending".to_owned()
                } else {
                    d.status
                },
                attempts: d.attempts,
                last_error: d.last_error,
            })
            .collect();
        out
    }
}

impl From<Notification> for NotificationOut {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind.as_str().to_owned(),
            priority: n.priority.as_str().to_owned(),
            title: n.title,
            body: n.body,
            data: n.data,
            read_at: n.read_at,
            created_at: n.created_at,
            event_id: n.event_id,
            deliveries: vec![],
        }
    }
}

/// Query of the notification list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// Page (1-based).
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    pub page: Option<i64>,
    /// Page size (≤ 100).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", operation_id = "list_notifications", tag = "notifications", security(("bearer" = [])), params(NotificationParams), responses(
    (status = 200, body = Paginated<NotificationOut>, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn list_notifications(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(params): ApiQuery<NotificationParams>,
) -> Result<Json<Paginated<NotificationOut>>, AppError> {
    let page = PageParams {
        page: params.page,
        per_page: params.per_page,
    }
    .parse()?;
    let found =
        crate::notify::list_with_deliveries(&state, user.id, params.unread.unwrap_or(false), page)
            .await?;
    Ok(Json(Paginated::from_page(
        found,
        page,
        NotificationOut::from,
    )))
}

/// How many notifications are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    /// Unread notifications.
    pub count: u64,
}

/// The number of unread notifications.
#[utoipa::path(get, path = "/api/v1/notifications/unread-count", operation_id = "unread_count", tag = "notifications", security(("bearer" = [])), responses(
    (status = 200, body = UnreadCount, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token")))]
pub async fn unread_count(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<UnreadCount>, AppError> {
    Ok(Json(UnreadCount {
        count: crate::notify::unread_count(&state, user.id).await?,
    }))
}

/// Marks one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{notification_id}/read", operation_id = "mark_read", tag = "notifications", security(("bearer" = [])), params(("notification_id" = Uuid, Path)), responses(
    (status = 204, description = "Read"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 404, body = Problem, description = "Not found (or not yours)")))]
pub async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(notification_id): ApiPath<Uuid>,
) -> Result<StatusCode, AppError> {
    crate::notify::mark_read(&state, user.id, notification_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks every notification read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", operation_id = "mark_all_read", tag = "notifications", security(("bearer" = [])), responses(
    (status = 204, description = "All read"), (status = 401, body = Problem, description = "Missing, invalid or expired token")))]
pub async fn mark_all_read(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<StatusCode, AppError> {
    crate::notify::mark_all_read(&state, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
