//! One deal: the price chart (ranges 7 d / 30 d / 90 d / 1 y / all swap the chart fragment),
//! current / lowest / highest / average, the score modifier by modifier, badges (anomaly, fake
//! discount, possible price error), buy now or wait, the same product at the other stores, the
//! store link and the track form.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use deals_core::Pagination;
use deals_core::analysis::score::Modifiers;
use deals_core::analysis::{Advice, GlitchCheck, PriceStats, Recommendation, ReferenceCheck};
use deals_core::money::AmountInput;
use deals_store::now;
use deals_store::rows::{Analysis, Listing, Tracker};
use serde::Deserialize;
use uuid::Uuid;

use super::chart::{self, Chart};
use super::errors::UiError;
use super::session::{MaybeUiUser, UiUser, require_csrf};
use super::view::{FormErrors, Layout, Wants, render, render_status};
use crate::state::AppState;
use crate::tracking::{self, TrackRequest};

/// The chart ranges offered, with their days.
pub const RANGES: [(&str, i64); 5] = [
    ("7d", 7),
    ("30d", 30),
    ("90d", 90),
    ("1y", 365),
    ("all", 365),
];

/// The chart with its range links and statistics.
pub struct ChartView {
    /// The deal.
    pub deal_id: Uuid,
    /// The chosen range (`30d`…).
    pub range: String,
    /// Geometry.
    pub chart: Chart,
    /// Statistics over the range.
    pub stats: Option<PriceStats>,
}

/// The score explained.
pub struct Breakdown {
    /// The stored analysis.
    pub analysis: Analysis,
    /// Its modifiers.
    pub modifiers: Option<Modifiers>,
    /// Buy now or wait.
    pub advice: Option<Recommendation>,
    /// Possible price error.
    pub glitch: Option<GlitchCheck>,
    /// Whether the claimed "was" price holds up.
    pub reference: Option<ReferenceCheck>,
}

/// The same product at another store.
pub struct Elsewhere {
    /// The listing there.
    pub listing: Listing,
    /// Price plus shipping.
    pub total_minor: i64,
}

/// The deal page.
#[derive(Template)]
#[template(path = "deal.html")]
pub struct DealPage {
    layout: Layout,
    deal: Listing,
    view: ChartView,
    breakdown: Breakdown,
    elsewhere: Vec<Elsewhere>,
    tracker: Option<Tracker>,
    signed_in: bool,
    errors: FormErrors,
}

/// The chart fragment alone.
#[derive(Template)]
#[template(path = "_chart.html")]
pub struct ChartFragment {
    view: ChartView,
}

/// `?range=` of the deal page.
#[derive(Debug, Deserialize)]
pub struct RangeParams {
    range: Option<String>,
}

async fn chart_view(
    state: &AppState,
    user: Option<UiUser>,
    id: Uuid,
    range: Option<String>,
    target: Option<i64>,
) -> Result<ChartView, UiError> {
    let (range, days) = RANGES
        .iter()
        .find(|(name, _)| Some(*name) == range.as_deref())
        .map(|(n, d)| ((*n).to_owned(), *d))
        .unwrap_or_else(|| ("30d".to_owned(), 30));
    let viewer = user.map(|u| u.scope());
    let history = crate::deals::price_history(state, viewer, id, days).await?;
    let all_time = crate::deals::price_history(state, viewer, id, 365).await?;
    let at = now();
    let from = at - chrono::Duration::days(days);
    let chart = chart::layout(
        &history.points,
        from,
        at,
        target,
        all_time.stats.map(|s| s.min_minor),
    );
    Ok(ChartView {
        deal_id: id,
        range,
        chart,
        stats: history.stats,
    })
}

async fn breakdown(state: &AppState, user: Option<UiUser>, id: Uuid) -> Result<Breakdown, UiError> {
    let analysis = crate::deals::analysis(state, user.map(|u| u.scope()), id).await?;
    let part = |key: &str| analysis.details.get(key).cloned().unwrap_or_default();
    Ok(Breakdown {
        modifiers: serde_json::from_value(analysis.modifiers.clone()).ok(),
        advice: serde_json::from_value(part("recommendation")).ok(),
        glitch: serde_json::from_value(part("price_glitch")).ok(),
        reference: serde_json::from_value(part("reference_check")).ok(),
        analysis,
    })
}

