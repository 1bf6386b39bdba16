//! A user's notification preferences: channels, minimum priority, quiet hours, time zone and
//! digest frequency.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::enums::Priority;
use crate::error::ValidationErrors;

/// How often the alerts for external channels are gathered into one message. Only non-critical
/// alerts wait for the digest; in-app notifications and live updates are never held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Digest {
    /// Immediate: alerts are sent one by one.
    Off,
    /// One digest at the top of every hour (local time).
    Hourly,
    /// One digest a day at `digest_time` (local time).
    Daily,
    /// One digest a week, on Monday at `digest_time` (local time).
    Weekly,
}

impl Digest {
    /// The stored text of the value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Digest::Off => "off",
            Digest::Hourly => "hourly",
            Digest::Daily => "daily",
            Digest::Weekly => "weekly",
        }
    }

    /// Parses the text form; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        [Digest::Off, Digest::Hourly, Digest::Daily, Digest::Weekly]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// Where alerts go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Channels {
    /// In-app notifications and live updates.
    pub in_app: bool,
    /// E-mail to the account address.
    pub email: bool,
    /// A URL that receives a JSON POST per alert.
    pub webhook_url: Option<String>,
    /// Standard Webhooks signing secret(s) (`whsec_…`; several separated by spaces while
    /// rotating: each signs). Without one, webhook posts are unsigned.
    pub webhook_secret: Option<String>,
    /// An ntfy topic URL.
    pub ntfy_url: Option<String>,
    /// The Telegram chat the server's bot writes to.
    pub telegram_chat_id: Option<String>,
    /// A Discord webhook URL.
    pub discord_webhook_url: Option<String>,
}

impl Default for Channels {
    fn default() -> Self {
        Self {
            in_app: true,
            email: false,
            webhook_url: None,
            webhook_secret: None,
            ntfy_url: None,
            telegram_chat_id: None,
            discord_webhook_url: None,
        }
    }
}

/// A daily window without alerts, in the user's time zone; may wrap midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Start, `HH:MM`.
    pub start: String,
    /// End, `HH:MM`.
    pub end: String,
}

/// Notification preferences, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Preferences {
    /// Channels.
    pub channels: Channels,
    /// Alerts below this priority are not sent.
    pub min_priority: Priority,
    /// Optional quiet hours (critical alerts still go through).
    pub quiet_hours: Option<QuietHours>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Digest frequency.
    pub digest: Digest,
    /// Local time of day (`HH:MM`) of the daily and weekly digests.
    pub digest_time: String,
    /// Goals whose alerts the user does not want (their matches are still kept).
    pub muted_goals: Vec<uuid::Uuid>,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            channels: Channels::default(),
            min_priority: Priority::Low,
            quiet_hours: None,
            timezone: "UTC".into(),
            digest: Digest::Off,
            digest_time: "08:00".into(),
            muted_goals: Vec::new(),
        }
    }
}

