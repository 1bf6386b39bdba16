//! ntfy delivery: a JSON publish to the server's root (`{topic, title, message, priority, click,
//! tags}`), the topic taken from the user's topic URL (`https://ntfy.sh/my-deals`), with a tap
//! opening the listing.

use async_trait::async_trait;
use deals_core::{Channel, Preferences, Priority};
use deals_store::rows::Notification;
use serde::Serialize;

use super::channels::{Delivered, DeliveryError, Sender, answered};
use super::guard::{AllowList, check_url};

/// ntfy's JSON publish body.
#[derive(Debug, Serialize)]
struct Publish<'a> {
    topic: &'a str,
    title: &'a str,
    message: &'a str,
    priority: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    click: Option<&'a str>,
    tags: [&'a str; 1],
}

/// ntfy's priority scale (1–5).
pub fn ntfy_priority(priority: Priority) -> u8 {
    match priority {
        Priority::Critical => 5,
        Priority::High => 4,
        Priority::Medium => 3,
        Priority::Low => 2,
    }
}

/// `(server root, topic)` of a topic URL.
fn split_topic(url: &str) -> Option<(String, String)> {
    let mut parsed = reqwest::Url::parse(url).ok()?;
    let topic = parsed.path_segments()?.rfind(|s| !s.is_empty())?.to_owned();
    parsed.set_path("/");
    parsed.set_query(None);
    Some((parsed.to_string(), topic))
}

/// A message to the user's ntfy topic.
pub struct Ntfy {
    /// Hosts allowed although internal.
    pub allow: AllowList,
}

#[async_trait]
impl Sender for Ntfy {
    async fn send(
        &self,
        client: &reqwest::Client,
        note: &Notification,
        prefs: &Preferences,
    ) -> Result<Delivered, DeliveryError> {
        let Some(url) = prefs.channels.ntfy_url.as_deref() else {
            return Ok(Delivered::Skipped("no ntfy topic configured"));
        };
        check_url(url, &self.allow).map_err(DeliveryError::Permanent)?;
        let (root, topic) = split_topic(url)
            .ok_or_else(|| DeliveryError::Permanent(format!("no topic in {url}")))?;
        let publish = Publish {
            topic: &topic,
            title: &note.title,
            message: &note.body,
            priority: ntfy_priority(note.priority),
            click: note.data.get("url").and_then(|u| u.as_str()),
            tags: [note.kind.as_str()],
        };
        answered(Channel::Ntfy, client.post(root).json(&publish).send().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_topic_is_the_last_path_segment() {
        assert_eq!(
            split_topic("https://ntfy.sh/my-deals"),
            Some(("https://ntfy.sh/".into(), "my-deals".into()))
        );
        assert_eq!(
            split_topic("http://127.0.0.1:8080/alerts/"),
            Some(("http://127.0.0.1:8080/".into(), "alerts".into()))
        );
        assert_eq!(split_topic("https://ntfy.sh/"), None);
    }

    #[test]
    fn ntfy_priorities_follow_the_alert_priority() {
        assert_eq!(ntfy_priority(Priority::Critical), 5);
        assert_eq!(ntfy_priority(Priority::Low), 2);
    }
}