async fn elsewhere(
    state: &AppState,
    user: Option<UiUser>,
    deal: &Listing,
) -> Result<Vec<Elsewhere>, UiError> {
    let viewer = user.map(|u| u.scope());
    let history = crate::deals::price_history(state, viewer, deal.id, 30).await?;
    let mut ids: Vec<Uuid> = history
        .points
        .iter()
        .map(|p| p.listing_id)
        .filter(|l| *l != deal.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        if let Ok(listing) = crate::deals::get(state, viewer, id).await {
            out.push(Elsewhere {
                total_minor: listing.price_minor + listing.shipping_minor.unwrap_or(0),
                listing,
            });
        }
    }
    out.sort_by_key(|e| e.total_minor);
    Ok(out)
}

async fn tracker_of(
    state: &AppState,
    user: Option<UiUser>,
    id: Uuid,
) -> Result<Option<Tracker>, UiError> {
    let Some(user) = user else { return Ok(None) };
    let all = tracking::list(
        state,
        user.id,
        Pagination {
            page: 1,
            per_page: 100,
        },
    )
    .await?;
    Ok(all
        .items
        .into_iter()
        .map(|t| t.tracker)
        .find(|t| t.listing_id == id))
}

async fn page(
    state: &AppState,
    user: Option<UiUser>,
    id: Uuid,
    range: Option<String>,
    errors: FormErrors,
) -> Result<DealPage, UiError> {
    let deal = crate::deals::get(state, user.map(|u| u.scope()), id).await?;
    let tracker = tracker_of(state, user, id).await?;
    let view = chart_view(
        state,
        user,
        id,
        range,
        tracker.as_ref().and_then(|t| t.target_price_minor),
    )
    .await?;
    Ok(DealPage {
        layout: Layout::of(state, user, deal.title.clone()).await?,
        breakdown: breakdown(state, user, id).await?,
        elsewhere: elsewhere(state, user, &deal).await?,
        deal,
        view,
        tracker,
        signed_in: user.is_some(),
        errors,
    })
}

/// `GET /deals/{id}`: the page, or the chart fragment to htmx.
pub async fn show(
    State(state): State<AppState>,
    MaybeUiUser(user): MaybeUiUser,
    wants: Wants,
    Path(id): Path<Uuid>,
    Query(q): Query<RangeParams>,
) -> Result<Response, UiError> {
    if wants.fragment {
        let target = tracker_of(&state, user, id)
            .await?
            .and_then(|t| t.target_price_minor);
        let view = chart_view(&state, user, id, q.range, target).await?;
        return Ok(render(&ChartFragment { view }));
    }
    Ok(render(
        &page(&state, user, id, q.range, FormErrors::default()).await?,
    ))
}

/// The track form.
#[derive(Debug, Deserialize)]
pub struct TrackForm {
    csrf: String,
    #[serde(default)]
    target_price: String,
    #[serde(default)]
    drop_pct: String,
}

/// `POST /deals/{id}/track`: starts tracking, or changes the rules.
pub async fn track(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<TrackForm>,
) -> Result<Response, UiError> {
    require_csrf(&state, &user, &f.csrf)?;
    let target = Some(f.target_price.trim().to_owned()).filter(|s| !s.is_empty());
    let drop = f.drop_pct.trim();
    let drop_pct = if drop.is_empty() {
        None
    } else {
        match drop.parse::<f64>() {
            Ok(v) => Some(v),
            Err(_) => {
                let errors = FormErrors::from_error(crate::error::Error::invalid(
                    "notify_on_drop_pct",
                    "must be a number",
                ))?;
                return Ok(render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &page(&state, Some(user), id, None, errors).await?,
                ));
            }
        }
    };
    let req = TrackRequest {
        target_price: target.map(AmountInput::Text),
        notify_on_drop_pct: drop_pct,
    };
    let rules = match req.parse() {
        Ok(r) => r,
        Err(v) => {
            let errors = FormErrors::from_error(v.into())?;
            return Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&state, Some(user), id, None, errors).await?,
            ));
        }
    };
    tracking::track(&state, user.id, user.scope(), id, rules).await?;
    Ok(Redirect::to(&format!("/deals/{id}")).into_response())
}

/// Buy now, wait, or no opinion, in words.
pub fn advice_text(r: &Recommendation) -> &'static str {
    match r.advice {
        Advice::BuyNow => "buy now",
        Advice::Wait => "wait",
        Advice::NoOpinion => "no opinion",
    }
}