/// The first instant of a local date and time in `tz` (on a daylight-saving gap, the first
/// valid one an hour later).
fn resolve(tz: chrono_tz::Tz, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

/// The IANA time zone names `timezone` accepts.
pub fn time_zones() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

/// The host of an absolute `http://` or `https://` URL of at most 2048 bytes without spaces or
/// control characters, whose authority is an optional user-info part, a host name of letters,
/// digits, dots and hyphens, and an optional port (1–5 digits); `None` for anything else. This
/// is the shape the API document's URL pattern states (no IP-literal hosts).
pub fn http_url_host(s: &str) -> Option<&str> {
    if s.len() > 2048 || s.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = match authority.split_once('@') {
        Some((user, _)) if user.is_empty() || user.contains(['[', ']']) => return None,
        Some((_, host_port)) => host_port,
        None => authority,
    };
    let (host, port) = match host_port.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (host_port, None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then_some(host)
}

fn is_http_url(s: &str) -> bool {
    http_url_host(s).is_some()
}

impl Preferences {
    /// When the user's quiet hours started before or at `at` and are still running, the
    /// instant they end; `None` outside quiet hours (or without them, or with an unreadable
    /// time zone or time, which validation refuses anyway).
    pub fn quiet_until(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let q = self.quiet_hours.as_ref()?;
        let tz: chrono_tz::Tz = self.timezone.parse().ok()?;
        let start = NaiveTime::parse_from_str(&q.start, "%H:%M").ok()?;
        let end = NaiveTime::parse_from_str(&q.end, "%H:%M").ok()?;
        let local = at.with_timezone(&tz);
        let now = local.time();
        let quiet = if start < end {
            now >= start && now < end
        } else {
            now >= start || now < end
        };
        if !quiet {
            return None;
        }
        let mut day = local.date_naive();
        if now >= end {
            day = day.succ_opt()?;
        }
        let end_local = day.and_time(end);
        // On a daylight-saving gap the end time may not exist: take the first valid instant.
        let resolved = tz.from_local_datetime(&end_local).earliest().or_else(|| {
            tz.from_local_datetime(&(end_local + chrono::Duration::hours(1)))
                .earliest()
        })?;
        Some(resolved.with_timezone(&Utc))
    }

    /// When the next digest after `at` goes out, by the user's digest setting in their time
    /// zone; `None` when alerts are sent one by one.
    pub fn next_digest(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        use chrono::{Datelike, Timelike};
        let tz: chrono_tz::Tz = self.timezone.parse().ok()?;
        let local = at.with_timezone(&tz);
        match self.digest {
            Digest::Off => None,
            Digest::Hourly => {
                let hour = local.date_naive().and_hms_opt(local.hour(), 0, 0)?;
                resolve(tz, hour + chrono::Duration::hours(1))
            }
            Digest::Daily | Digest::Weekly => {
                let time = NaiveTime::parse_from_str(&self.digest_time, "%H:%M").ok()?;
                let mut day = local.date_naive();
                if local.time() >= time {
                    day = day.succ_opt()?;
                }
                if self.digest == Digest::Weekly {
                    while day.weekday() != chrono::Weekday::Mon {
                        day = day.succ_opt()?;
                    }
                }
                resolve(tz, day.and_time(time))
            }
        }
    }

    /// Whether alerts of `goal_id` are muted.
    pub fn mutes(&self, goal_id: uuid::Uuid) -> bool {
        self.muted_goals.contains(&goal_id)
    }

    /// Checks the fields that types alone do not.
    pub fn validate(self) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            errors.add(
                "timezone",
                "must be an IANA time zone such as Europe/Berlin or UTC",
            );
        }
        if NaiveTime::parse_from_str(&self.digest_time, "%H:%M").is_err() {
            errors.add("digest_time", "must be a time of day as HH:MM");
        }
        if self.muted_goals.len() > 1_000 {
            errors.add("muted_goals", "must list at most 1000 goals");
        }
        if let Some(q) = &self.quiet_hours {
            for (field, value) in [("quiet_hours.start", &q.start), ("quiet_hours.end", &q.end)] {
                if NaiveTime::parse_from_str(value, "%H:%M").is_err() {
                    errors.add(field, "must be a time of day as HH:MM");
                }
            }
            if q.start == q.end {
                errors.add("quiet_hours.end", "must differ from quiet_hours.start");
            }
        }
        for (field, url) in [
            ("channels.webhook_url", &self.channels.webhook_url),
            ("channels.ntfy_url", &self.channels.ntfy_url),
            (
                "channels.discord_webhook_url",
                &self.channels.discord_webhook_url,
            ),
        ] {
            if let Some(u) = url
                && !is_http_url(u)
            {
                errors.add(field, "must be an http:// or https:// URL");
            }
        }
        if let Some(chat) = &self.channels.telegram_chat_id
            && (chat.is_empty()
                || chat.len() > 64
                || !chat
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '@')))
        {
            errors.add(
                "channels.telegram_chat_id",
                "must be a chat id such as 123456789 or @channel",
            );
        }
        if let Some(secrets) = &self.channels.webhook_secret
            && !valid_secrets(secrets)
        {
            errors.add(
                "channels.webhook_secret",
                "must be one or more whsec_<base64> secrets separated by spaces",
            );
        }
        errors.into_result(self)
    }
}

