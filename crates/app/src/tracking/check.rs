//! The price-analysis flow of the seed (the CheckPrices job): per batch of tracked listings →
//! current offer from its market → price point → re-score → alert when a condition becomes true
//! (below target, drop ≥ N %, lowest in 30 days, price glitch, back in stock). A condition
//! alerts once when it becomes true and re-arms when it stops being true; "below target"
//! re-arms only once the price rose `alerts.min_drop_pct` above the target, and "back in stock"
//! stays quiet for `alerts.stock_cooldown_secs` after it fired (flapping stock); a drop alerts
//! once per observed change.

use chrono::{DateTime, Utc};
use deals_agents::agents::{EventKind, PriceEvent};
use deals_core::Availability;
use deals_store::now;
use deals_store::rows::{Listing, Tracker};
use serde::Serialize;
use uuid::Uuid;

use crate::agents::Origin;
use crate::deals::ingest::ingest;
use crate::error::{Error, Result};
use crate::notify::message::{AlertData, Reason};
use crate::notify::{Raised, Subject, Together, decide_and_notify};
use crate::state::AppState;

/// Conditions of a tracker, as stored in its `alert_state`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Armed {
    below_target: bool,
    lowest: bool,
    glitch: bool,
    out_of_stock: bool,
    /// When "back in stock" last fired.
    #[serde(default)]
    back_in_stock_at: Option<DateTime<Utc>>,
}

/// Days a "lowest price" alert looks back over.
const LOWEST_DAYS: i64 = 30;

/// What a price check did.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// Trackers asked for.
    pub trackers: usize,
    /// Listings re-read from their market.
    pub checked: usize,
    /// Listings whose price or stock changed.
    pub changed: usize,
    /// Alerts stored.
    pub alerts: u32,
    /// Markets that could not be read.
    pub errors: Vec<String>,
}

/// Re-reads the current offer of each tracked listing, records it, re-scores and alerts.
/// Fails (to be retried) only when no listing could be read at all.
pub async fn check_prices(state: &AppState, origin: Origin, ids: &[Uuid]) -> Result<Checked> {
    let mut checked = 0;
    let mut changed = 0;
    let mut alerts = 0;
    let mut errors = Vec::new();
    for id in ids {
        let Some(tracker) = state.store.get_tracker(*id).await? else {
            continue;
        };
        let before = match state.store.get_listing(tracker.listing_id).await {
            Ok(l) => l,
            Err(deals_store::StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        let Some(market) = state.markets.get(&before.market) else {
            continue;
        };
        let offer = match market.product(&before.external_id).await {
            Ok(o) => o,
            Err(deals_markets::MarketError::NotFound(_)) => {
                // The market no longer offers it: the listing has ended.
                state.store.end_listing(before.id).await?;
                checked += 1;
                continue;
            }
            Err(e) => {
                errors.push(format!("{} {}: {e}", before.market, before.external_id));
                continue;
            }
        };
        checked += 1;
        let after = ingest(state, &offer).await?.listing;
        if after.price_minor != before.price_minor || after.availability != before.availability {
            changed += 1;
        }
        let theirs = Origin::new(Some(tracker.user_id), origin.job_id);
        alerts += evaluate(state, theirs, &tracker, &before, &after).await?;
    }
    if checked == 0 && !errors.is_empty() {
        return Err(Error::Internal(anyhow::anyhow!(errors.join("; "))));
    }
    Ok(Checked {
        trackers: ids.len(),
        checked,
        changed,
        alerts,
        errors,
    })
}

/// What a check saw, for [`transition`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    /// Price now.
    price: i64,
    /// Price at the previous check.
    previous: i64,
    /// The tracker's target.
    target: Option<i64>,
    /// The tracker's least drop, in percent.
    drop_pct: Option<f64>,
    /// Lowest in [`LOWEST_DAYS`] (with enough history to say so).
    lowest: bool,
    /// A likely price error.
    glitch: bool,
    /// Can be bought.
    in_stock: bool,
}

/// The alert rules' knobs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rules {
    /// How far above the target (percent) the price must rise before "below target" re-arms.
    rearm_pct: f64,
    /// Quiet time after a "back in stock" alert.
    stock_cooldown: chrono::Duration,
}

