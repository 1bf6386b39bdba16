//! Notification: a price event and the user's preferences → whether to alert, the priority,
//! a title and a message that explains itself ("$219 at Best Buy: 27 % under its 90-day
//! median, cheapest of 4 stores"). The user's minimum priority is enforced on every answer,
//! the model's included; delivery (channels, quiet hours, digests) is the app's.

use deals_core::{Currency, Preferences, Priority};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Agent;
use crate::AgentKind;
use crate::llm::{LlmRequest, Message, OutputSchema};
use crate::meter::MeteredOp;
use crate::prompt::{delimit, render};

/// Longest title, in characters.
pub const MAX_TITLE: usize = 80;
/// Longest message, in characters.
pub const MAX_MESSAGE: usize = 200;

const TEMPLATE: &str = include_str!("prompts/notification.md");

/// What happened to a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The price is under the user's target.
    BelowTarget,
    /// The price dropped.
    PriceDrop,
    /// The lowest price in a number of days.
    LowestInDays,
    /// A likely price error.
    Glitch,
    /// The item can be bought again.
    BackInStock,
    /// A new listing matches a goal.
    NewMatch,
}

/// A price event with the numbers that explain it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceEvent {
    /// What happened.
    pub kind: EventKind,
    /// Listing title.
    pub listing_title: String,
    /// Market name (`bestbuy`) or display name.
    pub store: String,
    /// Current price in minor units.
    pub price_minor: i64,
    /// Currency of all amounts.
    pub currency: Currency,
    /// The user's target price.
    #[serde(default)]
    pub target_price_minor: Option<i64>,
    /// The price before the drop.
    #[serde(default)]
    pub previous_price_minor: Option<i64>,
    /// Median price over 90 days.
    #[serde(default)]
    pub median_90_days_minor: Option<i64>,
    /// The price is the lowest in this many days.
    #[serde(default)]
    pub lowest_in_days: Option<u32>,
    /// Stores compared for this product.
    #[serde(default)]
    pub stores_compared: Option<u32>,
    /// Whether this is the cheapest of the stores compared.
    #[serde(default)]
    pub cheapest: bool,
}

/// What Notification reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifyInput {
    /// The event.
    pub event: PriceEvent,
    /// The user's notification preferences.
    pub preferences: Preferences,
}

/// What Notification produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifyDecision {
    /// Whether to alert the user.
    pub alert: bool,
    /// How important the alert is.
    pub priority: Priority,
    /// Alert title.
    pub title: String,
    /// One sentence with the numbers.
    pub message: String,
}

/// The Notification agent.
#[derive(Debug, Clone, Copy)]
pub struct NotificationAgent;

fn rank(p: Priority) -> u8 {
    match p {
        Priority::Low => 0,
        Priority::Medium => 1,
        Priority::High => 2,
        Priority::Critical => 3,
    }
}

/// The JSON schema of the answer.
pub fn schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["alert", "priority", "title", "message"],
        "properties": {
            "alert": {"type": "boolean"},
            "priority": {"enum": ["low", "medium", "high", "critical"]},
            "title": {"type": "string", "maxLength": MAX_TITLE},
            "message": {"type": "string", "maxLength": MAX_MESSAGE}
        }
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    alert: bool,
    priority: Priority,
    title: String,
    message: String,
}

/// `$219`, `$219.99`, `€30`, `30.00 CAD`.
pub fn price_text(minor: i64, currency: Currency) -> String {
    let amount = if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        deals_core::money::format_minor(minor)
    };
    match currency.as_str() {
        "USD" => format!("${amount}"),
        "EUR" => format!("€{amount}"),
        "GBP" => format!("£{amount}"),
        other => format!("{amount} {other}"),
    }
}

/// Display name of a market (`bestbuy` → `Best Buy`); other names are kept.
pub fn store_name(store: &str) -> String {
    match store {
        "amazon" => "Amazon".into(),
        "walmart" => "Walmart".into(),
        "bestbuy" => "Best Buy".into(),
        "target" => "Target".into(),
        "ebay" => "eBay".into(),
        other => other.into(),
    }
}

fn percent_under(price: i64, reference: i64) -> Option<i64> {
    (reference > 0 && price < reference)
        .then(|| ((reference - price) as f64 * 100.0 / reference as f64).round() as i64)
}

