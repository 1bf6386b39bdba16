//! Settings: notification preferences (channels, minimum priority, quiet hours, time zone,
//! digest), saved through `notify::save_preferences` after the same validation as the API.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use deals_core::preferences::{Channels, Digest, QuietHours};
use deals_core::{Preferences, Priority};
use serde::Deserialize;

use super::errors::UiError;
use super::session::{UiUser, require_csrf};
use super::view::{FormErrors, Layout, render, render_status};
use crate::state::AppState;

/// The settings form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    in_app: Option<String>,
    email: Option<String>,
    #[serde(default)]
    webhook_url: String,
    #[serde(default)]
    ntfy_url: String,
    #[serde(default)]
    min_priority: String,
    #[serde(default)]
    quiet_start: String,
    #[serde(default)]
    quiet_end: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    digest: String,
}

impl SettingsForm {
    fn from_preferences(p: &Preferences) -> Self {
        let on = |b: bool| b.then(|| "on".to_owned());
        Self {
            csrf: String::new(),
            in_app: on(p.channels.in_app),
            email: on(p.channels.email),
            webhook_url: p.channels.webhook_url.clone().unwrap_or_default(),
            ntfy_url: p.channels.ntfy_url.clone().unwrap_or_default(),
            min_priority: p.min_priority.as_str().to_owned(),
            quiet_start: p
                .quiet_hours
                .as_ref()
                .map(|q| q.start.clone())
                .unwrap_or_default(),
            quiet_end: p
                .quiet_hours
                .as_ref()
                .map(|q| q.end.clone())
                .unwrap_or_default(),
            timezone: p.timezone.clone(),
            digest: match p.digest {
                Digest::Off => "off",
                Digest::Daily => "daily",
                Digest::Weekly => "weekly",
            }
            .to_owned(),
        }
    }

    fn parse(&self) -> Result<Preferences, deals_core::ValidationErrors> {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let quiet_hours = match (opt(&self.quiet_start), opt(&self.quiet_end)) {
            (None, None) => None,
            (start, end) => Some(QuietHours {
                start: start.unwrap_or_default(),
                end: end.unwrap_or_default(),
            }),
        };
        Preferences {
            channels: Channels {
                in_app: self.in_app.is_some(),
                email: self.email.is_some(),
                webhook_url: opt(&self.webhook_url),
                ntfy_url: opt(&self.ntfy_url),
                // Not on this page: `save` keeps the stored signing secret, Telegram chat and
                // Discord webhook (set them through the API).
                ..Channels::default()
            },
            min_priority: Priority::parse(&self.min_priority).unwrap_or(Priority::Low),
            quiet_hours,
            timezone: opt(&self.timezone).unwrap_or_else(|| "UTC".into()),
            digest: match self.digest.as_str() {
                "daily" => Digest::Daily,
                "weekly" => Digest::Weekly,
                _ => Digest::Off,
            },
        }
        .validate()
    }
}

/// The settings page.
#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    layout: Layout,
    form: SettingsForm,
    saved: bool,
    errors: FormErrors,
}

/// `?saved=1` after saving.
#[derive(Debug, Deserialize)]
pub struct Saved {
    saved: Option<u8>,
}

/// `GET /settings`.
pub async fn show(
    State(state): State<AppState>,
    user: UiUser,
    axum::extract::Query(q): axum::extract::Query<Saved>,
) -> Result<Response, UiError> {
    let prefs = crate::notify::preferences(&state, user.id).await?;
    Ok(render(&SettingsPage {
        layout: Layout::of(&state, Some(user), "Settings").await?,
        form: SettingsForm::from_preferences(&prefs),
        saved: q.saved.is_some(),
        errors: FormErrors::default(),
    }))
}

/// `POST /settings`.
pub async fn save(
    State(state): State<AppState>,
    user: UiUser,
    Form(form): Form<SettingsForm>,
) -> Result<Response, UiError> {
    require_csrf(&state, &user, &form.csrf)?;
    match form.parse() {
        Ok(mut prefs) => {
            let stored = crate::notify::preferences(&state, user.id).await?;
            prefs.channels.webhook_secret = stored.channels.webhook_secret;
            prefs.channels.telegram_chat_id = stored.channels.telegram_chat_id;
            prefs.channels.discord_webhook_url = stored.channels.discord_webhook_url;
            crate::notify::save_preferences(&state, user.id, &prefs).await?;
            Ok(Redirect::to("/settings?saved=1").into_response())
        }
        Err(v) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingsPage {
                layout: Layout::of(&state, Some(user), "Settings").await?,
                form,
                saved: false,
                errors: FormErrors::from_error(v.into())?,
            },
        )),
    }
}
