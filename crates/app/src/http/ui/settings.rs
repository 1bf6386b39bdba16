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
    #[serde(default)]
    digest_time: String,
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
            digest: p.digest.as_str().to_owned(),
            digest_time: p.digest_time.clone(),
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
            digest: Digest::parse(&self.digest).unwrap_or(Digest::Off),
            digest_time: opt(&self.digest_time).unwrap_or_else(|| "08:00".into()),
            // Not on this page: `save` keeps the stored list (the goal page toggles it).
            muted_goals: Vec::new(),
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
    /// The channels set up, each with a test button.
    channels: Vec<&'static str>,
    /// How the last test message went.
    tested: Option<crate::notify::TestSent>,
}

/// The channels of `prefs` that can be tested.
fn testable(prefs: &Preferences) -> Vec<&'static str> {
    let c = &prefs.channels;
    [
        ("email", c.email),
        ("webhook", c.webhook_url.is_some()),
        ("ntfy", c.ntfy_url.is_some()),
        ("telegram", c.telegram_chat_id.is_some()),
        ("discord", c.discord_webhook_url.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect()
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
        channels: testable(&prefs),
        tested: None,
    }))
}

/// The test-send form.
#[derive(Debug, Deserialize)]
pub struct TestForm {
    csrf: String,
    channel: String,
}

/// `POST /settings/test`: sends a test message through one channel and shows how it went.
pub async fn test_send(
    State(state): State<AppState>,
    user: UiUser,
    Form(f): Form<TestForm>,
) -> Result<Response, UiError> {
    require_csrf(&state, &user, &f.csrf)?;
    let channel = deals_core::Channel::parse(&f.channel)
        .map_err(|e| UiError::from(crate::error::Error::invalid("channel", e.to_string())))?;
    let tested = crate::notify::test_send(&state, user.id, channel).await?;
    let prefs = crate::notify::preferences(&state, user.id).await?;
    Ok(render(&SettingsPage {
        layout: Layout::of(&state, Some(user), "Settings").await?,
        form: SettingsForm::from_preferences(&prefs),
        saved: false,
        errors: FormErrors::default(),
        channels: testable(&prefs),
        tested: Some(tested),
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
            prefs.muted_goals = stored.muted_goals;
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
                channels: Vec::new(),
                tested: None,
            },
        )),
    }
}