/// The rules' priority for an event.
pub fn rules_priority(e: &PriceEvent) -> Priority {
    match e.kind {
        EventKind::Glitch => Priority::Critical,
        EventKind::BelowTarget => Priority::High,
        EventKind::PriceDrop => match e
            .previous_price_minor
            .and_then(|p| percent_under(e.price_minor, p))
        {
            Some(pct) if pct >= 20 => Priority::High,
            _ => Priority::Medium,
        },
        EventKind::LowestInDays | EventKind::BackInStock => Priority::Medium,
        EventKind::NewMatch => Priority::Low,
    }
}

/// The rules' message: the price and store, then every supported fact.
pub fn rules_message(e: &PriceEvent) -> String {
    let mut facts = Vec::new();
    match e.kind {
        EventKind::Glitch => facts.push("possibly a price error".to_owned()),
        EventKind::BackInStock => facts.push("back in stock".to_owned()),
        EventKind::NewMatch => facts.push("new match for your goal".to_owned()),
        _ => {}
    }
    if let Some(t) = e.target_price_minor.filter(|&t| e.price_minor <= t) {
        facts.push(format!(
            "under your target of {}",
            price_text(t, e.currency)
        ));
    }
    if let Some(p) = e.previous_price_minor
        && let Some(pct) = percent_under(e.price_minor, p)
    {
        facts.push(format!("down {pct} % from {}", price_text(p, e.currency)));
    }
    if let Some(pct) = e
        .median_90_days_minor
        .and_then(|m| percent_under(e.price_minor, m))
    {
        facts.push(format!("{pct} % under its 90-day median"));
    }
    if let Some(days) = e.lowest_in_days {
        facts.push(format!("lowest in {days} days"));
    }
    if let Some(n) = e.stores_compared.filter(|&n| e.cheapest && n > 1) {
        facts.push(format!("cheapest of {n} stores"));
    }
    let head = format!(
        "{} at {}",
        price_text(e.price_minor, e.currency),
        store_name(&e.store)
    );
    let message = if facts.is_empty() {
        head
    } else {
        format!("{head}: {}", facts.join(", "))
    };
    message.chars().take(MAX_MESSAGE).collect()
}

fn rules_title(e: &PriceEvent) -> String {
    let label = match e.kind {
        EventKind::BelowTarget => "Below target",
        EventKind::PriceDrop => "Price drop",
        EventKind::LowestInDays => "New low",
        EventKind::Glitch => "Possible price error",
        EventKind::BackInStock => "Back in stock",
        EventKind::NewMatch => "New match",
    };
    let title = format!("{label}: {}", e.listing_title.trim());
    title.chars().take(MAX_TITLE).collect()
}

/// Alerts only at or above the user's minimum priority.
fn allowed(priority: Priority, prefs: &Preferences) -> bool {
    rank(priority) >= rank(prefs.min_priority)
}

impl Agent for NotificationAgent {
    type Input = NotifyInput;
    type Output = NotifyDecision;
    const KIND: AgentKind = AgentKind::Notification;
    const OP: MeteredOp = MeteredOp::Notification;
    const PROMPT_VERSION: &'static str = "notification/1";

    fn summary(input: &NotifyInput) -> String {
        let e = &input.event;
        let title: String = e.listing_title.chars().take(60).collect();
        format!(
            "{:?} {title} at {} for {} minor",
            e.kind, e.store, e.price_minor
        )
    }

    fn request(input: &NotifyInput) -> LlmRequest {
        let schema = schema();
        let facts = json!({
            "event": input.event,
            "min_priority": input.preferences.min_priority,
        });
        LlmRequest {
            system: render(TEMPLATE, &[("schema", &schema.to_string())]),
            messages: vec![Message::user(delimit("price_event", &facts.to_string()))],
            schema: Some(OutputSchema {
                name: "notification".into(),
                schema,
            }),
            tools: Vec::new(),
            max_tokens: 300,
        }
    }

    fn validate(input: &NotifyInput, text: &str) -> Result<NotifyDecision, String> {
        let raw: Raw = super::parse_json(text)?;
        let title = raw.title.trim();
        let message = raw.message.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            return Err(format!("title: 1 to {MAX_TITLE} characters"));
        }
        if message.is_empty() || message.chars().count() > MAX_MESSAGE {
            return Err(format!("message: 1 to {MAX_MESSAGE} characters"));
        }
        Ok(NotifyDecision {
            alert: raw.alert && allowed(raw.priority, &input.preferences),
            priority: raw.priority,
            title: title.to_owned(),
            message: message.to_owned(),
        })
    }

    fn rules(input: &NotifyInput) -> NotifyDecision {
        let priority = rules_priority(&input.event);
        NotifyDecision {
            alert: allowed(priority, &input.preferences),
            priority,
            title: rules_title(&input.event),
            message: rules_message(&input.event),
        }
    }
}
