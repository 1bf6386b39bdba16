//! Sign up, log in and log out. Signing in starts an API session (refresh family) through
//! `accounts::register`/`login` and hands the browser the session cookie; logging out revokes
//! the family, so every token of the session stops working.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::errors::UiError;
use super::session::{
    CsrfOnly, MaybeUiUser, UiUser, clear_cookie, csrf_ok, safe_next, start_cookie,
};
use super::view::{FormErrors, Layout, render, render_status};
use crate::accounts::{self, LoginRequest, RegisterRequest, Session};
use crate::state::AppState;

/// `?next=` of the sign-in pages.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// The log-in page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    errors: FormErrors,
}

/// The sign-up page.
#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    layout: Layout,
    email: String,
    name: String,
    next: String,
    errors: FormErrors,
}

/// The log-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// The sign-up form.
#[derive(Debug, Deserialize)]
pub struct RegisterForm {
    email: String,
    password: String,
    name: Option<String>,
    next: Option<String>,
}

/// `GET /login`.
pub async fn login_page(MaybeUiUser(user): MaybeUiUser, Query(q): Query<Next>) -> Response {
    if user.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    render(&LoginPage {
        layout: Layout::anonymous("Log in"),
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        errors: FormErrors::default(),
    })
}

/// `POST /login`.
pub async fn login(State(state): State<AppState>, Form(f): Form<LoginForm>) -> Response {
    let next = safe_next(f.next.as_deref());
    let req = LoginRequest {
        email: f.email.clone(),
        password: f.password,
    };
    match accounts::login(&state, req).await {
        Ok(session) => signed_in(&state, &session, &next),
        Err(e) => match FormErrors::from_error(e) {
            Ok(errors) => render_status(
                StatusCode::UNAUTHORIZED,
                &LoginPage {
                    layout: Layout::anonymous("Log in"),
                    email: f.email,
                    next,
                    errors,
                },
            ),
            Err(e) => e.into_response(),
        },
    }
}

/// `GET /register`.
pub async fn register_page(MaybeUiUser(user): MaybeUiUser, Query(q): Query<Next>) -> Response {
    if user.is_some() {
        return Redirect::to("/dashboard").into_response();
    }
    render(&RegisterPage {
        layout: Layout::anonymous("Sign up"),
        email: String::new(),
        name: String::new(),
        next: safe_next(q.next.as_deref()),
        errors: FormErrors::default(),
    })
}

/// `POST /register`.
pub async fn register(State(state): State<AppState>, Form(f): Form<RegisterForm>) -> Response {
    let next = safe_next(f.next.as_deref());
    let req = RegisterRequest {
        email: f.email.clone(),
        password: f.password,
        name: f.name.clone(),
    };
    match accounts::register(&state, req).await {
        Ok(session) => signed_in(&state, &session, &next),
        Err(e) => match FormErrors::from_error(e) {
            Ok(errors) => render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RegisterPage {
                    layout: Layout::anonymous("Sign up"),
                    email: f.email,
                    name: f.name.unwrap_or_default(),
                    next,
                    errors,
                },
            ),
            Err(e) => e.into_response(),
        },
    }
}

fn signed_in(state: &AppState, session: &Session, next: &str) -> Response {
    match start_cookie(state, session) {
        Ok(cookie) => {
            let mut res = Redirect::to(next).into_response();
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "session cookie could not be signed");
            UiError::Internal.into_response()
        }
    }
}

/// `POST /logout`: ends the session (its refresh family) and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    user: UiUser,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    if !csrf_ok(&state, user.session, &f.csrf) {
        return Err(UiError::Forbidden);
    }
    accounts::logout(&state, user.id, user.session).await?;
    let mut res = Redirect::to("/").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&state));
    Ok(res)
}
