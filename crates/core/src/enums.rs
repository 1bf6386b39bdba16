//! Closed vocabularies stored as text: item condition, goal status and priority, availability,
//! listing status, deal sort order, notification kinds and delivery channels.

use serde::{Deserialize, Serialize};

/// Why a string is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of: {expected}")]
pub struct UnknownVariant {
    /// The accepted values, comma separated.
    pub expected: &'static str,
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and serialised text of the value.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the text form, case-insensitively.
            pub fn parse(raw: &str) -> Result<Self, UnknownVariant> {
                let s = raw.trim().to_ascii_lowercase();
                match s.as_str() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownVariant { expected: concat!($($text, " "),+).trim_ascii_end() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

text_enum!(
    /// What a background job does.
    JobKind {
        /// Goal Analysis Agent: the goal's words → criteria; then a deal search.
        AnalyzeGoal => "analyze_goal",
        /// Deal Search Agent for one goal: query the markets, store, score and match listings.
        SearchDeals => "search_deals",
        /// Re-read the current price of tracked listings, record it, re-score, alert.
        CheckPrices => "check_prices",
        /// Re-run the analysis of one listing.
        AnalyzeDeal => "analyze_deal",
        /// Send one notification on its external channels (webhook, ntfy).
        DeliverNotification => "deliver_notification",
        /// Expire goals past their deadline and remind of deadlines coming up.
        ExpireGoals => "expire_goals",
        /// Delete old finished jobs and read notifications; keep price partitions ahead.
        Retention => "retention",
        /// Read a pending token deposit from the chain again until it is finalized.
        CheckDeposit => "check_deposit",
        /// Send a user's held alerts to one external channel as one digest message.
        DeliverDigest => "deliver_digest",
        /// Finish the alert step of goals whose matches were stored but not yet alerted on
        /// (a crash between the two).
        FlushAlerts => "flush_alerts",
    }
);

text_enum!(
    /// Where a background job is in its life.
    JobStatus {
        /// Waiting for a worker.
        Queued => "queued",
        /// A worker holds its lease.
        Running => "running",
        /// Finished with a result.
        Succeeded => "succeeded",
        /// Failed; will run again at its `run_at`.
        Retrying => "retrying",
        /// Failed for good on an error that retrying cannot fix.
        Failed => "failed",
        /// Failed after its last attempt; kept with its error until an admin retries it.
        Dead => "dead",
    }
);

text_enum!(
    /// Physical condition of an item.
    Condition {
        /// Factory new.
        New => "new",
        /// Previously owned.
        Used => "used",
        /// Restored by the maker or a seller.
        Refurbished => "refurbished",
        /// Returned or display unit, unused.
        OpenBox => "open_box",
    }
);

text_enum!(
    /// Lifecycle of a goal.
    GoalStatus {
        /// Searched and matched.
        Active => "active",
        /// Kept but not searched.
        Paused => "paused",
        /// The user bought what they wanted.
        Completed => "completed",
        /// The deadline passed.
        Expired => "expired",
        /// Abandoned by the user.
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// How urgently a goal should be searched and alerted on.
    Priority {
        /// Searched rarely.
        Low => "low",
        /// The default.
        Medium => "medium",
        /// Searched often.
        High => "high",
        /// Searched most often, alerts bypass quiet hours.
        Critical => "critical",
    }
);

text_enum!(
    /// Stock state of a listing.
    Availability {
        /// Can be bought now.
        InStock => "in_stock",
        /// Few units left.
        LowStock => "low_stock",
        /// Cannot be bought now.
        OutOfStock => "out_of_stock",
        /// Orderable ahead of release.
        Preorder => "preorder",
        /// The source did not say.
        Unknown => "unknown",
    }
);

text_enum!(
    /// Whether a listing is still offered.
    ListingStatus {
        /// Seen recently at its source.
        Active => "active",
        /// No longer offered by its source.
        Ended => "ended",
        /// Hidden by an administrator.
        Removed => "removed",
    }
);

text_enum!(
    /// Sort orders of the deal search.
    DealSort {
        /// Best score first (the default).
        Score => "score",
        /// Cheapest first.
        Price => "price",
        /// Largest discount first.
        Discount => "discount",
        /// Most recently seen first.
        Newest => "newest",
    }
);

text_enum!(
    /// What an alert is about.
    NotificationKind {
        /// A listing newly matched to a goal.
        NewMatch => "new_match",
        /// A tracked price reached the user's target.
        BelowTarget => "below_target",
        /// A tracked price dropped by at least the user's percentage.
        PriceDrop => "price_drop",
        /// A tracked price is the lowest of the last days.
        LowestInDays => "lowest_in_days",
        /// A price that looks like an error.
        Glitch => "glitch",
        /// A tracked listing can be bought again.
        BackInStock => "back_in_stock",
        /// A goal reached its deadline.
        GoalExpired => "goal_expired",
        /// A goal's deadline is near.
        Deadline => "deadline",
        /// A goal was paused: its owner's tokens no longer pay for its work.
        OutOfTokens => "out_of_tokens",
    }
);

text_enum!(
    /// An external channel an alert is delivered to (the in-app row is not a delivery).
    Channel {
        /// A JSON POST to the user's URL.
        Webhook => "webhook",
        /// A message to the user's ntfy topic.
        Ntfy => "ntfy",
        /// An e-mail to the account address.
        Email => "email",
        /// A Telegram message from the server's bot to the user's chat.
        Telegram => "telegram",
        /// A message to the user's Discord webhook.
        Discord => "discord",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        for c in Condition::ALL {
            assert_eq!(Condition::parse(c.as_str()), Ok(*c));
        }
        assert_eq!(Condition::parse(" Open_Box "), Ok(Condition::OpenBox));
        assert_eq!(GoalStatus::parse("PAUSED"), Ok(GoalStatus::Paused));
    }

    #[test]
    fn unknown_values_list_the_accepted_ones() {
        let err = Priority::parse("urgent").unwrap_err();
        assert_eq!(err.to_string(), "must be one of: low medium high critical");
    }

    #[test]
    fn serde_uses_the_text_form() {
        assert_eq!(
            serde_json::to_string(&Condition::OpenBox).unwrap(),
            "\"open_box\""
        );
        let s: DealSort = serde_json::from_str("\"discount\"").unwrap();
        assert_eq!(s, DealSort::Discount);
    }
}
