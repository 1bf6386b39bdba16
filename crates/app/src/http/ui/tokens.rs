//! The tokens page: the balance (and what is held for running work), recent ledger entries and
//! the price of each agent operation. Wallet linking and deposits go through the API
//! (`/api/v1/wallet/*`, `/api/v1/tokens/deposits`): they need a Solana wallet to sign.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use deals_core::Pagination;

use super::errors::UiError;
use super::session::UiUser;
use super::view::{Layout, render};
use crate::state::AppState;
use crate::tokens::{Balance, PriceList, Transaction};

/// The tokens page.
#[derive(Template)]
#[template(path = "tokens.html")]
pub struct TokensPage {
    layout: Layout,
    balance: Balance,
    entries: Vec<Transaction>,
    prices: PriceList,
}

/// `GET /tokens`.
pub async fn show(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    let page = Pagination {
        page: 1,
        per_page: 50,
    };
    let balance = crate::tokens::balance(&state, user.id).await?;
    let entries = crate::tokens::transactions(&state, user.id, None, page)
        .await?
        .items;
    Ok(render(&TokensPage {
        layout: Layout::of(&state, Some(user), "Tokens").await?,
        balance,
        entries,
        prices: crate::tokens::pricing(&state),
    }))
}