/// `whsec_` followed by base64 characters, one or more separated by spaces.
fn valid_secrets(s: &str) -> bool {
    let mut parts = s.split_whitespace().peekable();
    parts.peek().is_some()
        && parts.all(|p| {
            p.strip_prefix("whsec_").is_some_and(|b| {
                b.len() >= 16
                    && b.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<Preferences, ValidationErrors> {
        serde_json::from_value::<Preferences>(v).unwrap().validate()
    }

    #[test]
    fn urls_are_http_with_a_plain_host_name_and_no_spaces() {
        for ok in [
            "https://hooks.example.com/a?b=1#c",
            "http://localhost:8080/hook",
            "https://user:secret@ntfy.example.com:8443/topic",
        ] {
            assert!(http_url_host(ok).is_some(), "{ok}");
        }
        for bad in [
            "http://[",
            "http://[::1]/hook",
            "https://example.com/a b",
            "https://example.com/\u{7}",
            "http://host:",
            "http://host:123456",
            "http://@host",
            "ftp://example.com",
            "https://",
        ] {
            assert!(http_url_host(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn defaults_fill_missing_fields() {
        let p = parse(json!({"timezone": "Europe/Berlin", "digest": "daily"})).unwrap();
        assert!(p.channels.in_app && !p.channels.email);
        assert_eq!(p.digest, Digest::Daily);
        assert_eq!(p.min_priority, Priority::Low);
    }

    #[test]
    fn bad_values_are_named() {
        let e = parse(json!({
            "timezone": "Mars/Olympus",
            "quiet_hours": {"start": "25:00", "end": "07:00"},
            "channels": {"webhook_url": "ftp://x"}
        }))
        .unwrap_err();
        let fields: Vec<_> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["timezone", "quiet_hours.start", "channels.webhook_url"]
        );
    }

    #[test]
    fn digests_go_out_at_the_next_local_hour_day_or_monday() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let prefs = |digest: &str| {
            parse(json!({"digest": digest, "digest_time": "08:30", "timezone": "Europe/Berlin"}))
                .unwrap()
        };
        // Thursday 2026-11-26 10:20 in Berlin (UTC+1).
        let now = at("2026-11-26T09:20:00Z");
        assert_eq!(prefs("off").next_digest(now), None);
        assert_eq!(
            prefs("hourly").next_digest(now),
            Some(at("2026-11-26T10:00:00Z"))
        );
        assert_eq!(
            prefs("daily").next_digest(now),
            Some(at("2026-11-27T07:30:00Z"))
        );
        assert_eq!(
            prefs("weekly").next_digest(now),
            Some(at("2026-11-30T07:30:00Z"))
        );
        // Before the digest time it is today's.
        assert_eq!(
            prefs("daily").next_digest(at("2026-11-26T06:00:00Z")),
            Some(at("2026-11-26T07:30:00Z"))
        );
        // A time zone with a half-hour offset: the top of its own hour.
        let kolkata = parse(json!({"digest": "hourly", "timezone": "Asia/Kolkata"})).unwrap();
        assert_eq!(
            kolkata.next_digest(at("2026-11-26T09:20:00Z")),
            Some(at("2026-11-26T09:30:00Z"))
        );
    }

    #[test]
    fn a_bad_digest_time_is_named() {
        let e = parse(json!({"digest": "daily", "digest_time": "8am"})).unwrap_err();
        assert_eq!(e.errors[0].field, "digest_time");
        assert!(serde_json::from_value::<Preferences>(json!({"digest": "monthly"})).is_err());
    }

    #[test]
    fn quiet_hours_may_wrap_midnight() {
        assert!(parse(json!({"quiet_hours": {"start": "22:00", "end": "07:00"}})).is_ok());
    }

    #[test]
    fn quiet_hours_say_when_they_end_in_the_users_time_zone() {
        let p = parse(json!({
            "quiet_hours": {"start": "22:00", "end": "07:00"},
            "timezone": "Europe/Berlin"
        }))
        .unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 23:30 in Berlin (CET, UTC+1) → quiet until 07:00 Berlin the next morning.
        assert_eq!(
            p.quiet_until(at("2026-11-24T22:30:00Z")),
            Some(at("2026-11-25T06:00:00Z"))
        );
        // 05:00 Berlin → until 07:00 the same day.
        assert_eq!(
            p.quiet_until(at("2026-11-25T04:00:00Z")),
            Some(at("2026-11-25T06:00:00Z"))
        );
        // 12:00 Berlin → not quiet.
        assert_eq!(p.quiet_until(at("2026-11-25T11:00:00Z")), None);
        assert_eq!(
            Preferences::default().quiet_until(at("2026-11-25T11:00:00Z")),
            None
        );
    }
}
