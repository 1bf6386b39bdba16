//! A deal's score breakdown and its price history across stores.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use deals_core::money::format_minor;
use deals_store::rows::Analysis;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::MaybeUser;
use crate::http::error::{AppError, Problem};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// One modifier of the formula.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModifierOut {
    /// Points added to the base score (negative: subtracted).
    pub value: f64,
    /// Why, in one line.
    pub explanation: String,
}

/// The four modifiers of the formula.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModifiersOut {
    /// +5 falling, −5 rising, 0 stable.
    pub price_trend: ModifierOut,
    /// (reliability − 0.8) × 10.
    pub source_reliability: ModifierOut,
    /// +3/+5/+7/+10 for more than 10/20/30/50 % off the supported reference price.
    pub discount: ModifierOut,
    /// +10 under 80 %, +5 under 90 %, −5 over 110 % of the market average.
    pub competitiveness: ModifierOut,
}

/// A stored analysis.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisOut {
    /// The deal.
    pub deal_id: Uuid,
    /// Base score, 0–100.
    pub base_score: f64,
    /// Each modifier with its explanation.
    pub modifiers: ModifiersOut,
    /// Base plus modifiers, clamped to 0–100.
    pub final_score: f64,
    /// Final score / 100.
    pub normalized_score: f64,
    /// The score is more than two standard deviations from the moving average of earlier ones.
    pub is_anomaly: bool,
    /// Moving average of the last five earlier scores.
    pub moving_average: Option<f64>,
    /// Sample standard deviation of those scores.
    pub stddev: Option<f64>,
    /// 1 − stddev/mean of the deal's prices (1 = perfectly stable).
    pub price_stability: Option<f64>,
    /// Market average compared with, two decimals.
    pub market_average: Option<String>,
    /// The whole score in words.
    pub explanation: String,
    /// Version of the formula.
    pub formula_version: String,
    /// Reference-price check, price-glitch check, market-average basis, base-score reasons,
    /// buy-or-wait recommendation.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// When it was computed.
    pub analyzed_at: DateTime<Utc>,
}

impl TryFrom<Analysis> for AnalysisOut {
    type Error = AppError;

    fn try_from(a: Analysis) -> Result<Self, AppError> {
        Ok(Self {
            deal_id: a.listing_id,
            base_score: a.base_score,
            modifiers: serde_json::from_value(a.modifiers)
                .map_err(|e| anyhow::anyhow!("stored modifiers: {e}"))?,
            final_score: a.final_score,
            normalized_score: a.normalized_score,
            is_anomaly: a.is_anomaly,
            moving_average: a.moving_average,
            stddev: a.stddev,
            price_stability: a.price_stability,
            market_average: a.market_average_minor.map(format_minor),
            explanation: a.explanation,
            formula_version: a.formula_version,
            details: a.details,
            analyzed_at: a.analyzed_at,
        })
    }
}

/// The score breakdown of a deal (computed now if the deal was never analysed).
#[utoipa::path(get, path = "/api/v1/deals/{deal_id}/analysis", operation_id = "get_deal_analysis", tag = "deals",
    params(("deal_id" = Uuid, Path)), responses(
    (status = 200, body = AnalysisOut, description = "OK"),
    (status = 404, body = Problem, description = "Not found (or not yours)")))]
pub async fn get_analysis(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    ApiPath(deal_id): ApiPath<Uuid>,
) -> Result<Json<AnalysisOut>, AppError> {
    let analysis = crate::deals::analysis(&state, viewer.map(|u| u.scope()), deal_id).await?;
    Ok(Json(analysis.try_into()?))
}

/// `?days=` of history (1–365, default 90).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// Days back from now.
    #[param(minimum = 1, maximum = 365, default = 90)]
    pub days: Option<i64>,
}

/// One observed price.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPoint {
    /// When it was seen.
    pub at: DateTime<Utc>,
    /// The price, two decimals.
    pub price: String,
    /// Where.
    pub market: String,
}

/// Statistics over the returned points.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryStats {
    /// Lowest price.
    pub min: String,
    /// Highest price.
    pub max: String,
    /// Mean price.
    pub avg: String,
    /// Sample standard deviation, two decimals.
    pub stddev: String,
    /// `falling`, `stable` or `rising` (daily lows of the last 30 days, least-squares slope).
    pub trend: String,
    /// 1 − stddev/mean, 0–1.
    pub stability: f64,
}

/// A deal's price history, with the same product at other stores.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceHistoryOut {
    /// Observations, oldest first.
    pub points: Vec<HistoryPoint>,
    /// Statistics over `points`; null without any.
    pub stats: Option<HistoryStats>,
}

/// Price history of a deal and of the same product at the other stores.
#[utoipa::path(get, path = "/api/v1/deals/{deal_id}/price-history", operation_id = "get_deal_price_history", tag = "deals",
    params(("deal_id" = Uuid, Path), HistoryParams), responses(
    (status = 200, body = PriceHistoryOut, description = "OK"),
    (status = 404, body = Problem, description = "Not found (or not yours)"),
    (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn price_history(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    ApiPath(deal_id): ApiPath<Uuid>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> Result<Json<PriceHistoryOut>, AppError> {
    let days = params.days.unwrap_or(90);
    let history =
        crate::deals::price_history(&state, viewer.map(|u| u.scope()), deal_id, days).await?;
    let stats = history.stats.map(|s| HistoryStats {
        min: format_minor(s.min_minor),
        max: format_minor(s.max_minor),
        avg: format_minor(s.avg_minor),
        stddev: format_minor(s.stddev_minor.round() as i64),
        trend: s.trend.as_str().to_owned(),
        stability: s.stability,
    });
    let points = history
        .points
        .into_iter()
        .map(|p| HistoryPoint {
            at: p.at,
            price: format_minor(p.price_minor),
            market: p.market,
        })
        .collect();
    Ok(Json(PriceHistoryOut { points, stats }))
}
