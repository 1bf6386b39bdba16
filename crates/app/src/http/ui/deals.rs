//! Deal search with filters and sort; the results re-render alone for htmx (the URL is pushed,
//! so a search can be bookmarked and works without JavaScript).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use deals_core::money::parse_minor;
use deals_core::{Condition, DealSort, Pagination, ValidationErrors};
use deals_store::repo::search::DealQuery;
use deals_store::rows::Listing;
use serde::Deserialize;

use super::errors::UiError;
use super::session::MaybeUiUser;
use super::view::{FormErrors, Layout, Wants, render};
use crate::state::AppState;

/// The search form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    market: String,
    #[serde(default)]
    condition: String,
    #[serde(default)]
    min_price: String,
    #[serde(default)]
    max_price: String,
    #[serde(default)]
    sort: String,
    page: Option<u64>,
}

/// Results of a search.
pub struct Results {
    /// This page.
    pub items: Vec<Listing>,
    /// All matches.
    pub total: u64,
    /// Page number.
    pub page: u64,
    /// Query string of the next page, if any.
    pub next: Option<String>,
}

/// The search page.
#[derive(Template)]
#[template(path = "deals.html")]
pub struct DealsPage {
    layout: Layout,
    form: SearchForm,
    markets: Vec<String>,
    results: Results,
    errors: FormErrors,
}

/// The results alone.
#[derive(Template)]
#[template(path = "_deal_results.html")]
pub struct ResultsFragment {
    results: Results,
    errors: FormErrors,
}

const PER_PAGE: u64 = 24;

fn parse(form: &SearchForm) -> Result<DealQuery, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let min_price = opt(&form.min_price).and_then(|p| errors.check("min_price", parse_minor(&p)));
    let max_price = opt(&form.max_price).and_then(|p| errors.check("max_price", parse_minor(&p)));
    let condition =
        opt(&form.condition).and_then(|c| errors.check("condition", Condition::parse(&c)));
    let sort = opt(&form.sort).and_then(|s| errors.check("sort", DealSort::parse(&s)));
    errors.into_result(DealQuery {
        text: opt(&form.q).map(|q| q.chars().take(200).collect()),
        market: opt(&form.market),
        min_price,
        max_price,
        condition,
        sort,
        page: Pagination {
            page: form.page.unwrap_or(1).clamp(1, 1000),
            per_page: PER_PAGE,
        },
        ..DealQuery::default()
    })
}

async fn search(state: &AppState, form: &SearchForm) -> Result<(Results, FormErrors), UiError> {
    let query = match parse(form) {
        Ok(q) => q,
        Err(v) => {
            let empty = Results {
                items: Vec::new(),
                total: 0,
                page: 1,
                next: None,
            };
            return Ok((empty, FormErrors::from_error(v.into())?));
        }
    };
    let page = crate::deals::search(state, &query).await?;
    let n = query.page.page;
    let next = (n * PER_PAGE < page.total).then(|| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &form.q)
            .append_pair("market", &form.market)
            .append_pair("condition", &form.condition)
            .append_pair("min_price", &form.min_price)
            .append_pair("max_price", &form.max_price)
            .append_pair("sort", &form.sort)
            .append_pair("page", &(n + 1).to_string())
            .finish()
    });
    Ok((
        Results {
            items: page.items,
            total: page.total,
            page: n,
            next,
        },
        FormErrors::default(),
    ))
}

/// `GET /deals`: the page, or the results alone to htmx.
pub async fn show(
    State(state): State<AppState>,
    MaybeUiUser(user): MaybeUiUser,
    wants: Wants,
    Query(form): Query<SearchForm>,
) -> Result<Response, UiError> {
    let (results, errors) = search(&state, &form).await?;
    if wants.fragment {
        return Ok(render(&ResultsFragment { results, errors }));
    }
    Ok(render(&DealsPage {
        layout: Layout::of(&state, user, "Deals").await?,
        markets: state.markets.searchable(),
        form,
        results,
        errors,
    }))
}