/// The conditions after a check, and the alerts that fire: each once when it becomes true.
fn transition(
    armed: Armed,
    seen: Seen,
    rules: Rules,
    at: DateTime<Utc>,
) -> (Armed, Vec<(EventKind, &'static str)>) {
    let price = seen.price;
    let below = |t: i64| price <= t;
    let still_below = |t: i64| (price as f64) <= t as f64 * (1.0 + rules.rearm_pct / 100.0);
    let next = Armed {
        below_target: seen
            .target
            .is_some_and(|t| below(t) || (armed.below_target && still_below(t))),
        lowest: seen.lowest,
        glitch: seen.glitch,
        out_of_stock: !seen.in_stock,
        back_in_stock_at: armed.back_in_stock_at,
    };
    let mut fired = Vec::new();
    if next.below_target && !armed.below_target {
        fired.push((EventKind::BelowTarget, "below_target"));
    }
    if let Some(pct) = seen.drop_pct
        && seen.previous > 0
        && price < seen.previous
        && ((seen.previous - price) as f64 / seen.previous as f64) * 100.0 >= pct
    {
        fired.push((EventKind::PriceDrop, "drop"));
    }
    if next.lowest && !armed.lowest {
        fired.push((EventKind::LowestInDays, "lowest"));
    }
    if next.glitch && !armed.glitch {
        fired.push((EventKind::Glitch, "glitch"));
    }
    let mut next = next;
    let quiet = armed
        .back_in_stock_at
        .is_some_and(|t| at - t < rules.stock_cooldown);
    if armed.out_of_stock && seen.in_stock && !quiet {
        fired.push((EventKind::BackInStock, "back_in_stock"));
        next.back_in_stock_at = Some(at);
    }
    (next, fired)
}

/// Compares a tracked listing before and after a check; alerts on conditions that became true.
async fn evaluate(
    state: &AppState,
    origin: Origin,
    tracker: &Tracker,
    before: &Listing,
    after: &Listing,
) -> Result<u32> {
    let armed: Armed = tracker
        .alert_state
        .clone()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let price = after.price_minor;
    let previous = tracker.last_price_minor.unwrap_or(before.price_minor);
    let history = state
        .store
        .price_history(after.id, now() - chrono::Duration::days(LOWEST_DAYS))
        .await?;
    let earlier_low = history
        .iter()
        .take(history.len().saturating_sub(1))
        .map(|p| p.price_minor)
        .min();
    let analysis = state.store.latest_analysis(after.id).await?;
    let glitch = analysis
        .as_ref()
        .and_then(|a| a.details.get("price_glitch"))
        .and_then(|g| g.get("is_possible_error"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let seen = Seen {
        price,
        previous,
        target: tracker.target_price_minor,
        drop_pct: tracker.notify_on_drop_pct,
        lowest: history.len() >= 3 && earlier_low.is_some_and(|low| price < low),
        glitch,
        in_stock: after.availability != Availability::OutOfStock,
    };
    let alerts = &state.settings.alerts;
    let rules = Rules {
        rearm_pct: alerts.min_drop_pct,
        stock_cooldown: chrono::Duration::seconds(
            i64::try_from(alerts.stock_cooldown_secs).unwrap_or(i64::from(u32::MAX)),
        ),
    };
    let (next, fired) = transition(armed, seen, rules, now());
    let next = serde_json::to_value(next).unwrap_or_default();
    let mut sent = 0;
    // One key per condition and observed price change: a re-run of this job (or an overlapping
    // one) finds the same keys and alerts nothing new.
    let observed = history.last().map_or(0, |p| p.at.timestamp_micros());
    for (kind, label) in fired {
        let event = PriceEvent {
            kind,
            listing_title: after.title.clone(),
            store: after.market.clone(),
            price_minor: price,
            currency: after.currency,
            target_price_minor: tracker.target_price_minor,
            previous_price_minor: Some(previous),
            median_90_days_minor: None,
            lowest_in_days: (kind == EventKind::LowestInDays).then_some(LOWEST_DAYS as u32),
            stores_compared: None,
            cheapest: false,
        };
        let key = format!(
            "tracker:{}:{label}:{previous}->{price}:{observed}",
            tracker.id
        );
        let mut data = AlertData::about(state, after, Reason::Condition).await;
        data.tracker_id = Some(tracker.id);
        data.condition = Some(label);
        let subject = Subject {
            about: format!("Your tracker on “{}”", after.title),
            why: data.explanation.clone(),
        };
        let data = data.to_json();
        // The tracker's new state commits with the alert: a crash cannot record the condition
        // as fired without its alert (nor the alert without the state, which would fire it
        // again at the next check).
        let together = Together::TrackerState {
            id: tracker.id,
            price_minor: price,
            state: next.clone(),
        };
        let raised = Raised {
            dedup_key: key,
            subject,
            data,
            together: Some(together),
        };
        if decide_and_notify(state, origin, tracker.user_id, event, raised).await? {
            sent += 1;
        }
    }
    state
        .store
        .update_tracker_state(tracker.id, price, next)
        .await?;
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules {
        rearm_pct: 5.0,
        stock_cooldown: chrono::Duration::hours(6),
    };

    fn seen(price: i64) -> Seen {
        Seen {
            price,
            previous: price,
            target: Some(10000),
            drop_pct: None,
            lowest: false,
            glitch: false,
            in_stock: true,
        }
    }

    /// Runs checks at the given prices, one minute apart; the labels that fired at each.
    fn run(prices: &[i64]) -> Vec<Vec<&'static str>> {
        let mut armed = Armed::default();
        let start = Utc::now();
        prices
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let at = start + chrono::Duration::minutes(i as i64);
                let (next, fired) = transition(armed, seen(p), RULES, at);
                armed = next;
                fired.into_iter().map(|(_, l)| l).collect()
            })
            .collect()
    }

    #[test]
    fn a_price_equal_to_the_target_fires() {
        assert_eq!(run(&[10000]), vec![vec!["below_target"]]);
    }

    #[test]
    fn flapping_around_the_target_fires_once_per_episode() {
        let fired = run(&[10100, 10000, 10200, 9900, 10400, 10000]);
        let count = fired.iter().flatten().count();
        assert_eq!(count, 1, "{fired:?}");
        assert_eq!(fired[1], vec!["below_target"]);
    }

    #[test]
    fn a_price_clearly_above_the_target_rearms_it() {
        let fired = run(&[10000, 10600, 10000]);
        assert_eq!(
            fired,
            vec![vec!["below_target"], vec![], vec!["below_target"]]
        );
    }

    #[test]
    fn flapping_stock_tells_back_in_stock_once_within_the_cooldown() {
        let mut armed = Armed::default();
        let start = Utc::now();
        let mut told = Vec::new();
        for (minutes, in_stock) in [(0, false), (1, true), (2, false), (3, true), (4, false)] {
            let mut s = seen(20000);
            s.in_stock = in_stock;
            let at = start + chrono::Duration::minutes(minutes);
            let (next, fired) = transition(armed, s, RULES, at);
            armed = next;
            told.extend(fired.into_iter().map(|(_, l)| l));
        }
        assert_eq!(told, vec!["back_in_stock"]);
        // After the cooldown, coming back tells again.
        let mut s = seen(20000);
        s.in_stock = true;
        let (_, fired) = transition(armed, s, RULES, start + chrono::Duration::hours(7));
        assert_eq!(
            fired.into_iter().map(|(_, l)| l).collect::<Vec<_>>(),
            vec!["back_in_stock"]
        );
    }

    #[test]
    fn a_drop_of_at_least_the_trackers_percentage_fires() {
        let mut s = seen(9000);
        s.target = None;
        s.previous = 10000;
        s.drop_pct = Some(10.0);
        let (_, fired) = transition(Armed::default(), s, RULES, Utc::now());
        assert_eq!(fired, vec![(EventKind::PriceDrop, "drop")]);
        s.price = 9100;
        let (_, fired) = transition(Armed::default(), s, RULES, Utc::now());
        assert!(fired.is_empty());
    }
}
